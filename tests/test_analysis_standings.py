"""The standings rules (:mod:`analysis.standings`) on rows built by hand: which gaps come first,
which strengths are named, who climbs faster; and that ``ladder rank`` and the weekly report read
them the same way."""

from __future__ import annotations

import pytest

from analysis.rank import AHEAD, BEHIND, EVEN
from analysis.standings import (
    gaps_to_close,
    races,
    reply_gaps,
    standing_of,
    strengths,
    week_standings,
)
from db.rows import GapRow, PositionRow


def _position(
    name: str, business_id: int, dimension: str, score: float, velocity: float | None = None
) -> PositionRow:
    return PositionRow(
        "2026-W47", business_id, name, name == "Ours", "all", dimension, 50, 50.0, score,
        score - 0.1, score + 0.1, None, 0.1, 0.2, [0.0] * 6, True, None, None, velocity,
    )  # fmt: skip


def _gap(
    dimension: str,
    versus: str,
    gap: float,
    verdict: str = BEHIND,
    kind: str = "score",
    ours: float = 3.0,
) -> GapRow:
    return GapRow(
        "2026-W47", "all", dimension, kind, versus, 2, ours, ours - gap, gap, 0.99, verdict, None
    )


def test_priorities_weigh_the_gap_by_what_separates_the_leaders() -> None:
    # The leader (A) is far ahead on reliability, level with everyone on tangibles.
    positions = [
        _position(name, number, dimension, score)
        for number, (name, overall, reliability, tangibles) in enumerate(
            [("A", 4.5, 4.6, 3.5), ("B", 3.5, 3.4, 3.6), ("C", 3.3, 3.2, 3.4), ("Ours", 3.4, 3.3, 3.0)]
        )
        for dimension, score in (("overall", overall), ("reliability", reliability), ("tangibles", tangibles))
    ]  # fmt: skip
    gaps = [
        _gap("tangibles", "B", -0.6),
        _gap("reliability", "A", -0.4),
        _gap("tangibles", "A", -0.5),
        _gap("overall", "A", -1.1),  # overall is not a dimension to close
        _gap("tangibles", "median", -0.9),  # nor is the median a competitor
    ]
    ranked = gaps_to_close(positions, gaps)
    # The smaller reliability gap comes first: reliability is what the leader does better.
    assert [(p.dimension, p.versus) for p in ranked] == [("reliability", "A"), ("tangibles", "B")]
    assert ranked[0].weight > ranked[1].weight


def test_a_unique_strength_needs_every_competitor_behind() -> None:
    gaps = [
        _gap("tangibles", "A", 0.7, AHEAD),
        _gap("tangibles", "B", 0.5, AHEAD),
        _gap("empathy", "A", 0.9, AHEAD),
        _gap("empathy", "B", 0.1, EVEN),
    ]
    assert [(s.dimension, s.lead, s.unique) for s in strengths(gaps)] == [("tangibles", 0.5, True)]


def test_without_a_unique_strength_our_best_against_the_median_is_named() -> None:
    gaps = [
        _gap("empathy", "A", 0.9, AHEAD),
        _gap("empathy", "B", 0.1, EVEN),
        _gap("empathy", "median", 0.5, EVEN),
        _gap("tangibles", "median", 0.2, EVEN),
        _gap("reliability", "median", -0.3, EVEN),
    ]
    assert [(s.dimension, s.lead, s.unique) for s in strengths(gaps)] == [("empathy", 0.5, False)]
    assert strengths([_gap("empathy", "median", -0.5, EVEN)]) == ()


def test_races_say_when_a_faster_competitor_leads_by_a_rung() -> None:
    standings = [
        standing_of(_position("Ours", 1, "overall", 3.4)),
        standing_of(_position("A", 2, "overall", 3.6)),
    ]
    # we climb 0.01 a week, A 0.05: the lead of 0.2 grows to a whole rung in 0.8 / 0.04 weeks
    found = races(
        [_gap("overall", "A", -0.04, BEHIND, kind="velocity", ours=0.01), _gap("x", "B", 0.0)],
        standings,
    )
    assert [race.versus for race in found] == ["A"]
    assert found[0].weeks_to_rung == pytest.approx(20.0)
    assert found[0].theirs > found[0].ours > 0


def test_reply_gaps_list_rates_before_latencies() -> None:
    gaps = [
        _gap("responsiveness", "B", 40.0, BEHIND, kind="reply_latency", ours=60.0),
        _gap("responsiveness", "A", -0.5, BEHIND, kind="reply_rate", ours=0.3),
        _gap("responsiveness", "C", 0.2, AHEAD, kind="reply_rate", ours=0.3),
    ]
    assert [(g.kind, g.versus) for g in reply_gaps(gaps)] == [
        ("reply_rate", "A"),
        ("reply_latency", "B"),
    ]


def test_week_standings_rank_ours_and_count_floods() -> None:
    positions = [
        _position("Ours", 1, "overall", 3.4, velocity=0.03),
        _position("A", 2, "overall", 3.6),
        _position("Ours", 1, "tangibles", 3.0),
    ]
    week = week_standings("2026-W47", "all", positions, [], {"A": 2})
    assert [s.business for s in week.standings] == ["Ours", "A"]  # overall only
    assert week.ours is not None
    assert week.ours.business == "Ours"
    assert week.ours.per_month == pytest.approx(0.03 * 52 / 12)
    assert week.flood_days == {"A": 2}
