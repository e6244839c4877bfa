"""The statistics against numbers worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.position import (
    effective_n,
    flood_threshold,
    position,
    posterior,
    recency_weight,
    rung_held,
    score_draws,
    wilson_interval,
)
from analysis.rank import AHEAD, BEHIND, EVEN, compare, race, ranks, theil_sen, theil_sen_draws

UNIFORM = np.full(6, 1 / 6)


def test_shrinkage_toward_the_market() -> None:
    # 10 reviews: two Normal, six Good, two Surprising; α = 6 pseudo-reviews spread evenly:
    # p = (n + 1) / 16 = [1, 1, 3, 7, 3, 1] / 16, S = (1 + 2 + 9 + 28 + 15 + 6) / 16 = 3.8125
    counts = np.array([0, 0, 2, 6, 2, 0], dtype=float)
    parameters = posterior(counts, 10.0, 10.0, UNIFORM, alpha=6.0)
    assert parameters == pytest.approx([1, 1, 3, 7, 3, 1])
    result = position(
        counts, 10.0, 10.0, UNIFORM, alpha=6.0, min_effective=5, draws=np.array([3.6, 3.8, 4.0])
    )
    assert result.score == pytest.approx(61 / 16)
    assert result.shares == pytest.approx(tuple(np.array([1, 1, 3, 7, 3, 1]) / 16), abs=1e-4)
    assert result.losing_share == pytest.approx(2 / 16)
    assert result.enough


def test_a_business_without_reviews_sits_on_the_market() -> None:
    market = np.array([0.1, 0.1, 0.2, 0.4, 0.15, 0.05])
    result = position(np.zeros(6), 0.0, 0.0, market, alpha=10, min_effective=5, draws=np.ones(9))
    assert result.score == pytest.approx(float(market @ np.arange(1, 7)))
    assert not result.enough


def test_wilson_interval_by_hand() -> None:
    # z = 1.6449, n = 10, p = 0.5: centre 0.5, half-width 1.6449·√(0.025 + 0.006764)/1.27055
    low, high = wilson_interval(0.5, 10)
    assert (low, high) == pytest.approx((0.2693, 0.7307), abs=1e-4)
    assert wilson_interval(0.0, 0) == (0.0, 1.0)
    assert wilson_interval(1.0, 100)[1] == 1.0


def test_rung_held_is_the_highest_rung_reached_with_confidence() -> None:
    shares = np.array([1, 1, 3, 7, 3, 1]) / 16
    # P(rung ≥ 4) = 11/16: Wilson lower 0.43 at n = 10, not enough; P(rung ≥ 3) = 14/16: 0.62
    assert rung_held(shares, 10) == 3
    assert rung_held(shares, 1000) == 4  # the same shares with many reviews hold Good
    assert rung_held(np.full(6, 1 / 6), 1) is None


def test_recency_and_effective_n() -> None:
    assert recency_weight(90, 90) == pytest.approx(0.5)
    assert recency_weight(0, 90) == pytest.approx(1.0)
    assert effective_n(1.5, 1.25) == pytest.approx(1.8)  # weights 1 and 0.5
    assert effective_n(10, 10) == 10
    assert effective_n(0, 0) == 0


def test_score_draws_scatter_around_the_mean() -> None:
    draws = score_draws(np.array([1, 1, 3, 7, 3, 1.0]), np.random.default_rng(1), 20000)
    assert float(np.mean(draws)) == pytest.approx(61 / 16, abs=0.01)
    tight = score_draws(np.array([10, 10, 30, 70, 30, 10.0]) * 10, np.random.default_rng(1), 20000)
    assert np.std(tight) < np.std(draws) / 5


def test_flood_threshold() -> None:
    quiet = np.array([3, 2, 4, 3, 3, 2, 5, 3, 4, 3], dtype=float)
    threshold = flood_threshold(quiet, k=5)
    assert 8 < threshold < 30
    assert flood_threshold(np.zeros(14), k=5) >= 3  # zeros do not make every review a flood


def test_theil_sen_on_a_known_series() -> None:
    assert theil_sen([1, 2, 3, 4, 40]) == pytest.approx(1.0)
    assert theil_sen([5, 4, 3, 2]) == pytest.approx(-1.0)
    assert theil_sen([2]) == 0.0
    series = np.array([[0.0, 0.0], [1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    assert theil_sen_draws(series) == pytest.approx([1.0, 2.0])


def test_gaps_are_called_only_when_large_and_certain() -> None:
    rng = np.random.default_rng(3)
    ours, theirs = rng.normal(3.4, 0.05, 4000), rng.normal(4.1, 0.05, 4000)
    gap = compare(3.4, 4.1, ours, theirs, threshold=0.25, probability=0.9)
    assert (gap.verdict, round(gap.gap, 2)) == (BEHIND, -0.7)
    assert gap.p_behind > 0.99
    small = compare(3.4, 3.5, ours, rng.normal(3.5, 0.05, 4000), threshold=0.25, probability=0.9)
    assert small.verdict == EVEN  # certain but small
    unsure = compare(
        3.4,
        4.1,
        rng.normal(3.4, 1, 4000),
        rng.normal(4.1, 1, 4000),
        threshold=0.25,
        probability=0.9,
    )
    assert unsure.verdict == EVEN  # large but uncertain
    lead = compare(4.1, 3.4, theirs, ours, threshold=0.25, probability=0.9)
    assert lead.verdict == AHEAD


def test_falling_behind_relatively_when_both_climb() -> None:
    rng = np.random.default_rng(4)
    ours, theirs = rng.normal(0.01, 0.002, 2000), rng.normal(0.05, 0.01, 2000)
    result = race(ours, theirs, 3.3, 3.5, probability=0.8)
    assert result.verdict == BEHIND
    assert result.p_faster > 0.99
    assert result.weeks_to_one_rung == pytest.approx((1 - 0.2) / (0.05 - 0.01), rel=0.05)
    falling = race(rng.normal(-0.02, 0.002, 2000), theirs, 3.3, 3.5)
    assert falling.verdict != BEHIND  # we are not climbing: that is plain falling, not relative


def test_ranks_share_ties() -> None:
    assert ranks({1: 3.2, 2: 4.0, 3: 3.2, 4: 2.0}) == {2: 1, 1: 2, 3: 2, 4: 4}
