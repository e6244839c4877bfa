"""Commands that run the jobs unattended: ``schedule`` (the service), ``cron`` and ``job`` (what
each crontab line runs)."""

from __future__ import annotations

import logging
import sys

import click

from scheduler import clock
from scheduler.cli.app import CRAWL_EXIT, Exit, cli, load


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
@click.option("--send", is_flag=True, help="Also send the weekly report (needs [report.smtp]).")
@click.pass_context
def cron(ctx: click.Context, send: bool) -> None:
    """Print crontab lines that run the same jobs as `ladder schedule`, for those who prefer cron.

    Each line runs `ladder job ID`: the service's own job, with the same arguments, the same
    per-source locks and the same record in job_runs. Add them with `crontab -e`.

    \b
    Example:
      ladder cron --send >> my.crontab && crontab my.crontab
    """
    from scheduler.service.timetable import crontab_lines, planned_jobs

    config = load(ctx)
    ladder = [sys.executable, "-m", "scheduler"]
    lines = crontab_lines(
        planned_jobs(config, send=send),
        ladder,
        str(config.path.resolve()),
        config.schedule.timezone,
        send=send,
    )
    click.echo("\n".join(lines))


@cli.command()
@click.argument("job_id", metavar="ID")
@click.option("--send", is_flag=True, help="The weekly job also sends the report.")
@click.pass_context
def job(ctx: click.Context, job_id: str, send: bool) -> None:
    """Run one scheduled job now, exactly as `ladder schedule` runs it (the crontab lines of
    `ladder cron` call this). The IDs are those of `ladder schedule --list`. Exits 3 when a
    crawled source is unhealthy, 4 when the report could not be delivered, 5 when every crawl
    not done was skipped because another run held its source.

    \b
    Example:
      ladder job weekly --send
    """
    from db.exceptions import ReportNotDelivered
    from scheduler.service.timetable import planned_job, run_job

    config = load(ctx)
    planned = planned_job(config, job_id, send=send)
    try:
        result = run_job(planned)
    except ReportNotDelivered as error:
        click.echo(f"{planned.id}: {error}", err=True)
        ctx.exit(Exit.UNDELIVERED)
    click.echo(f"{planned.id}: {result}")
    ctx.exit(CRAWL_EXIT[result.state])
