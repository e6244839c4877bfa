"""Jobs: the functions ``ladder`` commands, cron and the scheduler service all call.

:func:`run_crawl` crawls one source as its own ``python -m crawler crawl`` subprocess (a second
in-process crawl would hit ``ReactorNotRestartable``), in a new session so a timeout kills its whole
process group, under a per-source lock file so two crawls of one source never overlap, with its log
kept beside the database. The ``crawl_runs`` row is created here and completed by the crawl; when
the crawl dies before completing it, it is completed here with the reason.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from db import open_db
from db.queries import CrawlRun, crawl_run
from db.store import (
    finish_job_run,
    start_crawl_run,
    start_job_run,
    sync_business,
    sync_source,
    update_crawl_run,
    utc_iso,
)
from scheduler import __version__
from scheduler.config import BusinessConfig, Config, SourceConfig, load_config
from scheduler.timetable import job_slug, slug

logger = logging.getLogger(__name__)

PROJECT_URL = "https://github.com/service-ladder/service-ladder"
#: Seconds a crawl gets to stop after each of two SIGTERMs (the first asks Scrapy to close
#: cleanly, the second to stop at once) before SIGKILL.
KILL_GRACE_SECONDS = 5.0
#: Options that are crawl settings rather than spider arguments.
_SETTING_OPTIONS = frozenset({"delay", "schedule", "ignore_robots"})


class CrawlError(Exception):
    """A crawl could not be started (unknown business, no sources); the message says what to do."""


@dataclass(frozen=True)
class CrawlTarget:
    business: BusinessConfig
    source: SourceConfig

    @property
    def label(self) -> str:
        return f"{self.business.name} · {self.source.kind}"


@dataclass(frozen=True)
class CrawlOutcome:
    target: CrawlTarget
    run: CrawlRun | None
    skipped: str | None = None
    #: Scrapyd engine: why the first attempt was given up and the crawl run again elsewhere.
    retried: str | None = None

    @property
    def ok(self) -> bool:
        return self.run is not None and bool(self.run.ok)


def select_targets(
    config: Config, businesses: Sequence[str] = (), kind: str | None = None
) -> list[CrawlTarget]:
    """The sources to crawl: all, or those of the named businesses and/or one kind."""
    names = {b.name for b in config.businesses}
    for name in businesses:
        if name not in names:
            raise CrawlError(
                f"no business named {name!r} in {config.path}; known: {', '.join(sorted(names))}"
            )
    targets = [
        CrawlTarget(business, source)
        for business in config.businesses
        if not businesses or business.name in businesses
        for source in business.sources
        if kind is None or source.kind == kind
    ]
    if not targets:
        raise CrawlError(f"no sources to crawl: add [[business.sources]] to {config.path}")
    return targets


def user_agent(config: Config) -> str:
    return f"ServiceLadder/{__version__} (+{PROJECT_URL}; {config.crawl.contact})"


def crawl_command(
    config: Config, target: CrawlTarget, run_id: int, *, full: bool = False
) -> list[str]:
    """The ``python -m crawler crawl`` command line for one source (``full``: every page, not only
    until the first page of known reviews)."""
    source = target.source
    settings = {"LADDER_DB": str(config.database.resolve()), **crawl_settings(config, target)}
    command = [sys.executable, "-m", "crawler", "crawl", source.kind]
    arguments = {
        "url": source.url,
        "business": target.business.name,
        "run_id": run_id,
        "options": json.dumps(spider_options(target), ensure_ascii=False),
        "full": int(full),
    }
    for name, value in arguments.items():
        command += ["-a", f"{name}={value}"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    return command


def spider_options(target: CrawlTarget) -> dict[str, Any]:
    """The source's options that are spider arguments (the rest are crawl settings)."""
    return {k: v for k, v in target.source.options.items() if k not in _SETTING_OPTIONS}


def crawl_settings(config: Config, target: CrawlTarget) -> dict[str, Any]:
    """The Scrapy settings of one source's crawl, local or on a Scrapyd node: politeness, the
    User-Agent with the contact, retries, limits and the time zone (not the database)."""
    crawl, source = config.crawl, target.source
    delay = float(source.options.get("delay", crawl.delay))
    return {
        "LADDER_TIMEZONE": config.schedule.timezone,
        "LADDER_MAX_PAGES": crawl.max_pages,
        "USER_AGENT": user_agent(config),
        "ROBOTSTXT_OBEY": int(not source.options.get("ignore_robots", False)),
        "DOWNLOAD_DELAY": delay,
        "AUTOTHROTTLE_ENABLED": int(crawl.autothrottle),
        "AUTOTHROTTLE_START_DELAY": delay,
        "AUTOTHROTTLE_MAX_DELAY": max(crawl.max_delay, delay),
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_site,
        "RETRY_TIMES": crawl.retries,
        "RETRY_BACKOFF_BASE": crawl.backoff,
        "DOWNLOAD_TIMEOUT": crawl.timeout,
        "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
    }


def crawl_log_path(config: Config, target: CrawlTarget, started: datetime) -> Path:
    """A new log file in ``logs/`` beside the database for one crawl of ``target``; the random
    suffix keeps apart two sources of one business and kind started in the same second."""
    logs = config.database.parent / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    name = f"{started:%Y%m%dT%H%M%S}-{slug(target.business.name)}-{target.source.kind}"
    return logs / f"{name}-{uuid.uuid4().hex[:6]}.log"


def sync_config(config: Config) -> dict[tuple[str, str, str], int]:
    """Put the config's businesses and sources in the database; source ids by (name, kind, url)."""
    ids = {}
    with contextlib.closing(open_db(config.database)) as db:
        for business in config.businesses:
            business_id = sync_business(db, business.name, is_self=business.is_self)
            for source in business.sources:
                ids[business.name, source.kind, source.url] = sync_source(
                    db, business_id, source.kind, source.url
                )
    return ids


@contextlib.contextmanager
def source_lock(config: Config, source_id: int) -> Iterator[bool]:
    """Hold the source's lock file; yields False (without waiting) when another crawl holds it."""
    folder = config.database.parent / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"source-{source_id}.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_crawl(
    config: Config,
    target: CrawlTarget,
    *,
    source_id: int | None = None,
    on_start: Callable[[CrawlTarget, int], None] | None = None,
    cancel: threading.Event | None = None,
    full: bool = False,
) -> CrawlOutcome:
    """Crawl one source in a subprocess and return its ``crawl_runs`` row.

    Never raises for a crawl that fails: the failure is recorded in the row (``ok = 0`` and
    ``health`` saying why) and the outcome says so. Setting ``cancel`` stops the crawl.
    """
    if source_id is None:
        source_id = sync_config(config)[target.business.name, target.source.kind, target.source.url]
    with source_lock(config, source_id) as acquired:
        if not acquired:
            return CrawlOutcome(target, None, skipped="another crawl of this source is running")
        log_path = crawl_log_path(config, target, datetime.now(UTC))
        with contextlib.closing(open_db(config.database)) as db:
            run_id = start_crawl_run(db, source_id, target.source.kind, log_path=str(log_path))
        if on_start is not None:
            on_start(target, run_id)
        if target.source.options.get("ignore_robots"):
            logger.warning(
                "%s: robots.txt ignored (ignore_robots = true in %s)", target.label, config.path
            )
        command = crawl_command(config, target, run_id, full=full)
        returncode, stopped = _run_subprocess(config, command, log_path, cancel)
        with contextlib.closing(open_db(config.database)) as db:
            run = crawl_run(db, run_id)
            if stopped or run.finished_at is None:  # killed, or died before recording its end
                reason = stopped or f"exit code {returncode}"
                health = {
                    "timeout": f"stopped after {config.crawl.source_timeout:g} s "
                    "([crawl].source_timeout)",
                    "interrupted": "stopped before the end: the crawl was interrupted",
                }.get(reason, f"the crawl process failed ({reason}); see {log_path}")
                update_crawl_run(
                    db, run_id, finished_at=utc_iso(), finish_reason=reason, ok=0, health=health
                )
                run = crawl_run(db, run_id)
    return CrawlOutcome(target, run)


def _run_subprocess(
    config: Config, command: list[str], log_path: Path, cancel: threading.Event | None
) -> tuple[int, str | None]:
    """``(exit code, None)``, or ``(exit code, "timeout" | "interrupted")`` when it was stopped."""
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings", "PYTHONUNBUFFERED": "1"}
    deadline = time.monotonic() + config.crawl.source_timeout
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter, no shell
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=env,
            start_new_session=True,
        )
        try:
            while True:
                try:
                    return process.wait(timeout=0.5), None
                except subprocess.TimeoutExpired:
                    if cancel is not None and cancel.is_set():
                        stopped = "interrupted"
                    elif time.monotonic() >= deadline:
                        stopped = "timeout"
                    else:
                        continue
                    _kill_group(process)
                    return process.returncode, stopped
        except BaseException:  # KeyboardInterrupt in this thread: do not leave the crawl running
            _kill_group(process)
            raise


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the crawl's process group twice (Scrapy closes cleanly, then at once), then SIGKILL
    whatever is left of the group."""
    for _ in range(2):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=KILL_GRACE_SECONDS)
            break
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def crawl_sources(
    config: Config,
    targets: Sequence[CrawlTarget],
    *,
    on_start: Callable[[CrawlTarget, int], None] | None = None,
    full: bool = False,
) -> list[CrawlOutcome]:
    """Crawl several sources, ``[crawl].parallel`` at a time, or as jobs on the Scrapyd nodes
    with ``[crawl] engine = "scrapyd"``; outcomes in the targets' order."""
    ids = sync_config(config)
    cancel = threading.Event()
    if config.crawl.engine == "scrapyd":
        from scheduler.cluster import crawl_on_cluster

        return crawl_on_cluster(config, targets, ids, on_start=on_start, full=full)

    def one(target: CrawlTarget) -> CrawlOutcome:
        source_id = ids[target.business.name, target.source.kind, target.source.url]
        return run_crawl(
            config, target, source_id=source_id, on_start=on_start, cancel=cancel, full=full
        )

    with ThreadPoolExecutor(max_workers=config.crawl.parallel) as pool:
        futures = [pool.submit(one, target) for target in targets]
        try:
            return [future.result() for future in futures]
        except BaseException:  # Ctrl-C: stop the running crawls, start no more
            cancel.set()
            for future in futures:
                future.cancel()
            raise


def _recorded(job_id: str, config: Config, work: Callable[[], str]) -> str:
    """Run a scheduled job, recording it in ``job_runs``: start, end, outcome, duration. A job
    that raises is recorded as failed and the exception re-raised for the scheduler's log."""
    with contextlib.closing(open_db(config.database)) as db:
        run_id = start_job_run(db, job_id)
    started = time.monotonic()
    ok, message = False, "interrupted"
    try:
        message = work()
        ok = True
        return message
    except Exception as error:
        message = f"{type(error).__name__}: {error}"
        raise
    finally:
        with contextlib.closing(open_db(config.database)) as db:
            finish_job_run(db, run_id, ok=ok, message=message, seconds=time.monotonic() - started)
        logger.info(
            "%s: %s in %.1f s: %s",
            job_id,
            "ok" if ok else "FAILED",
            time.monotonic() - started,
            message,
        )


def scheduled_crawl(
    config_path: str, business: str | None, kind: str | None, url: str | None, full: bool
) -> str:
    """The scheduler's crawl job: one business (its sources without a schedule of their own), one
    source, or (``business`` None) every source. Reloads the config, so edits apply."""
    config = load_config(config_path)
    if business is None:
        job_id = "full-crawl" if full else "crawl:all"
    else:
        job_id = f"crawl:{job_slug(business, kind or 'all', url or '')}"

    def crawl() -> str:
        if business is None:
            targets = select_targets(config)
        elif kind is None:
            targets = [
                t for t in select_targets(config, [business]) if "schedule" not in t.source.options
            ]
        else:
            targets = [t for t in select_targets(config, [business], kind) if t.source.url == url]
        outcomes = crawl_sources(config, targets, full=full)
        return "; ".join(_describe(outcome) for outcome in outcomes) or "no sources"

    return _recorded(job_id, config, crawl)


def _describe(outcome: CrawlOutcome) -> str:
    label = outcome.target.label
    if outcome.run is None:
        return f"{label}: skipped ({outcome.skipped})"
    run = outcome.run
    state = "ok" if run.ok else f"UNHEALTHY ({run.health})"
    retried = f" (retried: {outcome.retried})" if outcome.retried else ""
    return f"{label}: {state}, {run.pages} pages, {run.reviews_new} new{retried}"


def scheduled_weekly(config_path: str, send: bool) -> str:
    """The scheduler's weekly job: bring the analysis up to date, write the report of the last
    complete week, and with ``send`` deliver it (once: a week already sent is left alone) after
    retrying whatever waits in the outbox. An undelivered report fails the job (it waits in the
    outbox for the next run or ``ladder outbox --flush``)."""
    from scheduler.analysis import AnalysisError, describe_analysis, run_analysis
    from scheduler.report import flush_outbox, send_report, write_report

    config = load_config(config_path)

    def weekly() -> str:
        now = datetime.now(UTC)
        with contextlib.closing(open_db(config.database)) as db:
            parts = [describe_analysis(run_analysis(db, config, now=now))]
            try:
                written = write_report(db, config, now=now, recipients=config.report.recipients)
            except AnalysisError as error:  # no complete week yet: nothing to report, not a failure
                return "; ".join([*parts, f"no report: {error}"])
            parts.append(f"report {written.report.week} written to {written.folder}")
            if not send:
                return "; ".join(parts)
            flushed = flush_outbox(db, config)
            waiting = [f"{item.subject}: {error}" for item, error in flushed.failed]
            if flushed.sent:
                parts.append(f"{len(flushed.sent)} message(s) sent from the outbox")
            outcome = send_report(db, config, written, now=now)
        if outcome.skipped:
            parts.append(f"not sent: {outcome.skipped}")
        elif outcome.delivered:
            parts.append(f"sent to {', '.join(written.recipients)}")
        else:
            raise DeliveryFailed(
                f"{'; '.join(parts)}; NOT delivered ({outcome.error}); it waits in "
                f"{outcome.kept}, and the next weekly run or `ladder outbox --flush` sends it"
            )
        if waiting:
            raise DeliveryFailed(
                "; ".join([*parts, *(f"still in the outbox: {w}" for w in waiting)])
            )
        return "; ".join(parts)

    return _recorded("weekly", config, weekly)


class DeliveryFailed(Exception):
    """The weekly report could not be delivered; it waits in the outbox."""
