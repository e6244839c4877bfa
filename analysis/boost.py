"""Gradient-boosted oblivious trees for a multinomial decision, fitted and applied with numpy alone.

The ladder's rung decision is a multinomial logistic regression over readable features
(:mod:`analysis.features`). A linear decision cannot say "a demand *on a one-star review that
also sounds furious*" unless someone wrote that product as a feature. Small trees find such
combinations themselves; the decision blends their probabilities with the regression's.

The trees are *oblivious*: every node of a level asks the same question ("is feature j above t?"),
so a tree of depth d is d questions and 2^d leaf values, and a review's leaf is the binary number
its answers spell. That makes the whole ensemble one gather and one comparison for a batch of
reviews (:meth:`Boosted.scores`), with no per-node loop, and it keeps each tree too simple to
memorise a few hundred labelled reviews.

Deterministic: the same rows give the same trees (row and column samples come from a seeded
generator).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Defaults chosen by cross-validation on real labelled reviews (docs/ladder.md).
ROUNDS = 50
RATE = 0.15
DEPTH = 3
L2 = 1.0
MIN_WEIGHT = 2.0  # least hessian weight on each side of a split for it to count
BINS = 32
COLUMNS = 0.5  # share of the features each round may split on
ROWS = 0.8  # share of the rows each round is fitted on


@dataclass(frozen=True)
class Boosted:
    """``rounds × classes`` oblivious trees: scores ``bias + Σ values[tree, leaf(x)]``.

    ``features`` and ``thresholds`` are ``trees × depth`` (the question of each level: is
    ``x[feature] > threshold``), ``values`` is ``trees × 2^depth``; tree ``t`` adds to class
    ``t % classes``.
    """

    features: IntArray
    thresholds: FloatArray
    values: FloatArray
    bias: FloatArray  # per class

    @property
    def classes(self) -> int:
        return len(self.bias)

    def scores(self, x: FloatArray) -> FloatArray:
        """Each row's score for each class (``rows × classes``)."""
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        trees, depth = self.features.shape
        answers = x[:, self.features.ravel()] > self.thresholds.ravel()
        places = (1 << np.arange(depth - 1, -1, -1)).astype(np.int64)
        leaves = answers.reshape(len(x), trees, depth).astype(np.int64) @ places
        leaves += np.arange(trees, dtype=np.int64) * self.values.shape[1]
        added = self.values.ravel()[leaves]  # rows × trees
        result: FloatArray = self.bias + added.reshape(len(x), -1, self.classes).sum(axis=1)
        return result


def fit_boosted(
    x: FloatArray,
    y: IntArray,
    classes: int,
    *,
    sample_weight: FloatArray | None = None,
    rounds: int = ROUNDS,
    rate: float = RATE,
    depth: int = DEPTH,
    l2: float = L2,
    min_weight: float = MIN_WEIGHT,
    bins: int = BINS,
    columns: float = COLUMNS,
    rows: float = ROWS,
    seed: int = 0,
) -> Boosted:
    """Oblivious trees fitted by Newton boosting of the multinomial log-loss (``y`` in
    0…classes−1). Each level's question is the one whose split lowers the loss most over all
    the tree's current leaves together; thresholds are taken between quantiles of each
    feature."""
    if bins < 2:
        raise ValueError("bins must be at least 2: one threshold a feature")
    x = np.asarray(x, dtype=np.float64)
    n, width = x.shape
    weight = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    onehot = np.zeros((n, classes))
    onehot[np.arange(n), y] = 1
    # The candidate thresholds of each feature, and each row's bin: bin k means the value is
    # above thresholds 0…k−1 and not above k.
    cuts = [
        np.unique(np.quantile(x[:, j], np.linspace(0, 1, bins + 1)[1:-1])) for j in range(width)
    ]
    cut_count = max((len(c) for c in cuts), default=0)
    table = np.full((width, max(cut_count, 1)), np.inf)
    for j, edges in enumerate(cuts):
        table[j, : len(edges)] = edges
    codes = np.stack(
        [np.searchsorted(table[j], x[:, j], side="left") for j in range(width)], axis=1
    )
    slots = cut_count + 1
    cut_counts = np.array([len(c) for c in cuts], dtype=np.int64)
    prior = (weight @ onehot + 1) / (weight.sum() + classes)
    bias = np.log(prior) - np.log(prior).mean()
    raw = np.tile(bias, (n, 1))
    generator = np.random.default_rng(seed)
    leaves_count = 1 << depth
    features = np.zeros((rounds * classes, depth), dtype=np.int64)
    thresholds = np.full((rounds * classes, depth), np.inf)
    values = np.zeros((rounds * classes, leaves_count))
    take = max(1, round(columns * width))
    for round_ in range(rounds):
        shifted = raw - raw.max(axis=1, keepdims=True)
        p = np.exp(shifted)
        p /= p.sum(axis=1, keepdims=True)
        sample = np.flatnonzero(generator.random(n) < rows)
        if not len(sample):
            sample = np.arange(n)
        chosen = np.sort(generator.choice(width, size=take, replace=False))
        sample_codes = codes[np.ix_(sample, chosen)]
        # a feature with fewer distinct quantiles has fewer thresholds to offer
        offered = np.arange(cut_count) < cut_counts[chosen][:, None]
        for c in range(classes):
            tree = round_ * classes + c
            g = (p[sample, c] - onehot[sample, c]) * weight[sample]
            h = np.maximum(p[sample, c] * (1 - p[sample, c]), 1e-6) * weight[sample]
            g_each, h_each = np.repeat(g, take), np.repeat(h, take)  # a row's, per feature
            leaf = np.zeros(len(sample), dtype=np.int64)
            for level in range(depth):
                buckets = 1 << level
                key = ((leaf[:, None] * take + np.arange(take)) * slots + sample_codes).ravel()
                size = buckets * take * slots
                grad = np.bincount(key, g_each, minlength=size)
                hess = np.bincount(key, h_each, minlength=size)
                grad = grad.reshape(buckets, take, slots).cumsum(axis=2)
                hess = hess.reshape(buckets, take, slots).cumsum(axis=2)
                g_all, h_all = grad[:, :, -1:], hess[:, :, -1:]
                g_left, h_left = grad[:, :, :-1], hess[:, :, :-1]  # split after bin k
                g_right, h_right = g_all - g_left, h_all - h_left
                gain = (
                    g_left**2 / (h_left + l2)
                    + g_right**2 / (h_right + l2)
                    - g_all**2 / (h_all + l2)
                )
                gain[(h_left < min_weight) | (h_right < min_weight)] = 0.0
                total = np.where(offered, gain.sum(axis=0), -np.inf)  # take × cuts
                column, cut = divmod(int(np.argmax(total)), cut_count)
                feature = int(chosen[column])
                features[tree, level] = feature
                thresholds[tree, level] = cuts[feature][cut]
                leaf = leaf * 2 + (sample_codes[:, column] > cut)
            g_leaf = np.bincount(leaf, g, minlength=leaves_count)
            h_leaf = np.bincount(leaf, h, minlength=leaves_count)
            values[tree] = -rate * g_leaf / (h_leaf + l2)
        fitted = Boosted(
            features[round_ * classes : (round_ + 1) * classes],
            thresholds[round_ * classes : (round_ + 1) * classes],
            values[round_ * classes : (round_ + 1) * classes],
            np.zeros(classes),
        )
        raw += fitted.scores(x)
    return Boosted(features, thresholds, values, bias)
