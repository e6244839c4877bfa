"""``ladder schedule``: the long-running service, an APScheduler 3.x scheduler built from
``ladder.toml``.

Jobs are registered with stable ids and ``replace_existing``; ids no longer in the config are
removed. They live in their own SQLite file beside the database (``jobs.sqlite``), so a restart
keeps their state; a job missed while the service was down runs once when it comes back
(``coalesce``) if it is less than ``MISFIRE_GRACE`` late. Each job is a ``module:function``
reference with plain arguments (the path of the config), and reloads the config when it runs.
SIGTERM or Ctrl-C stops the service after the running job.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from types import FrameType

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.cron import CronTrigger

from scheduler.config import Config
from scheduler.crontab import cron_trigger
from scheduler.service.timetable import PlannedJob, planned_jobs

logger = logging.getLogger(__name__)

#: A job this late (the service was down) still runs once when the service is back.
MISFIRE_GRACE = 6 * 3600
JOBS_FILE = "jobs.sqlite"


def jobs_store(config: Config) -> Path:
    return config.database.parent / JOBS_FILE


class _Scheduler(BackgroundScheduler):  # type: ignore[misc]
    """APScheduler 3 looks for due jobs once more while it shuts down; the executors, already shut
    down, refuse them and the store moves them to their next run: a run missed while the service
    was stopped would be lost. A stopping scheduler looks for nothing."""

    def _process_jobs(self) -> float | None:
        if self.state == STATE_STOPPED:
            return None
        wait: float | None = super()._process_jobs()
        return wait


def build_scheduler(config: Config) -> BackgroundScheduler:
    return _Scheduler(
        jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{jobs_store(config)}")},
        executors={"default": ThreadPoolExecutor(max(1, config.crawl.parallel))},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE},
        timezone=config.timezone,
    )


def register(scheduler: BackgroundScheduler, config: Config, *, send: bool = False) -> list[str]:
    """Add or update every planned job; remove stored jobs the config no longer has. Returns the
    ids removed."""
    planned = planned_jobs(config, send=send)
    stored = {job.id: job for job in scheduler.get_jobs()}
    for job in planned:
        trigger = cron_trigger(job.expression, config.timezone, jitter=config.schedule.jitter)
        if _unchanged(stored.get(job.id), job, trigger):
            continue  # keep its next run time: a run missed while the service was down still happens
        scheduler.add_job(
            job.function,
            trigger,
            id=job.id,
            name=job.description,
            args=list(job.args),
            replace_existing=True,
        )
    wanted = {job.id for job in planned}
    stale = [job.id for job in scheduler.get_jobs() if job.id not in wanted]
    for job_id in stale:
        scheduler.remove_job(job_id)
    return stale


def _unchanged(stored: Job | None, job: PlannedJob, trigger: CronTrigger) -> bool:
    return (
        stored is not None
        and stored.func_ref == job.function
        and list(stored.args) == list(job.args)
        and str(stored.trigger) == str(trigger)
        and stored.trigger.jitter == trigger.jitter
        and str(stored.trigger.timezone) == str(trigger.timezone)
    )


def upcoming(
    config: Config, now: datetime, *, send: bool = False
) -> Iterator[tuple[PlannedJob, datetime | None]]:
    """Each planned job with its next run time (without jitter), for ``--list``."""
    for job in planned_jobs(config, send=send):
        yield job, job.next_run(config.timezone, now)


def _log_event(event: JobExecutionEvent) -> None:
    if event.code == EVENT_JOB_MISSED:
        logger.warning("job %s missed its run at %s", event.job_id, event.scheduled_run_time)
    elif event.exception is not None:
        logger.error("job %s failed: %s", event.job_id, event.exception)
    else:
        logger.info("job %s done: %s", event.job_id, event.retval)


def serve(config: Config, *, send: bool = False, stop: threading.Event | None = None) -> None:
    """Run the service until SIGTERM, Ctrl-C or ``stop``; then stop after the running job."""
    stop = stop or threading.Event()
    scheduler = build_scheduler(config)
    scheduler.add_listener(_log_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    scheduler.start(paused=True)
    removed = register(scheduler, config, send=send)
    for job_id in removed:
        logger.info("removed job %s: no longer in %s", job_id, config.path)
    for job in scheduler.get_jobs():
        logger.info("job %s (%s): next run %s", job.id, job.name, job.next_run_time)

    def on_signal(number: int, frame: FrameType | None) -> None:
        logger.info("received %s: stopping after the running job", signal.Signals(number).name)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        scheduler.resume()
        logger.info(
            "Service Ladder scheduler running (%s); stop with Ctrl-C or SIGTERM", config.path
        )
        while not stop.wait(1.0):
            pass
    finally:
        scheduler.shutdown(wait=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        logger.info("scheduler stopped")
