"""Commands that write and deliver the weekly report: ``report``, ``outbox``."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from scheduler import clock
from scheduler.cli.app import Exit, cli, load, week_option


@cli.command()
@click.option(
    "--week",
    callback=week_option,
    help="The ISO week, like 2026-W47 (default: the last analysed week).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the report to (default: reports/WEEK beside the database).",
)
@click.option("--send", is_flag=True, help="Send it by email through [report.smtp].")
@click.option(
    "--to",
    "recipients",
    multiple=True,
    metavar="ADDRESS",
    help="Send to these addresses instead of [report].recipients (repeatable).",
)
@click.option("--language", type=click.Choice(["vi", "en"]), help="Instead of [report].language.")
@click.option("--resend", is_flag=True, help="Send even if this week's report was sent already.")
@click.pass_context
def report(
    ctx: click.Context,
    week: str | None,
    out: Path | None,
    send: bool,
    recipients: tuple[str, ...],
    language: str | None,
    resend: bool,
) -> None:
    """Write the weekly comparison report (report.html, report.txt, report.eml and the charts)
    and, with --send, email it. A report that cannot be delivered waits in the outbox (exit 4):
    `ladder outbox --flush` sends it later. A week's report is sent once unless --resend.

    \b
    Example:
      ladder report --week 2026-W47 --out /tmp/report
      ladder report --send --to manager@example.com
    """
    from db import open_db
    from scheduler.deliver.dispatch import send_report, write_report

    config = load(ctx)
    now = clock.now()
    to = recipients or config.report.recipients
    with contextlib.closing(open_db(config.database)) as db:
        written = write_report(
            db, config, now=now, week=week, folder=out, recipients=to, language=language
        )
        click.echo(f"{written.rendered.subject}")
        click.echo(f"Wrote {written.folder / 'report.html'} (and report.txt, report.eml)")
        if not send:
            return
        outcome = send_report(db, config, written, resend=resend, now=now)
    if outcome.skipped:
        click.echo(f"Not sent: {outcome.skipped}")
    elif outcome.delivered:
        click.echo(f"Sent to {', '.join(to)}.")
    else:
        click.echo(
            f"Not delivered: {outcome.error}\nThe message waits in {outcome.kept}; "
            "`ladder outbox --flush` sends it once the problem is fixed.",
            err=True,
        )
        ctx.exit(Exit.UNDELIVERED)


@cli.command("outbox")
@click.option("--flush", is_flag=True, help="Try to send every waiting message now.")
@click.pass_context
def outbox_command(ctx: click.Context, flush: bool) -> None:
    """List the reports waiting to be delivered; with --flush, send them (each at most once).
    Exits 4 when a message still cannot be delivered.

    \b
    Example:
      ladder outbox && ladder outbox --flush
    """
    from db import open_db
    from scheduler.deliver.dispatch import flush_outbox, outbox

    config = load(ctx)
    box = outbox(config)
    if flush:
        with contextlib.closing(open_db(config.database)) as db:
            result = flush_outbox(db, config)
        for item in result.sent:
            click.echo(f"sent: {item.subject} → {', '.join(item.recipients)}")
        for item in result.skipped:
            click.echo(f"already sent, not sent again: {item.subject}")
        for item, error in result.failed:
            click.echo(f"NOT sent: {item.subject}: {error}", err=True)
        if not (result.sent or result.skipped or result.failed):
            click.echo("The outbox is empty.")
        if result.failed:
            ctx.exit(Exit.UNDELIVERED)
        return
    pending = box.pending()
    if not pending:
        click.echo("The outbox is empty.")
        return
    for item in pending:
        queued = item.queued_at.strftime("%Y-%m-%d %H:%M UTC")
        click.echo(
            f"{queued}  tried {item.attempts}×  {item.subject}  → {', '.join(item.recipients)}\n"
            f"  {item.last_error}"
        )
