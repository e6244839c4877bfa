"""When things run: the planned jobs (each with its cron expression, read by
:func:`scheduler.crontab.cron_trigger`) and the equivalent crontab lines."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import datetime, tzinfo

from scheduler.crontab import cron_trigger


@dataclass(frozen=True)
class PlannedJob:
    """One scheduled job, as the service registers it and as crontab would run it."""

    id: str
    description: str
    expression: str
    function: str  # "module:function", as a persistent job store needs
    args: tuple[str | bool | None, ...]
    command: tuple[str, ...]  # the `ladder …` arguments cron runs for it

    def next_run(self, tz: tzinfo, now: datetime, jitter: float | None = None) -> datetime | None:
        trigger = cron_trigger(self.expression, tz, jitter=jitter)
        moment: datetime | None = trigger.get_next_fire_time(None, now)
        return moment


def crontab_lines(jobs: list[PlannedJob], ladder: list[str], config: str, tz: str) -> list[str]:
    """Crontab lines equivalent to the service (the same commands, so the same lock files)."""
    lines = [
        "# Service Ladder: the same jobs as `ladder schedule`; crawls take the same per-source lock.",
        "# Times are in the zone below: cronie reads CRON_TZ; with another cron, set the machine's",
        "# zone or shift the hours.",
        f"CRON_TZ={tz}",
    ]
    for job in jobs:
        parts = (*ladder, "--config", config, *job.command)
        lines.append(f"{job.expression}  {' '.join(shlex.quote(p) for p in parts)}  # {job.id}")
    return lines
