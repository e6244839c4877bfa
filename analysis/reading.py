"""What the lexicon finds in one review: its cues by rung and by family, its remarks on each
service dimension, its customer-effort and sarcasm, each with the span of the text that said it.

The text is tokenised and matched against the cue lexicons of its language
(:mod:`analysis.lexicon`). A cue within three words after a negator in the same clause is negated
("không tệ", "never disappointed", "không sai món nào"): its evidence span starts at the negator,
so a quote never says the opposite of the review. Praise standing alone next to a wait or a
complaint is sarcasm ("great, only waited 2 hours").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from analysis.lexicon import (
    COMPLAINT,
    DIMENSION,
    EFFORT,
    FAMILY,
    NEGATOR,
    PRAISE,
    RUNG,
    SENTIMENT,
    WEAK,
    Match,
    is_unaccented,
    load_lexicon,
)
from analysis.tokens import Token, detect_language, tokenize

#: What a negated rung cue means: "không tệ" (not bad) is Normal, "won't come back" is Basic.
NEGATED = {6: 3, 5: 3, 4: 2, 3: None, 2: 4, 1: 3}
#: What a negated family cue means ("không recommend" is churn; "not disappointed" is praise).
NEGATED_FAMILY: dict[str, str | None] = {
    "recommend": "churn",
    "again": "churn",
    "praise": "letdown",
    "enthuse": "letdown",
    "value": "letdown",
    "loyal": None,
    "letdown": "praise",
    "harsh": "lukewarm",
    "churn": None,
    "refusal": None,
    "intensify": None,
    "superlative": None,
    "exceed": None,
    "lukewarm": None,
    "concede": None,
    "demand": None,
    "accuse": None,
    "anger": None,
    "escalate": None,
    "contact": None,
}
#: The rung each family leans to, for choosing the evidence shown with a rung.
FAMILY_LEAN = {
    "demand": 1,
    "accuse": 1,
    "anger": 1,
    "escalate": 1,
    "refusal": 1,
    "harsh": 2,
    "churn": 2,
    "letdown": 2,
    "concede": 3,
    "lukewarm": 3,
    "praise": 4,
    "again": 4,
    "loyal": 4,
    "enthuse": 5,
    "intensify": 5,
    "superlative": 5,
    "recommend": 5,
    "exceed": 5,
    "value": 5,
}
NEGATION_WINDOW = 3
SARCASM_WINDOW = 10
_CLAUSE_BREAKS = frozenset(".,;!?…:()")
_CLAUSE_WORDS = frozenset({"nhung", "ma", "va", "but", "and", "tuy", "however", "although"})


class Evidence(NamedTuple):
    """A span of the review and what it said: ``rung 2``, ``negated rung 4 → 2``,
    ``churn``, ``responsiveness −``, ``sarcasm``, ``stars 5``. (A tuple: made about ten times a
    review, twice as fast as a frozen dataclass.)"""

    text: str
    start: int
    end: int
    signal: str


@dataclass
class Reading:
    """One review as the lexicon reads it."""

    text: str
    tokens: list[Token]
    language: str  # "vi", "en" or "mixed"
    stars: int | None
    strong: dict[int, list[Evidence]] = field(default_factory=dict)  # rung → cues
    weak: dict[int, list[Evidence]] = field(default_factory=dict)
    families: dict[str, list[Evidence]] = field(default_factory=dict)
    dimensions: dict[str, list[int]] = field(default_factory=dict)  # dimension → polarities
    dimension_evidence: list[Evidence] = field(default_factory=list)
    sentiment: int = 0
    effort: int = 0
    sarcasm: Evidence | None = None


def stars_of(rating: float | None) -> int | None:
    """A 1–5 rating (possibly fractional, from another scale) as whole stars."""
    if rating is None or isinstance(rating, bool) or not math.isfinite(rating):
        return None
    return min(5, max(1, math.floor(rating + 0.5)))


def languages_of(lang: str) -> tuple[str, ...]:
    return ("vi", "en") if lang == "mixed" else (lang,)


def read(text: str, rating: float | None = None, lang: str | None = None) -> Reading:
    """The lexicon's reading of a review (``lang`` "vi", "en", "mixed", or None to detect it)."""
    text = text or ""
    tokens = tokenize(text)
    language = lang if lang in ("vi", "en", "mixed") else detect_language(text, tokens)
    reading = Reading(text, tokens, language, stars_of(rating))
    lexicon = load_lexicon(*languages_of(language))
    matches = lexicon.find(tokens, unaccented=is_unaccented(tokens))
    negators = [m for m in matches if m.cue.layer == NEGATOR and m.cue.polarity]
    reading.sarcasm = _sarcasm(text, tokens, matches, negators, reading.stars)
    for match in matches:
        _add(reading, match, negators)
    if reading.sarcasm:
        reading.strong.setdefault(2, []).append(reading.sarcasm)
    return reading


def _add(reading: Reading, match: Match, negators: Sequence[Match]) -> None:
    cue, text = match.cue, reading.text
    if cue.layer in (NEGATOR, PRAISE, COMPLAINT):
        return
    sarcastic = reading.sarcasm
    if sarcastic and cue.layer in (WEAK, SENTIMENT, FAMILY) and _within(match, sarcastic):
        return
    negator = _negator(match, negators, reading.tokens, text) if negators else None
    start = negator.start if negator else match.start  # a negated cue is quoted with its negator
    evidence_span = (text[start : match.end], start, match.end)
    if cue.layer in (RUNG, WEAK, EFFORT):
        assert isinstance(cue.value, int)
        rung = NEGATED[cue.value] if negator else cue.value
        if rung is None or (negator and cue.layer == EFFORT):
            return
        kind = "weak" if cue.layer == WEAK else "effort" if cue.layer == EFFORT else "rung"
        signal = f"negated {kind} {cue.value} → {rung}" if negator else f"{kind} {rung}"
        bucket = reading.weak if cue.layer == WEAK else reading.strong
        bucket.setdefault(rung, []).append(Evidence(*evidence_span, signal))
        if cue.layer == EFFORT:
            reading.effort += 1
            reading.dimensions.setdefault("responsiveness", []).append(-1)
    elif cue.layer == FAMILY:
        assert isinstance(cue.value, str)
        family = NEGATED_FAMILY.get(cue.value) if negator else cue.value
        if family is None:
            return
        signal = f"negated {cue.value} → {family}" if negator else family
        reading.families.setdefault(family, []).append(Evidence(*evidence_span, signal))
    elif cue.layer == DIMENSION:
        assert isinstance(cue.value, str)
        polarity = -cue.polarity if negator else cue.polarity
        reading.dimensions.setdefault(cue.value, []).append(polarity)
        sign = "+" if polarity > 0 else "−"
        reading.dimension_evidence.append(Evidence(*evidence_span, f"{cue.value} {sign}"))
    elif cue.layer == SENTIMENT:
        reading.sentiment += -cue.polarity if negator else cue.polarity


def _negator(
    match: Match, negators: Sequence[Match], tokens: Sequence[Token], text: str
) -> Match | None:
    """The negator that negates ``match``: up to three words before it, in the same clause."""
    for negator in negators:
        if negator.last >= match.first or match.first - negator.last > NEGATION_WINDOW:
            continue
        between = text[negator.end : match.start]
        words = {t.folded for t in tokens[negator.last + 1 : match.first]}
        if not _CLAUSE_BREAKS.intersection(between) and not words & _CLAUSE_WORDS:
            return negator
    return None


def _isolated(match: Match, text: str) -> bool:
    """Praise standing alone ("Great, …", "Tuyệt vời!"), as sarcasm does."""
    rest = text[match.end : match.end + 3].lstrip()
    return not rest or rest[0] in ".,!…?-"


def _within(match: Match, evidence: Evidence) -> bool:
    return evidence.start <= match.start and match.end <= evidence.end


def _sarcasm(
    text: str,
    tokens: Sequence[Token],
    matches: Sequence[Match],
    negators: Sequence[Match],
    stars: int | None,
) -> Evidence | None:
    """Isolated praise followed closely by a complaint ("great, only waited 2 hours")."""
    if stars is not None and stars >= 4:
        return None
    praise = [m for m in matches if m.cue.layer == PRAISE and _isolated(m, text)]
    if not praise:
        return None
    complaints = [
        m for m in matches if m.cue.layer == COMPLAINT and not _negator(m, negators, tokens, text)
    ]
    for first in praise:
        for complaint in complaints:
            if 0 < complaint.first - first.last <= SARCASM_WINDOW:
                return Evidence(
                    text[first.start : complaint.end], first.start, complaint.end, "sarcasm"
                )
    return None
