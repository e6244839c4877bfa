"""The analysis as the CLI and jobs run it: settings and time zone from the config, weeks chosen
and checked, outcomes described; and the sources' health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from analysis.weekly import AnalysisOutcome, analyze, parse_week, week_label
from crawler.health import SourceHealth, source_health
from db.queries import SourceRow, analysed_segments, analysed_weeks, source_runs, sources
from scheduler.config import Config


class AnalysisError(Exception):
    """The analysis cannot answer the question asked; the message says what to ask instead."""


def run_analysis(
    db: Database, config: Config, *, force: bool = False, now: datetime | None = None
) -> AnalysisOutcome:
    """Bring the stored analysis up to date (cheap when nothing changed)."""
    return analyze(db, config.analysis, config.timezone, now=now or datetime.now(UTC), force=force)


def describe_analysis(outcome: AnalysisOutcome) -> str:
    weekly = outcome.weekly
    if weekly is None:
        return (
            f"Classified {outcome.classified} new reviews; the weekly tables were already current."
        )
    if not weekly.weeks:
        return f"Classified {outcome.classified} reviews; no complete week of reviews yet."
    floods = f", {weekly.flagged_days} flood day(s) down-weighted" if weekly.flagged_days else ""
    return (
        f"Classified {outcome.classified} reviews (analysis {outcome.version}); "
        f"computed {weekly.weeks} weeks, {weekly.first} to {weekly.last}{floods}."
    )


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
