"""When things run: the planned jobs (each with its cron expression, read by
:func:`scheduler.crontab.cron_trigger`) and the equivalent crontab lines.

One table, two runners: the service registers each planned job's function and arguments, and
each crontab line runs ``ladder job ID``, which calls the same function with the same arguments.
Nothing is written twice, so cron and the service cannot drift apart."""

from __future__ import annotations

import importlib
import shlex
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from db.exceptions import NotFound
from scheduler.config import Config
from scheduler.crontab import cron_trigger
from scheduler.slugs import job_slug


@dataclass(frozen=True)
class PlannedJob:
    """One scheduled job, as the service registers it and as crontab would run it."""

    id: str
    description: str
    expression: str
    function: str  # "module:function", as a persistent job store needs
    args: tuple[str | bool | None, ...]

    def next_run(self, tz: tzinfo, now: datetime, jitter: float | None = None) -> datetime | None:
        trigger = cron_trigger(self.expression, tz, jitter=jitter)
        moment: datetime | None = trigger.get_next_fire_time(None, now)
        return moment


def planned_jobs(config: Config, *, send: bool = False) -> list[PlannedJob]:
    """Every job the config asks for: a crawl per business (and per source with its own
    schedule), the weekly full pass, and the weekly analysis and report."""
    path = str(config.path.resolve())
    jobs = []
    for business in config.businesses:
        own = [source for source in business.sources if "schedule" in source.options]
        if len(own) < len(business.sources):
            jobs.append(
                PlannedJob(
                    id=f"crawl:{job_slug(business.name, 'all', '')}",
                    description=f"crawl {business.name}",
                    expression=config.schedule.crawl,
                    function="scheduler.service.jobs:scheduled_crawl",
                    args=(path, business.name, None, None, False),
                )
            )
        for source in own:
            jobs.append(
                PlannedJob(
                    id=f"crawl:{job_slug(business.name, source.kind, source.url)}",
                    description=f"crawl {business.name} · {source.kind}",
                    expression=str(source.options["schedule"]),
                    function="scheduler.service.jobs:scheduled_crawl",
                    args=(path, business.name, source.kind, source.url, False),
                )
            )
    if config.schedule.full_crawl:
        jobs.append(
            PlannedJob(
                id="full-crawl",
                description="read every page of every source",
                expression=config.schedule.full_crawl,
                function="scheduler.service.jobs:scheduled_crawl",
                args=(path, None, None, None, True),
            )
        )
    jobs.append(
        PlannedJob(
            id="weekly",
            description="weekly analysis" + (" and report" if send else ""),
            expression=config.schedule.report,
            function="scheduler.service.jobs:scheduled_weekly",
            args=(path, send),
        )
    )
    return jobs


def planned_job(config: Config, job_id: str, *, send: bool = False) -> PlannedJob:
    """The planned job called ``job_id`` (:class:`NotFound` naming the others if none is)."""
    jobs = {job.id: job for job in planned_jobs(config, send=send)}
    if job_id not in jobs:
        raise NotFound(
            f"no job {job_id!r} in {config.path}; its jobs: {', '.join(jobs)} (see `ladder schedule --list`)"
        )
    return jobs[job_id]


def run_job(job: PlannedJob) -> Any:
    """Run ``job`` in this process, as the service's executor would: its function, its arguments."""
    module, _, name = job.function.partition(":")
    return getattr(importlib.import_module(module), name)(*job.args)


def job_command(job: PlannedJob, *, send: bool = False) -> tuple[str, ...]:
    """The ``ladder`` arguments that run ``job`` as the service does (``--send`` only where it
    means something: the weekly job)."""
    return ("job", job.id, "--send") if send and job.id == "weekly" else ("job", job.id)


def crontab_lines(
    jobs: list[PlannedJob], ladder: list[str], config: str, tz: str, *, send: bool = False
) -> list[str]:
    """Crontab lines equivalent to the service: each runs ``ladder job ID`` (the same function,
    the same arguments, the same lock files)."""
    flag = " --send" if send else ""
    lines = [
        f"# Service Ladder: the same jobs as `ladder schedule{flag}`; each line runs `ladder job ID`,",
        "# the service's own job function. Crawls take the same per-source lock as the service.",
        "# Times are in the zone below: cronie reads CRON_TZ; with another cron, set the machine's",
        "# zone or shift the hours.",
        f"CRON_TZ={tz}",
    ]
    for job in jobs:
        parts = (*ladder, "--config", config, *job_command(job, send=send))
        lines.append(f"{job.expression}  {' '.join(shlex.quote(p) for p in parts)}  # {job.id}")
    return lines
