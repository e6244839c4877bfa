"""A business's position on the ladder from its reviews, with the uncertainty a manager must see.

See docs/ladder.md. From recency-weighted rung counts ``n_k`` (each review weighs
``0.5 ** (age / half_life)``), with ``W = Σw`` and ``n_eff = W² / Σw²``:

* shares shrunk toward the market: ``p_k = (c_k + α·π_k) / (n_eff + α)`` where ``c_k = n_k·n_eff/W``
  are the counts scaled to the effective number of reviews, ``π`` the market's own shares and
  ``α`` the prior's strength in pseudo-reviews (Trustpilot adds 7 reviews worth 3.5★);
* the ladder score ``S = Σ k·p_k`` on 1–6, with a 90% credible band from draws of the posterior
  Dirichlet(``c + α·π``);
* the rung held: the highest ``k`` whose Wilson lower bound of P(rung ≥ k) is at least 0.5;
* the losing share P(rung ≤ 2) with its Wilson upper bound;
* "not enough reviews" when ``n_eff`` is below a minimum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

RUNG_VALUES = np.arange(1, 7, dtype=float)
#: Two-sided 90%: the band and the Wilson bounds.
Z90 = 1.6448536269514722

FloatArray = NDArray[np.float64]


def recency_weight(age_days: float | FloatArray, half_life_days: float) -> float | FloatArray:
    """``0.5 ** (age / half_life)``: a review one half-life old counts half."""
    return np.power(0.5, np.asarray(age_days, dtype=float) / half_life_days)


def effective_n(weight: float, weight_sq: float) -> float:
    """Kish's effective sample size of weighted reviews: ``(Σw)² / Σw²``."""
    return weight * weight / weight_sq if weight_sq > 0 else 0.0


def wilson_interval(share: float, n: float, z: float = Z90) -> tuple[float, float]:
    """The Wilson score interval of a proportion observed ``share`` of ``n`` times.

    >>> [round(x, 3) for x in wilson_interval(0.5, 10)]
    [0.26, 0.74]
    """
    if n <= 0:
        return 0.0, 1.0
    share = min(1.0, max(0.0, share))
    denominator = 1 + z * z / n
    centre = (share + z * z / (2 * n)) / denominator
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Position:
    shares: tuple[float, ...]  # shrunk p_1 … p_6
    score: float
    low: float
    high: float
    rung_held: int | None
    losing_share: float
    losing_upper: float
    n_effective: float
    weight: float
    enough: bool


def posterior(
    counts: FloatArray, weight: float, weight_sq: float, prior: FloatArray, alpha: float
) -> FloatArray:
    """Dirichlet parameters: the counts scaled to ``n_eff`` plus ``α`` pseudo-reviews of ``π``."""
    n_eff = effective_n(weight, weight_sq)
    scaled = counts * (n_eff / weight) if weight > 0 else np.zeros(6)
    return scaled + alpha * prior


def score_draws(parameters: FloatArray, rng: np.random.Generator, draws: int) -> FloatArray:
    """Ladder scores of ``draws`` samples from Dirichlet(``parameters``)."""
    gamma = rng.gamma(np.maximum(parameters, 1e-9), size=(draws, parameters.size))
    shares: FloatArray = gamma / gamma.sum(axis=1, keepdims=True)
    scores: FloatArray = shares @ RUNG_VALUES
    return scores


def rung_held(shares: FloatArray | tuple[float, ...], n: float) -> int | None:
    """The highest rung k with Wilson lower bound of P(rung ≥ k) ≥ 0.5, or None."""
    at_least = np.cumsum(np.asarray(shares)[::-1])[::-1]  # P(rung ≥ k) for k = 1…6
    for k in range(6, 0, -1):
        if wilson_interval(float(at_least[k - 1]), n)[0] >= 0.5:
            return k
    return None


def position(
    counts: FloatArray,
    weight: float,
    weight_sq: float,
    prior: FloatArray,
    *,
    alpha: float,
    min_effective: float,
    draws: FloatArray,
) -> Position:
    """The position from weighted counts, given the score draws of its posterior."""
    parameters = posterior(counts, weight, weight_sq, prior, alpha)
    shares = parameters / parameters.sum()
    n_eff = effective_n(weight, weight_sq)
    losing = float(shares[0] + shares[1])
    low, high = np.percentile(draws, [5, 95])
    return Position(
        shares=tuple(round(float(s), 4) for s in shares),
        score=float(shares @ RUNG_VALUES),
        low=float(low),
        high=float(high),
        rung_held=rung_held(shares, n_eff),
        losing_share=losing,
        losing_upper=wilson_interval(losing, n_eff)[1],
        n_effective=n_eff,
        weight=weight,
        enough=n_eff >= min_effective,
    )


def positions(
    counts: FloatArray,
    weight: FloatArray,
    weight_sq: FloatArray,
    prior: FloatArray,
    *,
    alpha: float,
    min_effective: float,
    rng: np.random.Generator,
    draws: int,
) -> tuple[list[Position], FloatArray]:
    """Every business's position at once (rows of ``counts``), and its score draws
    (businesses × draws): one vectorised pass instead of one per business."""
    n_eff = np.divide(weight * weight, weight_sq, out=np.zeros_like(weight), where=weight_sq > 0)
    scale = np.divide(n_eff, weight, out=np.zeros_like(weight), where=weight > 0)
    parameters = counts * scale[:, None] + alpha * prior
    gamma = rng.gamma(np.maximum(parameters, 1e-9), size=(draws, *parameters.shape))
    scores: FloatArray = (gamma / gamma.sum(axis=2, keepdims=True)) @ RUNG_VALUES  # draws × B
    sample = scores.T.copy()
    lows, highs = np.percentile(sample, [5, 95], axis=1)
    shares = parameters / parameters.sum(axis=1, keepdims=True)
    means = shares @ RUNG_VALUES
    found = []
    for b in range(counts.shape[0]):
        losing = float(shares[b, 0] + shares[b, 1])
        found.append(
            Position(
                shares=tuple(round(float(s), 4) for s in shares[b]),
                score=float(means[b]),
                low=float(lows[b]),
                high=float(highs[b]),
                rung_held=rung_held(shares[b], float(n_eff[b])),
                losing_share=losing,
                losing_upper=wilson_interval(losing, float(n_eff[b]))[1],
                n_effective=float(n_eff[b]),
                weight=float(weight[b]),
                enough=bool(n_eff[b] >= min_effective),
            )
        )
    return found, sample


def flood_threshold(history: FloatArray, k: float) -> FloatArray:
    """Reviews in one day above which the day is a flood, from each row of trailing daily counts:
    the median plus ``k`` robust standard deviations (MAD × 1.4826), never less than the mean plus
    ``k`` Poisson deviations plus three (a small business's days are mostly zero, and a MAD of
    zero would make every review a flood)."""
    rows = np.atleast_2d(history)
    median = np.median(rows, axis=1)
    mad = 1.4826 * np.median(np.abs(rows - median[:, None]), axis=1)
    mean = rows.mean(axis=1)
    threshold: FloatArray = np.maximum(median + k * mad, mean + k * np.sqrt(mean + 1) + 3)
    return threshold


def usual_day(history: FloatArray) -> FloatArray:
    """What a flood day is counted as: the business's usual day (mean or median, at least 1)."""
    rows = np.atleast_2d(history)
    usual: FloatArray = np.maximum(np.maximum(rows.mean(axis=1), np.median(rows, axis=1)), 1.0)
    return usual
