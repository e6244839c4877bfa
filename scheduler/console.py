"""How results look in a terminal: rich tables and the live progress of a crawl."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence

from rich.console import Console
from rich.live import Live
from rich.table import Table

from db import open_db
from db.queries import BusinessSummary, CrawlRun, crawl_run
from scheduler.config import Config
from scheduler.jobs import CrawlOutcome, CrawlTarget

# Sentences are soft-wrapped (never broken inside a path or a number); tables fit the terminal.
console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False)


def _number(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def business_table(summaries: Sequence[BusinessSummary]) -> Table:
    table = Table(title="Businesses")
    for column in (
        "business",
        "reviews",
        "mean rating",
        "reply rate",
        "newest review",
        "languages",
    ):
        table.add_column(column, justify="left" if column in ("business", "languages") else "right")
    for summary in summaries:
        name = f"{summary.name} (us)" if summary.is_self else summary.name
        languages = ", ".join(f"{lang} {n}" for lang, n in sorted(summary.languages.items()))
        table.add_row(
            f"[bold]{name}[/bold]" if summary.is_self else name,
            str(summary.reviews),
            _number(summary.mean_rating),
            "–" if summary.reply_rate is None else f"{summary.reply_rate:.0%}",
            (summary.newest_at or "–")[:10],
            languages or "–",
        )
    return table


def crawl_table(outcomes: Sequence[CrawlOutcome]) -> Table:
    table = Table(title="Crawl")
    for column in ("source", "pages", "reviews", "new", "changed", "dropped", "health"):
        table.add_column(column, justify="left" if column in ("source", "health") else "right")
    for outcome in outcomes:
        run = outcome.run
        if run is None:
            table.add_row(outcome.target.label, "", "", "", "", "", "[yellow]skipped[/yellow]")
            continue
        health = "[green]ok[/green]" if run.ok else "[red]UNHEALTHY[/red]"
        table.add_row(
            outcome.target.label,
            str(run.pages),
            str(run.reviews_parsed),
            str(run.reviews_new),
            str(run.reviews_changed),
            str(run.dropped),
            health,
        )
    return table


def print_crawl(outcomes: Sequence[CrawlOutcome]) -> None:
    """The crawl table, then one line per source that needs attention: why, and where the log is."""
    console.print(crawl_table(outcomes))
    for outcome in outcomes:
        run = outcome.run
        if run is None:
            console.print(f"[yellow]{outcome.target.label}[/yellow]: skipped, {outcome.skipped}")
        elif not run.ok:
            console.print(f"[red]{outcome.target.label}[/red]: {run.health} (log: {run.log_path})")


class CrawlProgress:
    """Shows every running crawl's figures, read from its ``crawl_runs`` row twice a second."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.runs: dict[int, CrawlTarget] = {}
        self.lock = threading.Lock()

    def started(self, target: CrawlTarget, run_id: int) -> None:
        with self.lock:
            self.runs[run_id] = target
        if not console.is_terminal:  # a log, not a live display
            console.print(f"crawling {target.label} (crawl run {run_id})")

    def _table(self) -> Table:
        table = Table.grid(padding=(0, 2))
        with self.lock:
            runs = dict(self.runs)
        if not runs:
            table.add_row("starting…")
            return table
        with contextlib.closing(open_db(self.config.database, migrate=False)) as db:
            for run_id, target in runs.items():
                run: CrawlRun = crawl_run(db, run_id)
                state = "done" if run.finished_at else "crawling"
                table.add_row(
                    target.label, state, f"{run.pages} pages", f"{run.reviews_parsed} reviews"
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
