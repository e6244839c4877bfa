"""The scheduled jobs: what the service runs on its cron triggers and cron runs as ``ladder``
commands. Each job reloads the config (so edits apply) and is recorded in ``job_runs``.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from db import open_db
from db.exceptions import ReportNotDelivered
from db.store import (
    finish_job_run,
    start_job_run,
)
from scheduler import clock
from scheduler.config import Config, load_config
from scheduler.crawl.engine import crawl_sources
from scheduler.crawl.targets import CrawlOutcome, crawl_state, select_targets
from scheduler.slugs import job_slug

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobResult:
    """What a job did, in one line (the service's log, ``job_runs.message``, ``ladder job``), and
    its crawls' state (:func:`scheduler.crawl.targets.crawl_state`)."""

    message: str
    state: str = "ok"

    def __str__(self) -> str:
        return self.message


def _recorded(job_id: str, config: Config, work: Callable[[], JobResult]) -> JobResult:
    """Run a scheduled job, recording it in ``job_runs``: start, end, outcome, duration. A job
    that raises is recorded as failed and the exception re-raised for the scheduler's log."""
    with contextlib.closing(open_db(config.database)) as db:
        run_id = start_job_run(db, job_id)
    started = time.monotonic()
    ok, message = False, "interrupted"
    try:
        result = work()
        ok, message = True, result.message
        return result
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
) -> JobResult:
    """The scheduler's crawl job: one business (its sources without a schedule of their own), one
    source, or (``business`` None) every source. Reloads the config, so edits apply."""
    config = load_config(config_path)
    if business is None:
        job_id = "full-crawl" if full else "crawl:all"
    else:
        job_id = f"crawl:{job_slug(business, kind or 'all', url or '')}"

    def crawl() -> JobResult:
        if business is None:
            targets = select_targets(config)
        elif kind is None:
            targets = [
                t for t in select_targets(config, [business]) if "schedule" not in t.source.options
            ]
        else:
            targets = [t for t in select_targets(config, [business], kind) if t.source.url == url]
        outcomes = crawl_sources(config, targets, full=full)
        return JobResult(
            "; ".join(_describe(outcome) for outcome in outcomes) or "no sources",
            state=crawl_state(outcomes),
        )

    return _recorded(job_id, config, crawl)


def _describe(outcome: CrawlOutcome) -> str:
    label = outcome.target.label
    if outcome.run is None:
        return f"{label}: skipped ({outcome.skipped})"
    run = outcome.run
    state = "ok" if run.ok else f"UNHEALTHY ({run.health})"
    retried = f" (retried: {outcome.retried})" if outcome.retried else ""
    return f"{label}: {state}, {run.pages} pages, {run.reviews_new} new{retried}"


def scheduled_weekly(config_path: str, send: bool) -> JobResult:
    """The scheduler's weekly job: bring the analysis up to date, write the report of the last
    complete week, and with ``send`` deliver it (once: a week already sent is left alone) after
    retrying whatever waits in the outbox. An undelivered report fails the job (it waits in the
    outbox for the next run or ``ladder outbox --flush``)."""
    from db.exceptions import AnalysisError
    from scheduler.analyze.refresh import describe_analysis, run_analysis
    from scheduler.deliver.dispatch import flush_outbox, send_report, write_report

    config = load_config(config_path)

    def weekly() -> JobResult:
        now = clock.now()
        with contextlib.closing(open_db(config.database)) as db:
            parts = [describe_analysis(run_analysis(db, config, now=now))]
            try:
                written = write_report(db, config, now=now, recipients=config.report.recipients)
            except AnalysisError as error:  # no complete week yet: nothing to report, not a failure
                return JobResult("; ".join([*parts, f"no report: {error}"]))
            parts.append(f"report {written.report.week} written to {written.folder}")
            if not send:
                return JobResult("; ".join(parts))
            flushed = flush_outbox(db, config)
            waiting = [f"{item.subject}: {error}" for item, error in flushed.failed]
            waiting += [
                f"{item.subject}: maybe delivered, never confirmed; not sent again "
                f"automatically (check the inbox, then `{item.resend_command}`)"
                for item in flushed.uncertain
            ]
            if flushed.sent:
                parts.append(f"{len(flushed.sent)} message(s) sent from the outbox")
            outcome = send_report(db, config, written, now=now)
        if outcome.skipped:
            parts.append(f"not sent: {outcome.skipped}")
        elif outcome.delivered:
            parts.append(f"sent to {', '.join(written.recipients)}")
        elif outcome.uncertain:
            raise ReportNotDelivered(
                f"{'; '.join(parts)}; maybe delivered, never confirmed ({outcome.error}); it is "
                f"kept in {outcome.kept} and not sent again automatically: check the inbox, then "
                f"`{outcome.resend_command}` if it did not arrive"
            )
        else:
            raise ReportNotDelivered(
                f"{'; '.join(parts)}; NOT delivered ({outcome.error}); it waits in "
                f"{outcome.kept}, and the next weekly run or `ladder outbox --flush` sends it"
            )
        if waiting:
            raise ReportNotDelivered(
                "; ".join([*parts, *(f"still in the outbox: {w}" for w in waiting)])
            )
        return JobResult("; ".join(parts))

    return _recorded("weekly", config, weekly)
