"""One review → one rung of the customer service ladder, with the evidence that decided it.

The rules are DOMAIN.md §3:

1. The text is tokenised and matched against the cue lexicons of its language
   (:mod:`analysis.lexicon`); a cue within three words after a negator in the same clause is
   negated ("không tệ", "never disappointed"), and praise next to a wait or a complaint is sarcasm.
2. Stars give the prior: 1★ → rung 1 or 2, 2★ → 2, 3★ → 3, 4★ → 4, 5★ → 4 or 5.
3. Strong text cues override the prior, first match wins: 6 (with ≥ 4★ or no stars) → 1 → 2 → 5 →
   4 → 3. Stock phrases and bare praise are weak cues: with stars they only choose within what the
   stars allow; without stars they decide when nothing stronger is said. With neither cues nor
   stars, the balance of positive and negative words decides, with low confidence.
4. Text and stars two or more rungs apart set ``conflict`` and lower the confidence.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from analysis.lexicon import (
    COMPLAINT,
    DIMENSION,
    EFFORT,
    NEGATOR,
    PRAISE,
    RUNG,
    SENTIMENT,
    WEAK,
    Lexicon,
    Match,
    is_unaccented,
    lexicon_digest,
    load_lexicon,
)
from analysis.replies import signatures, to_blobs
from analysis.tokens import Token, detect_language, fingerprint, tokenize
from db.rows import ReviewText

#: Bump when the rules below or the reply signatures (:mod:`analysis.replies`) change; the lexicon
#: files' digest is added automatically.
RULES_VERSION = 2  # 2: reply signatures

#: Strong cues, first match wins.
PRECEDENCE = (6, 1, 2, 5, 4, 3)
#: The rungs each star rating allows.
ALLOWED = {1: (1, 2), 2: (2,), 3: (3,), 4: (4,), 5: (4, 5)}
#: What a negated cue means: "không tệ" (not bad) is Normal, "won't come back" is Basic.
NEGATED = {6: 3, 5: 3, 4: 2, 3: None, 2: 4, 1: 3}
NEGATION_WINDOW = 3
SARCASM_WINDOW = 10
_CLAUSE_BREAKS = frozenset(".,;!?…:()")
_CLAUSE_WORDS = frozenset({"nhung", "ma", "va", "but", "and", "tuy", "however", "although"})


def analysis_version() -> str:
    """Stored with every result; results of another version are recomputed."""
    return f"{RULES_VERSION}.{lexicon_digest()}"


@dataclass(frozen=True, slots=True)
class Evidence:
    """A span of the review and what it said: ``rung 2``, ``negated rung 4 → 2``,
    ``responsiveness −``, ``sarcasm``, ``stars 5``."""

    text: str
    start: int
    end: int
    signal: str


@dataclass(frozen=True)
class Classification:
    rung: int
    confidence: float
    evidence: tuple[Evidence, ...]
    dimensions: dict[str, float] = field(default_factory=dict)
    conflict: bool = False
    lang: str = "en"

    def as_json(self) -> dict[str, Any]:
        return {
            "rung": self.rung,
            "confidence": self.confidence,
            "evidence": [
                {"text": e.text, "start": e.start, "end": e.end, "signal": e.signal}
                for e in self.evidence
            ],
            "dimensions": self.dimensions,
            "conflict": self.conflict,
            "lang": self.lang,
        }


def stars_of(rating: float | None) -> int | None:
    """A 1–5 rating (possibly fractional, from another scale) as whole stars."""
    if rating is None or isinstance(rating, bool) or not math.isfinite(rating):
        return None
    return min(5, max(1, math.floor(rating + 0.5)))


def dimension_rung(rung: int, polarity: float) -> int:
    """The rung a review gives one dimension: its own rung when the remark agrees with it, else
    Good for praise inside a poor review and Normal for a complaint inside a good one."""
    if polarity > 0:
        return rung if rung >= 4 else 4
    if polarity < 0:
        return rung if rung <= 3 else 3
    return rung


def _languages(lang: str) -> tuple[str, ...]:
    return ("vi", "en") if lang == "mixed" else (lang,)


def _negated(match: Match, negators: Sequence[Match], tokens: Sequence[Token], text: str) -> bool:
    for negator in negators:
        if negator.last >= match.first or match.first - negator.last > NEGATION_WINDOW:
            continue
        between = text[negator.end : match.start]
        words = {t.folded for t in tokens[negator.last + 1 : match.first]}
        if not _CLAUSE_BREAKS.intersection(between) and not words & _CLAUSE_WORDS:
            return True
    return False


def _isolated(match: Match, text: str) -> bool:
    """Praise standing alone ("Great, …", "Tuyệt vời!"), as sarcasm does."""
    rest = text[match.end : match.end + 3].lstrip()
    return not rest or rest[0] in ".,!…?-"


@dataclass
class _Reading:
    strong: dict[int, list[Evidence]] = field(default_factory=dict)
    weak: dict[int, list[Evidence]] = field(default_factory=dict)
    dimensions: dict[str, list[int]] = field(default_factory=dict)
    dimension_evidence: list[Evidence] = field(default_factory=list)
    sentiment: int = 0


def _read(text: str, tokens: Sequence[Token], lexicon: Lexicon, stars: int | None) -> _Reading:
    matches = lexicon.find(tokens, unaccented=is_unaccented(tokens))
    negators = [m for m in matches if m.cue.layer == NEGATOR and m.cue.polarity]
    reading = _Reading()
    sarcastic = _sarcasm(text, tokens, matches, negators, stars)
    for match in matches:
        cue = match.cue
        if cue.layer in (NEGATOR, PRAISE, COMPLAINT):
            continue
        if sarcastic and cue.layer in (WEAK, SENTIMENT) and _within(match, sarcastic):
            continue
        negated = _negated(match, negators, tokens, text)
        span = text[match.start : match.end]
        if cue.layer in (RUNG, WEAK, EFFORT):
            assert isinstance(cue.value, int)
            rung = NEGATED[cue.value] if negated else cue.value
            if rung is None or (negated and cue.layer == EFFORT):
                continue
            kind = "weak" if cue.layer == WEAK else "effort" if cue.layer == EFFORT else "rung"
            signal = f"negated {kind} {cue.value} → {rung}" if negated else f"{kind} {rung}"
            bucket = reading.weak if cue.layer == WEAK else reading.strong
            bucket.setdefault(rung, []).append(Evidence(span, match.start, match.end, signal))
            if cue.layer == EFFORT:
                reading.dimensions.setdefault("responsiveness", []).append(-1)
        elif cue.layer == DIMENSION:
            assert isinstance(cue.value, str)
            polarity = -cue.polarity if negated else cue.polarity
            reading.dimensions.setdefault(cue.value, []).append(polarity)
            sign = "+" if polarity > 0 else "−"
            evidence = Evidence(span, match.start, match.end, f"{cue.value} {sign}")
            reading.dimension_evidence.append(evidence)
        elif cue.layer == SENTIMENT:
            reading.sentiment += -cue.polarity if negated else cue.polarity
    if sarcastic:
        reading.strong.setdefault(2, []).append(sarcastic)
    return reading


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
        m for m in matches if m.cue.layer == COMPLAINT and not _negated(m, negators, tokens, text)
    ]
    for first in praise:
        for complaint in complaints:
            if 0 < complaint.first - first.last <= SARCASM_WINDOW:
                return Evidence(
                    text[first.start : complaint.end], first.start, complaint.end, "sarcasm"
                )
    return None


def _first_strong(strong: dict[int, list[Evidence]], stars: int | None) -> int | None:
    for rung in PRECEDENCE:
        if rung in strong and not (rung == 6 and stars is not None and stars < 4):
            return rung
    return None


def _distance(rung: int, stars: int) -> int:
    return min(abs(rung - allowed) for allowed in ALLOWED[stars])


def _star_prior(stars: int, reading: _Reading, text: str) -> int:
    """The rung stars give when the text has no cue. A 1★ review is a public complaint (rung 1)
    unless it says it will quietly leave, which is a rung-2 cue and decided before this."""
    if stars == 1:
        return 1
    if stars == 5:
        return 5 if reading.sentiment >= 3 else 4
    return ALLOWED[stars][0]


def _fallback(sentiment: int) -> tuple[int, float]:
    if sentiment <= -3:
        return 1, 0.35
    if sentiment < 0:
        return 2, 0.35
    if sentiment == 0:
        return 3, 0.25
    return (4, 0.35) if sentiment < 3 else (5, 0.3)


def classify(text: str, rating: float | None = None, lang: str | None = None) -> Classification:
    """The rung of one review, from its text and (optionally) its rating on 1–5.

    >>> classify("Sẽ không quay lại, nhân viên thờ ơ", 2).rung
    2
    """
    tokens = tokenize(text or "")
    language = lang if lang in ("vi", "en", "mixed") else detect_language(text or "", tokens)
    stars = stars_of(rating)
    reading = _read(text or "", tokens, load_lexicon(*_languages(language)), stars)
    rung, confidence, evidence = _decide(reading, stars, text or "")
    conflict = stars is not None and _distance(rung, stars) >= 2
    if conflict:
        confidence = min(confidence, 0.35)
    dimensions = {
        name: round(sum(polarities) / len(polarities), 3)
        for name, polarities in reading.dimensions.items()
    }
    return Classification(
        rung=rung,
        confidence=round(confidence, 2),
        evidence=tuple(evidence) + tuple(reading.dimension_evidence),
        dimensions=dimensions,
        conflict=conflict,
        lang=language,
    )


def _decide(reading: _Reading, stars: int | None, text: str) -> tuple[int, float, list[Evidence]]:
    strong = _first_strong(reading.strong, stars)
    if strong is not None:
        evidence = reading.strong[strong]
        confidence = min(0.95, 0.7 + 0.05 * len(evidence))
        if stars is not None and strong in ALLOWED[stars]:
            confidence = min(0.95, confidence + 0.1)
        return strong, confidence, evidence
    weak = [r for r in PRECEDENCE if r in reading.weak]
    if stars is not None:
        star_evidence = Evidence("", 0, 0, f"stars {stars}")
        for rung in weak:
            if rung in ALLOWED[stars]:
                return rung, 0.6, [*reading.weak[rung], star_evidence]
        return _star_prior(stars, reading, text), 0.55, [star_evidence]
    if weak:
        return weak[0], 0.45, reading.weak[weak[0]]
    rung, confidence = _fallback(reading.sentiment)
    return rung, confidence, []


def review_text(title: str | None, body: str | None, answers: str | None = None) -> str:
    """What the ladder reads of a stored review: its title, its text, and the platform's
    structured answers ("Thời gian giao hàng: Đúng hẹn"; a tag the reviewer disagreed with is
    read negated, "không Giao hàng nhanh")."""
    parts = [part for part in (title, body) if part]
    for question, answer in json.loads(answers) if answers else ():
        if question == "agree":
            parts.append(answer)
        elif question == "disagree":
            parts.append(f"không {answer}")
        else:
            parts.append(f"{question}: {answer}")
    return ". ".join(parts)


@dataclass(frozen=True)
class StoredClassifications:
    """A batch of stored reviews classified: their ``review_rungs`` rows and their dimension
    remarks ``(review_id, dimension, polarity, rung)``, as :func:`db.store.store_classifications`
    takes them."""

    rungs: list[dict[str, Any]]
    dimensions: list[tuple[int, str, float, int]]


def classify_stored(
    batch: Sequence[ReviewText], *, version: str, classified_at: str
) -> StoredClassifications:
    """Classify a batch of stored reviews (:func:`db.queries.reviews_to_classify` reads them; the
    composition root stores the result). Results carry ``version`` (:func:`analysis_version`):
    after a lexicon or rule change everything is classified again, an edited review on its own."""
    replied = [review for review in batch if review.reply_body]
    reply_blobs = dict(
        zip(
            (review.review_id for review in replied),
            to_blobs(signatures([review.reply_body or "" for review in replied])),
            strict=True,
        )
    )
    result = StoredClassifications([], [])
    for review in batch:
        text = review_text(review.title, review.body, review.answers)
        found = classify(text, review.rating, review.lang)
        result.rungs.append(
            {
                "review_id": review.review_id,
                "rung": found.rung,
                "confidence": found.confidence,
                "conflict": int(found.conflict),
                "lang": found.lang,
                "evidence": json.dumps(found.as_json()["evidence"], ensure_ascii=False),
                "fingerprint": fingerprint(text),
                "reply_signature": reply_blobs.get(review.review_id),
                "content_hash": review.content_hash,
                "version": version,
                "classified_at": classified_at,
            }
        )
        result.dimensions.extend(
            [
                (review.review_id, name, polarity, dimension_rung(found.rung, polarity))
                for name, polarity in found.dimensions.items()
            ]
        )
    return result


def classify_line(line: str, number: int = 0) -> dict[str, Any]:
    """One line of ``ladder classify``: the input object with the classification added, or with
    an ``error`` saying what is wrong with it."""
    try:
        item = json.loads(line)
    except ValueError as error:
        return {"error": f"line {number}: not JSON ({error})", "line": number}
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        return {"error": f'line {number}: expected an object with "text"', "line": number}
    rating = item.get("rating")
    if rating is not None and (
        isinstance(rating, bool) or not isinstance(rating, int | float) or not 1 <= rating <= 5
    ):
        return {**item, "error": f"line {number}: rating must be a number from 1 to 5"}
    lang = item.get("lang") if item.get("lang") in ("vi", "en") else None
    result = classify(item["text"], rating, lang).as_json()
    result.pop("lang")
    return {**item, **result}
