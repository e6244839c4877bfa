"""Properties of text cleaning and tokenising: ``clean_text`` and the analysis normalisation
never raise; token spans stay in the text; ``fold`` and ``fingerprint`` ignore what they promise
to ignore.

Not promised, on purpose: ``clean_text`` unescapes entities once per call (a review that says
"&amp;" in its text keeps it), and ``fold`` expands teencode from the word as typed ("hồng" folds
to "hong" but is not "không").
"""

from __future__ import annotations

import re
import unicodedata
from itertools import pairwise

from hypothesis import example, given
from hypothesis import strategies as st

from analysis.tokens import detect_language, fingerprint, fold, tokenize
from crawler.extract.cleaning import clean_text, guess_language
from tests.conftest import budget
from tests.strategies import (
    ANY_REVIEW_TEXT,
    MARKUP_TEXT,
    NFC_REVIEW_TEXT,
    SAFE_JSON,
    WITH_SURROGATES,
)


@budget(300)
@given(value=st.one_of(MARKUP_TEXT, WITH_SURROGATES, SAFE_JSON, st.binary(max_size=20)))
def test_clean_text_answers_none_or_tidy_nfc_text(value: object) -> None:
    cleaned = clean_text(value)
    if cleaned is not None:
        assert isinstance(cleaned, str)
        assert cleaned
        assert cleaned == cleaned.strip()
        assert unicodedata.is_normalized("NFC", cleaned)
        assert "\n\n\n" not in cleaned
    assert guess_language(cleaned) in ("vi", "en", None)


@budget(300)
@given(text=MARKUP_TEXT.filter(lambda text: "&" not in text and "(" not in text) | st.text())
def test_clean_text_is_idempotent_without_entities(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once


@budget(300)
@given(text=NFC_REVIEW_TEXT)
def test_token_spans_are_words_of_nfc_text(text: str) -> None:
    for token in tokenize(text):
        assert 0 <= token.start < token.end <= len(text)
        word = text[token.start : token.end]
        # letters and digits, with the marks NFC could not compose onto them, and apostrophes
        assert word[0].isalnum()
        assert all(
            c.isalnum() or unicodedata.category(c).startswith("M") or c in "'’" for c in word
        )
        assert not any(unicodedata.combining(char) for char in token.folded)
    assert detect_language(text) in ("vi", "en", "mixed")


@budget(300)
@given(text=ANY_REVIEW_TEXT | WITH_SURROGATES)
@example(text="\u0958")
@example(text="e\u0301 ok")
def test_token_spans_are_words_of_any_text(text: str) -> None:
    spans = list(dict.fromkeys((token.start, token.end) for token in tokenize(text)))  # bt → 2
    for (start, end), (next_start, _) in pairwise([*spans, (len(text), 0)]):
        assert 0 <= start < end <= next_start <= len(text)
        quoted = unicodedata.normalize("NFC", text[start:end])
        assert re.match(r"[^\W_]", quoted)
        assert not any(char.isspace() for char in quoted)


@budget(300)
@given(text=ANY_REVIEW_TEXT | WITH_SURROGATES)
def test_fold_is_unmarked_single_spaced_and_ignores_the_normal_form(text: str) -> None:
    folded = fold(text)
    assert "  " not in folded
    assert folded == folded.strip()
    assert "đ" not in folded
    assert not any(unicodedata.combining(char) for char in folded)
    assert fold(unicodedata.normalize("NFD", text)) == folded
    assert fingerprint(text) is None or re.fullmatch(r"[0-9a-f]{16}", fingerprint(text) or "")
    assert detect_language(text) in ("vi", "en", "mixed")


ASCII_WORDS = st.lists(st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8), max_size=10)


@budget(300)
@given(
    words=ASCII_WORDS,
    separators=st.lists(
        st.sampled_from([" ", ", ", "! ", " 42 ", " - ", "\n", "... "]), min_size=10, max_size=10
    ),
    upper=st.lists(st.booleans(), min_size=10, max_size=10),
)
def test_fingerprint_ignores_case_punctuation_and_numbers(
    words: list[str], separators: list[str], upper: list[bool]
) -> None:
    plain = " ".join(words)
    dressed = "".join(
        (word.upper() if big else word) + separator
        for word, separator, big in zip(words, separators, upper, strict=False)
    )
    assert fingerprint(dressed) == fingerprint(plain)
    counted = [token for token in tokenize(plain) if not token.folded.isdigit()]
    assert (fingerprint(plain) is None) == (len(counted) < 6)
