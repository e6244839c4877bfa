"""The ladder's model: small linear parts and small boosted trees, fitted by
:mod:`analysis.training`.

* **satisfaction** (per language): how satisfied the text sounds, on the 1–5 star scale, from its
  hashed words (ridge regression fitted on reviews whose stars are known: stars are free labels).
* **dimensions**: which service dimensions a review speaks of, from its hashed words and the
  lexicon's dimension cues (one logistic regression per dimension, fitted on labelled reviews).
* **labelled words**: what the words of reviews placed on the ladder say of the rung
  (:data:`analysis.features.WORD_HEADS`: three ridge regressions on hashed words, fitted on
  labelled reviews).
* **decision**: the rung, from the decision features (:data:`analysis.features.DECISION_FEATURES`:
  the stars, the satisfaction, the labelled words, the lexicon's cues by rung and family): two
  multinomial logistic regressions over rungs 1–5, one for reviews with stars and one for text
  alone, fitted on labelled reviews, each averaged with small boosted trees over the same
  features (:mod:`analysis.boost`), which find the combinations a linear decision cannot (one
  shipped tree for Bad asks "one star? anger? a demand?"). Rung 6 is given by its cues alone.

A model is one ``.npz`` file: the arrays, and a JSON header saying what it was fitted on. The
default model ships with the package (``analysis/weights/ladder.npz``); ``[analysis] model`` in
ladder.toml names another (``ladder train`` writes one). Its digest is part of the analysis
version, so a changed model reclassifies every review.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from analysis.boost import Boosted
from analysis.features import DECISION_FEATURES, WIDTH, WORD_HEADS
from analysis.linear import logit, softmax
from analysis.vocabulary import DIMENSIONS

FloatArray = NDArray[np.float64]
#: The rungs the decision chooses among (6 needs its own cues).
DECIDED_RUNGS = (1, 2, 3, 4, 5)
#: Bumped when the file layout changes.
FORMAT = 3  # 2: the labelled words' heads, a decision for text alone; 3: the decisions' trees
#: Formats this version reads (a format 2 file is read as a decision without trees).
READABLE = (2, 3)


class ModelError(ValueError):
    """A model file cannot be used; the message names the file and what is wrong."""


#: What a satisfaction model estimates of a text: its expected stars (1–5), and how likely it is
#: to come with one star and with five (linear estimates of those probabilities).
SATISFACTION_HEADS = ("expected stars", "one star", "five stars")
#: The estimate for a text nobody can read (no words).
NEUTRAL = (3.0, 0.2, 0.4)


@dataclass(frozen=True)
class Satisfaction:
    """:data:`SATISFACTION_HEADS` of a text from its hashed words: ``bias + Σ w[column] / √n``."""

    weights: NDArray[np.float32]  # WIDTH × heads
    bias: FloatArray  # per head


@dataclass(frozen=True)
class LadderModel:
    satisfaction: Mapping[str, Satisfaction]  # by language: "vi", "en"
    dimension_weights: NDArray[np.float32]  # WIDTH × dimensions
    dimension_bias: FloatArray  # per dimension
    dimension_threshold: float  # P(dimension) from which the words alone name it
    dimension_floor: float  # P(dimension) below which a lexicon remark on it is not counted
    word_weights: NDArray[np.float32]  # WIDTH × WORD_HEADS
    word_bias: FloatArray  # per head
    decision_weights: FloatArray  # rungs 1–5 × features: reviews with stars
    decision_bias: FloatArray
    feature_mean: FloatArray
    feature_scale: FloatArray
    text_decision_weights: FloatArray  # the same for text alone
    text_decision_bias: FloatArray
    text_feature_mean: FloatArray
    text_feature_scale: FloatArray
    #: How often the decision is right at each probability, as held-out reviews showed:
    #: ``P(right) = σ(a + b·logit(p))``, one ``(a, b)`` for reviews with stars, one for text alone.
    calibration: FloatArray
    #: The boosted trees each decision averages its probabilities with (None: the regression
    #: alone, as in a model written before the trees).
    trees: Boosted | None = None
    text_trees: Boosted | None = None
    info: Mapping[str, Any] = field(default_factory=dict)
    digest: str = ""

    @cached_property
    def _word_weights(self) -> tuple[NDArray[np.float32], tuple[str, ...]]:
        """Every language's satisfaction heads and the labelled words' heads side by side, one
        row per column: one gather reads a review's words for all of them."""
        languages = tuple(sorted(self.satisfaction))
        blocks = [self.satisfaction[language].weights for language in languages]
        return np.hstack([*blocks, self.word_weights]).astype(np.float32), languages

    def usual(self, language: str) -> tuple[float, float, float]:
        """What the satisfaction model says of a text without words in ``language``: the usual
        review of the reviews it was fitted on (texts are read as moving away from it)."""
        if language in self.satisfaction:
            b = self.satisfaction[language].bias
            return float(b[0]), float(b[1]), float(b[2])
        biases = [model.bias for model in self.satisfaction.values()]
        if not biases:
            return NEUTRAL
        mean = np.mean(biases, axis=0)
        return float(mean[0]), float(mean[1]), float(mean[2])

    def read_many(
        self,
        languages: Sequence[str],
        words: Sequence[Sequence[int]],
        dimension_columns: Sequence[Sequence[int]],
    ) -> tuple[list[tuple[float, float, float]], FloatArray, FloatArray]:
        """What the words of many texts say, at once (one gather and one sum for each model):
        each text's satisfaction (:data:`SATISFACTION_HEADS`, by its language; "mixed": the
        mean of both languages'), the labelled words' heads (:data:`WORD_HEADS`) of ``words``,
        and P(the review speaks of each of :data:`DIMENSIONS`) from ``dimension_columns``."""
        weights, known = self._word_weights
        heads = len(SATISFACTION_HEADS)
        raw, counts = _row_sums(weights, words)
        norm = np.sqrt(np.maximum(counts, 1))
        word_heads = raw[:, len(known) * heads :] / norm[:, None] + self.word_bias
        by_language = {}
        for i, name in enumerate(known):
            bias = self.satisfaction[name].bias
            block = raw[:, i * heads : (i + 1) * heads] / norm[:, None] + bias
            block[:, 0] = np.clip(block[:, 0], 0.5, 5.5)
            by_language[name] = block
        satisfaction = []
        for index, language in enumerate(languages):
            if language in by_language:
                values = by_language[language][index]
            elif by_language:
                values = np.mean([v[index] for v in by_language.values()], axis=0)
            else:
                values = np.array(NEUTRAL)
            satisfaction.append((float(values[0]), float(values[1]), float(values[2])))
        dimension_raw, dimension_counts = _row_sums(self.dimension_weights, dimension_columns)
        scale = np.where(dimension_counts > 0, 1 / np.sqrt(np.maximum(dimension_counts, 1)), 0.0)
        z = self.dimension_bias + dimension_raw * scale[:, None]
        return satisfaction, word_heads, 1 / (1 + np.exp(-z))

    def rung_probabilities(
        self,
        features: Sequence[float] | Sequence[Sequence[float]] | FloatArray,
        *,
        stars: bool = True,
    ) -> FloatArray:
        """P(rung 1 … 5) from a decision vector (or a matrix of them, one per row): of reviews
        with stars, or (``stars=False``) of texts alone."""
        x = np.asarray(features, dtype=np.float64)
        if stars:
            return decide(
                x,
                self.decision_weights,
                self.decision_bias,
                self.feature_mean,
                self.feature_scale,
                self.trees,
            )
        return decide(
            x,
            self.text_decision_weights,
            self.text_decision_bias,
            self.text_feature_mean,
            self.text_feature_scale,
            self.text_trees,
        )

    def calibrated(self, chance: float, *, stars: bool) -> float:
        """The confidence of a rung the decision gives probability ``chance``: how often a rung
        given that probability was right on reviews the decision was not fitted on."""
        a, b = self.calibration[0 if stars else 1]
        return 1 / (1 + math.exp(-(float(a) + float(b) * logit(chance))))

    def trained_on(self, text: str) -> bool:
        """Whether a labelled text was among those the decision and dimensions were fitted on."""
        return text_key(text) in set(self.info.get("labelled_keys", ()))

    def save(self, path: Path) -> None:
        """Write the model as one ``.npz`` file (atomically: a reader never sees half of it)."""
        arrays: dict[str, Any] = {
            "dimension_weights": self.dimension_weights,
            "dimension_bias": self.dimension_bias,
            "decision_weights": self.decision_weights,
            "decision_bias": self.decision_bias,
            "feature_mean": self.feature_mean,
            "feature_scale": self.feature_scale,
            "text_decision_weights": self.text_decision_weights,
            "text_decision_bias": self.text_decision_bias,
            "text_feature_mean": self.text_feature_mean,
            "text_feature_scale": self.text_feature_scale,
            "word_bias": self.word_bias,
            "calibration": self.calibration,
            "header": np.frombuffer(json.dumps(self._header()).encode(), dtype=np.uint8),
        }
        for name, trees in (("trees", self.trees), ("text_trees", self.text_trees)):
            if trees is not None:
                arrays[f"{name}_features"] = trees.features.astype(np.int32)
                arrays[f"{name}_thresholds"] = trees.thresholds
                arrays[f"{name}_values"] = trees.values
                arrays[f"{name}_bias"] = trees.bias
        for language, model in self.satisfaction.items():
            rows = np.flatnonzero(np.abs(model.weights).sum(axis=1))
            arrays[f"satisfaction_{language}_columns"] = rows.astype(np.int32)
            arrays[f"satisfaction_{language}_values"] = model.weights[rows]
            arrays[f"satisfaction_{language}_bias"] = model.bias
        for name, weights in (("dimension", self.dimension_weights), ("word", self.word_weights)):
            rows = np.flatnonzero(np.abs(weights).sum(axis=1))
            arrays[f"{name}_columns"] = rows.astype(np.int32)
            arrays[f"{name}_weights"] = weights[rows].astype(np.float32)
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_bytes(buffer.getvalue())
        temporary.replace(path)

    def _header(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "width": WIDTH,
            "features": list(DECISION_FEATURES),
            "dimensions": list(DIMENSIONS),
            "word_heads": list(WORD_HEADS),
            "dimension_threshold": self.dimension_threshold,
            "dimension_floor": self.dimension_floor,
            "languages": sorted(self.satisfaction),
            "info": dict(self.info),
        }


def _row_sums(
    weights: NDArray[np.float32], rows: Sequence[Sequence[int]]
) -> tuple[FloatArray, FloatArray]:
    """For each row of columns, ``Σ weights[column]`` over its distinct columns, and how many
    there are: one gather for all the rows."""
    distinct = [list(set(row)) for row in rows]
    counts = np.array([len(d) for d in distinct], dtype=np.int64)
    columns = np.fromiter((c for d in distinct for c in d), dtype=np.intp, count=int(counts.sum()))
    ends = np.cumsum(counts)
    running = np.zeros((len(columns) + 1, weights.shape[1]))
    np.cumsum(weights[columns], axis=0, dtype=np.float64, out=running[1:])
    return running[ends] - running[ends - counts], counts.astype(np.float64)


def decide(
    x: FloatArray,
    weights: FloatArray,
    bias: FloatArray,
    mean: FloatArray,
    scale: FloatArray,
    trees: Boosted | None,
) -> FloatArray:
    """P(rung 1 … 5) of decision vectors (a row each, or one vector): the regression's
    probabilities, averaged with the trees' when there are trees."""
    chances = softmax(((x - mean) / scale) @ weights.T + bias)
    if trees is None:
        return chances
    voted = softmax(trees.scores(x)).reshape(chances.shape)
    result: FloatArray = (chances + voted) / 2
    return result


def text_key(text: str) -> str:
    """A short digest of a labelled text, kept in a model so that evaluation knows which labelled
    lines it was fitted on (the text itself is never kept)."""
    folded = " ".join(text.split()).lower()
    return hashlib.blake2b(folded.encode(), digest_size=6).hexdigest()


def read_model(data: bytes, where: str = "model") -> LadderModel:
    """A model from the bytes of its ``.npz`` file."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            header = json.loads(arrays["header"].tobytes().decode())
            if header.get("format") not in READABLE:
                raise ModelError(
                    f"{where}: written for model format {header.get('format')}, this version "
                    f"reads formats {', '.join(map(str, READABLE))}; train it again with "
                    "`ladder train`"
                )
            if header["features"] != list(DECISION_FEATURES) or header["width"] != WIDTH:
                raise ModelError(
                    f"{where}: made for other decision features; train it again with `ladder train`"
                )
            satisfaction = {}
            for language in header["languages"]:
                weights = np.zeros((WIDTH, len(SATISFACTION_HEADS)), dtype=np.float32)
                weights[arrays[f"satisfaction_{language}_columns"]] = arrays[
                    f"satisfaction_{language}_values"
                ]
                bias = arrays[f"satisfaction_{language}_bias"].astype(np.float64)
                satisfaction[language] = Satisfaction(weights, bias)
            dimension_weights = np.zeros((WIDTH, len(DIMENSIONS)), dtype=np.float32)
            dimension_weights[arrays["dimension_columns"]] = arrays["dimension_weights"]
            word_weights = np.zeros((WIDTH, len(WORD_HEADS)), dtype=np.float32)
            word_weights[arrays["word_columns"]] = arrays["word_weights"]

            def floats(name: str) -> FloatArray:
                values: FloatArray = arrays[name].astype(np.float64)
                return values

            def trees(name: str) -> Boosted | None:
                if f"{name}_features" not in arrays:  # format 2, or a decision never fitted
                    return None
                return Boosted(
                    arrays[f"{name}_features"].astype(np.int64),
                    floats(f"{name}_thresholds"),
                    floats(f"{name}_values"),
                    floats(f"{name}_bias"),
                )

            return LadderModel(
                satisfaction=satisfaction,
                dimension_weights=dimension_weights,
                dimension_bias=floats("dimension_bias"),
                dimension_threshold=float(header["dimension_threshold"]),
                dimension_floor=float(header.get("dimension_floor", 0.0)),
                word_weights=word_weights,
                word_bias=floats("word_bias"),
                decision_weights=floats("decision_weights"),
                decision_bias=floats("decision_bias"),
                feature_mean=floats("feature_mean"),
                feature_scale=floats("feature_scale"),
                text_decision_weights=floats("text_decision_weights"),
                text_decision_bias=floats("text_decision_bias"),
                text_feature_mean=floats("text_feature_mean"),
                text_feature_scale=floats("text_feature_scale"),
                calibration=floats("calibration"),
                trees=trees("trees"),
                text_trees=trees("text_trees"),
                info=header.get("info", {}),
                digest=hashlib.sha256(data).hexdigest()[:8],
            )
    except (KeyError, ValueError, OSError) as error:
        if isinstance(error, ModelError):
            raise
        raise ModelError(f"{where}: not a ladder model ({error})") from None


@cache
def default_model() -> LadderModel:
    """The model shipped with the package, read once per process."""
    data = files("analysis").joinpath("weights", "ladder.npz").read_bytes()
    return read_model(data, "analysis/weights/ladder.npz")


@cache
def load_model(path: str) -> LadderModel:
    """A model file (``[analysis] model``), read once per process."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ModelError(f"{path}: cannot read ({error.strerror or error})") from None
    return read_model(data, path)


def blank_model() -> LadderModel:
    """A model that knows nothing yet (every rung equally likely, no dimension): where training
    starts when there is no model to start from."""
    width = len(DECISION_FEATURES)
    return LadderModel(
        satisfaction={},
        dimension_weights=np.zeros((WIDTH, len(DIMENSIONS)), dtype=np.float32),
        dimension_bias=np.full(len(DIMENSIONS), -10.0),
        dimension_threshold=0.5,
        dimension_floor=0.0,
        word_weights=np.zeros((WIDTH, len(WORD_HEADS)), dtype=np.float32),
        word_bias=np.zeros(len(WORD_HEADS)),
        decision_weights=np.zeros((len(DECIDED_RUNGS), width)),
        decision_bias=np.zeros(len(DECIDED_RUNGS)),
        feature_mean=np.zeros(width),
        feature_scale=np.ones(width),
        text_decision_weights=np.zeros((len(DECIDED_RUNGS), width)),
        text_decision_bias=np.zeros(len(DECIDED_RUNGS)),
        text_feature_mean=np.zeros(width),
        text_feature_scale=np.ones(width),
        calibration=np.array([[0.0, 1.0], [0.0, 1.0]]),  # as the decision says
        info={},
        digest="blank",
    )
