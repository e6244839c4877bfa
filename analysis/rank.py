"""Ranking, gaps, velocity and strengths (docs/ladder.md).

* Gap per dimension: ``G = S_ours − S_theirs``, called a gap only when P(S_ours < S_theirs) > 0.9
  **and** ``|G| ≥ 0.25`` rungs (both configurable); against each competitor, their median and the
  best of them. The mirror image, P(S_ours > S_theirs) > 0.9 with a lead of at least 0.25, is a lead;
  a dimension where we lead every competitor is a strength.
* Velocity: the Theil–Sen slope (the median of all pairwise slopes, robust to a wild week) of the
  weekly scores over the last weeks. Falling behind relatively: we climb (velocity > 0), a
  competitor climbs faster, with probability > 0.8 over the posterior draws.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from analysis.position import FloatArray

BEHIND, AHEAD, EVEN = "behind", "ahead", "even"


def theil_sen(values: FloatArray | list[float]) -> float:
    """The median pairwise slope of ``values`` at x = 0, 1, 2, … (per step).

    >>> theil_sen([1.0, 2.0, 3.0, 4.0, 40.0])  # one wild week does not move it
    1.0
    """
    ys = np.asarray(values, dtype=float)
    if ys.size < 2:
        return 0.0
    slopes = [(ys[j] - ys[i]) / (j - i) for i, j in combinations(range(ys.size), 2)]
    return float(np.median(slopes))


def theil_sen_draws(series: FloatArray) -> FloatArray:
    """Theil–Sen slopes of each column of a (weeks × draws) matrix, vectorised."""
    weeks = series.shape[0]
    if weeks < 2:
        return np.zeros(series.shape[1])
    i, j = np.triu_indices(weeks, k=1)
    slopes = (series[j] - series[i]) / (j - i)[:, None]
    return np.median(slopes, axis=0)


@dataclass(frozen=True)
class Comparison:
    ours: float
    theirs: float
    gap: float  # ours − theirs
    p_behind: float
    p_ahead: float
    verdict: str


def compare(
    ours: float,
    theirs: float,
    our_draws: FloatArray,
    their_draws: FloatArray,
    *,
    threshold: float,
    probability: float,
) -> Comparison:
    """Where we stand against one score, from the means and the posterior draws."""
    p_behind = float(np.mean(our_draws < their_draws))
    p_ahead = float(np.mean(our_draws > their_draws))
    gap = ours - theirs
    if p_behind > probability and gap <= -threshold:
        verdict = BEHIND
    elif p_ahead > probability and gap >= threshold:
        verdict = AHEAD
    else:
        verdict = EVEN
    return Comparison(ours, theirs, gap, p_behind, p_ahead, verdict)


def ranks(scores: dict[int, float]) -> dict[int, int]:
    """Rank 1 for the highest score; ties share a rank."""
    ordered = sorted(scores.values(), reverse=True)
    return {key: ordered.index(value) + 1 for key, value in scores.items()}


@dataclass(frozen=True)
class Race:
    """Our velocity against a competitor's, in rungs per week."""

    ours: float
    theirs: float
    p_faster: float  # P(their velocity > ours)
    verdict: str
    weeks_to_one_rung: float | None  # until they lead us by a whole rung, at these speeds


def race(
    our_slopes: FloatArray,
    their_slopes: FloatArray,
    our_score: float,
    their_score: float,
    *,
    probability: float = 0.8,
) -> Race:
    """Falling behind relatively: we climb, they climb faster, with ``probability``."""
    ours, theirs = float(np.median(our_slopes)), float(np.median(their_slopes))
    p_faster = float(np.mean(their_slopes > our_slopes))
    if ours > 0 and theirs > ours and p_faster > probability:
        verdict = BEHIND
    elif theirs < ours and 1 - p_faster > probability:
        verdict = AHEAD
    else:
        verdict = EVEN
    lead = their_score - our_score
    closing = theirs - ours
    weeks = (1 - lead) / closing if closing > 0 and lead < 1 else None
    return Race(ours, theirs, p_faster, verdict, weeks)
