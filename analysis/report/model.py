"""The weekly report's content, read from the stored weekly tables (nothing is recomputed).

It answers, in this order: where we stand this week and what changed since last week; the three gaps
most worth closing (with who does better and what reviews say); who climbs faster than us; where we
are uniquely strong; how each business answers its reviews; what competitors changed on their
sites; and whether the numbers can be trusted (enough reviews, floods, source health).

Everything here is numbers and names; the words are the templates' (``analysis/report/templates``),
in the report's language.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo

from sqlite_utils import Database

from analysis.ladder import review_text, rung_of
from analysis.rank import AHEAD, BEHIND
from analysis.weekly import parse_week, week_bounds, week_label
from db.queries import (
    GapRow,
    PositionRow,
    Quote,
    ReplyRow,
    SignalChangeRow,
    analysed_weeks,
    businesses,
    dimension_quotes,
    flood_days,
    signal_change_rows,
    week_gaps,
    week_positions,
    week_replies,
)

WEEKS_PER_MONTH = 52 / 12
#: Gaps shown as priorities, and weeks of history in the chart and the quotes.
PRIORITIES = 3
HISTORY_WEEKS = 12
QUOTE_CHARS = 140
#: A dimension that separates nobody still weighs this much, so a large gap is never hidden.
MIN_WEIGHT = 0.1


@dataclass(frozen=True)
class SourceStatus:
    """A source's health as ``ladder status`` judges it (handed in: the analysis does no I/O)."""

    business: str
    kind: str
    url: str
    state: str  # ok, stale, degraded, broken
    reason: str
    last_success: str | None


@dataclass(frozen=True)
class Standing:
    business: str
    is_self: bool
    enough: bool
    rank: int | None
    score: float
    low: float
    high: float
    rung: int
    delta: float | None  # score change since last week
    per_month: float | None  # velocity, rungs a month
    reviews: float  # effective reviews behind the position
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
    ours_say: tuple[str, ...]  # short quotes from our reviews faulting the dimension
    they_say: tuple[str, ...]  # short quotes from theirs praising it


@dataclass(frozen=True)
class Race:
    versus: str
    ours: float  # rungs a month
    theirs: float
    probability: float
    weeks_to_rung: float | None  # at these speeds, weeks until they lead by a whole rung


@dataclass(frozen=True)
class Strength:
    dimension: str
    lead: float  # the smallest lead over any competitor, in rungs
    unique: bool  # ahead of every competitor with confidence (else: our best against the median)


@dataclass(frozen=True)
class ReplyGap:
    versus: str
    kind: str  # reply_rate or reply_latency
    ours: float
    theirs: float


@dataclass(frozen=True)
class Trust:
    not_enough: tuple[str, ...]  # businesses without enough reviews for a position
    floods: dict[str, int]  # business → days down-weighted this week
    sources: tuple[SourceStatus, ...]
    reviews_this_week: dict[str, int]

    @property
    def unhealthy(self) -> tuple[SourceStatus, ...]:
        return tuple(s for s in self.sources if s.state != "ok")


@dataclass(frozen=True)
class Report:
    week: str
    monday: date
    generated_at: datetime
    business: str  # ours
    standings: tuple[Standing, ...]  # ranked, then the ones without enough reviews
    previous_rank: int | None
    new_gaps: tuple[tuple[str, str], ...]  # (dimension, versus) behind now, not last week
    closed_gaps: tuple[tuple[str, str], ...]  # behind last week, not now
    priorities: tuple[Priority, ...]
    races: tuple[Race, ...]
    strengths: tuple[Strength, ...]
    replies: tuple[ReplyRow, ...]
    reply_gaps: tuple[ReplyGap, ...]
    changes: tuple[SignalChangeRow, ...]
    trust: Trust
    history_weeks: tuple[str, ...]
    history: dict[str, tuple[float | None, ...]] = field(default_factory=dict)  # name → scores

    @property
    def ours(self) -> Standing:
        return next(s for s in self.standings if s.is_self)

    @property
    def ranked(self) -> int:
        return sum(1 for s in self.standings if s.rank is not None)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


class ReportError(Exception):
    """The report cannot be built for the week asked; the message says why and what to do."""


def build_report(
    db: Database,
    week: str,
    *,
    tz: tzinfo,
    sources: Sequence[SourceStatus] = (),
    now: datetime,
    segment: str = "all",
) -> Report:
    """The report of ``week`` (an analysed ISO week such as ``2026-W47``)."""
    weeks = analysed_weeks(db, segment)
    if week not in weeks:
        raise ReportError(
            f"no analysis for {week}; run `ladder analyze` (analysed: "
            f"{weeks[0] + ' to ' + weeks[-1] if weeks else 'none'})"
        )
    positions = week_positions(db, week, segment, dimension=None)
    overall = [p for p in positions if p.dimension == "overall"]
    if not any(p.is_self for p in overall):
        raise ReportError(
            f"{week} has no position for our business; check [business] in the config"
        )
    gaps = week_gaps(db, week, segment)
    index = weeks.index(week)
    previous = weeks[index - 1] if index else None
    history_weeks = tuple(weeks[max(0, index - HISTORY_WEEKS + 1) : index + 1])
    monday = parse_week(week)
    ids = {b.name: b.id for b in businesses(db)}
    quotes_from, _ = week_bounds(parse_week(history_weeks[0]), tz)
    _, quotes_to = week_bounds(monday, tz)

    standings = tuple(_standing(p) for p in overall)
    ours = next(s for s in standings if s.is_self)
    previous_overall = week_positions(db, previous, segment) if previous else []
    previous_gaps = week_gaps(db, previous, segment) if previous else []
    behind_now = _behind(gaps)
    behind_before = _behind(previous_gaps)

    def quotes(name: str, dimension: str, positive: bool) -> tuple[str, ...]:
        found = dimension_quotes(db, ids[name], dimension, positive, quotes_from, quotes_to)
        return tuple(quote_of(q) for q in found)

    priorities = tuple(
        replace(
            priority,
            ours_say=quotes(ours.business, priority.dimension, False),
            they_say=quotes(priority.versus, priority.dimension, True),
        )
        for priority in choose_priorities(positions, gaps)
    )
    changes_since, _ = week_bounds(monday, tz)
    return Report(
        week=week,
        monday=monday,
        generated_at=now.astimezone(tz),
        business=ours.business,
        standings=standings,
        previous_rank=next((p.rank for p in previous_overall if p.is_self), None),
        new_gaps=tuple(sorted(behind_now - behind_before)),
        closed_gaps=tuple(sorted(behind_before - behind_now)),
        priorities=priorities,
        races=_races(gaps, standings),
        strengths=_strengths(gaps),
        replies=tuple(week_replies(db, week)),
        reply_gaps=tuple(
            ReplyGap(g.versus, g.kind, g.ours, g.theirs)
            for g in sorted(gaps, key=lambda g: (g.kind != "reply_rate", g.versus))
            if g.kind in ("reply_rate", "reply_latency")
            and g.verdict == BEHIND
            and g.ours is not None
            and g.theirs is not None
        ),
        changes=tuple(signal_change_rows(db, since=changes_since)),
        trust=Trust(
            not_enough=tuple(s.business for s in standings if not s.enough),
            floods=flood_days(db, week),
            sources=tuple(sources),
            reviews_this_week={p.business: p.reviews for p in overall},
        ),
        history_weeks=history_weeks,
        history=_history(db, history_weeks, segment),
    )


def _standing(p: PositionRow) -> Standing:
    return Standing(
        business=p.business,
        is_self=p.is_self,
        enough=p.enough,
        rank=p.rank,
        score=p.score,
        low=p.low,
        high=p.high,
        rung=rung_of(p.score),
        delta=p.delta,
        per_month=None if p.velocity is None else p.velocity * WEEKS_PER_MONTH,
        reviews=p.n_effective,
        shares=tuple(p.shares),
    )


def _behind(gaps: Sequence[GapRow]) -> set[tuple[str, str]]:
    return {
        (g.dimension, g.versus)
        for g in gaps
        if g.kind == "score" and g.verdict == BEHIND and g.versus not in ("median", "best")
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


def choose_priorities(
    positions: Sequence[PositionRow], gaps: Sequence[GapRow], *, count: int = PRIORITIES
) -> list[Priority]:
    """The gaps most worth closing: per dimension, the competitor we trail most; ordered by the
    size of the gap times the dimension's weight in this market (overall is not a dimension)."""
    weights = dimension_weights(positions)
    worst: dict[str, GapRow] = {}
    for gap in gaps:
        if (
            gap.kind != "score"
            or gap.verdict != BEHIND
            or gap.dimension == "overall"
            or gap.versus in ("median", "best")
            or gap.gap is None
        ):
            continue
        if gap.dimension not in worst or gap.gap < (worst[gap.dimension].gap or 0.0):
            worst[gap.dimension] = gap
    ordered = sorted(
        worst.values(),
        key=lambda g: (g.gap or 0.0) * weights.get(g.dimension, MIN_WEIGHT),
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
            ours_say=(),
            they_say=(),
        )
        for g in ordered[:count]
    ]


def _races(gaps: Sequence[GapRow], standings: Sequence[Standing]) -> tuple[Race, ...]:
    scores = {s.business: s.score for s in standings if s.enough}
    ours = next(s for s in standings if s.is_self)
    races = []
    for gap in gaps:
        if gap.kind != "velocity" or gap.verdict != BEHIND or gap.versus in ("median", "best"):
            continue
        mine, theirs = gap.ours or 0.0, gap.theirs or 0.0
        lead = scores.get(gap.versus, ours.score) - ours.score
        weeks = (1 - lead) / (theirs - mine) if theirs > mine and lead < 1 else None
        races.append(
            Race(
                gap.versus,
                mine * WEEKS_PER_MONTH,
                theirs * WEEKS_PER_MONTH,
                gap.probability or 0.0,
                weeks,
            )
        )
    return tuple(sorted(races, key=lambda r: r.ours - r.theirs))


def _strengths(gaps: Sequence[GapRow]) -> tuple[Strength, ...]:
    """Dimensions where we lead every competitor with confidence; failing that, the dimension
    where we lead the competitors' median the most (so there is always something to protect)."""
    by_dimension: dict[str, list[GapRow]] = {}
    for gap in gaps:
        if gap.kind == "score" and gap.dimension != "overall":
            by_dimension.setdefault(gap.dimension, []).append(gap)
    unique = []
    for dimension, rows in by_dimension.items():
        named = [g for g in rows if g.versus not in ("median", "best")]
        if named and all(g.verdict == AHEAD for g in named):
            unique.append(Strength(dimension, min(g.gap or 0.0 for g in named), True))
    if unique:
        return tuple(sorted(unique, key=lambda s: -s.lead))
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


def _history(
    db: Database, weeks: Sequence[str], segment: str
) -> dict[str, tuple[float | None, ...]]:
    """Each business's overall score per week (None without enough reviews)."""
    by_week = {week: {p.business: p for p in week_positions(db, week, segment)} for week in weeks}
    names = list(dict.fromkeys(name for rows in by_week.values() for name in rows))
    return {
        name: tuple(
            by_week[week][name].score
            if name in by_week[week] and by_week[week][name].enough
            else None
            for week in weeks
        )
        for name in names
    }


_CLAUSE = re.compile(r"[.!?…\n;]")


def quote_of(quote: Quote, limit: int = QUOTE_CHARS) -> str:
    """The clause around an evidence span, trimmed to ``limit`` characters with ellipses: a short
    quote, never the whole review (and never the reviewer's name, which is not stored)."""
    text = review_text(quote.title, quote.body, quote.answers)
    start = max(0, min(quote.start, len(text)))
    end = max(start, min(quote.end, len(text)))
    before = [m.end() for m in _CLAUSE.finditer(text, 0, start)]
    clause_start = before[-1] if before else 0
    after = _CLAUSE.search(text, end)
    clause_end = after.start() + 1 if after else len(text)
    clause_start = max(clause_start, end - limit)
    clause_end = min(clause_end, max(end, clause_start + limit))
    snippet = " ".join(text[clause_start:clause_end].split())
    if clause_start > 0 and not _CLAUSE.match(text[clause_start - 1 : clause_start] or "."):
        snippet = "…" + snippet
    if clause_end < len(text) and not snippet.endswith((".", "!", "?", "…")):
        snippet += "…"
    return snippet


def week_of(moment: datetime, tz: tzinfo) -> str:
    """The label of the week ``moment`` falls in (in ``tz``)."""
    day = moment.astimezone(tz).date()
    return week_label(day - timedelta(days=day.weekday()))
