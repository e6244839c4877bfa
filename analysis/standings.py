"""A week's standings: where each business stands, the gaps to close first, who climbs faster,
where we are strong and where we answer reviews worse.

The one home of these rules. ``ladder rank`` and the weekly report both render what
:func:`week_standings` returns, so they always name the same gaps in the same order. Everything is
read from the stored weekly rows (:mod:`analysis.weekly` computed them); nothing is recomputed.

The gaps to close first are, per dimension, the competitor we trail most, ordered by the size of
the gap times the dimension's weight in this market (how much it separates the market's leaders
from the rest: :func:`dimension_weights`). "Overall" is not a dimension to close.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from analysis.rank import AHEAD, BEHIND
from analysis.vocabulary import rung_of
from db.rows import GapRow, PositionRow

#: Weekly velocities are stored in rungs per week; people read them per month.
WEEKS_PER_MONTH = 52 / 12
#: A dimension that separates nobody still weighs this much, so a large gap is never hidden.
MIN_WEIGHT = 0.1
#: ``versus`` values of the gaps that compare us with the competitors as a whole, not with one.
AGGREGATES = frozenset({"median", "best"})
#: The comparison kinds about owner replies (the others are ``score`` and ``velocity``).
REPLY_KINDS = ("reply_rate", "reply_latency")


@dataclass(frozen=True)
class Standing:
    """One business's overall position in the week."""

    business: str
    business_id: int
    is_self: bool
    enough: bool  # enough reviews for a position; else no rank
    rank: int | None
    score: float
    low: float  # the 90% band
    high: float
    rung: int  # the rung the score sits on
    rung_held: int | None
    delta: float | None  # score change since last week
    per_month: float | None  # velocity, rungs a month
    reviews: float  # effective reviews behind the position
    reviews_this_week: int
    losing_share: float
    shares: tuple[float, ...]  # rungs 1–6 this week


@dataclass(frozen=True)
class Priority:
    """A gap worth closing: where we trail ``versus`` on ``dimension``."""

    dimension: str
    versus: str
    ours: float
    theirs: float
    gap: float  # negative: rungs behind
    probability: float
    weight: float  # how much the dimension separates the market's leaders from the rest
    ours_say: tuple[str, ...] = ()  # short quotes from our reviews faulting the dimension
    they_say: tuple[str, ...] = ()  # short quotes from theirs praising it
    complaint: str | None = None  # the fault our reviews name most on the dimension
    practice: str | None = None  # the praise theirs name most: what they do that we do not


@dataclass(frozen=True)
class Race:
    """A competitor climbing faster than us: velocities in rungs a month."""

    versus: str
    ours: float
    theirs: float
    probability: float
    weeks_to_rung: float | None  # at these speeds, weeks until they lead by a whole rung


@dataclass(frozen=True)
class Strength:
    dimension: str
    lead: float  # the smallest lead over any competitor (or over their median), in rungs
    unique: bool  # ahead of every competitor with confidence (else: our best against the median)


@dataclass(frozen=True)
class ReplyGap:
    versus: str
    kind: str  # reply_rate or reply_latency
    ours: float
    theirs: float


@dataclass(frozen=True)
class WeekStandings:
    """Everything a view shows about one week and segment, decided once."""

    week: str
    segment: str
    standings: tuple[Standing, ...]  # ranked first, then those without enough reviews
    priorities: tuple[Priority, ...]  # every gap worth closing, the first most worth it
    races: tuple[Race, ...]
    strengths: tuple[Strength, ...]
    reply_gaps: tuple[ReplyGap, ...]
    flood_days: Mapping[str, int] = field(default_factory=dict)  # business → days down-weighted
    gaps: tuple[GapRow, ...] = ()  # every stored comparison of the week, for views that list them

    @property
    def ours(self) -> Standing | None:
        return next((s for s in self.standings if s.is_self), None)

    @property
    def ranked(self) -> int:
        return sum(1 for s in self.standings if s.rank is not None)


def per_month(velocity: float | None) -> float | None:
    """A stored velocity (rungs a week) in rungs a month."""
    return None if velocity is None else velocity * WEEKS_PER_MONTH


def standing_of(p: PositionRow) -> Standing:
    return Standing(
        business=p.business,
        business_id=p.business_id,
        is_self=p.is_self,
        enough=p.enough,
        rank=p.rank,
        score=p.score,
        low=p.low,
        high=p.high,
        rung=rung_of(p.score),
        rung_held=p.rung_held,
        delta=p.delta,
        per_month=per_month(p.velocity),
        reviews=p.n_effective,
        reviews_this_week=p.reviews,
        losing_share=p.losing_share,
        shares=tuple(p.shares),
    )


def week_standings(
    week: str,
    segment: str,
    positions: Sequence[PositionRow],
    gaps: Sequence[GapRow],
    flood_days: Mapping[str, int] | None = None,
) -> WeekStandings:
    """The standings of one week from its stored positions (every dimension, or overall only) and
    our gaps."""
    standings = tuple(standing_of(p) for p in positions if p.dimension == "overall")
    return WeekStandings(
        week=week,
        segment=segment,
        standings=standings,
        priorities=tuple(gaps_to_close(positions, gaps)),
        races=races(gaps, standings),
        strengths=strengths(gaps),
        reply_gaps=reply_gaps(gaps),
        flood_days=dict(flood_days or {}),
        gaps=tuple(gaps),
    )


def is_named(gap: GapRow) -> bool:
    """Whether a gap compares us with one competitor (not their median or the best)."""
    return gap.versus not in AGGREGATES


def behind(gaps: Sequence[GapRow]) -> set[tuple[str, str]]:
    """``(dimension, competitor)`` of every score gap where we are behind one competitor."""
    return {
        (g.dimension, g.versus)
        for g in gaps
        if g.kind == "score" and g.verdict == BEHIND and is_named(g)
    }


def dimension_weights(positions: Sequence[PositionRow]) -> dict[str, float]:
    """How much each dimension separates the market's leaders (the top third by overall score,
    at least one business) from the rest: the difference of their mean scores, at least
    :data:`MIN_WEIGHT`."""
    overall = sorted(
        (p for p in positions if p.dimension == "overall" and p.enough), key=lambda p: -p.score
    )
    if len(overall) < 2:
        return {}
    leaders = {p.business_id for p in overall[: max(1, len(overall) // 3)]}
    weights = {}
    for dimension in {p.dimension for p in positions} - {"overall"}:
        rows = [p for p in positions if p.dimension == dimension and p.enough]
        top = [p.score for p in rows if p.business_id in leaders]
        rest = [p.score for p in rows if p.business_id not in leaders]
        if top and rest:
            weights[dimension] = max(MIN_WEIGHT, statistics.fmean(top) - statistics.fmean(rest))
    return weights


def gaps_to_close(positions: Sequence[PositionRow], gaps: Sequence[GapRow]) -> list[Priority]:
    """The gaps most worth closing, first the most: per dimension, the competitor we trail most;
    ordered by the size of the gap times the dimension's weight in this market (overall is not a
    dimension)."""
    weights = dimension_weights(positions)
    worst: dict[str, GapRow] = {}
    for gap in gaps:
        if (
            gap.kind != "score"
            or gap.verdict != BEHIND
            or gap.dimension == "overall"
            or not is_named(gap)
            or gap.gap is None
        ):
            continue
        if gap.dimension not in worst or gap.gap < (worst[gap.dimension].gap or 0.0):
            worst[gap.dimension] = gap
    ordered = sorted(
        worst.values(),
        key=lambda g: ((g.gap or 0.0) * weights.get(g.dimension, MIN_WEIGHT), g.dimension),
    )
    return [
        Priority(
            dimension=g.dimension,
            versus=g.versus,
            ours=g.ours or 0.0,
            theirs=g.theirs or 0.0,
            gap=g.gap or 0.0,
            probability=g.probability or 0.0,
            weight=weights.get(g.dimension, MIN_WEIGHT),
        )
        for g in ordered
    ]


def races(gaps: Sequence[GapRow], standings: Sequence[Standing]) -> tuple[Race, ...]:
    """Competitors climbing faster than us with confidence, the fastest gaining first."""
    scores = {s.business: s.score for s in standings if s.enough}
    ours = next((s for s in standings if s.is_self), None)
    if ours is None:
        return ()
    found = []
    for gap in gaps:
        if gap.kind != "velocity" or gap.verdict != BEHIND or not is_named(gap):
            continue
        mine, theirs = gap.ours or 0.0, gap.theirs or 0.0
        lead = scores.get(gap.versus, ours.score) - ours.score
        weeks = (1 - lead) / (theirs - mine) if theirs > mine and lead < 1 else None
        found.append(
            Race(
                gap.versus,
                mine * WEEKS_PER_MONTH,
                theirs * WEEKS_PER_MONTH,
                gap.probability or 0.0,
                weeks,
            )
        )
    return tuple(sorted(found, key=lambda r: (r.ours - r.theirs, r.versus)))


def strengths(gaps: Sequence[GapRow]) -> tuple[Strength, ...]:
    """Dimensions where we lead every competitor with confidence, the largest lead first; failing
    that, the dimension where we lead the competitors' median the most (so there is always
    something to protect)."""
    by_dimension: dict[str, list[GapRow]] = {}
    for gap in gaps:
        if gap.kind == "score" and gap.dimension != "overall":
            by_dimension.setdefault(gap.dimension, []).append(gap)
    unique = []
    for dimension, rows in by_dimension.items():
        named = [g for g in rows if is_named(g)]
        if named and all(g.verdict == AHEAD for g in named):
            unique.append(Strength(dimension, min(g.gap or 0.0 for g in named), True))
    if unique:
        return tuple(sorted(unique, key=lambda s: (-s.lead, s.dimension)))
    medians = [
        g
        for rows in by_dimension.values()
        for g in rows
        if g.versus == "median" and g.gap is not None and g.gap > 0
    ]
    if not medians:
        return ()
    best = max(medians, key=lambda g: g.gap or 0.0)
    return (Strength(best.dimension, best.gap or 0.0, False),)


def reply_gaps(gaps: Sequence[GapRow]) -> tuple[ReplyGap, ...]:
    """Competitors who answer reviews more often (first) or faster than we do."""
    return tuple(
        ReplyGap(g.versus, g.kind, g.ours, g.theirs)
        for g in sorted(gaps, key=lambda g: (g.kind != "reply_rate", g.versus))
        if g.kind in REPLY_KINDS
        and g.verdict == BEHIND
        and g.ours is not None
        and g.theirs is not None
    )
