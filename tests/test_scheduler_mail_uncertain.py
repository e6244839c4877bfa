"""A report the SMTP server received but never confirmed is 'maybe delivered': written ahead in the
outbox before the message goes out, left uncertain (never sent again by itself: not by the
mailer's retries, nor `ladder outbox --flush`), shown by `ladder outbox` with the command that
sends it again on purpose. Against real aiosmtpd servers on 127.0.0.1 and the demo world."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from click.testing import CliRunner, Result

from db import open_db
from scheduler.cli import cli
from scheduler.config import SmtpConfig
from scheduler.deliver.mailer import DATA_TIMEOUT_VARIABLE, DeliveryUncertain, build_message, send
from scheduler.deliver.outbox import Outbox, deliver

HOST = "127.0.0.1"
TO = "boss@example.com"
#: How long the client waits for the reply to the message in these tests, and how long the slow
#: server takes to give it: well past that wait.
WAIT, SLOW = 0.5, 3.0


class SlowInbox:
    """An aiosmtpd handler that keeps every message it receives, then takes ``delay`` seconds to
    say so (without blocking the server). ``during`` is called with each message as it arrives,
    before the reply: to see what the sender recorded while its message is in flight."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.received: list[EmailMessage] = []
        self.seen: list[object] = []
        self.during: object = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        message = message_from_bytes(envelope.content, policy=default)
        self.received.append(message)
        if callable(self.during):
            self.seen.append(self.during(message))
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 2.0.0 Accepted"


class HeldInbox(SlowInbox):
    """Holds each DATA until ``hold`` is set (blocking the server), saying so by ``holding``."""

    def __init__(self) -> None:
        super().__init__()
        self.hold = threading.Event()
        self.holding = threading.Event()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.holding.set()
        self.hold.wait(20)
        return await super().handle_DATA(server, session, envelope)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def smtp_server(handler: SlowInbox) -> Iterator[int]:
    controller = Controller(handler, hostname=HOST, port=free_port(), ready_timeout=5.0)
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


@pytest.fixture
def short_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client waits ``WAIT`` seconds for the reply to the message, not 10 minutes."""
    monkeypatch.setenv(DATA_TIMEOUT_VARIABLE, str(WAIT))


@pytest.fixture
def demo(demo_output: Path, tmp_path: Path) -> Path:
    """A private copy of the demo folder (the database is shared by other tests)."""
    folder = tmp_path / "demo"
    folder.mkdir()
    shutil.copy(demo_output / "ladder.db", folder / "ladder.db")
    text = (demo_output / "ladder.toml").read_text(encoding="utf-8")
    (folder / "ladder.toml").write_text(text, encoding="utf-8")
    return folder


def with_smtp(folder: Path, port: int) -> Path:
    config = folder / "ladder.toml"
    head, _, _ = config.read_text(encoding="utf-8").partition("[report.smtp]")
    config.write_text(
        head + f'[report.smtp]\nhost = "{HOST}"\nport = {port}\nsecurity = "none"\n',
        encoding="utf-8",
    )
    return config


def ladder(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def sidecars(outbox: Path) -> list[dict[str, object]]:
    """The outbox's records of its waiting messages (not those in sent/)."""
    return [json.loads(path.read_text("utf-8")) for path in sorted(outbox.glob("*.json"))]


def report_statuses(database: Path) -> dict[str, str]:
    with contextlib.closing(open_db(database)) as db:
        rows = db.execute("SELECT message_id, status FROM reports WHERE status != 'written'")
        return {str(message_id): str(status) for message_id, status in rows.fetchall()}


def test_a_report_never_confirmed_is_delivered_once_until_resent_on_purpose(
    demo: Path, short_wait: None
) -> None:
    """The issue: a slow reply to DATA made one `report --send` deliver three copies and
    `outbox --flush` a fourth. Now the server receives one copy, and a second only on purpose."""
    inbox = SlowInbox(delay=SLOW)
    with smtp_server(inbox) as port:
        config = with_smtp(demo, port)

        sent = ladder(config, "report", "--send", "--to", TO)
        assert sent.exit_code == 4, sent.output
        assert "Maybe delivered" in sent.output
        assert f"did not confirm it within {WAIT:g} s" in sent.output
        assert len(inbox.received) == 1  # not retried by the mailer
        message_id = str(inbox.received[0]["Message-ID"])
        command = f"ladder outbox --resend {message_id.strip('<>')}"
        assert command in sent.output

        flushed = ladder(config, "outbox", "--flush")
        assert flushed.exit_code == 4, flushed.output
        assert "NOT sent again, uncertain" in flushed.output
        assert command in flushed.output
        assert len(inbox.received) == 1  # nor by a flush

        listed = ladder(config, "outbox")
        assert listed.exit_code == 0
        assert "UNCERTAIN" in listed.output
        assert "it may have been delivered" in listed.output
        assert command in listed.output

        again = ladder(config, "report", "--send", "--to", TO)
        assert again.exit_code == 0, again.output
        assert "never confirmed" in again.output  # a rerun does not send a fresh copy either
        assert len(inbox.received) == 1
        assert report_statuses(demo / "ladder.db") == {message_id: "queued"}

        inbox.delay = 0.0  # the server answers in time now
        resent = ladder(config, "outbox", "--resend", message_id.strip("<>"))
        assert resent.exit_code == 0, resent.output
        assert "sent again" in resent.output
        assert [str(m["Message-ID"]) for m in inbox.received] == [message_id, message_id]

        assert ladder(config, "outbox").output.strip() == "The outbox is empty."
        assert ladder(config, "outbox", "--flush").exit_code == 0
        assert len(inbox.received) == 2
    assert report_statuses(demo / "ladder.db") == {message_id: "sent"}


def test_the_attempt_is_recorded_before_the_message_is_sent(demo: Path) -> None:
    """While the server holds the message, the outbox already has it as 'sending' (on disk) and
    the report is no longer 'written' in the database: a kill now is not taken for 'unsent'."""
    inbox = SlowInbox()
    outbox = demo / "outbox"

    def look(message: EmailMessage) -> tuple[list[dict[str, object]], dict[str, str]]:
        return sidecars(outbox), report_statuses(demo / "ladder.db")

    inbox.during = look
    with smtp_server(inbox) as port:
        config = with_smtp(demo, port)
        result = ladder(config, "report", "--send", "--to", TO)
    assert result.exit_code == 0, result.output

    message_id = str(inbox.received[0]["Message-ID"])
    [(records, statuses)] = inbox.seen
    assert [(r["message_id"], r["state"]) for r in records] == [(message_id, "sending")]
    assert statuses == {message_id: "queued"}
    # delivered: nothing waits, the copy is in sent/, the report is sent
    assert sidecars(outbox) == []
    assert len(list((outbox / "sent").glob("*.eml"))) == 1
    assert report_statuses(demo / "ladder.db") == {message_id: "sent"}


def test_a_send_killed_mid_flight_is_uncertain_not_unsent(demo: Path) -> None:
    """SIGKILL while the server holds the message: the outbox keeps it 'sending', the report is
    'queued'; the next run lists it as uncertain and a flush does not send it."""
    inbox = HeldInbox()
    with smtp_server(inbox) as port:
        config = with_smtp(demo, port)
        command = [sys.executable, "-m", "scheduler", "--config", str(config)]
        process = subprocess.Popen(
            [*command, "report", "--send", "--to", TO],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=os.environ.copy(),
        )
        try:
            assert inbox.holding.wait(60), "the report never reached the server"
            process.send_signal(signal.SIGKILL)
            process.wait(10)
        finally:
            if process.poll() is None:
                process.kill()
        inbox.hold.set()

        [record] = sidecars(demo / "outbox")
        assert record["state"] == "sending"
        message_id = str(record["message_id"])
        assert report_statuses(demo / "ladder.db") == {message_id: "queued"}

        listed = ladder(config, "outbox")
        assert "UNCERTAIN" in listed.output
        assert "a send was cut short" in listed.output
        assert f"ladder outbox --resend {message_id.strip('<>')}" in listed.output
        flushed = ladder(config, "outbox", "--flush")
        assert flushed.exit_code == 4, flushed.output
        # the killed process's copy (its DATA completes once released); the flush sent none
        assert [str(m["Message-ID"]) for m in inbox.received] == [message_id]


def test_a_message_left_sending_is_not_sent_by_a_flush_only_by_a_resend(tmp_path: Path) -> None:
    """The state a killed process leaves, written as it writes it (Outbox.begin)."""
    inbox = SlowInbox()
    outbox = Outbox(tmp_path / "outbox")
    message = build_message(
        subject="Tuần 48",
        sender="ladder@moc.example",
        recipients=[TO],
        text="x",
        html="<p>x</p>",
        message_id="weekly-2026-W48@moc.example",
    )
    outbox.begin(message)
    [item] = outbox.pending()
    assert item.uncertain
    assert item.resend_command == "ladder outbox --resend weekly-2026-W48@moc.example"
    with smtp_server(inbox) as port:
        smtp = SmtpConfig(host=HOST, port=port, security="none")
        result = outbox.flush(smtp, timeout=5)
        assert (result.sent, result.failed) == ([], [])
        assert [i.message_id for i in result.uncertain] == ["<weekly-2026-W48@moc.example>"]
        assert inbox.received == []

        with pytest.raises(LookupError, match="no message <nothing@here> waits"):
            outbox.resend("nothing@here", smtp, timeout=5)
        sent = outbox.resend("weekly-2026-W48@moc.example", smtp, timeout=5)
        assert sent.path.parent == outbox.sent_folder
        assert [str(m["Message-ID"]) for m in inbox.received] == ["<weekly-2026-W48@moc.example>"]
        assert outbox.pending() == []


def test_the_mailer_does_not_retry_a_message_the_server_never_confirmed(tmp_path: Path) -> None:
    """send() raises DeliveryUncertain at once (no retry); deliver() keeps it uncertain."""
    inbox = SlowInbox(delay=SLOW)
    message = build_message(
        subject="Tuần 48", sender="ladder@moc.example", recipients=[TO], text="x", html="x"
    )
    slept: list[float] = []
    with smtp_server(inbox) as port:
        smtp = SmtpConfig(host=HOST, port=port, security="none")
        with pytest.raises(DeliveryUncertain, match="may have been delivered") as raised:
            send(message, smtp, timeout=5, data_timeout=WAIT, sleep=slept.append)
        assert raised.value.permanent
        outbox = Outbox(tmp_path / "outbox")
        outcome = deliver(message, smtp, outbox, timeout=5, data_timeout=WAIT, sleep=slept.append)
    assert slept == []
    assert len(inbox.received) == 2  # one per call, never more
    assert outcome.uncertain
    assert not outcome.delivered
    [item] = outbox.pending()
    assert (item.state, item.attempts) == ("uncertain", 1)
    assert "did not confirm it within 0.5 s" in item.last_error


def test_a_refusal_after_the_message_is_not_uncertain(tmp_path: Path) -> None:
    """A 4xx answer to the message is an answer: not delivered, retried as before."""

    class Greylisting(SlowInbox):
        async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
            if not self.seen:
                self.seen.append("refused")
                return "451 4.7.1 Greylisted, try again"
            return await super().handle_DATA(server, session, envelope)

    inbox = Greylisting()
    slept: list[float] = []
    message = build_message(
        subject="Tuần 48", sender="ladder@moc.example", recipients=[TO], text="x", html="x"
    )
    outbox = Outbox(tmp_path / "outbox")
    with smtp_server(inbox) as port:
        smtp = SmtpConfig(host=HOST, port=port, security="none")
        outcome = deliver(message, smtp, outbox, timeout=5, backoff=0.1, sleep=slept.append)
    assert outcome.delivered
    assert slept == [0.1]
    assert len(inbox.received) == 1
    assert outbox.pending() == []


def test_an_unusable_wait_is_refused_before_connecting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATA_TIMEOUT_VARIABLE, "ten minutes")
    message = build_message(subject="x", sender="a@b.example", recipients=[TO], text="x", html="x")
    with pytest.raises(Exception, match=f"{DATA_TIMEOUT_VARIABLE} is 'ten minutes'"):
        send(message, SmtpConfig(host=HOST, port=free_port(), security="none"), timeout=1)


def test_the_weekly_job_says_a_report_may_have_been_delivered_and_never_sends_it_again(
    demo: Path, short_wait: None
) -> None:
    from db.exceptions import ReportNotDelivered
    from scheduler.service.jobs import scheduled_weekly

    inbox = SlowInbox(delay=SLOW)
    with smtp_server(inbox) as port:
        config = with_smtp(demo, port)  # the demo's report goes to manager@localhost
        with pytest.raises(ReportNotDelivered) as first:
            scheduled_weekly(str(config), True)
        assert len(inbox.received) == 1
        command = f"ladder outbox --resend {str(inbox.received[0]['Message-ID']).strip('<>')}"
        assert "maybe delivered, never confirmed" in str(first.value)
        assert command in str(first.value)
        assert "sends it" not in str(first.value)  # it will not be sent by itself
        with pytest.raises(ReportNotDelivered) as second:
            scheduled_weekly(str(config), True)
        assert len(inbox.received) == 1
        assert command in str(second.value)
