"""The weekly report as ``ladder report`` and the scheduler make it: built from the stored analysis,
written to a folder (``report.html``, ``report.txt``, ``report.eml``, the charts), and sent once.

A report that cannot be delivered waits in the outbox (``outbox/`` beside the database) until
``ladder outbox --flush`` or the next weekly job sends it; the ``reports`` table remembers what was
sent, so a week's report is not sent twice unless asked (``--resend``). Before the message goes to
the server its report is marked ``queued`` (committed) and its file written ahead in the outbox, so
a send cut short by a kill is never taken for one that did not happen; a report the server never
confirmed stays ``queued`` with the reason, its outbox file ``uncertain``, and only
``ladder outbox --resend ID`` sends it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from analysis.report.model import Report, build_report
from analysis.report.render import RenderedReport, render_report
from db.exceptions import AnalysisError
from db.queries import delivered_reports
from db.store import mark_report_sent, record_report
from scheduler.analyze.readers import (
    choose_week,
    read_report_inputs,
    source_statuses,
)
from scheduler.config import Config
from scheduler.deliver.mailer import InlineImage, build_message
from scheduler.deliver.outbox import (
    DeliveryOutcome,
    FlushResult,
    Outbox,
    OutboxItem,
    deliver,
    resend_command,
    write_atomic,
)

FILES = ("report.html", "report.txt", "report.eml")


@dataclass(frozen=True)
class WrittenReport:
    report: Report
    rendered: RenderedReport
    message: EmailMessage
    folder: Path
    files: tuple[Path, ...]

    recipients: tuple[str, ...]

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass(frozen=True)
class SendOutcome:
    delivered: bool
    error: str | None = None
    kept: Path | None = None
    skipped: str | None = None  # why nothing was sent (already sent)
    #: Sent, but the server never confirmed it: it may have been delivered; not sent again.
    uncertain: bool = False
    resend_command: str = ""


def outbox(config: Config) -> Outbox:
    return Outbox(config.database.parent / "outbox")


def default_folder(config: Config, week: str) -> Path:
    return config.database.parent / "reports" / week


def sender(config: Config) -> str:
    """``[report].from``, else the SMTP user when it is an address, else a local placeholder."""
    if config.report.sender:
        return config.report.sender
    user = config.report.smtp.user
    return user if user and "@" in user else "service-ladder@localhost"


def write_report(
    db: Database,
    config: Config,
    *,
    now: datetime,
    week: str | None = None,
    folder: Path | None = None,
    recipients: Sequence[str] = (),
    language: str | None = None,
) -> WrittenReport:
    """Build and render the report of ``week`` (default: the last analysed one) and write it, with
    the exact message that would be sent, to ``folder``."""
    label = choose_week(db, week, "all")
    language = language or config.report.language
    inputs = read_report_inputs(
        db, label, tz=config.timezone, sources=source_statuses(db, config, now)
    )
    report = build_report(inputs, now=now, tz=config.timezone)
    rendered = render_report(report, language)
    message = build_message(
        subject=rendered.subject,
        sender=sender(config),
        recipients=list(recipients) or ["undisclosed-recipients:;"],
        text=rendered.text,
        html=rendered.html,
        images=[InlineImage(c.cid, c.png, c.filename) for c in rendered.charts],
        date=now,
    )
    folder = folder or default_folder(config, label)
    folder.mkdir(parents=True, exist_ok=True)
    written = [
        _write(folder / "report.html", rendered.html_file.encode()),
        _write(folder / "report.txt", rendered.text.encode()),
        _write(folder / "report.eml", bytes(message)),
    ]
    written += [_write(folder / chart.filename, chart.png) for chart in rendered.charts]
    record_report(
        db,
        week=label,
        language=language,
        subject=rendered.subject,
        message_id=str(message["Message-ID"]),
        recipients=[],
        status="written",
        now=now,
    )
    return WrittenReport(report, rendered, message, folder, tuple(written), tuple(recipients))


def _write(path: Path, data: bytes) -> Path:
    write_atomic(path, data)  # a reader never sees half a file, a crash never leaves one
    return path


def send_report(
    db: Database,
    config: Config,
    written: WrittenReport,
    *,
    resend: bool = False,
    now: datetime | None = None,
    **send_options: Any,
) -> SendOutcome:
    """Send a written report, unless this week's report already went out (or waits in the
    outbox) and ``resend`` is not set. A failed delivery leaves the message in the outbox; one the
    server never confirmed leaves it there uncertain, not to be sent again by itself."""
    week = written.report.week
    recipients = written.recipients
    if not recipients:
        raise AnalysisError(
            "no recipients: set [report].recipients in the config or pass --to ADDRESS"
        )
    if not resend:
        in_doubt = {item.message_id for item in outbox(config).uncertain()}
        for earlier in delivered_reports(db, week):
            when = earlier.sent_at or earlier.written_at
            where = ", ".join(earlier.recipients)
            state = "sent" if earlier.status == "sent" else "queued in the outbox"
            if earlier.message_id in in_doubt:
                state = (
                    "sent, but the server never confirmed it (it may have been delivered; "
                    f"`ladder outbox` lists it, `{resend_command(earlier.message_id)}` sends it "
                    "again)"
                )
            return SendOutcome(
                False,
                skipped=f"the report of {week} was already {state} ({when[:16]}, to {where}); "
                "use --resend to send it again",
            )

    def mark(status: str, error: str | None) -> None:
        record_report(
            db,
            week=week,
            language=config.report.language,
            subject=written.rendered.subject,
            message_id=written.message_id,
            recipients=recipients,
            status=status,
            error=error,
            now=now,
        )

    def on_sending() -> None:
        # Committed before the message goes out: if this process dies before the server's
        # reply, the report is not 'written' (unsent) but waits, uncertain, in the outbox.
        mark("queued", "being sent; if this stays, the send was cut short and may have arrived")

    outcome: DeliveryOutcome = deliver(
        written.message,
        config.report.smtp,
        outbox(config),
        on_sending=on_sending,
        **send_options,
    )
    mark("sent" if outcome.delivered else "queued", outcome.error)
    return SendOutcome(
        outcome.delivered,
        outcome.error,
        outcome.kept,
        uncertain=outcome.uncertain,
        resend_command=outcome.resend_command,
    )


def flush_outbox(db: Database, config: Config, **send_options: Any) -> FlushResult:
    """Resend what waits in the outbox, each message at most once; sent reports are marked
    sent in the ``reports`` table. Uncertain messages (maybe delivered) are listed, not sent."""
    result = outbox(config).flush(config.report.smtp, **send_options)
    for item in result.sent:
        mark_report_sent(db, item.message_id)
    return result


def resend_from_outbox(
    db: Database, config: Config, message_id: str, **send_options: Any
) -> OutboxItem:
    """Send one message of the outbox again on purpose, whatever its state (an uncertain one
    after a person checked it did not arrive); its report is marked sent."""
    item = outbox(config).resend(message_id, config.report.smtp, **send_options)
    mark_report_sent(db, item.message_id)
    return item
