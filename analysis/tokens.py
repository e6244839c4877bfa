"""Review text for cue matching, in Vietnamese and English.

A review becomes a list of :class:`Token` objects. Each keeps its span in the original text (so
evidence can be quoted exactly) and two keys:

* ``canon``: lower case with Vietnamese vowel marks (â ă ê ô ơ ư đ) kept and the tone moved to the
  end as a digit, so the old and new tone placements agree: "hoà" and "hòa" are both ``hoa2``,
  "thuý" and "thúy" both ``thuy1``;
* ``folded``: no marks at all and đ → d, so "khong" matches "không".

A token written with marks is matched on ``canon`` (so "tê" does not match "tệ"); one written
without marks is matched on ``folded`` (so unaccented typing still matches). Teencode is expanded
first ("ko" → "không", "đc" → "được", "bt" → "bình thường"), and English "n't" becomes "not".
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

_TONES = {"\u0300": "2", "\u0301": "1", "\u0309": "3", "\u0303": "4", "\u0323": "5"}


#: Combining marks NFC cannot compose onto a letter (a Devanagari nukta, a stray U+0300 after a
#: digit) stay inside the word they follow: a word ends where its letters and marks end.
def _mark_ranges() -> str:
    codes = [c for c in range(0x300, 0x10000) if unicodedata.category(chr(c)).startswith("M")]
    ranges: list[tuple[int, int]] = []
    for code in codes:
        if ranges and code == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return "".join(f"\\u{a:04x}-\\u{b:04x}" if a != b else f"\\u{a:04x}" for a, b in ranges)


# A word: letters and digits (not "_"), with any marks between or after them. The two classes
# share no character, so the pattern never backtracks.
_PART = f"[^\\W_]+(?:[{_mark_ranges()}]+[^\\W_]*)*"
_WORD = re.compile(f"{_PART}(?:['’]{_PART})*")
# Teencode and chat abbreviations, folded key → expansion (in Vietnamese with marks).
TEENCODE = {
    "ko": "không", "k": "không", "kh": "không", "khg": "không", "kg": "không", "hong": "không",
    "hông": "không", "hok": "không", "hem": "không", "k0": "không", "dc": "được", "đc": "được",
    "dk": "được", "đk": "được", "j": "gì", "bt": "bình thường", "bth": "bình thường",
    "sp": "sản phẩm", "nv": "nhân viên", "r": "rồi", "mn": "mọi người", "mng": "mọi người",
    "vs": "với", "ns": "nói", "cx": "cũng", "cg": "cũng", "wa": "quá", "qa": "quá", "qá": "quá",
    "wá": "quá", "bik": "biết", "bit": "biết", "ok": "ok", "oke": "ok", "okela": "ok",
    "nhìu": "nhiều", "ntn": "như thế nào", "lm": "làm", "ng": "người", "trc": "trước",
    "shop": "shop", "ship": "ship", "sr": "xin lỗi", "thanks": "thanks", "tks": "cảm ơn",
    "thank": "thank", "ak": "à", "ah": "à", "z": "vậy", "v": "vậy", "nt": "nhắn tin",
}  # fmt: skip
# English contractions whose negation must survive tokenisation.
_NOT = re.compile(
    r"(?i)\b(ca|wo|do|does|did|is|are|was|were|could|would|should|have|has|had|need)n['’]t\b"
)
_CONTRACTION = {"ca": "can", "wo": "will"}


class Token(NamedTuple):
    """One word of a review (a tuple: made about 30 times a review, three times cheaper than a
    frozen dataclass)."""

    canon: str
    folded: str
    marked: bool  # written with Vietnamese marks
    start: int
    end: int


@lru_cache(maxsize=65536)
def word_keys(word: str) -> tuple[str, str, bool]:
    """``(canon, folded, marked)`` of one lower-case word."""
    decomposed = unicodedata.normalize("NFD", word)
    tone = ""
    kept = []
    for char in decomposed:
        if char in _TONES:
            tone = _TONES[char]
        else:
            kept.append(char)
    base = unicodedata.normalize("NFC", "".join(kept))
    folded = "".join(c for c in unicodedata.normalize("NFD", base) if not unicodedata.combining(c))
    folded = folded.replace("đ", "d")
    marked = bool(tone) or folded != base
    return base + tone, folded, marked


_EXPANSIONS = {code: expansion.split() for code, expansion in TEENCODE.items()}


def tokenize(text: str) -> list[Token]:
    """Tokens of ``text`` with their spans in ``text``; teencode expanded, English "n't" → "not".

    Words are read from the NFC form; a span always points into the text as given, decomposed
    ("nha\\u0300") or not, so ``text[start:end]`` quotes the word.
    """
    normal, origin = _nfc_with_origin(text)
    tokens: list[Token] = []
    append, known, make = tokens.append, _KEYS.get, tuple.__new__  # the hot loop of classify
    find, end = normal.find, 0
    for word in _WORD.findall(normal):
        # A word starts with a letter or digit, and the first one after the last word starts
        # the next: finding the word's text from there finds the match (no match objects made).
        first = start = find(word, end)
        last = end = start + len(word)
        if origin is not None:
            first, last = origin[start][0], origin[end - 1][1]
        for canon, folded, marked in known(word) or _keys_of(word):
            append(make(Token, (canon, folded, marked, first, last)))
    return tokens


#: The keys of each word as written (:func:`_written_keys` of its lower case), kept for the
#: process: a review's words are looked up once each, without lower-casing them again.
_KEYS: dict[str, tuple[tuple[str, str, bool], ...]] = {}
_KEYS_KEPT = 65_536  # as many words as word_keys and _written_keys keep


def _keys_of(word: str) -> tuple[tuple[str, str, bool], ...]:
    keys = _written_keys(word.lower())
    if len(_KEYS) >= _KEYS_KEPT:
        _KEYS.clear()
    _KEYS[word] = keys
    return keys


@lru_cache(maxsize=65536)
def _written_keys(raw: str) -> tuple[tuple[str, str, bool], ...]:
    """The keys of the words one lower-case word as written stands for: teencode expanded, "n't"
    → "not", "i'm" → "i"."""
    if "'" in raw or "’" in raw:
        raw = raw.replace("’", "'")
        not_match = _NOT.fullmatch(raw)
        if not_match:
            stem = not_match.group(1)
            words = [_CONTRACTION.get(stem, stem), "not"]
        else:
            words = [raw.split("'", 1)[0]]  # "i'm" → "i", "we'll" → "we"
    else:
        expansion = _EXPANSIONS.get(raw)
        if expansion:
            # "ko" expands to "không", but it was typed without marks: a review written in
            # shorthand reads as unmarked text ("nv ko nhiet tinh" is matched on its unmarked form)
            typed_marked = word_keys(raw)[2]
            return tuple(
                (canon, folded, typed_marked)
                for canon, folded, _ in (word_keys(word) for word in expansion)
            )
        words = [raw]
    return tuple(word_keys(word) for word in words)


def _nfc_with_origin(text: str) -> tuple[str, list[tuple[int, int]] | None]:
    """``text`` in NFC and, for each character of it, the span in ``text`` it came from (None
    when ``text`` is NFC already, as every stored review is).

    Each run of a starter and its combining marks is normalised on its own, so every character of
    the result comes from one known run.
    """
    if unicodedata.is_normalized("NFC", text):
        return text, None
    pieces: list[str] = []
    origin: list[tuple[int, int]] = []
    start = 0
    for index in range(1, len(text) + 1):
        if index < len(text) and unicodedata.combining(text[index]):
            continue
        piece = unicodedata.normalize("NFC", text[start:index])
        pieces.append(piece)
        origin.extend([(start, index)] * len(piece))
        start = index
    return "".join(pieces), origin


def phrase_keys(phrase: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(canon keys, folded keys)`` of a lexicon phrase, tokenised like review text."""
    tokens = tokenize(phrase)
    return tuple(t.canon for t in tokens), tuple(t.folded for t in tokens)


def fold(text: str) -> str:
    """Lower case without marks, đ → d, words separated by single spaces."""
    return " ".join(token.folded for token in tokenize(text))


# Letters that occur in Vietnamese but not in English.
_VI_LETTERS = re.compile(
    "[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
    "ĂÂĐÊÔƠƯẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸ"
    "àáảãèéẻẽìíĩòóõùúũỳýÀÁẢÃÈÉẺẼÌÍĨÒÓÕÙÚŨỲÝ]"
)
_VI_FUNCTION = frozenset(
    "khong duoc rat qua ngon nhan vien phuc vu quan mon an se lai nha hang minh moi nguoi "
    "gia cung nhung nhieu thi la cua cho voi nay toi em anh chi lam thay hoi hon nen tot "
    "vui ve roi nua luon hay dep sach cam on shop giao hang nhanh cham".split()
)
_EN_FUNCTION = frozenset(
    "the and was were is are it this that with for not but very they we our you food "
    "service staff place good great will would had have be of to in on at my me so "
    "there their here back again never really just also".split()
)


def detect_language(text: str, tokens: list[Token] | None = None) -> str:
    """``"vi"``, ``"en"`` or ``"mixed"``: enough to pick the lexicons; ``"en"`` when unsure."""
    tokens = tokenize(text) if tokens is None else tokens
    if not tokens:
        return "en"
    vi = len(_VI_LETTERS.findall(text))  # letters with Vietnamese marks
    en = 0
    for token in tokens:  # one pass, not two sums
        if token.folded in _VI_FUNCTION:
            vi += 1
        if token.folded in _EN_FUNCTION:
            en += 1
    if vi and en and min(vi, en) >= 3 and min(vi, en) >= 0.3 * max(vi, en):
        return "mixed"
    return "vi" if vi > en else "en"


#: Texts shorter than this many words ("ngon", "great place") repeat naturally: no fingerprint.
FINGERPRINT_MIN_WORDS = 6


def fingerprint(text: str) -> str | None:
    """Equal for texts that differ only in case, marks, punctuation and numbers: the same review
    pasted many times (a flood) shares one."""
    words = [t.folded for t in tokenize(text) if not t.folded.isdigit()]
    if len(words) < FINGERPRINT_MIN_WORDS:
        return None
    return hashlib.blake2b(" ".join(words).encode(), digest_size=8).hexdigest()
