"""The weekly report's content, from the stored weekly tables (nothing is recomputed).

It answers, in this order: where we stand this week and what changed since last week; the three gaps
most worth closing (with who does better and what reviews say); who climbs faster than us; where we
are uniquely strong; how each business answers its reviews; what competitors changed on their
sites; and whether the numbers can be trusted (enough reviews, floods, source health). The
standings, gaps, races and strengths are :mod:`analysis.standings`' (``ladder rank`` shows the same).

Pure: the composition root reads the rows (:class:`ReportInputs`, with the quotes
:func:`quotes_wanted` asks for) and :func:`build_report` assembles them. Everything here is numbers
and names; the words are the templates' (``analysis/report/templates``), in the report's language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo

from analysis.report.quotes import QuotePicker
from analysis.standings import (
    Priority,
    Race,
    ReplyGap,
    Standing,
    Strength,
    behind,
    gaps_to_close,
    week_standings,
)
from analysis.weeks import parse_week
from db.exceptions import ReportError
from db.rows import GapRow, PositionRow, Quote, ReplyRow, SignalChangeRow

#: Gaps shown as priorities, and weeks of history in the chart and the quotes.
PRIORITIES = 3
HISTORY_WEEKS = 12
#: Quotes shown per priority, from our reviews and from the competitor's.
QUOTES_SHOWN = 3
#: Quotes read per wish of :func:`quotes_wanted`: more than are shown, so that a review whose
#: remark sits beside the opposite, or that another priority already quotes, can be passed over,
#: and the phrase each side says most is counted on more than a handful.
QUOTES = 12


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


#: A wish for quotes: (business, dimension, praise?) — ours faulting it, theirs praising it.
QuoteKey = tuple[str, str, bool]


@dataclass(frozen=True)
class ReportInputs:
    """The stored rows a report is built from (the composition root reads them)."""

    week: str
    weeks: Sequence[str]  # the analysed weeks of the segment, oldest first
    positions: Sequence[PositionRow]  # this week, every dimension
    gaps: Sequence[GapRow]  # this week
    previous_positions: Sequence[PositionRow]  # the analysed week before, overall
    previous_gaps: Sequence[GapRow]
    replies: Sequence[ReplyRow]
    changes: Sequence[SignalChangeRow]
    floods: Mapping[str, int]
    history: Mapping[str, Sequence[PositionRow]]  # week of history_weeks() → overall positions
    quotes: Mapping[QuoteKey, Sequence[Quote]]  # as asked by quotes_wanted()
    sources: Sequence[SourceStatus] = ()


def history_weeks(weeks: Sequence[str], week: str) -> tuple[str, ...]:
    """The weeks the chart and the quotes span: up to :data:`HISTORY_WEEKS` ending with ``week``."""
    index = list(weeks).index(week)
    return tuple(weeks[max(0, index - HISTORY_WEEKS + 1) : index + 1])


def previous_week(weeks: Sequence[str], week: str) -> str | None:
    index = list(weeks).index(week)
    return weeks[index - 1] if index else None


def check_week(weeks: Sequence[str], week: str) -> None:
    """Raise :class:`ReportError` unless ``week`` was analysed."""
    if week not in weeks:
        raise ReportError(
            f"no analysis for {week}; run `ladder analyze` (analysed: "
            f"{weeks[0] + ' to ' + weeks[-1] if weeks else 'none'})"
        )


def quotes_wanted(positions: Sequence[PositionRow], gaps: Sequence[GapRow]) -> list[QuoteKey]:
    """The quotes the report shows: for each priority, our reviews faulting the dimension and the
    competitor's praising it."""
    ours = next((p.business for p in positions if p.is_self and p.dimension == "overall"), None)
    if ours is None:
        return []
    wanted: list[QuoteKey] = []
    for priority in gaps_to_close(positions, gaps)[:PRIORITIES]:
        wanted += [(ours, priority.dimension, False), (priority.versus, priority.dimension, True)]
    return wanted


def build_report(inputs: ReportInputs, *, now: datetime, tz: tzinfo) -> Report:
    """The report of ``inputs.week`` (an analysed ISO week such as ``2026-W47``)."""
    week = inputs.week
    check_week(inputs.weeks, week)
    overall = [p for p in inputs.positions if p.dimension == "overall"]
    if not any(p.is_self for p in overall):
        raise ReportError(
            f"{week} has no position for our business; check [business] in the config"
        )
    standing = week_standings(week, "all", inputs.positions, inputs.gaps, inputs.floods)
    ours = next(s for s in standing.standings if s.is_self)
    behind_now = behind(inputs.gaps)
    behind_before = behind(inputs.previous_gaps)

    picker = QuotePicker(QUOTES_SHOWN)
    priorities = []
    for priority in standing.priorities[:PRIORITIES]:
        ours_say, complaint = picker.pick(
            inputs.quotes.get((ours.business, priority.dimension, False), ()), praise=False
        )
        they_say, practice = picker.pick(
            inputs.quotes.get((priority.versus, priority.dimension, True), ()), praise=True
        )
        priorities.append(
            replace(
                priority,
                ours_say=ours_say,
                they_say=they_say,
                complaint=complaint,
                practice=practice,
            )
        )
    weeks = history_weeks(inputs.weeks, week)
    return Report(
        week=week,
        monday=parse_week(week),
        generated_at=now.astimezone(tz),
        business=ours.business,
        standings=standing.standings,
        previous_rank=next(
            (p.rank for p in inputs.previous_positions if p.is_self and p.dimension == "overall"),
            None,
        ),
        new_gaps=tuple(sorted(behind_now - behind_before)),
        closed_gaps=tuple(sorted(behind_before - behind_now)),
        priorities=tuple(priorities),
        races=standing.races,
        strengths=standing.strengths,
        replies=tuple(inputs.replies),
        reply_gaps=standing.reply_gaps,
        changes=tuple(inputs.changes),
        trust=Trust(
            not_enough=tuple(s.business for s in standing.standings if not s.enough),
            floods=dict(inputs.floods),
            sources=tuple(inputs.sources),
            reviews_this_week={p.business: p.reviews for p in overall},
        ),
        history_weeks=weeks,
        history=_history(inputs.history, weeks),
    )


def _history(
    positions: Mapping[str, Sequence[PositionRow]], weeks: Sequence[str]
) -> dict[str, tuple[float | None, ...]]:
    """Each business's overall score per week (None without enough reviews)."""
    by_week = {
        week: {p.business: p for p in positions.get(week, ()) if p.dimension == "overall"}
        for week in weeks
    }
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
