"""What the ladder's model reads of a review.

Two views of one reading (:class:`analysis.ladder.Reading`):

* **hashed words**: the review's words and word pairs (unmarked, teencode expanded: "khong tot",
  "not worth"), each hashed into one of :data:`WIDTH` columns. The linear text models (how
  satisfied the customer sounds, which service dimensions the review speaks of) weigh these
  columns. A column is a number, not a word: the weights shipped with the project hold no text.
* **decision features**: a short vector of named, readable quantities (the stars, the text's
  satisfaction, counts of the lexicon's cues by rung and by family, a few marks of tone such as
  exclamation marks) from which the rung is decided (:data:`DECISION_FEATURES`).
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from itertools import pairwise

import numpy as np

from analysis.linear import FloatArray
from analysis.tokens import Token

#: Hashed columns: 2**18. Collisions between rare words cost little; the weights stay small.
HASH_BITS = 18
WIDTH = 1 << HASH_BITS
_MASK = WIDTH - 1
#: Families of cues the lexicon lists besides the rungs (``[families]`` in the lexicon files).
FAMILIES = (
    "demand",
    "accuse",
    "anger",
    "escalate",
    "contact",
    "refusal",
    "harsh",
    "churn",
    "letdown",
    "concede",
    "lukewarm",
    "praise",
    "enthuse",
    "intensify",
    "superlative",
    "recommend",
    "exceed",
    "value",
    "loyal",
    "again",
)
#: Families whose cues, on a one-star review, mark a confrontation (rung 1) rather than a quiet
#: exit (rung 2); and those that, on a five-star review, mark more than expected (rung 5).
CONFRONT = ("demand", "accuse", "anger", "escalate", "refusal", "harsh")
DELIGHT = ("enthuse", "intensify", "superlative", "recommend", "exceed", "value", "loyal")
#: Marks of tone: shouted words, smiling and angry emoji, stretched letters and laughter.
_CAPITALS = re.compile(r"\b[A-ZÀ-Ỹ]{3,}\b")
_HAPPY = re.compile(
    "[\U0001f600-\U0001f60d\U0001f618\U0001f44d\u2764\u2665\U0001f496\U0001f60a\U0001f970"
    "\U0001f929]"
)
_ANGRY = re.compile("[\U0001f620-\U0001f62d\U0001f44e\U0001f92c\U0001f624\U0001f612\U0001f61e]")
_EMOJI = re.compile(f"{_HAPPY.pattern}|{_ANGRY.pattern}")  # either: one scan finds both
_STRETCHED = re.compile("aaa|eee|iii|ooo|uuu|yyy|hhh|zzz|!!|:\\)\\)|;\\)\\)|=\\)\\)")


#: What the text alone says, whatever the stars.
TEXT_FEATURES = (
    "satisfaction",
    "satisfaction²",
    "one-star text",
    "five-star text",
    *(f"rung {k} cues" for k in (1, 2, 3, 4, 5, 6)),
    *(f"weak {k} cues" for k in (3, 4, 5)),
    "effort",
    "sarcasm",
    "sentiment",
    *FAMILIES,
    "exclamations",
    "questions",
    "capitals",
    "positive emoji",
    "negative emoji",
    "elongation",
    "length",
)
#: What the labelled reviews' own words say of a text: three linear models of its words fitted on
#: reviews placed on the ladder by careful readers (:func:`analysis.training.fit_labelled`): the
#: rung, whether it is Bad (1), whether it is Surprising or better (5, 6).
WORD_HEADS = ("labelled words: rung", "labelled words: rung 1", "labelled words: rung 5+")
#: Text features read differently on a one-star and a five-star review, and without stars.
_ONE_STAR = ("rung 1 cues", *CONFRONT, "contact", "churn", "satisfaction", "one-star text")
_FIVE_STAR = ("rung 5 cues", *DELIGHT, "again", "lukewarm", "satisfaction", "five-star text")
_NO_STARS = ("rung 1 cues", "rung 5 cues", "satisfaction")
#: The stars and their readings as they differ in English: English one-star reviews are more
#: often confrontations than Vietnamese ones, and English five-star praise is more often plain.
_ENGLISH = (
    "English",
    "English × stars=1",
    "English × stars=5",
    "English × no stars",
    *(f"English × stars=1 × {name}" for name in _ONE_STAR),
    *(f"English × stars=5 × {name}" for name in _FIVE_STAR),
)
#: The decision features, in order: each a readable quantity of one review.
DECISION_FEATURES = (
    *TEXT_FEATURES,
    *WORD_HEADS,
    *(f"stars={k}" for k in (1, 2, 3, 4, 5)),
    "no stars",
    *(f"stars=1 × {name}" for name in _ONE_STAR),
    *(f"stars=5 × {name}" for name in _FIVE_STAR),
    *(f"no stars × {name}" for name in _NO_STARS),
    *_ENGLISH,
)
_TEXT_INDEX = {name: index for index, name in enumerate(TEXT_FEATURES)}
_ONE_STAR_AT = [_TEXT_INDEX[name] for name in _ONE_STAR]
_FIVE_STAR_AT = [_TEXT_INDEX[name] for name in _FIVE_STAR]
_NO_STARS_AT = [_TEXT_INDEX[name] for name in _NO_STARS]


@lru_cache(maxsize=262144)
def _word_hash(word: str) -> int:
    return zlib.crc32(word.encode("utf-8"))


#: Words that negate the next few (unmarked forms): a word in their scope is read as its own
#: feature ("not disappointed" is not "disappointed").
NEGATORS = frozenset(
    {"not", "no", "never", "without", "hardly", "khong", "chang", "chua", "dung", "cha"}
)
#: Words after a negator that are in its scope.
NEGATION_SCOPE = 3
_NEGATED = 0x5BD1E995  # mixed into the hash of a word in a negator's scope
_PAIR = 1_000_003  # a word pair's column: (first's hash × _PAIR) ^ second's, masked


#: Words too common to say which service dimension a review speaks of: left out of the
#: dimensions' columns (they still count for the satisfaction).
FUNCTION_WORDS = frozenset(
    """a an the and or but if of to in on at for from with by as is are was were be been being
    it its this that these those there here i we you he she they me us him her them my our your
    his their what which who when where how not no so very too also just than then all any some
    do does did have has had will would can could should may might must get got
    va la cua cho voi thi ma nhung cung rat qua lam duoc khong co nay do nhu de toi minh ban
    anh chi em no ho se da dang roi nua luon hay con cai nhieu it mot hai nen vi khi trong ngoai
    tren duoi len xuong ra vao di den tu ve lai thay biet noi nghe an uong dung mua""".split()
)


def hashed_words(tokens: Sequence[Token]) -> list[int]:
    """The hashed columns of a review's words and word pairs (unmarked forms); a word up to
    three words after a negator, in the same clause, is hashed as negated."""
    return word_columns(tokens)[0]


def word_columns(tokens: Sequence[Token]) -> tuple[list[int], list[int]]:
    """:func:`hashed_words` of a review, and the hashed columns the dimensions read: the words
    (not negated, and without :data:`FUNCTION_WORDS` standing alone) and the word pairs. One pass
    over the words for both."""
    known = _WORD_INFO.get
    hashes, plain, content = [], [], []
    scope = 0
    negated = False
    previous_end = -1
    for token in tokens:
        word, negator, function = known(token.folded) or _word_info(token.folded)
        if scope and token.start - previous_end > 1:
            scope = 0  # punctuation between the words ends the clause
        plain.append(word)
        if scope:
            hashes.append(word ^ _NEGATED)
            negated = True
        else:
            hashes.append(word)
        if not function:
            content.append(word & _MASK)
        scope = NEGATION_SCOPE if negator else scope - 1 if scope else 0
        previous_end = token.end
    words = [h & _MASK for h in hashes]
    pairs = [((a * _PAIR) ^ b) & _MASK for a, b in pairwise(hashes)]
    if negated:
        content += [((a * _PAIR) ^ b) & _MASK for a, b in pairwise(plain)]
    else:
        content += pairs
    words += pairs
    return words, content


def pair_column(first: Token, second: Token) -> int:
    """The column of two neighbouring words as :func:`word_columns` gives the dimensions (the
    words as written, not negated)."""
    return ((_word_hash(first.folded) * _PAIR) ^ _word_hash(second.folded)) & _MASK


#: Per unmarked word: its hash, whether it is a negator, whether it is a function word.
_WORD_INFO: dict[str, tuple[int, bool, bool]] = {}
_WORD_INFO_KEPT = 65_536


def _word_info(word: str) -> tuple[int, bool, bool]:
    if len(_WORD_INFO) >= _WORD_INFO_KEPT:
        _WORD_INFO.clear()
    info = _WORD_INFO[word] = (_word_hash(word), word in NEGATORS, word in FUNCTION_WORDS)
    return info


def marker_columns(markers: Iterable[str]) -> list[int]:
    """Hashed columns for named markers beside the words (the lexicon's "@tangibles+")."""
    return [_word_hash(f"@{marker}") & _MASK for marker in markers]


_RUNG_AT = {rung: _TEXT_INDEX[f"rung {rung} cues"] for rung in (1, 2, 3, 4, 5, 6)}
_WEAK_AT = {rung: _TEXT_INDEX[f"weak {rung} cues"] for rung in (3, 4, 5)}
_FAMILY_AT = {family: _TEXT_INDEX[family] for family in FAMILIES}
_EFFORT_AT = _TEXT_INDEX["effort"]
_TONE_AT = _TEXT_INDEX["exclamations"]  # the marks of tone, in order, then the length


def text_vector(
    *,
    satisfaction: Sequence[float],
    rung_cues: Mapping[int, int],
    weak_cues: Mapping[int, int],
    families: Mapping[str, int],
    effort: int,
    sarcasm: bool,
    sentiment: int,
    text: str,
) -> list[float]:
    """The text features of one review (:data:`TEXT_FEATURES`). ``satisfaction`` is how far the
    text model's ``(expected stars, P(one star), P(five stars))`` moves from what it says of a
    text without words (the market's usual review); counts are damped (log1p)."""
    log1p = math.log1p
    vector = [0.0] * len(TEXT_FEATURES)  # most counts of most reviews are none
    s, one_star, five_stars = satisfaction
    vector[:4] = s, s * s / 2, one_star, five_stars
    for rung, count in rung_cues.items():
        if rung in _RUNG_AT:
            vector[_RUNG_AT[rung]] = log1p(count)
    for rung, count in weak_cues.items():
        if rung in _WEAK_AT:
            vector[_WEAK_AT[rung]] = log1p(count)
    for family, count in families.items():
        if family in _FAMILY_AT:
            vector[_FAMILY_AT[family]] = log1p(count)
    vector[_EFFORT_AT : _EFFORT_AT + 3] = (
        log1p(effort),
        float(sarcasm),
        max(-4, min(4, sentiment)) / 4,
    )
    emoji = "".join(_EMOJI.findall(text))
    vector[_TONE_AT:] = (
        log1p(text.count("!")),
        log1p(text.count("?")),
        log1p(len(_CAPITALS.findall(text))),
        log1p(len(_HAPPY.findall(emoji))) if emoji else 0.0,
        log1p(len(_ANGRY.findall(emoji))) if emoji else 0.0,
        log1p(len(_STRETCHED.findall(text.lower()))),
        log1p(len(text)) / 6,
    )
    return vector


def decision_matrix(
    text: FloatArray,
    stars: Sequence[int | None],
    heads: FloatArray,
    english: Sequence[bool],
) -> FloatArray:
    """The decision features (:data:`DECISION_FEATURES`) of many reviews, one row each: the text
    features (``text``, one row per review), the labelled words' :data:`WORD_HEADS`, the stars,
    the text features that read differently with one or five stars or without stars, and those
    again for an English review."""
    count, width = text.shape
    stars_at = width + len(WORD_HEADS)  # a column for each star rating and one for none
    one_at = stars_at + 6
    five_at = one_at + len(_ONE_STAR_AT)
    none_at = five_at + len(_FIVE_STAR_AT)
    english_at = none_at + len(_NO_STARS_AT)
    matrix: FloatArray = np.zeros((count, len(DECISION_FEATURES)))
    matrix[:, :width] = text
    matrix[:, width:stars_at] = heads
    matrix[np.arange(count), [stars_at + (5 if s is None else s - 1) for s in stars]] = 1.0
    matrix[:, one_at:five_at] = text[:, _ONE_STAR_AT] * matrix[:, stars_at : stars_at + 1]
    matrix[:, five_at:none_at] = text[:, _FIVE_STAR_AT] * matrix[:, stars_at + 4 : stars_at + 5]
    matrix[:, none_at:english_at] = text[:, _NO_STARS_AT] * matrix[:, stars_at + 5 : stars_at + 6]
    chosen = np.flatnonzero(english)
    if len(chosen):  # English: a column of its own, then the stars' parts again
        copied = [stars_at, stars_at + 4, stars_at + 5, *range(one_at, none_at)]
        matrix[chosen, english_at] = 1.0
        matrix[chosen, english_at + 1 :] = matrix[chosen][:, copied]
    return matrix
