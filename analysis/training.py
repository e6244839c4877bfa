"""Fitting the ladder's model (:mod:`analysis.model`) to reviews, and cross-validating it.

* :func:`fit_satisfaction`: the text → satisfaction model of each language, from reviews whose
  stars are known (ridge regression on hashed words; the stars are free labels).
* :func:`fit_labelled`: the labelled words' heads, the rung decisions and the dimensions, from
  reviews placed on the ladder by careful readers (``ladder train LABELS.jsonl``). Each labelled
  review is used twice: with its stars (the decision for reviews with stars), and as text alone
  (the decision for texts without stars). The words' heads a decision is fitted on are each
  review's held-out ones (predicted by heads fitted on the other reviews), as a new review's
  will be.
* :func:`cross_validate`: the labelled reviews in k folds, each predicted by a model fitted on the
  others: the honest figures for anything fitted on these labels.

Deterministic: the same reviews give the same weights.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib.resources import files
from typing import NamedTuple, Protocol

import numpy as np

from analysis.boost import Boosted, fit_boosted
from analysis.features import DECISION_FEATURES, WIDTH, WORD_HEADS, decision_matrix, hashed_words
from analysis.ladder import Features, classify_many, features_many, median_rung, within_stars
from analysis.linear import SparseRows, fit_logistic, fit_ridge, fit_softmax, logit
from analysis.model import FloatArray, LadderModel, Satisfaction, decide, text_key
from analysis.reading import read
from analysis.tokens import detect_language, tokenize
from analysis.vocabulary import DIMENSIONS

#: Regularisation, chosen by cross-validation on real labelled reviews (docs/ladder.md).
SATISFACTION_ALPHA = 1.0
WORD_ALPHA = 1.0
DECISION_PENALTY = 3.0
DIMENSION_PENALTY = 0.05
DIMENSION_THRESHOLD = 0.6
#: A lexicon remark of one word on a dimension counts unless the dimensions' model, fitted on
#: what readers saw, gives that dimension less than this (a phrase, "gọi không ai nghe",
#: always counts).
DIMENSION_FLOOR = 0.1
#: Folds of the held-out predictions made inside a fit: the labelled words' heads a decision is
#: fitted on, and the decisions the confidence is calibrated on.
HELD_OUT_FOLDS = 5
#: The labelled words' held-out heads are averaged over this many fold assignments: with one,
#: which reviews happen to share a fold moved the cross-validated exact agreement by ±0.01.
HELD_OUT_SEEDS = (3, 7, 11)
#: The project's own examples of each rung (``analysis/lexicon/examples.jsonl``: reviews written
#: to the rubric, labelled by a reader who had not seen the lexicon) join every fit at this
#: weight: they teach the ladder its textbook cases ("bình thường, không có gì đặc biệt" is
#: Normal) without outweighing real reviews.
EXAMPLE_WEIGHT = 0.5


@dataclass(frozen=True)
class StarReview:
    """A review whose stars are known (1–5): a free label of how satisfied its text sounds."""

    text: str
    rating: float
    lang: str | None = None


@dataclass(frozen=True)
class Labelled:
    """A review placed on the ladder by a careful reader."""

    text: str
    rung: int
    rating: float | None = None
    lang: str | None = None
    dimensions: frozenset[str] | None = None  # the service dimensions the reader saw, if given
    weight: float = 1.0  # how much the line counts in a fit


Progress = Callable[[str], None]


def fit_satisfaction(
    reviews: Sequence[StarReview],
    *,
    alpha: float = SATISFACTION_ALPHA,
    on_progress: Progress | None = None,
) -> dict[str, Satisfaction]:
    """One satisfaction model per language present ("vi", "en"; mixed texts count for both)."""
    by_language: dict[str, tuple[list[list[int]], list[float]]] = {"vi": ([], []), "en": ([], [])}
    for review in reviews:
        tokens = tokenize(review.text)
        if not tokens:
            continue
        language = review.lang or detect_language(review.text, tokens)
        columns = hashed_words(tokens)
        for target in ("vi", "en") if language == "mixed" else (language,):
            if target in by_language:
                by_language[target][0].append(columns)
                by_language[target][1].append(float(review.rating))
    models = {}
    for language, (rows, ratings) in by_language.items():
        if len(rows) < 20:
            continue
        if on_progress:
            on_progress(f"fitting the {language} satisfaction model on {len(rows):,} reviews")
        matrix = SparseRows.from_rows(rows, WIDTH)
        stars = np.asarray(ratings)
        heads = [
            fit_ridge(matrix, target, alpha)
            for target in (stars, (stars <= 1.5).astype(float), (stars >= 4.5).astype(float))
        ]
        models[language] = Satisfaction(
            np.column_stack([w for w, _ in heads]).astype(np.float32),
            np.array([b for _, b in heads]),
        )
    return models


def bundled_examples() -> list[Labelled]:
    """The project's own rubric examples, at :data:`EXAMPLE_WEIGHT`."""
    examples = []
    text = files("analysis").joinpath("lexicon", "examples.jsonl").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.strip():
            data = json.loads(line)
            examples.append(
                Labelled(
                    data["text"],
                    int(data["rung"]),
                    data.get("rating"),
                    data.get("lang"),
                    weight=EXAMPLE_WEIGHT,
                )
            )
    return examples


def fit_labelled(
    items: Sequence[Labelled],
    base: LadderModel,
    *,
    examples: bool = True,
    satisfaction: dict[str, Satisfaction] | None = None,
    decision_penalty: float = DECISION_PENALTY,
    dimension_penalty: float = DIMENSION_PENALTY,
    threshold: float = DIMENSION_THRESHOLD,
    info: dict[str, object] | None = None,
) -> LadderModel:
    """A model whose labelled words' heads, two decisions (and dimensions, when the items name
    them) are fitted on ``items``; the satisfaction models are ``satisfaction``'s, else
    ``base``'s. Items with a rung of 6 count for the heads but are left out of the decisions (rung
    6 is given by its own cues). Without a single rated item, the decision for reviews with stars
    is the one for text alone (it cannot learn what stars mean). ``examples``: the project's
    rubric examples join the fit (:data:`EXAMPLE_WEIGHT`)."""
    labelled = list(items)
    items = labelled + (bundled_examples() if examples else [])
    model = replace(base, satisfaction=satisfaction or dict(base.satisfaction))
    readings = [read(item.text, item.rating, item.lang) for item in items]
    found = features_many(readings, model)
    if len({item.rung for item in items if 1 <= item.rung <= 5}) < 2:
        raise ValueError("the labels need at least two different rungs (1–5) to fit a decision")
    words = SparseRows.from_rows([f.words for f in found], WIDTH)
    targets = np.array([_head_targets(item.rung) for item in items])
    weights = np.array([item.weight for item in items])
    word_weights, word_bias = _fit_word_heads(words, targets, weights)
    held_out = np.mean(
        [
            _held_out_heads(words, targets, weights, folds_of(items, HELD_OUT_FOLDS, seed=seed))
            for seed in HELD_OUT_SEEDS
        ],
        axis=0,
    )
    text = np.array([f.text for f in found])
    english = [reading.language == "en" for reading in readings]
    stars = [reading.stars for reading in readings]
    with_stars = decision_matrix(text, stars, held_out, english)
    without = decision_matrix(text, [None] * len(items), held_out, english)
    rated: list[Row] = []
    alone: list[Row] = []
    for index, item in enumerate(items):
        if not 1 <= item.rung <= 5:
            continue
        if stars[index] is not None:
            rated.append(Row(with_stars[index], item.rung, item.weight, stars[index]))
        alone.append(Row(without[index], item.rung, item.weight, None))
    decision = _fit_decision(rated or alone, decision_penalty)
    text_decision = _fit_decision(alone, decision_penalty)
    calibration = np.array(
        [_calibration(rated or alone, decision_penalty), _calibration(alone, decision_penalty)]
    )
    model = replace(
        model,
        word_weights=word_weights,
        word_bias=word_bias,
        decision_weights=decision.weights,
        decision_bias=decision.bias,
        feature_mean=decision.mean,
        feature_scale=decision.scale,
        trees=decision.trees,
        text_decision_weights=text_decision.weights,
        text_decision_bias=text_decision.bias,
        text_feature_mean=text_decision.mean,
        text_feature_scale=text_decision.scale,
        text_trees=text_decision.trees,
        calibration=calibration,
    )
    with_dimensions = [
        (item, f) for item, f in zip(items, found, strict=True) if item.dimensions is not None
    ]
    if with_dimensions:
        matrix = SparseRows.from_rows([f.dimension_columns for _, f in with_dimensions], WIDTH)
        dimension_weights = np.zeros((WIDTH, len(DIMENSIONS)), dtype=np.float32)
        dimension_bias = np.zeros(len(DIMENSIONS))
        for index, name in enumerate(DIMENSIONS):
            target = np.array(
                [float(name in (item.dimensions or ())) for item, _ in with_dimensions]
            )
            if target.min() == target.max():
                dimension_bias[index] = 10.0 if target[0] else -10.0
                continue
            w, b = fit_logistic(matrix, target, dimension_penalty)
            dimension_weights[:, index] = w.astype(np.float32)
            dimension_bias[index] = b
        model = replace(
            model,
            dimension_weights=dimension_weights,
            dimension_bias=dimension_bias,
            dimension_threshold=threshold,
            dimension_floor=DIMENSION_FLOOR,
        )
    header = dict(info or {})
    header.setdefault("fitted_at", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    header["labelled"] = len(labelled)
    header["examples"] = len(items) - len(labelled)
    header["labelled_keys"] = sorted({text_key(item.text) for item in items})
    return replace(model, info={**dict(base.info), **header}, digest=_digest(model, header))


def _head_targets(rung: int) -> tuple[float, float, float]:
    """What the labelled words' heads (:data:`WORD_HEADS`) are fitted to say of a review."""
    return float(min(rung, 5)), float(rung == 1), float(rung >= 5)


def _fit_word_heads(
    words: SparseRows, targets: FloatArray, weights: FloatArray
) -> tuple[np.ndarray, FloatArray]:
    """The :data:`WORD_HEADS` (ridge regressions on the hashed words): ``(WIDTH × heads, bias)``."""
    fitted = [
        fit_ridge(words, targets[:, k], WORD_ALPHA, sample_weight=weights)
        for k in range(len(WORD_HEADS))
    ]
    return (
        np.column_stack([w for w, _ in fitted]).astype(np.float32),
        np.array([b for _, b in fitted]),
    )


def _held_out_heads(
    words: SparseRows, targets: FloatArray, weights: FloatArray, assignment: Sequence[int]
) -> FloatArray:
    """Each review's :data:`WORD_HEADS` as heads fitted on the other folds (``assignment``, a
    fold for each review) say them: what the decision learns to trust is what the heads say of a
    review they have not seen."""
    folds = np.asarray(assignment)
    result = np.zeros((words.count, len(WORD_HEADS)))
    for fold in range(HELD_OUT_FOLDS):
        inside, outside = np.flatnonzero(folds != fold), np.flatnonzero(folds == fold)
        if not len(outside) or not len(inside):
            continue
        w, b = _fit_word_heads(words.take(inside), targets[inside], weights[inside])
        held = words.take(outside)
        result[outside] = np.column_stack([held.dot(w[:, k]) for k in range(w.shape[1])]) + b
    return result


class Row(NamedTuple):
    """One labelled review as a decision is fitted on it."""

    features: FloatArray  # its decision vector
    rung: int
    weight: float
    stars: int | None  # as the decision reads it (None: as text alone)


class Decision(NamedTuple):
    """A fitted rung decision: a multinomial logistic regression over rungs 1–5 on standardised
    decision features, and the boosted trees its probabilities are averaged with."""

    weights: FloatArray
    bias: FloatArray
    mean: FloatArray
    scale: FloatArray
    trees: Boosted

    def probabilities(self, x: FloatArray) -> FloatArray:
        return decide(x, self.weights, self.bias, self.mean, self.scale, self.trees)


def _fit_decision(rows: Sequence[Row], penalty: float) -> Decision:
    """The rung decision fitted on ``rows``."""
    x = np.array([row.features for row in rows])
    rungs = np.array([row.rung for row in rows]) - 1
    weight = np.array([row.weight for row in rows])
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    weights, bias = fit_softmax((x - mean) / scale, rungs, 5, penalty, sample_weight=weight)
    trees = fit_boosted(x, rungs, 5, sample_weight=weight)
    return Decision(weights, bias, mean, scale, trees)


def _calibration(rows: Sequence[Row], penalty: float) -> tuple[float, float]:
    """``(a, b)`` of ``P(right) = σ(a + b·logit(p))``, with ``p`` the probability a decision gives
    the rung it chooses: fitted on each row as a decision fitted on the other folds decides it
    (``(0, 1)``, the decision's own probability, when there are too few rows to hold any out)."""
    folds = folds_of(rows, HELD_OUT_FOLDS, seed=5)
    logits, right, weights = [], [], []
    for fold in range(HELD_OUT_FOLDS):
        inside = [row for row, f in zip(rows, folds, strict=True) if f != fold]
        outside = [row for row, f in zip(rows, folds, strict=True) if f == fold]
        if not outside or len({row.rung for row in inside}) < 2:
            continue
        decision = _fit_decision(inside, penalty)
        x = np.array([row.features for row in outside])
        for row, probabilities in zip(outside, decision.probabilities(x), strict=True):
            chances = within_stars(probabilities.tolist(), row.stars)
            rung = median_rung(chances)
            logits.append(logit(chances[rung - 1]))
            right.append(float(rung == row.rung))
            weights.append(row.weight)
    if len(set(right)) < 2:
        return 0.0, 1.0
    slope, intercept = fit_logistic(
        np.array(logits)[:, None], np.array(right), 1e-3, sample_weight=np.array(weights)
    )
    return intercept, float(slope[0])


def _digest(model: LadderModel, header: dict[str, object]) -> str:
    digest = hashlib.sha256()
    for array in (
        model.decision_weights,
        model.text_decision_weights,
        model.word_bias,
        model.calibration,
        model.dimension_bias,
        model.feature_mean,
        *(trees.values for trees in (model.trees, model.text_trees) if trees is not None),
    ):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(repr(sorted(header.items())).encode())
    return digest.hexdigest()[:8]


@dataclass(frozen=True)
class Prediction:
    """A labelled review as the model predicts it (held out, in cross-validation)."""

    rung: int  # with the stars, when it has them
    text_rung: int  # from the text alone
    confidence: float
    text_confidence: float
    dimensions: frozenset[str]


def predict(items: Sequence[Labelled], model: LadderModel) -> list[Prediction]:
    """Each item classified with its stars and from its text alone."""
    predictions = []
    both = classify_many([(i.text, i.rating, i.lang) for i in items], model=model)
    alone = classify_many([(i.text, None, i.lang) for i in items], model=model)
    for with_stars, text_only in zip(both, alone, strict=True):
        predictions.append(
            Prediction(
                with_stars.rung,
                text_only.rung,
                with_stars.confidence,
                text_only.confidence,
                frozenset(with_stars.dimensions),
            )
        )
    return predictions


class _Rung(Protocol):
    @property
    def rung(self) -> int: ...


def folds_of(items: Sequence[_Rung], folds: int, seed: int = 7) -> list[int]:
    """A fold for each item, stratified by rung and shuffled with ``seed``."""
    rng = np.random.default_rng(seed)
    assignment = [0] * len(items)
    by_rung: dict[int, list[int]] = {}
    for index, item in enumerate(items):
        by_rung.setdefault(item.rung, []).append(index)
    offset = 0
    for rung in sorted(by_rung):
        members = by_rung[rung]
        order = rng.permutation(len(members))
        for position, member in enumerate(order):
            assignment[members[member]] = (offset + position) % folds
        offset += len(members)
    return assignment


def cross_validate(
    items: Sequence[Labelled],
    base: LadderModel,
    *,
    folds: int = 5,
    also: Sequence[Labelled] = (),
    on_progress: Progress | None = None,
    **fit_options: float,
) -> list[Prediction]:
    """Each item predicted by a model fitted on the other folds and on ``also`` (labelled lines
    that are never predicted); the satisfaction models are the base model's, fitted on
    star-rated reviews, not on these labels."""
    assignment = folds_of(items, folds)
    predictions: list[Prediction | None] = [None] * len(items)
    for fold in range(folds):
        train = [item for item, f in zip(items, assignment, strict=True) if f != fold]
        train += also
        test = [i for i, f in enumerate(assignment) if f == fold]
        if on_progress:
            on_progress(
                f"fold {fold + 1} of {folds}: fitting on {len(train)}, predicting {len(test)}"
            )
        model = fit_labelled(
            train,
            base,
            examples=bool(base.info.get("examples", True)),
            **fit_options,  # type: ignore[arg-type]
        )
        for index, prediction in zip(test, predict([items[i] for i in test], model), strict=True):
            predictions[index] = prediction
    return [p for p in predictions if p is not None]


__all__ = [
    "DECISION_FEATURES",
    "Features",
    "Labelled",
    "Prediction",
    "StarReview",
    "cross_validate",
    "fit_labelled",
    "fit_satisfaction",
    "predict",
]
