"""What the views read of the stored analysis: the week asked for (checked), the sources' health,
a week's standings, and everything the weekly report shows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo

from sqlite_utils import Database

from analysis.report.model import (
    QUOTES,
    ReportInputs,
    SourceStatus,
    check_week,
    history_weeks,
    previous_week,
    quotes_wanted,
)
from analysis.standings import WeekStandings, week_standings
from analysis.weeks import parse_week, week_bounds, week_label
from crawler.health import SourceHealth, source_health
from db.exceptions import AnalysisError
from db.queries import (
    analysed_segments,
    analysed_weeks,
    businesses,
    dimension_quotes,
    flood_days,
    signal_change_rows,
    source_runs,
    sources,
    week_gaps,
    week_positions,
    week_replies,
)
from db.rows import SourceRow
from scheduler.config import Config


def choose_week(db: Database, week: str | None, segment: str) -> str:
    """The week asked for, checked, or the last analysed one."""
    segments = analysed_segments(db)
    if segments and segment not in segments:
        raise AnalysisError(
            f"no segment {segment!r}; the database has: {', '.join(sorted(segments))}"
        )
    weeks = analysed_weeks(db, segment)
    if not weeks:
        raise AnalysisError("no complete week of reviews to rank yet; crawl first (`ladder crawl`)")
    if week is None:
        return weeks[-1]
    try:
        label = week_label(parse_week(week))
    except ValueError:
        raise AnalysisError(f"{week!r} is not an ISO week; write it like 2026-W47") from None
    if label not in weeks:
        raise AnalysisError(
            f"no analysis for {label}; analysed weeks run from {weeks[0]} to {weeks[-1]}"
        )
    return label


def source_states(
    db: Database, config: Config, now: datetime
) -> list[tuple[SourceRow, SourceHealth]]:
    """Every source in the database with its health (``ladder status``, the weekly report)."""
    stale_after = timedelta(hours=config.schedule.stale_after_hours)
    return [
        (source, source_health(source_runs(db, source.id), now=now, stale_after=stale_after))
        for source in sources(db)
    ]


def read_report_inputs(
    db: Database,
    week: str,
    *,
    tz: tzinfo,
    sources: Sequence[SourceStatus] = (),
    segment: str = "all",
) -> ReportInputs:
    """Every stored row the report of ``week`` shows (:func:`analysis.report.model.build_report`
    assembles them)."""
    weeks = analysed_weeks(db, segment)
    check_week(weeks, week)
    positions = week_positions(db, week, segment, dimension=None)
    gaps = week_gaps(db, week, segment)
    previous = previous_week(weeks, week)
    history = history_weeks(weeks, week)
    ids = {b.name: b.id for b in businesses(db)}
    quotes_from, _ = week_bounds(parse_week(history[0]), tz)
    _, quotes_to = week_bounds(parse_week(week), tz)
    changes_since, _ = week_bounds(parse_week(week), tz)
    return ReportInputs(
        week=week,
        weeks=weeks,
        positions=positions,
        gaps=gaps,
        previous_positions=week_positions(db, previous, segment) if previous else [],
        previous_gaps=week_gaps(db, previous, segment) if previous else [],
        replies=week_replies(db, week),
        changes=signal_change_rows(db, since=changes_since),
        floods=flood_days(db, week),
        history={w: week_positions(db, w, segment) for w in history},
        quotes={
            (name, dimension, positive): dimension_quotes(
                db, ids[name], dimension, positive, quotes_from, quotes_to, limit=QUOTES
            )
            for name, dimension, positive in quotes_wanted(positions, gaps)
            if name in ids
        },
        sources=sources,
    )


def source_statuses(db: Database, config: Config, now: datetime) -> list[SourceStatus]:
    return [
        SourceStatus(
            business=source.business,
            kind=source.kind,
            url=source.url,
            state=health.state,
            reason=health.reason,
            last_success=health.last_success,
        )
        for source, health in source_states(db, config, now)
    ]


def read_standings(db: Database, week: str, segment: str = "all") -> WeekStandings:
    """The standings of an analysed week (:func:`analysis.standings.week_standings`)."""
    return week_standings(
        week,
        segment,
        week_positions(db, week, segment, dimension=None),
        week_gaps(db, week, segment),
        flood_days(db, week),
    )
