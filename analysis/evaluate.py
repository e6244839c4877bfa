"""How well the ladder agrees with careful human readers, next to baselines on the same lines.

Metrics: exact accuracy, within-one accuracy, macro-F1 over the rungs present in the labels, and
quadratic-weighted kappa (Cohen's kappa with squared rung distance as the disagreement weight: the
usual measure for ordered labels); for the service dimensions, micro-F1 against the dimensions the
readers saw. Baselines: stars alone (1★ → 1 … 5★ → 5) and, for English, VADER's compound score.

Honest figures: when the model's decision was fitted on some of these lines (the model remembers
digests of the texts it was fitted on), the ladder's predictions are cross-validated: each line is
predicted by a model fitted on the other folds, never on itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.model import LadderModel, default_model
from analysis.reading import stars_of
from analysis.training import Labelled, Prediction, cross_validate, predict
from analysis.vocabulary import DIMENSIONS, RUNGS
from db.exceptions import LabelError

#: Folds of the cross-validation.
FOLDS = 5
#: Confidence buckets of the calibration table.
BUCKETS = ((0.0, 0.5), (0.5, 0.6), (0.6, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 1.01))


@dataclass(frozen=True)
class Scores:
    n: int
    exact: float
    within_one: float
    macro_f1: float
    kappa: float


def read_labels(path: Path) -> list[Labelled]:
    """Lines of ``{"text", "rung", optional "rating" (1–5), "lang", and the dimensions as
    "dimensions" or "dimensions_a"/"dimensions_b" (their union)}``."""
    items = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise LabelError(
            f"{path}: cannot read ({getattr(error, 'strerror', None) or error})"
        ) from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            rung = int(data["rung"])
            rating = data.get("rating")
            if rung not in RUNGS or not isinstance(data["text"], str):
                raise ValueError("rung must be 1–6 and text a string")
            items.append(
                Labelled(
                    data["text"],
                    rung,
                    None if rating is None else float(rating),
                    data.get("lang"),
                    _dimensions(data),
                )
            )
        except (ValueError, KeyError, TypeError) as error:
            raise LabelError(f"{path}:{number}: {error!s}; expected text, rung, rating") from None
    if not items:
        raise LabelError(f"{path}: no labelled lines")
    return items


def _dimensions(data: dict[str, Any]) -> frozenset[str] | None:
    keys = [key for key in ("dimensions", "dimensions_a", "dimensions_b") if key in data]
    if not keys:
        return None
    found = set()
    for key in keys:
        value = data[key]
        if not isinstance(value, list) or not all(v in DIMENSIONS for v in value):
            raise ValueError(f"{key} must list dimensions among {', '.join(DIMENSIONS)}")
        found.update(value)
    return frozenset(found)


def score(gold: Sequence[int], predicted: Sequence[int]) -> Scores:
    n = len(gold)
    if n == 0 or n != len(predicted):
        raise ValueError("gold and predicted must be equally long and not empty")
    exact = sum(g == p for g, p in zip(gold, predicted, strict=True)) / n
    within = sum(abs(g - p) <= 1 for g, p in zip(gold, predicted, strict=True)) / n
    return Scores(n, exact, within, macro_f1(gold, predicted), quadratic_kappa(gold, predicted))


def macro_f1(gold: Sequence[int], predicted: Sequence[int]) -> float:
    """The mean F1 over the rungs that occur in ``gold``."""
    scores = []
    for rung in sorted(set(gold)):
        tp = sum(g == rung and p == rung for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != rung and p == rung for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == rung and p != rung for g, p in zip(gold, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def quadratic_kappa(gold: Sequence[int], predicted: Sequence[int]) -> float:
    """Cohen's kappa with weights (i − j)² / (k − 1)² over rungs 1–6."""
    k = len(RUNGS)
    n = len(gold)
    observed = [[0.0] * k for _ in range(k)]
    for g, p in zip(gold, predicted, strict=True):
        observed[g - 1][p - 1] += 1
    gold_totals = [sum(row) for row in observed]
    predicted_totals = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    disagreement = expected = 0.0
    for i in range(k):
        for j in range(k):
            weight = (i - j) ** 2 / (k - 1) ** 2
            disagreement += weight * observed[i][j]
            expected += weight * gold_totals[i] * predicted_totals[j] / n
    return 1.0 - disagreement / expected if expected else 1.0


def star_baseline(rating: float | None) -> int | None:
    """1★ → 1 … 5★ → 5."""
    return stars_of(rating)


def vader_rung(compound: float) -> int:
    """VADER's compound score (−1…1) on the ladder's first five rungs."""
    if compound <= -0.6:
        return 1
    if compound <= -0.05:
        return 2
    if compound < 0.05:
        return 3
    return 4 if compound < 0.6 else 5


@dataclass(frozen=True)
class Row:
    """One line of the evaluation table."""

    method: str
    subset: str
    scores: Scores


@dataclass(frozen=True)
class DimensionScores:
    n: int
    precision: float
    recall: float
    micro_f1: float


@dataclass(frozen=True)
class Calibration:
    low: float
    high: float
    n: int
    accuracy: float


@dataclass(frozen=True)
class Evaluation:
    rows: list[Row]
    dimensions: DimensionScores | None
    calibration: list[Calibration]
    cross_validated: int  # folds, or 0 when the model never saw these lines
    predictions: list[Prediction]


def ladder_predictions(
    items: Sequence[Labelled],
    model: LadderModel | None = None,
    *,
    folds: int = FOLDS,
    also: Sequence[Labelled] = (),
    on_progress: Callable[[str], None] | None = None,
) -> tuple[list[Prediction], int]:
    """The ladder's prediction of each line, and the folds used (0 when the model was not fitted
    on any of them and predicts them directly). ``also``: other labelled lines the model was
    fitted on, added to every fold's fit."""
    model = model or default_model()
    if any(model.trained_on(item.text) for item in items):
        predictions = cross_validate(items, model, folds=folds, also=also, on_progress=on_progress)
        return predictions, folds
    return predict(items, model), 0


def evaluate(
    items: Sequence[Labelled],
    model: LadderModel | None = None,
    *,
    folds: int = FOLDS,
    also: Sequence[Labelled] = (),
    on_progress: Callable[[str], None] | None = None,
) -> Evaluation:
    """The ladder with and without stars, per language, and the baselines, on the lines each can
    judge; the dimensions' micro-F1; the calibration of the ladder's confidence."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    predictions, used = ladder_predictions(
        items, model, folds=folds, also=also, on_progress=on_progress
    )
    pairs = list(zip(items, predictions, strict=True))
    rows: list[Row] = []

    def add(method: str, subset: str, chosen: Sequence[tuple[Labelled, Any]], get: Any) -> None:
        if chosen:
            gold = [item.rung for item, _ in chosen]
            rows.append(Row(method, subset, score(gold, [get(item, p) for item, p in chosen])))

    rated = [(i, p) for i, p in pairs if i.rating is not None]

    def with_stars(_: Labelled, p: Prediction) -> int:
        return p.rung

    def text_only(_: Labelled, p: Prediction) -> int:
        return p.text_rung

    add("ladder, text + stars", "rated", rated, with_stars)
    add("stars alone", "rated", rated, lambda i, _: star_baseline(i.rating))
    add("ladder, text only", "all", pairs, text_only)
    for language, name in (("vi", "Vietnamese"), ("en", "English")):
        of_language = [(i, p) for i, p in pairs if _language(i) == language]
        rated_language = [(i, p) for i, p in of_language if i.rating is not None]
        add("ladder, text + stars", f"{name}, rated", rated_language, with_stars)
        add("stars alone", f"{name}, rated", rated_language, lambda i, _: star_baseline(i.rating))
        add("ladder, text only", name, of_language, text_only)
    english = [(i, p) for i, p in pairs if _language(i) == "en"]
    if english:
        vader = SentimentIntensityAnalyzer()
        add(
            "VADER",
            "English",
            english,
            lambda i, _: vader_rung(vader.polarity_scores(i.text)["compound"]),
        )
    return Evaluation(
        rows, _dimension_scores(pairs), _calibration(rated or pairs), used, predictions
    )


def _language(item: Labelled) -> str:
    from analysis.reading import read

    return item.lang if item.lang in ("vi", "en") else read(item.text).language


def _dimension_scores(pairs: Sequence[tuple[Labelled, Prediction]]) -> DimensionScores | None:
    judged = [(i.dimensions, p.dimensions) for i, p in pairs if i.dimensions is not None]
    if not judged:
        return None
    tp = sum(len(gold & got) for gold, got in judged if gold is not None)
    fp = sum(len(got - gold) for gold, got in judged if gold is not None)
    fn = sum(len(gold - got) for gold, got in judged if gold is not None)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return DimensionScores(len(judged), precision, recall, f1)


def _calibration(pairs: Sequence[tuple[Labelled, Prediction]]) -> list[Calibration]:
    """Accuracy per confidence bucket (with stars where the line has them)."""
    found = []
    for low, high in BUCKETS:
        inside = [(i, p) for i, p in pairs if low <= p.confidence < high]
        if inside:
            right = sum(i.rung == p.rung for i, p in inside)
            found.append(Calibration(low, min(high, 1.0), len(inside), right / len(inside)))
    return found


def misclassified(
    items: Sequence[Labelled], predictions: Sequence[Prediction]
) -> list[dict[str, Any]]:
    """The lines the ladder gets wrong (with stars), for improving the lexicon or the labels."""
    from analysis.ladder import classify

    wrong = []
    for item, prediction in zip(items, predictions, strict=True):
        if prediction.rung != item.rung:
            result = classify(item.text, item.rating, item.lang)
            wrong.append(
                {
                    "gold": item.rung,
                    "got": prediction.rung,
                    "rating": item.rating,
                    "text": item.text,
                    "evidence": [e.signal + ": " + e.text for e in result.evidence],
                }
            )
    return wrong
