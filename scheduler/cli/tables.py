"""How results look in a terminal: rich tables and the live progress of a crawl."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from sqlite_utils import Database

from analysis.evaluate import Evaluation
from analysis.report.i18n import LANGUAGES, translations
from analysis.signals import LABELS, current_values, label, signal_changes
from analysis.vocabulary import DIMENSION_KEYS
from analysis.weeks import parse_week, week_bounds
from crawler.health import SourceHealth
from db import open_db
from db.exceptions import AnalysisError
from db.queries import (
    business_evidence,
    businesses,
    crawl_run,
    latest_replies,
    signal_observations,
    week_gaps,
    week_positions,
)
from db.rows import BusinessSummary, CrawlRun, ReplyRow, SignalChangeRow, SourceRow
from scheduler.analyze.readers import read_standings
from scheduler.cli.ranking import (
    TEXT,
    evidence_summary,
    explain_table,
    findings,
    rank_json,
    rank_table,
)
from scheduler.config import Config
from scheduler.crawl.targets import CrawlOutcome, CrawlTarget
from scheduler.service.timetable import PlannedJob
from scheduler.slugs import match_name
from scheduler.words import Number, words

# Sentences are soft-wrapped (never broken inside a path or a number); tables fit the terminal.
console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False)


def _number(value: float | None, language: str = "en", digits: int = 2) -> str:
    return "–" if value is None else f"{Number(value, language):.{digits}f}"


def business_table(summaries: Sequence[BusinessSummary], language: str = "en") -> Table:
    said = words(language)
    table = Table(title=said["businesses"])
    for key in ("business", "reviews", "mean_rating", "reply_rate", "newest", "languages"):
        table.add_column(said[key], justify="left" if key in ("business", "languages") else "right")
    for summary in summaries:
        name = said["us"].format(name=summary.name) if summary.is_self else summary.name
        languages = ", ".join(
            f"{said.get(f'lang_{lang}', lang)} {n}"
            for lang, n in sorted(summary.languages.items(), key=lambda item: -item[1])
        )
        table.add_row(
            f"[bold]{escape(name)}[/bold]" if summary.is_self else escape(name),
            str(summary.reviews),
            _number(summary.mean_rating, language),
            "–" if summary.reply_rate is None else f"{summary.reply_rate:.0%}",
            (summary.newest_at or "–")[:10],
            languages or "–",
        )
    return table


def crawl_table(outcomes: Sequence[CrawlOutcome], language: str = "en") -> Table:
    said = words(language)
    table = Table(title=said["crawl"])
    for key in ("source", "pages", "reviews", "new", "changed", "dropped", "health"):
        table.add_column(said[key], justify="left" if key in ("source", "health") else "right")
    for outcome in outcomes:
        run = outcome.run
        if run is None:
            skipped = f"[yellow]{said['skipped']}[/yellow]"
            table.add_row(escape(outcome.target.label), "", "", "", "", "", skipped)
            continue
        health = f"[green]{said['ok']}[/green]" if run.ok else f"[red]{said['unhealthy']}[/red]"
        table.add_row(
            escape(outcome.target.label),
            str(run.pages),
            str(run.reviews_parsed),
            str(run.reviews_new),
            str(run.reviews_changed),
            str(run.dropped),
            health,
        )
    return table


def print_crawl(outcomes: Sequence[CrawlOutcome], language: str = "en") -> None:
    """The crawl table, then one line per source that needs attention: why, and where the log is."""
    console.print(crawl_table(outcomes, language))
    for outcome in outcomes:
        run = outcome.run
        if run is None:
            label, why = escape(outcome.target.label), escape(outcome.skipped or "")
            skipped = words(language)["skipped_because"].format(why=why)
            console.print(f"[yellow]{label}[/yellow]: {skipped}")
        elif not run.ok:
            label, why = escape(outcome.target.label), escape(run.health or "")
            console.print(f"[red]{label}[/red]: {why} (log: {run.log_path})")


class CrawlProgress:
    """Shows every running crawl's figures, read from its ``crawl_runs`` row twice a second."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.said = words(config.report.language)
        self.runs: dict[int, CrawlTarget] = {}
        self.lock = threading.Lock()

    def started(self, target: CrawlTarget, run_id: int) -> None:
        with self.lock:
            self.runs[run_id] = target
        if not console.is_terminal:  # a log, not a live display
            console.print(self.said["crawling"].format(label=target.label, run=run_id))

    def _table(self) -> Table:
        table = Table.grid(padding=(0, 2))
        with self.lock:
            runs = dict(self.runs)
        if not runs:
            table.add_row(self.said["starting"])
            return table
        with contextlib.closing(open_db(self.config.database, migrate=False)) as db:
            for run_id, target in runs.items():
                run: CrawlRun = crawl_run(db, run_id)
                said = self.said
                table.add_row(
                    target.label,
                    said["done"] if run.finished_at else said["running"],
                    f"{run.pages} {said['pages']}",
                    f"{run.reviews_parsed} {said['reviews']}",
                )
        return table

    @contextlib.contextmanager
    def shown(self) -> Iterator[None]:
        if not console.is_terminal:
            yield
            return
        stop = threading.Event()
        with Live(self._table(), console=console, transient=True) as live:

            def refresh() -> None:
                while not stop.wait(0.5):
                    live.update(self._table())

            thread = threading.Thread(target=refresh, daemon=True)
            thread.start()
            try:
                yield
            finally:
                stop.set()
                thread.join()


def evaluation_table(evaluation: Evaluation, name: str) -> Group:
    """The evaluation's rows, the dimensions' micro-F1 and the calibration of the confidence."""
    how = (
        f"{evaluation.cross_validated}-fold cross-validated: the model's decision was fitted on "
        "some of these lines, so each line is predicted by a model fitted on the other folds"
        if evaluation.cross_validated
        else "the model was not fitted on these lines"
    )
    table = Table(title=f"Ladder against labels: {name}", caption=how)
    for column in ("method", "lines", "n", "exact", "within one", "macro-F1", "kappa (quadratic)"):
        table.add_column(column, justify="left" if column in ("method", "lines") else "right")
    for row in evaluation.rows:
        s = row.scores
        style = "bold" if row.method.startswith("ladder") else ""
        table.add_row(
            row.method,
            row.subset,
            str(s.n),
            f"{s.exact:.3f}",
            f"{s.within_one:.3f}",
            f"{s.macro_f1:.3f}",
            f"{s.kappa:.3f}",
            style=style,
        )
    parts: list[Any] = [table]
    dimensions = evaluation.dimensions
    if dimensions is not None:
        parts.append(
            f"Service dimensions ({dimensions.n} lines, against the dimensions the readers saw): "
            f"micro-F1 {dimensions.micro_f1:.3f} (precision {dimensions.precision:.3f}, recall "
            f"{dimensions.recall:.3f})"
        )
    calibration = Table(title="Calibration: how often the ladder is right at each confidence")
    for column in ("confidence", "lines", "right"):
        calibration.add_column(column, justify="right")
    for bucket in evaluation.calibration:
        calibration.add_row(
            f"{bucket.low:.1f}–{bucket.high:.1f}", str(bucket.n), f"{bucket.accuracy:.3f}"
        )
    parts.append(calibration)
    return Group(*parts)


def show_rank(db: Database, week: str, segment: str, language: str, *, as_json: bool) -> Any:
    """The ranking of ``week`` as JSON text, or as a table followed by what it means for us."""
    standings = read_standings(db, week, segment)
    if as_json:
        return rank_json(standings, language)
    lines = findings(standings, language=language)
    return Group(rank_table(standings, language=language), *(escape(line) for line in lines))


def show_explanation(db: Database, config: Config, business: str, week: str) -> Group:
    known = {b.name: b for b in businesses(db)}
    business = match_name(business, known, where="in the database")
    target = known[business]
    language = config.report.language
    positions = [p for p in week_positions(db, week, "all", None) if p.business_id == target.id]
    positions.sort(key=lambda p: DIMENSION_KEYS.index(p.dimension))
    gaps = week_gaps(db, week, "all") if target.is_self else []
    weeks = config.analysis.velocity_weeks
    monday = parse_week(week)
    start, _ = week_bounds(monday - timedelta(weeks=weeks - 1), config.timezone)
    _, end = week_bounds(monday, config.timezone)
    evidence = Table(title=TEXT[language]["evidence"].format(weeks=weeks), show_header=False)
    evidence.add_column("signal")
    evidence.add_column("spans")
    for signal, spans in evidence_summary(business_evidence(db, target.id, start, end)):
        # Review text is untrusted: "[/b]" in a review must print as text, not as rich markup.
        evidence.add_row(signal, escape("; ".join(f"“{text}” ×{count}" for text, count in spans)))
    return Group(explain_table(business, positions, gaps, week=week, language=language), evidence)


def jobs_table(upcoming: Iterable[tuple[PlannedJob, datetime | None]], config: Config) -> Table:
    table = Table(
        title=f"Scheduled jobs ({config.schedule.timezone}, up to {config.schedule.jitter:g} s of jitter)"
    )
    for column in ("job", "what", "cron", "next run"):
        table.add_column(column)
    for job, moment in upcoming:
        next_run = moment.strftime("%Y-%m-%d %H:%M %a") if moment else "never"
        table.add_row(job.id, job.description, job.expression, next_run)
    return table


_STATE_STYLE = {"ok": "green", "stale": "yellow", "degraded": "yellow", "broken": "red"}


def local_time(stamp: str | None, tz: tzinfo) -> str:
    """``"2026-11-29T17:05:00Z"`` as ``"2026-11-30 00:05 (+07)"``: the zone's time, labelled."""
    if not stamp:
        return "never"
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(tz)
    offset = moment.strftime("%z")
    label = offset[:3] if offset.endswith("00") else f"{offset[:3]}:{offset[3:]}"
    return f"{moment:%Y-%m-%d %H:%M} ({label})"


def status_table(rows: Sequence[tuple[SourceRow, SourceHealth]], tz: tzinfo) -> Table:
    table = Table(title="Sources")
    for column in ("source", "state", "last success", "last crawl", "why"):
        table.add_column(column)
    for source, health in rows:
        run = health.last_run
        last = (
            f"{local_time(run.started_at, tz)}: {run.pages} pages, "
            f"{run.reviews_parsed} read, {run.reviews_new} new, {run.dropped} dropped"
            if run
            else "–"
        )
        why = escape(health.reason)
        if run is not None and health.state != "ok" and run.log_path:
            why += f" (log: {escape(run.log_path)})"
        style = _STATE_STYLE.get(health.state, "")
        table.add_row(
            escape(f"{source.business} · {source.kind}"),
            f"[{style}]{health.state}[/{style}]",
            local_time(health.last_success, tz),
            last,
            why,
        )
    return table


def show_signals(db: Database, business: str | None = None, language: str = "en") -> Group:
    """Each business's latest service signals side by side (its site's latest crawl, and its owner
    replies in the latest analysed week), then what changed since its site's previous crawl."""
    if business is not None:
        business = match_name(business, [b.name for b in businesses(db)], where="in the database")
    rows = [
        r for r in signal_observations(db, last=2) if business is None or r.business == business
    ]
    replies = [r for r in latest_replies(db) if business is None or r.business == business]
    if not rows and not replies:
        where = f" for {business}" if business else ""
        raise AnalysisError(
            f'no service signals{where} yet: add a source of kind "signals" with the business\'s '
            "site and run `ladder crawl --source signals` (and `ladder analyze` for reply figures)"
        )
    from analysis.report.render import change_text, signal_value  # jinja2: only when shown

    def show(name: str, value: Any, unit: str | None) -> str:
        return signal_value(name, value, unit, language)

    observations: dict[int, list[str]] = {}
    for row in rows:
        dates = observations.setdefault(row.source_id, [])
        if row.observed_at not in dates:
            dates.append(row.observed_at)
    values: dict[str, dict[str, str]] = {}
    lines = []
    for source_id, dates in observations.items():
        of_source = [r for r in rows if r.source_id == source_id]
        name = of_source[0].business
        current = [(r.name, r.value, r.unit) for r in of_source if r.observed_at == dates[0]]
        values.setdefault(name, {}).update(current_values(current, show))
        if len(dates) > 1:
            before = [(r.name, r.value, r.unit) for r in of_source if r.observed_at == dates[1]]
            for change in signal_changes(before, current):
                since = words(language)["since"].format(day=dates[1][:10])
                shown = SignalChangeRow(
                    name, False, change.kind, change.name, change.before, change.after,
                    change.unit, dates[0],
                )  # fmt: skip
                lines.append(f"{name}: {change_text(shown, language)} ({since})")
    for reply in replies:
        values.setdefault(reply.business, {}).update(_reply_values(reply, language))
    said = words(language)
    week = said["signals_replies"].format(week=replies[0].week) if replies else ""
    table = Table(title=said["signals_title"].format(replies=week))
    table.add_column(said["signal"], no_wrap=True)
    names = list(values)
    for name in names:
        table.add_column(escape(name))
    order = {name: position for position, name in enumerate(LABELS)}
    for signal in sorted(
        {s for v in values.values() for s in v}, key=lambda s: (order.get(s, 99), s)
    ):
        table.add_row(
            _said(label(signal), language),
            *(escape(values[name].get(signal, "–")) for name in names),
        )
    changes = lines or ([said["no_change"]] if rows else [])
    return Group(table, *(escape(line) for line in changes))


def _said(text: str, language: str) -> str:
    """A signal's label or value in ``language``, from the report's catalogue ("live chat" →
    "chat trực tuyến"); as it is when the catalogue does not have it."""
    return translations(language).gettext(text) if language in LANGUAGES else text


def _reply_values(reply: ReplyRow, language: str) -> dict[str, str]:
    """Owner-reply figures as signal rows: rates with their 90% interval."""
    said = words(language)

    def rate(share: float | None, low: float | None, high: float | None, n: int) -> str | None:
        if share is None or low is None or high is None:
            return None
        return said["rate_of"].format(share=share, low=low, high=high, n=n)

    shown = {
        "replies.rate": rate(reply.reply_rate, reply.rate_low, reply.rate_high, reply.reviews),
        "replies.negative_rate": rate(
            reply.negative_reply_rate,
            reply.negative_rate_low,
            reply.negative_rate_high,
            reply.negative_reviews,
        ),
        "replies.median_latency": (
            None
            if reply.median_latency_hours is None
            else f"{reply.median_latency_hours:.0f} {_said('h', language)}"
        ),
        "replies.templated_share": (
            None if reply.templated_share is None else f"{reply.templated_share:.0%}"
        ),
    }
    return {name: value for name, value in shown.items() if value is not None}
