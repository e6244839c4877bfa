"""Bring the stored analysis up to date: classify the reviews that need it, then recompute the
weekly tables when anything changed. The reading and writing around the pure analysis
(:func:`analysis.ladder.classify_stored`, :class:`analysis.weekly.WeekWalker`) happens here.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlite_utils import Database

from analysis.ladder import analysis_version, classify_stored
from analysis.model import LadderModel, default_model, load_model
from analysis.settings import AnalysisSettings
from analysis.weekly import WeekInput, WeekWalker, weeks_to_compute
from analysis.weeks import last_complete_week, mondays, week_bounds, week_label
from db.queries import (
    businesses,
    published_span,
    reply_signatures,
    reply_stats,
    review_state,
    reviews_to_classify,
    rung_counts,
    setting,
    source_kinds,
)
from db.rows import utc_iso
from db.store import prepare_segments, replace_week, set_setting, store_classifications
from scheduler import clock
from scheduler.config import Config
from scheduler.words import words

#: The ``settings`` key holding what the stored weeks were computed from.
ANALYSIS_STATE = "analysis_state"


@dataclass
class WeeklySummary:
    weeks: int = 0
    first: str | None = None
    last: str | None = None
    flagged_days: int = 0


@dataclass(frozen=True)
class AnalysisOutcome:
    classified: int
    weekly: WeeklySummary | None  # None: nothing had changed, the stored weeks are current
    version: str


def ladder_model(settings: AnalysisSettings) -> LadderModel:
    """The model ``[analysis] model`` names, else the one shipped with the package."""
    return load_model(settings.model) if settings.model else default_model()


def classify_reviews(
    db: Database,
    *,
    now: datetime | None = None,
    on_batch: Callable[[int], None] | None = None,
    model: LadderModel | None = None,
) -> int:
    """Classify every stored review that has no current rung, batch by batch; returns how many
    were classified."""
    model = model or default_model()
    version = analysis_version(model)
    classified_at = utc_iso(now)
    done = 0
    for batch in reviews_to_classify(db, version):
        found = classify_stored(batch, version=version, classified_at=classified_at, model=model)
        store_classifications(db, found.rungs, found.dimensions)
        done += len(batch)
        if on_batch is not None:
            on_batch(done)
    return done


def compute_weekly(
    db: Database,
    settings: AnalysisSettings,
    tz: tzinfo,
    *,
    now: datetime | None = None,
    on_week: Callable[[str], None] | None = None,
) -> WeeklySummary:
    """Compute and store every week from the first review to the last complete week, one week
    read, computed and replaced (in one transaction) at a time."""
    now = now or clock.now()
    summary = WeeklySummary()
    span = published_span(db)
    if span is None:
        return summary
    prepare_segments(db)
    walker = WeekWalker(
        businesses(db),
        source_kinds(db),
        settings,
        computed_at=utc_iso(now),
        version=analysis_version(ladder_model(settings)),
    )
    oldest = datetime.fromisoformat(span[0].replace("Z", "+00:00"))
    for monday in mondays(*weeks_to_compute(oldest, now, tz)):
        start, end = week_bounds(monday, tz)
        week = WeekInput(
            monday,
            rung_counts(db, start, end),
            reply_stats(db, start, end),
            reply_signatures(db, start, end),
        )
        tables = walker.week(week)
        label = week_label(monday)
        replace_week(db, label, tables)
        summary.weeks += 1
        summary.first = summary.first or label
        summary.last = label
        summary.flagged_days += sum(1 for f in tables["weekly_flags"] if f["kind"] == "flood")
        if on_week is not None:
            on_week(label)
    return summary


def analyze(
    db: Database,
    settings: AnalysisSettings,
    tz: tzinfo,
    *,
    now: datetime | None = None,
    force: bool = False,
    on_progress: Callable[[str], None] | None = None,
) -> AnalysisOutcome:
    """Classify new or changed reviews, then recompute the weekly tables if anything changed
    (reviews, the analysis version, the settings, or a new week has ended)."""
    now = now or clock.now()
    model = ladder_model(settings)
    classified = classify_reviews(
        db,
        now=now,
        on_batch=lambda n: on_progress and on_progress(f"classified {n} reviews"),
        model=model,
    )
    state = json.dumps(
        {
            "version": analysis_version(model),
            "settings": dataclasses.asdict(settings),
            "tz": str(tz),
            "reviews": review_state(db),
            "week": week_label(last_complete_week(now, tz)),
        },
        sort_keys=True,
    )
    if not force and not classified and setting(db, ANALYSIS_STATE) == state:
        return AnalysisOutcome(classified, None, analysis_version(model))
    summary = compute_weekly(db, settings, tz, now=now, on_week=on_progress)
    set_setting(db, ANALYSIS_STATE, state)
    return AnalysisOutcome(classified, summary, analysis_version(model))


def run_analysis(
    db: Database, config: Config, *, force: bool = False, now: datetime | None = None
) -> AnalysisOutcome:
    """Bring the stored analysis up to date with the config's settings (cheap when nothing
    changed)."""
    return analyze(db, config.analysis, config.timezone, now=now or clock.now(), force=force)


def describe_analysis(outcome: AnalysisOutcome, language: str = "en") -> str:
    """What the analysis did, in one sentence of ``language``."""
    said, weekly = words(language), outcome.weekly
    if weekly is None:
        return said["classified_current"].format(n=outcome.classified)
    if not weekly.weeks:
        return said["classified_no_week"].format(n=outcome.classified)
    floods = said["floods"].format(n=weekly.flagged_days) if weekly.flagged_days else ""
    return said["classified"].format(
        n=outcome.classified,
        version=outcome.version,
        weeks=weekly.weeks,
        first=weekly.first,
        last=weekly.last,
        floods=floods,
    )
