"""``ladder train``: fit the ladder's model to a user's own labelled (and star-rated) reviews,
measure it against the current model on the same labels, and write it."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from analysis.evaluate import Evaluation, evaluate, read_labels
from analysis.model import LadderModel
from analysis.training import StarReview, fit_labelled, fit_satisfaction
from db.exceptions import LabelError
from scheduler.analyze.refresh import ladder_model
from scheduler.config import Config

#: The model's file name beside the database (or in the working folder without a config).
MODEL_FILE = "ladder-model.npz"


@dataclass(frozen=True)
class TrainingOutcome:
    before: Evaluation  # the current model on the labels (cross-validated where it saw them)
    after: Evaluation  # the new model, cross-validated on the labels
    path: Path
    model: LadderModel
    star_reviews: int


def read_star_reviews(paths: Sequence[Path]) -> list[StarReview]:
    """JSON lines of ``{"text", "rating" (1–5), optional "lang"}``; ``title`` and ``body`` (as
    ``ladder export reviews_on_ladder --format jsonl`` writes them) stand for the text. Lines
    without a rating (reviews from sites without stars) are skipped."""
    reviews = []
    for path in paths:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise LabelError(f"{path}: cannot read ({error})") from None
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if not isinstance(data, dict):
                    raise ValueError("not an object")
                if data.get("rating") is None:
                    continue
                rating = float(data["rating"])
                text = data.get("text")
                if text is None:
                    text = ". ".join(str(data[k]) for k in ("title", "body") if data.get(k))
                if not isinstance(text, str) or not 1 <= rating <= 5:
                    raise ValueError("text must be a string and rating a number from 1 to 5")
            except (ValueError, KeyError, TypeError) as error:
                raise LabelError(f"{path}:{number}: {error}; expected text and rating") from None
            if not text.strip():
                continue
            lang = data.get("lang") if data.get("lang") in ("vi", "en") else None
            reviews.append(StarReview(text, rating, lang))
    return reviews


def train_model(
    labels: Path,
    star_files: Sequence[Path],
    out: Path | None,
    config: Config | None,
    *,
    on_progress: Callable[[str], None] | None = None,
) -> TrainingOutcome:
    """Fit, compare and write a model (see the module's docstring)."""
    items = read_labels(labels)
    current = ladder_model(config.analysis) if config else ladder_model_default()
    stars = read_star_reviews(star_files)
    satisfaction = dict(current.satisfaction)
    if stars:
        satisfaction.update(fit_satisfaction(stars, on_progress=on_progress))
    base = replace(current, satisfaction=satisfaction)
    before = evaluate(items, current, on_progress=on_progress)
    fitted = fit_labelled(
        items,
        base,
        info={
            "labels": labels.name,
            "star_reviews": len(stars) or current.info.get("star_reviews", 0),
        },
    )
    after = evaluate(items, fitted, on_progress=on_progress)
    path = out or (config.database.parent if config else Path.cwd()) / MODEL_FILE
    fitted.save(path)
    return TrainingOutcome(before, after, path, fitted, len(stars))


def ladder_model_default() -> LadderModel:
    from analysis.model import default_model

    return default_model()
