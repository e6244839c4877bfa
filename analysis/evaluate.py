"""How well the ladder agrees with human labels, next to two baselines on the same lines.

Metrics: exact accuracy, within-one accuracy, macro-F1 over the rungs present in the labels, and
quadratic-weighted kappa (Cohen's kappa with squared rung distance as the disagreement weight: the
usual measure for ordered labels). Baselines: stars alone (1★ → 1 … 5★ → 5) and, for English,
VADER's compound score mapped to rungs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.ladder import classify, stars_of
from analysis.vocabulary import RUNGS
from db.exceptions import LabelError


@dataclass(frozen=True)
class Labelled:
    text: str
    rung: int
    rating: float | None = None
    lang: str | None = None


@dataclass(frozen=True)
class Scores:
    n: int
    exact: float
    within_one: float
    macro_f1: float
    kappa: float


def read_labels(path: Path) -> list[Labelled]:
    """Lines of ``{"text", "rung", optional "rating" (1–5), optional "lang"}``."""
    items = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise LabelError(f"{path}: cannot read ({error.strerror or error})") from None
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
                    data["text"], rung, None if rating is None else float(rating), data.get("lang")
                )
            )
        except (ValueError, KeyError, TypeError) as error:
            raise LabelError(f"{path}:{number}: {error!s}; expected text, rung, rating") from None
    if not items:
        raise LabelError(f"{path}: no labelled lines")
    return items


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


def evaluate(items: Sequence[Labelled]) -> list[Row]:
    """The ladder with and without stars, and the baselines, on the lines each can judge."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    rows: list[Row] = []
    rated = [item for item in items if item.rating is not None]
    english = [item for item in items if _is_english(item)]

    def add(method: str, subset: str, chosen: Sequence[Labelled], predict: Any) -> None:
        if chosen:
            gold = [item.rung for item in chosen]
            rows.append(Row(method, subset, score(gold, [predict(item) for item in chosen])))

    add("ladder, text + stars", "all", items, lambda i: classify(i.text, i.rating, i.lang).rung)
    add("ladder, text only", "all", items, lambda i: classify(i.text, None, i.lang).rung)
    add("ladder, text + stars", "rated", rated, lambda i: classify(i.text, i.rating, i.lang).rung)
    add("stars alone", "rated", rated, lambda i: star_baseline(i.rating))
    vader = SentimentIntensityAnalyzer()
    add(
        "ladder, text + stars",
        "English",
        english,
        lambda i: classify(i.text, i.rating, i.lang).rung,
    )
    add("ladder, text only", "English", english, lambda i: classify(i.text, None, i.lang).rung)
    add(
        "VADER", "English", english, lambda i: vader_rung(vader.polarity_scores(i.text)["compound"])
    )
    return rows


def _is_english(item: Labelled) -> bool:
    if item.lang:
        return item.lang == "en"
    return classify(item.text).lang == "en"


def misclassified(items: Iterable[Labelled]) -> list[dict[str, Any]]:
    """The lines the ladder gets wrong (with stars), for improving the lexicon."""
    wrong = []
    for item in items:
        result = classify(item.text, item.rating, item.lang)
        if result.rung != item.rung:
            wrong.append(
                {
                    "gold": item.rung,
                    "got": result.rung,
                    "rating": item.rating,
                    "text": item.text,
                    "evidence": [e.signal + ": " + e.text for e in result.evidence],
                }
            )
    return wrong
