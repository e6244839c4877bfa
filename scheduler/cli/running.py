"""Commands that run the jobs unattended: ``schedule`` (the service) and ``cron``."""

from __future__ import annotations

import logging
import sys

import click

from scheduler import clock
from scheduler.cli.app import cli, load


@cli.command()
@click.option(
    "--list", "list_only", is_flag=True, help="Print the jobs and their next runs, and exit."
)
@click.option("--send", is_flag=True, help="Also send the weekly report (needs [report.smtp]).")
@click.pass_context
def schedule(ctx: click.Context, list_only: bool, send: bool) -> None:
    """Run the scheduler service: crawls, the weekly full pass and the weekly analysis, on the
    cron expressions of [schedule], until SIGTERM or Ctrl-C (it stops after the running job).

    Jobs are kept in jobs.sqlite beside the database, so a restart keeps them, and a run missed
    while the service was down happens once when it is back. Each crawl takes the same per-source
    lock as `ladder crawl`, so cron and the service never crawl one source twice at once.

    \b
    Example:
      ladder schedule --list
      ladder schedule --send
    """
    from scheduler.cli.tables import console, jobs_table
    from scheduler.service.runner import serve, upcoming

    config = load(ctx)
    if list_only:
        console.print(jobs_table(upcoming(config, clock.now(), send=send), config))
        return
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    serve(config, send=send)


@cli.command()
@click.pass_context
def cron(ctx: click.Context) -> None:
    """Print crontab lines that run the same jobs as `ladder schedule`, for those who prefer cron.

    The lines call `ladder crawl` and `ladder analyze`, which take the same per-source locks as the
    service. Add them with `crontab -e`.

    \b
    Example:
      ladder cron >> my.crontab && crontab my.crontab
    """
    from scheduler.service.runner import planned_jobs
    from scheduler.service.timetable import crontab_lines

    config = load(ctx)
    ladder = [sys.executable, "-m", "scheduler"]
    lines = crontab_lines(
        planned_jobs(config), ladder, str(config.path.resolve()), config.schedule.timezone
    )
    click.echo("\n".join(lines))
