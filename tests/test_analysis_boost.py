"""The decision's boosted trees (:mod:`analysis.boost`): what a tree asks, what the trees learn
that a linear decision cannot, and that fitting them is deterministic."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.boost import Boosted, fit_boosted
from analysis.linear import fit_softmax, softmax


def test_a_tree_asks_whether_each_feature_is_above_its_threshold() -> None:
    """One tree of depth 2 for class 0 of two: the answers spell the leaf, most significant
    first; a value equal to its threshold is not above it."""
    trees = Boosted(
        features=np.array([[0, 1], [0, 0]]),
        thresholds=np.array([[0.5, 2.0], [np.inf, np.inf]]),  # the second tree never splits
        values=np.array([[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 0.0]]),
        bias=np.array([0.25, -0.25]),
    )
    x = np.array([[0.0, 0.0], [0.0, 3.0], [0.5, 2.0], [0.6, 2.0], [0.6, 2.1]])
    scores = trees.scores(x)
    assert scores[:, 0].tolist() == [1.25, 2.25, 1.25, 3.25, 4.25]
    assert scores[:, 1].tolist() == [-0.25] * 5
    assert trees.scores(x[3]).shape == (1, 2)  # one vector is one row


def test_trees_learn_a_combination_no_linear_decision_can() -> None:
    """The class is whether two features agree in sign (exclusive or): a linear decision is right
    half the time, the trees nearly always, on rows they were not fitted on."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(600, 4))
    y = ((x[:, 0] > 0) == (x[:, 1] > 0)).astype(np.int64)
    train, test = slice(0, 400), slice(400, 600)
    trees = fit_boosted(x[train], y[train], 2, columns=1.0)
    weights, bias = fit_softmax(x[train], y[train], 2, 0.1)
    linear = softmax(x[test] @ weights.T + bias).argmax(axis=1)
    boosted = softmax(trees.scores(x[test])).argmax(axis=1)
    assert np.mean(linear == y[test]) < 0.65
    assert np.mean(boosted == y[test]) > 0.9


def test_trees_weigh_rows_by_their_weight() -> None:
    """Rows that disagree on the same features: the heavier side wins."""
    x = np.zeros((40, 2))
    y = np.array([0] * 20 + [1] * 20)
    weight = np.array([1.0] * 20 + [3.0] * 20)
    trees = fit_boosted(x, y, 2, sample_weight=weight)
    assert softmax(trees.scores(x[:1]))[0, 1] > 0.6
    even = fit_boosted(x, y, 2)
    assert abs(softmax(even.scores(x[:1]))[0, 1] - 0.5) < 0.05


def test_fitting_trees_is_deterministic() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(200, 6))
    y = rng.integers(0, 5, size=200)
    first, second = fit_boosted(x, y, 5), fit_boosted(x, y, 5)
    np.testing.assert_array_equal(first.features, second.features)
    np.testing.assert_array_equal(first.thresholds, second.thresholds)
    np.testing.assert_array_equal(first.values, second.values)
    assert first.features.shape == (50 * 5, 3)


def test_trees_need_at_least_one_threshold_a_feature() -> None:
    with pytest.raises(ValueError, match="bins must be at least 2"):
        fit_boosted(np.zeros((4, 2)), np.array([0, 1, 0, 1]), 2, bins=1)
