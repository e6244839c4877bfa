"""One review → one rung of the customer service ladder, with the evidence that decided it.

1. **Read** the review (:mod:`analysis.reading`): its words, and the lexicon's cues by rung and by
   family (a demand, an accusation, a quiet exit, a recommendation, more than expected …), its
   remarks on the service dimensions, customer effort and sarcasm, negations applied.
2. **Weigh** (:mod:`analysis.model`): how satisfied the text sounds (a linear model of its words
   fitted on reviews whose stars are known), what the words of labelled reviews say of its rung,
   and then the rung, from the stars, those numbers and the cues (a multinomial logistic
   regression fitted on reviews labelled by careful readers: one for reviews with stars, one for
   text alone). Rung 6 (Unbelievable) is given only by its own cues, with ≥ 4★ or no stars, on a
   review the model puts at 4 or 5.
3. **Show why**: the rung is the middle of the model's probabilities (its weighted median), the
   confidence the model's probability of that rung; the evidence is the spans of the text whose
   cues lean to that rung (or, when none does, the nearest cues), and the stars. Text and stars
   two or more rungs apart
   (what the text alone says against what the stars allow) set ``conflict`` and lower the
   confidence.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis.features import (
    TEXT_FEATURES,
    decision_matrix,
    marker_columns,
    pair_column,
    text_vector,
    word_columns,
)
from analysis.lexicon import lexicon_digest
from analysis.model import FloatArray, LadderModel, default_model
from analysis.reading import FAMILY_LEAN, Evidence, Reading, read, stars_of
from analysis.replies import signatures, to_blobs
from analysis.tokens import fingerprint
from analysis.vocabulary import DIMENSIONS
from db.rows import ReviewText

#: Bump when the rules below or the reply signatures (:mod:`analysis.replies`) change; the lexicon
#: files' and the model's digests are added automatically.
RULES_VERSION = 5  # 3: the learned model; 4: nearer evidence (the nearest cues, word pairs);
# 5: a sarcastic review is Bad or Basic

#: The rungs each star rating allows without a conflict.
ALLOWED = {1: (1, 2), 2: (2,), 3: (3,), 4: (4,), 5: (4, 5)}
#: How many rungs the text may move a review past what its stars allow; a text further away is a
#: conflict (flagged, its confidence lowered), not an override of the stars.
STAR_REACH = 1
#: How sure the text alone must be of its rung to call a disagreement with the stars a conflict
#: (a text that says little disagrees with nothing).
CLEAR_TEXT = 0.6
#: Confidence of a review whose text and stars disagree.
CONFLICT_CONFIDENCE = 0.35
#: The rungs a sarcastic review ("great, only waited 2 hours") may take: it complains, whatever
#: its words of praise say to the model. A rule of the rubric, as rung 6 is: the labelled real
#: reviews hold too few sarcastic ones for the model to learn it.
SARCASTIC = (1, 2)

__all__ = ["Classification", "Evidence", "classify", "review_text", "stars_of"]


def analysis_version(model: LadderModel | None = None) -> str:
    """Stored with every result; results of another version are recomputed."""
    model = model or default_model()
    return f"{RULES_VERSION}.{lexicon_digest()}.{model.digest}"


@dataclass(frozen=True)
class Classification:
    rung: int
    confidence: float
    evidence: tuple[Evidence, ...]
    dimensions: dict[str, float] = field(default_factory=dict)
    conflict: bool = False
    lang: str = "en"
    probabilities: tuple[float, ...] = ()  # of rungs 1–5
    satisfaction: float | None = None  # the text's, on the 1–5 star scale

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


def dimension_rung(rung: int, polarity: float) -> int:
    """The rung a review gives one dimension: its own rung when the remark agrees with it, else
    Good for praise inside a poor review and Normal for a complaint inside a good one."""
    if polarity > 0:
        return rung if rung >= 4 else 4
    if polarity < 0:
        return rung if rung <= 3 else 3
    return rung


@dataclass(frozen=True)
class Features:
    """A reading as the model's parts see it (what training fits on)."""

    words: list[int]  # hashed columns of the words and word pairs
    dimension_columns: list[int]  # the words and the lexicon's dimension remarks
    satisfaction: tuple[float, float, float]  # expected stars, P(one star), P(five stars)
    decision: FloatArray  # with the stars
    text_decision: FloatArray  # the same without the stars
    dimensions: list[float]  # P(each dimension), as the model says now

    @property
    def text(self) -> FloatArray:
        """The text features (:data:`analysis.features.TEXT_FEATURES`): a decision vector's
        first part."""
        return self.decision[: len(TEXT_FEATURES)]


def features_many(readings: Sequence[Reading], model: LadderModel) -> list[Features]:
    """What the model's parts read of each reading, the words of all read by the model at
    once."""
    words, columns = [], []
    for reading in readings:
        hashed, dimension_columns = word_columns(reading.tokens)
        words.append(hashed)
        columns.append(dimension_columns + dimension_markers(reading))
    satisfaction, heads, dimensions = model.read_many(
        [reading.language for reading in readings], words, columns
    )
    texts = []
    for index, reading in enumerate(readings):
        usual = model.usual(reading.language)
        texts.append(
            text_vector(
                satisfaction=[a - b for a, b in zip(satisfaction[index], usual, strict=True)],
                rung_cues={rung: len(cues) for rung, cues in reading.strong.items()},
                weak_cues={rung: len(cues) for rung, cues in reading.weak.items()},
                families={name: len(cues) for name, cues in reading.families.items()},
                effort=reading.effort,
                sarcasm=reading.sarcasm is not None,
                sentiment=reading.sentiment,
                text=reading.text,
            )
        )
    text = np.array(texts, dtype=np.float64).reshape(len(readings), len(TEXT_FEATURES))
    english = [reading.language == "en" for reading in readings]
    decisions = decision_matrix(text, [reading.stars for reading in readings], heads, english)
    text_decisions = decision_matrix(text, [None] * len(readings), heads, english)
    return [
        Features(
            words=words[index],
            dimension_columns=columns[index],
            satisfaction=satisfaction[index],
            decision=decisions[index],
            text_decision=text_decisions[index],
            dimensions=dimensions[index].tolist(),
        )
        for index in range(len(readings))
    ]


def dimension_markers(reading: Reading) -> list[int]:
    """Hashed columns for the lexicon's remarks on each dimension ("tangibles +")."""
    return marker_columns(
        f"{name}{'+' if polarity > 0 else '-'}"
        for name, polarities in reading.dimensions.items()
        for polarity in sorted(set(polarities))
    )


def classify(
    text: str,
    rating: float | None = None,
    lang: str | None = None,
    *,
    model: LadderModel | None = None,
) -> Classification:
    """The rung of one review, from its text and (optionally) its rating on 1–5.

    >>> classify("Sẽ không quay lại, nhân viên thờ ơ", 2).rung
    2
    """
    return classify_many([(text, rating, lang)], model=model)[0]


def classify_many(
    reviews: Sequence[tuple[str, float | None, str | None]],
    *,
    model: LadderModel | None = None,
) -> list[Classification]:
    """:func:`classify` of many ``(text, rating, lang)`` at once (the model's arithmetic done for
    all of them together: several times faster a review than one by one)."""
    model = model or default_model()
    with _collector_paused():
        readings = [read(text, rating, lang) for text, rating, lang in reviews]
        found = _classify_read(readings, model) if readings else []
        # Freed before the collector is back: its first collection then walks the results only,
        # not every token of the batch (0.2 ms for a batch of 256, against 1.9 ms).
        del readings
    return found


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a batch is classified: a batch makes hundreds of
    thousands of small objects and no cycles, and each collection would walk every object alive
    in the process (about 8% of ``make bench``'s classify time). A batch that found it on turns it
    back on, even when the batch fails; one that found it off leaves it off."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _classify_read(readings: Sequence[Reading], model: LadderModel) -> list[Classification]:
    found = features_many(readings, model)
    text_only = model.rung_probabilities(np.array([f.text_decision for f in found]), stars=False)
    chances = list(text_only)
    rated = [index for index, reading in enumerate(readings) if reading.stars is not None]
    if rated:  # the decision for reviews with stars, for those only
        with_stars = model.rung_probabilities(np.array([found[index].decision for index in rated]))
        for index, row in zip(rated, with_stars, strict=True):
            chances[index] = row
    return [
        _decide(reading, features, model, chances[index], text_only[index])
        for index, (reading, features) in enumerate(zip(readings, found, strict=True))
    ]


def _decide(
    reading: Reading,
    found: Features,
    model: LadderModel,
    probabilities: np.ndarray,
    text_only: np.ndarray,
) -> Classification:
    chances = within_stars(probabilities.tolist(), reading.stars)
    if reading.sarcasm is not None:
        chances = _kept(chances, SARCASTIC[0], SARCASTIC[-1])
    rung = median_rung(chances)
    chance = chances[rung - 1]
    if reading.strong.get(6) and rung >= 4 and (reading.stars is None or reading.stars >= 4):
        rung, chance = 6, chances[3] + chances[4]
    confidence = model.calibrated(chance, stars=reading.stars is not None)
    conflict = False
    if reading.stars is not None:
        alone = text_only.tolist()
        text_rung = alone.index(max(alone)) + 1
        distance = min(abs(text_rung - allowed) for allowed in ALLOWED[reading.stars])
        conflict = distance >= 2 and max(alone) >= CLEAR_TEXT and _says_something(reading, found)
        if conflict:
            confidence = min(confidence, CONFLICT_CONFIDENCE)
    dimensions, dimension_evidence = _dimensions(reading, found, model, rung)
    return Classification(
        rung=rung,
        confidence=round(confidence, 2),
        evidence=(*_rung_evidence(reading, rung), *dimension_evidence),
        dimensions=dimensions,
        conflict=conflict,
        lang=reading.language,
        probabilities=tuple(round(p, 4) for p in chances),
        satisfaction=round(found.satisfaction[0], 3),
    )


def within_stars(chances: list[float], stars: int | None) -> list[float]:
    """The decision's probabilities of rungs 1–5 kept to what ``stars`` allow: the text moves a
    review at most :data:`STAR_REACH` rung past them."""
    if stars is None:
        return chances
    allowed = ALLOWED[stars]
    return _kept(chances, allowed[0] - STAR_REACH, allowed[-1] + STAR_REACH)


def _kept(chances: list[float], low: int, high: int) -> list[float]:
    """The probabilities of rungs ``low``–``high`` scaled to sum to 1, the others 0."""
    kept = [c if low <= r <= high else 0.0 for r, c in enumerate(chances, 1)]
    total = sum(kept) or 1.0
    return [c / total for c in kept]


def median_rung(chances: Sequence[float]) -> int:
    """The rung in the middle of the probabilities (the first whose cumulative probability
    reaches one half): the rung least far, on average, from the right one. A rung two away costs
    more than one next to it, as it does to a reader (and to the quadratic kappa); the most
    probable rung would ignore that."""
    total = 0.0
    for rung, chance in enumerate(chances, 1):
        total += chance
        if total >= 0.5:
            return rung
    return len(chances)


def _says_something(reading: Reading, found: Features) -> bool:
    """Whether the text carries a reading of its own: a cue, or words that move its
    satisfaction well away from the usual review's."""
    shift = abs(found.text[0])  # satisfaction, above or below the usual
    return bool(
        reading.strong or reading.weak or reading.families or reading.sentiment or shift >= 0.5
    )


def _rung_evidence(reading: Reading, rung: int) -> list[Evidence]:
    """The spans whose cues lean to ``rung`` (rung cues first), then the stars. A review whose
    text has cues but none leaning to its rung ("awesome" on a review placed on Good) shows the
    cues nearest to it, with their own signals (weak 5): the words the decision weighed, not a
    rung without a quote."""
    leaning = _cues_by_lean(reading)
    chosen = leaning.get(rung) or _nearest(leaning, rung)
    chosen.sort(key=lambda e: (not e.signal.startswith(("rung", "negated rung")), e.start))
    seen: set[tuple[int, int]] = set()
    evidence = []
    for item in chosen:
        if (item.start, item.end) in seen:
            continue
        seen.add((item.start, item.end))
        evidence.append(item)
    if reading.stars is not None:
        evidence.append(Evidence("", 0, 0, f"stars {reading.stars}"))
    return evidence


def _cues_by_lean(reading: Reading) -> dict[int, list[Evidence]]:
    """The review's cues by the rung each leans to: rung and weak cues by their rung, family
    cues by :data:`analysis.reading.FAMILY_LEAN`."""
    leaning: dict[int, list[Evidence]] = {}
    for cues in (reading.strong, reading.weak):
        for lean, found in cues.items():
            leaning.setdefault(lean, []).extend(found)
    for family, found in reading.families.items():
        if family in FAMILY_LEAN:
            leaning.setdefault(FAMILY_LEAN[family], []).extend(found)
    return leaning


def _nearest(leaning: dict[int, list[Evidence]], rung: int) -> list[Evidence]:
    """The cues leaning to the rung nearest to ``rung`` (both, when two are as near)."""
    if not leaning:
        return []
    nearest = min(abs(lean - rung) for lean in leaning)
    return [e for lean in sorted(leaning) if abs(lean - rung) == nearest for e in leaning[lean]]


def _dimensions(
    reading: Reading, found: Features, model: LadderModel, rung: int
) -> tuple[dict[str, float], list[Evidence]]:
    """The dimensions the review speaks of, each with a polarity and the evidence that shows it:
    every dimension the lexicon finds a remark on (its polarity, its span: a phrase always, a
    single word unless the model all but rules its dimension out), and those the model is
    confident of without one (the review's own leaning, and the word that speaks most for the
    dimension)."""
    probabilities = found.dimensions
    phrased = {e.signal.split(" ")[0] for e in reading.dimension_evidence if " " in e.text.strip()}
    if reading.effort:  # customer effort ("gọi mấy lần không ai nghe") is a phrase by nature
        phrased.add("responsiveness")
    remarked = {
        name
        for index, name in enumerate(DIMENSIONS)
        if reading.dimensions.get(name)
        and (name in phrased or probabilities[index] >= model.dimension_floor)
    }
    evidence = [e for e in reading.dimension_evidence if e.signal.split(" ")[0] in remarked]
    dimensions: dict[str, float] = {}
    lean = 1.0 if rung >= 4 else -1.0 if rung <= 2 else 0.0
    for index, name in enumerate(DIMENSIONS):
        polarities = reading.dimensions.get(name)
        if name in remarked and polarities:
            dimensions[name] = round(sum(polarities) / len(polarities), 3)
            continue
        if probabilities[index] < model.dimension_threshold:
            continue
        dimensions[name] = lean
        span = _strongest_word(reading, found, model, index)
        if span is not None:
            sign = "+" if lean > 0 else "−" if lean < 0 else "±"
            evidence.append(Evidence(*span, f"{name} {sign}"))
    return dimensions, evidence


#: A dimension's word is quoted with a neighbour when the two together speak for the dimension at
#: least this share as much as the word alone: "nhân viên" (staff), not "viên".
PAIR_SHARE = 0.5


def _strongest_word(
    reading: Reading, found: Features, model: LadderModel, index: int
) -> tuple[str, int, int] | None:
    """The word of the review that speaks most for one dimension, with the word before or after
    it when the pair speaks for the dimension too (:data:`PAIR_SHARE`): Vietnamese words are
    often two syllables, and so are many English ones in meaning ("customer service")."""
    tokens, text = reading.tokens, reading.text
    if not tokens:
        return None
    unigrams = found.words[: len(tokens)]  # the words' own columns come first
    weights = model.dimension_weights[unigrams, index]
    numbers = [at for at, token in enumerate(tokens) if token.folded.isdigit()]
    weights[numbers] = 0.0  # "1" says nothing a reader can see, whatever its weight
    best = int(np.argmax(weights))
    if weights[best] <= 0:
        return None
    first = last = best
    strongest = float(weights[best]) * PAIR_SHARE
    for before, after in ((best - 1, best), (best, best + 1)):
        if (
            before < 0
            or after >= len(tokens)
            or text[tokens[before].end : tokens[after].start].strip()
        ):
            continue  # no neighbour, or punctuation between
        weight = float(model.dimension_weights[pair_column(tokens[before], tokens[after]), index])
        if weight >= strongest:
            first, last, strongest = before, after, weight
    start, end = tokens[first].start, tokens[last].end
    return text[start:end], start, end


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
    batch: Sequence[ReviewText],
    *,
    version: str,
    classified_at: str,
    model: LadderModel | None = None,
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
    texts = [review_text(review.title, review.body, review.answers) for review in batch]
    classified = classify_many(
        [(text, review.rating, review.lang) for text, review in zip(texts, batch, strict=True)],
        model=model,
    )
    for review, text, found in zip(batch, texts, classified, strict=True):
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


def classify_line(
    line: str, number: int = 0, *, model: LadderModel | None = None
) -> dict[str, Any]:
    """One line of ``ladder classify``: the input object with the classification added, or with
    an ``error`` saying what is wrong with it."""
    return next(iter(classify_lines([line], model=model, first=number)))


#: Lines classified together by :func:`classify_lines`.
LINES_AT_ONCE = 256


def classify_lines(
    lines: Iterable[str], *, model: LadderModel | None = None, first: int = 1
) -> Iterator[dict[str, Any]]:
    """``ladder classify``: each JSON line with its classification added (or an ``error``), in
    order, classified :data:`LINES_AT_ONCE` at a time: one output line per input line (a blank one
    gives ``{"line": N, "skipped": "blank line"}``, so outputs still pair with inputs)."""
    pending: list[tuple[int, str]] = []
    for number, line in enumerate(lines, first):
        pending.append((number, line))
        if len(pending) >= LINES_AT_ONCE:
            yield from _classify_pending(pending, model)
            pending = []
    yield from _classify_pending(pending, model)


def _classify_pending(
    pending: Sequence[tuple[int, str]], model: LadderModel | None
) -> list[dict[str, Any]]:
    parsed: list[dict[str, Any]] = []
    reviews = []
    for number, line in pending:
        item: dict[str, Any] = (
            _parse_line(line, number) if line.strip() else {"line": number, "skipped": "blank line"}
        )
        parsed.append(item)
        if "error" not in item and "skipped" not in item:
            lang = item.get("lang") if item.get("lang") in ("vi", "en") else None
            reviews.append((item["text"], item.get("rating"), lang))
    found = iter(classify_many(reviews, model=model))
    results = []
    for item in parsed:
        if "error" in item or "skipped" in item:
            results.append(item)
            continue
        result = next(found).as_json()
        result.pop("lang")
        results.append({**item, **result})
    return results


def _parse_line(line: str, number: int) -> dict[str, Any]:
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
    return dict(item)
