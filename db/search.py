"""Searching review text with or without Vietnamese marks: how the words of a search are folded.

The index (``reviews_fts``, see :mod:`db.migrations`) reads text with FTS5's unicode61 tokenizer and
``remove_diacritics 2``, so "lại", "lài" and "lai" are one word. "đ" is not a "d" with a mark to
Unicode but a letter of its own, which the tokenizer keeps: the index also holds a copy of each
text that has one with đ/Đ written d/D. A search folds its words the same way before matching, so
"đợi lâu", "Đợi LÂU" and "doi lau" find the same reviews (folding only one side would find the
reviews written with marks from "doi lau" but not those written without from "đợi lâu").

Every search folds here: :func:`fold_words` in Python (:func:`db.queries.search_reviews`, the
Datasette search box of ``ladder serve``), :func:`match_words_sql` in SQL (the canned queries).
"""

from __future__ import annotations

_STROKES = str.maketrans({"đ": "d", "Đ": "D"})

#: FTS5 refuses an empty query ("syntax error near \"\""); an empty phrase matches no row.
NOTHING = '""'


def fold_words(words: str) -> str:
    """``words`` as the index reads them: đ/Đ written d/D (the tokenizer folds every other mark).

    >>> fold_words("Đợi lâu")
    'Dợi lâu'
    """
    return words.translate(_STROKES)


def match_words_sql(parameter: str) -> str:
    """SQL for the right side of ``reviews_fts MATCH`` given the words in ``parameter`` (such as
    ``:words``): folded as :func:`fold_words` folds them, and a query matching nothing (not an
    error) when they are empty or blank."""
    folded = f"replace(replace({parameter}, 'đ', 'd'), 'Đ', 'D')"
    return f"coalesce(nullif(trim({folded}), ''), '{NOTHING}')"
