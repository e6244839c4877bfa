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
    `ladder outbox --flush` sends it later. One the server received but never confirmed may have
    been delivered: it waits as uncertain (exit 4), and only `ladder outbox --resend ID` sends it
    again. A week's report is sent once unless --resend.

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
    elif outcome.uncertain:
        click.echo(
            f"Maybe delivered: {outcome.error}.\nIt waits in {outcome.kept} as uncertain; it will "
            "not be sent again by itself (nor by `ladder outbox --flush` or the weekly job). Ask "
            f"a recipient whether it arrived; if it did not: {outcome.resend_command}",
            err=True,
        )
        ctx.exit(Exit.UNDELIVERED)
    else:
        click.echo(
            f"Not delivered: {outcome.error}\nThe message waits in {outcome.kept}; "
            "`ladder outbox --flush` sends it once the problem is fixed.",
            err=True,
        )
        ctx.exit(Exit.UNDELIVERED)


@cli.command("outbox")
@click.option("--flush", is_flag=True, help="Try to send every waiting message now.")
@click.option(
    "--resend",
    "resend_id",
    metavar="MESSAGE_ID",
    help="Send this one message again on purpose, even if it is uncertain (maybe delivered).",
)
@click.pass_context
def outbox_command(ctx: click.Context, flush: bool, resend_id: str | None) -> None:
    """List the reports waiting to be delivered; with --flush, send them (each at most once).
    A message the server received but never confirmed is 'uncertain' (it may have been
    delivered): it is never sent again by itself; after checking with a recipient, --resend
    MESSAGE_ID sends it once. Exits 4 when a message still cannot be delivered or is uncertain.

    \b
    Example:
      ladder outbox && ladder outbox --flush
      ladder outbox --resend 176438160000.12345.ladder@example.com
    """
    from db import open_db
    from db.exceptions import MailError
    from scheduler.deliver.dispatch import flush_outbox, outbox, resend_from_outbox
    from scheduler.deliver.mailer import DeliveryUncertain

    config = load(ctx)
    box = outbox(config)
    if flush and resend_id:
        raise click.UsageError("use --flush or --resend, not both")
    if resend_id:
        with contextlib.closing(open_db(config.database)) as db:
            try:
                item = resend_from_outbox(db, config, resend_id)
            except LookupError as missing:
                raise click.UsageError(str(missing)) from missing
            except DeliveryUncertain as doubt:
                click.echo(
                    f"Maybe delivered: {doubt}.\nIt stays in the outbox as uncertain.", err=True
                )
                ctx.exit(Exit.UNDELIVERED)
            except MailError as problem:
                click.echo(f"NOT sent: {problem}\nIt stays in the outbox.", err=True)
                ctx.exit(Exit.UNDELIVERED)
        click.echo(f"sent again: {item.subject} → {', '.join(item.recipients)}")
        return
    if flush:
        with contextlib.closing(open_db(config.database)) as db:
            result = flush_outbox(db, config)
        for item in result.sent:
            click.echo(f"sent: {item.subject} → {', '.join(item.recipients)}")
        for item in result.skipped:
            click.echo(f"already sent, not sent again: {item.subject}")
        for item, error in result.failed:
            click.echo(f"NOT sent: {item.subject}: {error}", err=True)
        for item in result.uncertain:
            click.echo(
                f"NOT sent again, uncertain (it may have been delivered): {item.subject}; if it "
                f"did not arrive: {item.resend_command}",
                err=True,
            )
        if not (result.sent or result.skipped or result.failed or result.uncertain):
            click.echo("The outbox is empty.")
        if result.failed or result.uncertain:
            ctx.exit(Exit.UNDELIVERED)
        return
    pending = box.pending()
    if not pending:
        click.echo("The outbox is empty.")
        return
    for item in pending:
        queued = item.queued_at.strftime("%Y-%m-%d %H:%M UTC")
        state = "UNCERTAIN" if item.uncertain else f"tried {item.attempts}×"
        click.echo(
            f"{queued}  {state}  {item.subject}  → {', '.join(item.recipients)}\n"
            f"  {_cut_short(item.state) or item.last_error}"
        )
        if item.uncertain:
            click.echo(
                "  it may have been delivered, so it is not sent again by itself; ask a "
                f"recipient, and if it did not arrive: {item.resend_command}"
            )


def _cut_short(state: str) -> str:
    """What an item with no error to show says: a try cut short (a kill, a crash)."""
    if state == "sending":
        return "a send was cut short (the process stopped) after the message went to the server"
    return ""
