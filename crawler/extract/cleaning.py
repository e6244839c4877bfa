"""Review text as stored: unescaped, tag-free, NFC, whitespace tidied; and a cheap language guess.

The analysis has its own, finer normalisation for matching cues; this is only what the store keeps.
"""

from __future__ import annotations

import html
import re
import unicodedata

_BREAK = re.compile(r"<\s*(?:br|/p|/div|/li)\s*/?\s*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]{0,2000}>")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_NEWLINES = re.compile(r"\s*\n\s*(?:\n\s*)+")
# "(Translated by Google) Great place (Original) Quán tuyệt vời": keep the original.
_TRANSLATED = re.compile(
    r"^\s*\((?:Translated by Google|Được Google dịch)\)(?P<translation>.*?)"
    r"\((?:Original|Bản gốc)\)(?P<original>.*)$",
    re.DOTALL | re.IGNORECASE,
)


_SURROGATE = re.compile("[\ud800-\udfff]")


def encodable(text: str) -> str:
    """``text`` with any lone surrogate (half an emoji, cut at a UTF-16 boundary by a JSON
    encoder) replaced by U+FFFD, so it can be encoded, hashed and stored.

    >>> encodable("ok \\ud83d") == "ok \\ufffd"
    True
    """
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def clean_text(value: object) -> str | None:
    """Markup-free NFC text, or None when nothing is left.

    >>> clean_text("  Ph&#7903; ngon<br>s\u1ebd quay l\u1ea1i ")
    'Phở ngon\\nsẽ quay lại'
    """
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if "<" in text:
        text = _TAG.sub("", _BREAK.sub("\n", text))
    if "&" in text:
        text = html.unescape(text)
    text = encodable(text)
    text = unicodedata.normalize("NFC", text)
    if text.lstrip().startswith("("):  # what _TRANSLATED can match: most text is not
        match = _TRANSLATED.match(text)
        if match:
            text = match.group("original")
    text = _SPACES.sub(" ", text)
    if "\n" in text:
        text = _NEWLINES.sub("\n\n", text).strip()
        text = "\n".join(line.strip() for line in text.split("\n"))
    else:
        text = text.strip()
    return text or None


# Letters that occur in Vietnamese but not in English or most Western European languages.
_VI_LETTERS = re.compile(
    "[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
    "ĂÂĐÊÔƠƯẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸ]"
)
_WORD = re.compile(r"[a-z]+")
# Frequent words of unaccented Vietnamese and teencode, and of English reviews.
_VI_WORDS = frozenset(
    [
        "khong",
        "ko",
        "k",
        "hong",
        "dc",
        "duoc",
        "rat",
        "qua",
        "ngon",
        "nhan",
        "vien",
        "phuc",
        "vu",
        "quan",
        "mon",
        "an",
        "se",
        "lai",
        "nha",
        "hang",
        "minh",
        "moi",
        "nguoi",
        "gia",
        "ca",
        "cung",
        "nhung",
        "nhieu",
        "thi",
        "la",
        "cua",
        "cho",
        "voi",
        "nay",
        "toi",
        "em",
        "anh",
        "chi",
        "lam",
        "thay",
        "hoi",
        "hon",
        "nen",
        "tot",
        "te",
        "vui",
        "ve",
    ]
)
_EN_WORDS = frozenset(
    [
        "the",
        "and",
        "was",
        "were",
        "is",
        "are",
        "it",
        "this",
        "that",
        "with",
        "for",
        "not",
        "but",
        "very",
        "they",
        "we",
        "our",
        "you",
        "food",
        "service",
        "staff",
        "place",
        "good",
        "great",
        "will",
        "would",
        "had",
        "have",
        "be",
        "of",
        "to",
        "in",
        "on",
        "at",
        "my",
    ]
)


#: Words written alike in Vietnamese and English reviews: no clue to the language.
_EITHER_LANGUAGE = frozenset({"ok", "oke", "okay", "okie", "shop", "ship", "wow", "good", "like"})
#: A Vietnamese syllable typed without marks: an initial consonant (cluster), vowels, a final.
_VI_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?"
)


def guess_language(text: str | None) -> str | None:
    """``"vi"``, ``"en"`` or None: enough to pick a lexicon, not a general language detector."""
    if not text:
        return None
    sample = text[:2000]
    if len(_VI_LETTERS.findall(sample)) >= 2:
        return "vi"
    words = _WORD.findall(sample.lower())
    vi = sum(word in _VI_WORDS for word in words)
    en = sum(word in _EN_WORDS for word in words)
    if vi > en and vi >= 2:
        return "vi"
    if en >= 1 and en >= vi:
        return "en"
    # A short text without function words ("Slow.", "Overpriced!"): English when most of its words
    # could not be Vietnamese syllables typed without marks ("slow" starts with "sl").
    letters = [w for w in words if w.isascii() and w.isalpha() and w not in _EITHER_LANGUAGE]
    if letters and vi == 0:
        foreign = sum(not _VI_SYLLABLE.fullmatch(word) for word in letters)
        if foreign * 2 > len(letters):
            return "en"
    return None
