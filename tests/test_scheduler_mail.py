"""Building, sending and keeping the report email, against real aiosmtpd servers on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import socket
import ssl
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from db.exceptions import MailError
from scheduler.config import SmtpConfig
from scheduler.deliver.mailer import InlineImage, build_message, send
from scheduler.deliver.outbox import Outbox, deliver

HOST = "127.0.0.1"
USER, PASSWORD = "ladder@moc.example", "dung-mat-khau-42"
SUBJECT = "Báo cáo tuần: Quán Mộc đứng thứ 2/5 về chăm sóc khách hàng"
TEXT = "Xin chào!\nTuần này Quán Mộc trả lời 87% đánh giá trong vòng 4 giờ.\n"
HTML = (
    "<html><body><p>Xin chào! Tuần này Quán Mộc trả lời 87% đánh giá.</p>"
    '<img src="cid:scores@ladder" alt="Điểm"><img src="cid:trend@ladder" alt="Xu hướng">'
    "</body></html>\n"
)
RECIPIENTS = ["quanly@moc.example", "chu@moc.example"]


def png(red: int, green: int, blue: int) -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(bytes([0, red, green, blue]))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


IMAGES = (
    InlineImage(cid="scores@ladder", data=png(200, 30, 30), filename="scores.png"),
    InlineImage(cid="trend@ladder", data=png(30, 30, 200), filename="trend.png"),
)


def report(message_id: str | None = None, subject: str = SUBJECT) -> EmailMessage:
    return build_message(
        subject=subject,
        sender=f"Service Ladder <{USER}>",
        recipients=RECIPIENTS,
        text=TEXT,
        html=HTML,
        images=IMAGES,
        message_id=message_id,
    )


class Recorder:
    """An aiosmtpd handler that keeps what it receives; ``answers`` are DATA replies given first."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.received: list[EmailMessage] = []
        self.envelopes: list[tuple[str | None, list[str], bool, bool]] = []
        self.mail_commands = 0
        self.hold: threading.Event | None = None  # DATA waits for it when set
        self.holding = threading.Event()

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self.mail_commands += 1
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.hold is not None:
            self.holding.set()
            self.hold.wait(5)  # blocks this server's loop, which is the point
        if self.answers:
            return self.answers.pop(0)
        assert isinstance(envelope.content, bytes)
        self.received.append(message_from_bytes(envelope.content, policy=default))
        assert server.transport is not None
        tls = server.transport.get_extra_info("ssl_object") is not None
        authenticated = bool(session.authenticated)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), tls, authenticated))
        return "250 2.0.0 Accepted"


class Accounts:
    """An aiosmtpd authenticator with one account; remembers who tried."""

    def __init__(self) -> None:
        self.logins: list[str] = []

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append(data.login.decode())
        ok = data.login == USER.encode() and data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def serve() -> Iterator[Callable[..., Controller]]:
    """Starts aiosmtpd controllers on 127.0.0.1 (on a free port unless given); stops them all."""
    running: list[Controller] = []

    def start(handler: Recorder, *, port: int | None = None, **options: Any) -> Controller:
        controller = Controller(
            handler,
            hostname=HOST,
            port=port or free_port(),
            server_hostname="mx.ladder.test",
            ready_timeout=5.0,
            **options,
        )
        controller.start()
        running.append(controller)
        return controller

    yield start
    for controller in running:
        controller.stop()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST, "localhost").configure_cert(context)
    return context


@pytest.fixture
def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    """What the client trusts: the throwaway CA (and the system's)."""
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def smtp_at(controller: Controller, security: str = "none", **values: Any) -> SmtpConfig:
    return SmtpConfig(host=HOST, port=controller.port, security=security, **values)


def test_message_with_both_parts_and_inline_images_arrives_intact(
    serve: Callable[..., Controller],
) -> None:
    handler = Recorder()
    server = serve(handler)

    send(report(), smtp_at(server), timeout=5)

    assert len(handler.received) == 1
    received = handler.received[0]
    assert received["Subject"] == SUBJECT
    assert received["Message-ID"].startswith("<")
    assert received["Date"]
    assert handler.envelopes[0][:2] == (USER, RECIPIENTS)
    assert received.get_content_type() == "multipart/alternative"
    plain, related = received.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert plain.get_content().replace("\r\n", "\n") == TEXT
    assert related.get_content_type() == "multipart/related"
    html, *images = related.iter_parts()
    assert html.get_content_type() == "text/html"
    assert html.get_content().replace("\r\n", "\n") == HTML
    assert len(images) == len(IMAGES)
    for part, image in zip(images, IMAGES, strict=True):
        assert part.get_content_type() == "image/png"
        assert part["Content-ID"] == f"<{image.cid}>"
        assert f'src="cid:{image.cid}"' in HTML
        assert part.get_content_disposition() == "inline"
        assert part.get_filename() == image.filename
        assert part.get_content() == image.data


LONG_SUBJECT = (
    "Tuần 47: Bạn xếp thứ 3/5 — tụt hậu về Đồng cảm so với Quán Bà Tư, Nhà Sóng Kitchen và "
    "Lá Chanh Kitchen; Phố Xưa Bistro đang đuổi kịp về Đáp ứng"
)


def test_a_long_vietnamese_subject_keeps_every_space_through_smtp_and_the_outbox(
    serve: Callable[..., Controller], tmp_path: Path
) -> None:
    """Python 3.11 and 3.12 fold a long non-ASCII header by dropping the space between two words
    ("tụt hậu" → "tụthậu"): the subject must arrive as written, sent at once or from the outbox."""
    message = build_message(
        subject=LONG_SUBJECT, sender=USER, recipients=RECIPIENTS, text=TEXT, html=HTML
    )
    assert message_from_bytes(bytes(message), policy=default)["Subject"] == LONG_SUBJECT
    for line in bytes(message).decode("ascii").splitlines():
        assert len(line) <= 998  # RFC 5322
    handler = Recorder()
    server = serve(handler)
    send(message, smtp_at(server), timeout=5)
    box = Outbox(tmp_path / "outbox")
    box.add(message, error="down for a while")
    box.flush(smtp_at(server), timeout=5)
    assert [m["Subject"] for m in handler.received] == [LONG_SUBJECT, LONG_SUBJECT]
    cut = build_message(subject="Ố" * 500, sender=USER, recipients=RECIPIENTS, text="x", html="x")
    assert len(cut["Subject"]) == 200
    assert cut["Subject"].endswith("…")


def test_headers_are_encoded_and_bodies_seven_bit() -> None:
    message = build_message(
        subject=SUBJECT,
        sender=USER,
        recipients=["a@moc.example"],
        text=TEXT,
        html="<p>Chào</p>",
        message_id="weekly-2026-W47@moc.example",
        date=datetime(2026, 11, 23, 7, tzinfo=UTC),
    )
    raw = message.as_bytes()
    raw.decode("ascii")  # RFC 2047 headers, quoted-printable bodies: no server needs 8BITMIME
    assert message["Message-ID"] == "<weekly-2026-W47@moc.example>"
    assert message["Date"] == "Mon, 23 Nov 2026 07:00:00 +0000"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    with pytest.raises(ValueError, match=r"\[report\].recipients"):
        build_message(subject="x", sender=USER, recipients=[], text="x", html="x")


def test_starttls_with_login(
    serve: Callable[..., Controller],
    server_tls: ssl.SSLContext,
    client_tls: ssl.SSLContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    handler, accounts = Recorder(), Accounts()
    server = serve(
        handler,
        tls_context=server_tls,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=accounts,
    )
    smtp = smtp_at(server, "starttls", user=USER, password=PASSWORD)

    send(report(), smtp, ssl_context=client_tls, timeout=5)

    assert accounts.logins == [USER]
    assert handler.envelopes == [(USER, RECIPIENTS, True, True)]  # over TLS, logged in
    assert PASSWORD not in caplog.text


def test_implicit_tls(
    serve: Callable[..., Controller], server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
) -> None:
    handler = Recorder()
    server = serve(handler, ssl_context=server_tls)

    send(report(), smtp_at(server, "ssl"), ssl_context=client_tls, timeout=5)

    assert handler.envelopes == [(USER, RECIPIENTS, True, False)]
    assert handler.received[0]["Subject"] == SUBJECT


def test_refused_login_is_permanent_and_the_message_is_kept(
    serve: Callable[..., Controller],
    server_tls: ssl.SSLContext,
    client_tls: ssl.SSLContext,
    tmp_path: Path,
) -> None:
    handler = Recorder()
    server = serve(handler, tls_context=server_tls, authenticator=Accounts())
    smtp = smtp_at(server, "starttls", user=USER, password="sai-mat-khau")
    sleeps = Sleeps()

    with pytest.raises(MailError) as raised:
        send(report(), smtp, ssl_context=client_tls, timeout=5, sleep=sleeps)
    error = raised.value
    assert error.permanent
    assert f"SMTP server {HOST}:{server.port} refused the login for user {USER!r}" in str(error)
    assert "535" in str(error)
    assert "[report.smtp].user and LADDER_SMTP_PASSWORD" in str(error)
    assert "sai-mat-khau" not in str(error)
    assert sleeps == []  # not retried

    outbox = Outbox(tmp_path / "outbox")
    message = report()
    outcome = deliver(message, smtp, outbox, ssl_context=client_tls, timeout=5, sleep=sleeps)
    assert not outcome.delivered
    assert outcome.kept is not None
    assert outcome.kept.exists()
    assert outcome.error is not None
    assert "refused the login" in outcome.error
    kept = message_from_bytes(outcome.kept.read_bytes(), policy=default)
    assert kept["Subject"] == SUBJECT
    assert kept["Message-ID"] == message["Message-ID"]
    [item] = outbox.pending()
    assert (item.path, item.message_id, item.subject) == (
        outcome.kept,
        message["Message-ID"],
        SUBJECT,
    )
    assert item.recipients == tuple(RECIPIENTS)
    assert item.attempts == 1
    assert item.last_error == outcome.error
    assert handler.mail_commands == 0


def test_server_down_retries_keeps_then_flush_sends_exactly_once(
    serve: Callable[..., Controller], tmp_path: Path
) -> None:
    port = free_port()  # nothing listens here yet
    smtp = SmtpConfig(host=HOST, port=port, security="none")
    outbox = Outbox(tmp_path / "outbox")
    sleeps = Sleeps()

    outcome = deliver(report(), smtp, outbox, timeout=5, sleep=sleeps)

    assert not outcome.delivered
    assert sleeps == [2.0, 4.0]  # three tries, exponential backoff
    assert outcome.error is not None
    assert "connection refused" in outcome.error
    assert "tried 3 times" in outcome.error
    assert [item.path for item in outbox.pending()] == [outcome.kept]

    handler = Recorder()
    serve(handler, port=port)
    result = outbox.flush(smtp, timeout=5, sleep=sleeps)

    assert len(handler.received) == 1
    assert handler.received[0]["Subject"] == SUBJECT  # the stored copy survives the round trip
    assert handler.received[0].get_body(("html",)) is not None
    assert [item.path.parent.name for item in result.sent] == ["sent"]
    assert result.failed == []
    assert result.skipped == []
    assert result.sent[0].path.exists()
    assert outcome.kept is not None
    assert not outcome.kept.exists()
    assert not outcome.kept.with_suffix(".json").exists()
    assert "sent_at" in json.loads(result.sent[0].path.with_suffix(".json").read_text("utf-8"))
    assert outbox.pending() == []

    again = outbox.flush(smtp, timeout=5, sleep=sleeps)
    assert (again.sent, again.failed, again.skipped) == ([], [], [])
    assert len(handler.received) == 1


def test_a_message_already_in_sent_is_not_sent_again(
    serve: Callable[..., Controller], tmp_path: Path
) -> None:
    handler = Recorder()
    smtp = smtp_at(serve(handler))
    outbox = Outbox(tmp_path / "outbox")
    first = report("weekly-2026-W47@moc.example")
    outbox.add(first, error="earlier failure")
    assert len(outbox.flush(smtp, timeout=5).sent) == 1

    outbox.add(first, error="queued again by a rerun")  # the same Message-ID
    outbox.add(report("weekly-2026-W48@moc.example"), error="server down")
    assert len(outbox.pending()) == 2
    result = outbox.flush(smtp, timeout=5)

    assert [item.message_id for item in result.sent] == ["<weekly-2026-W48@moc.example>"]
    assert [item.message_id for item in result.skipped] == ["<weekly-2026-W47@moc.example>"]
    assert result.skipped[0].path.parent.name == "already-sent"
    assert [m["Message-ID"] for m in handler.received] == [
        "<weekly-2026-W47@moc.example>",
        "<weekly-2026-W48@moc.example>",
    ]
    assert outbox.pending() == []


def test_adding_a_message_id_twice_keeps_one_file(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    message = report("weekly-2026-W47@moc.example")
    first = outbox.add(message, error="first")
    second = outbox.add(message, error="second")

    assert first == second
    assert sorted(p.name for p in outbox.folder.iterdir() if not p.name.startswith(".")) == [
        first.name,
        first.with_suffix(".json").name,
    ]
    [item] = outbox.pending()
    assert (item.attempts, item.last_error) == (2, "second")
    with pytest.raises(ValueError, match="Message-ID"):
        outbox.add(EmailMessage(), error="x")


def test_two_flushes_at_once_send_a_message_once(
    serve: Callable[..., Controller], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="scheduler")
    handler = Recorder()
    handler.hold = threading.Event()
    smtp = smtp_at(serve(handler))
    outbox = Outbox(tmp_path / "outbox")
    outbox.add(report(), error="server down")
    results: dict[str, Any] = {}

    def flush(name: str) -> None:
        results[name] = outbox.flush(smtp, timeout=5)

    cron = threading.Thread(target=flush, args=("cron",))
    cron.start()
    assert handler.holding.wait(5)  # cron's flush is in the middle of sending
    manual = threading.Thread(target=flush, args=("manual",))
    manual.start()
    deadline = time.monotonic() + 5
    while "waiting for another flush" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.01)
    handler.hold.set()
    cron.join(5)
    manual.join(5)

    assert "waiting for another flush" in caplog.text
    assert len(handler.received) == 1
    assert len(results["cron"].sent) == 1
    assert (results["manual"].sent, results["manual"].failed) == ([], [])


def test_no_starttls_offered_fails_without_sending_in_plain_text(
    serve: Callable[..., Controller],
) -> None:
    handler, accounts = Recorder(), Accounts()
    server = serve(handler, authenticator=accounts, auth_require_tls=False)  # would take a login
    smtp = smtp_at(server, "starttls", user=USER, password=PASSWORD)

    with pytest.raises(MailError, match="does not offer STARTTLS") as raised:
        send(report(), smtp, timeout=5, sleep=Sleeps())

    assert raised.value.permanent
    assert f"{HOST}:{server.port}" in str(raised.value)
    assert accounts.logins == []
    assert handler.mail_commands == 0


def test_an_untrusted_certificate_is_refused(
    serve: Callable[..., Controller], server_tls: ssl.SSLContext
) -> None:
    handler = Recorder()
    server = serve(handler, tls_context=server_tls)

    with pytest.raises(MailError, match="certificate of SMTP server") as raised:
        send(report(), smtp_at(server, "starttls"), timeout=5)  # the system's CAs only

    assert raised.value.permanent
    assert handler.mail_commands == 0


@pytest.mark.parametrize(
    ("answer", "delivered", "sleeps"),
    [
        ("451 4.3.0 Try again later", True, [0.5]),
        ("554 5.7.1 Rejected as spam", False, []),
    ],
)
def test_transient_answers_are_retried_permanent_ones_are_not(
    serve: Callable[..., Controller], answer: str, delivered: bool, sleeps: list[float]
) -> None:
    handler = Recorder(answer)
    smtp = smtp_at(serve(handler))
    slept = Sleeps()

    if delivered:
        send(report(), smtp, backoff=0.5, timeout=5, sleep=slept)
    else:
        with pytest.raises(MailError, match="refused the message: 554") as raised:
            send(report(), smtp, backoff=0.5, timeout=5, sleep=slept)
        assert raised.value.permanent

    assert slept == sleeps
    assert len(handler.received) == int(delivered)


@pytest.mark.parametrize(
    ("smtp", "words"),
    [
        (SmtpConfig(host=HOST, port=9, user=USER), "LADDER_SMTP_PASSWORD is not set"),
        (
            SmtpConfig(host="smtp.example.com", security="none", user=USER, password=PASSWORD),
            "unencrypted",
        ),
        (SmtpConfig(host=HOST, port=9, security="tls"), "use one of starttls, ssl, none"),
        (SmtpConfig(host=HOST, user=USER, password="mật-khẩu"), "outside ASCII"),
    ],
)
def test_unusable_settings_are_refused_before_connecting(smtp: SmtpConfig, words: str) -> None:
    with pytest.raises(MailError, match=words) as raised:
        send(report(), smtp, timeout=1, sleep=Sleeps())
    assert raised.value.permanent


def test_a_login_over_plain_text_is_not_offered(serve: Callable[..., Controller]) -> None:
    handler = Recorder()
    server = serve(handler, authenticator=Accounts())  # AUTH only after STARTTLS

    with pytest.raises(MailError, match="does not offer a login") as raised:
        send(report(), smtp_at(server, user=USER, password=PASSWORD), timeout=5)

    assert raised.value.permanent
    assert handler.mail_commands == 0


def test_the_wrong_mode_for_the_port_is_explained(
    serve: Callable[..., Controller], server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
) -> None:
    plain = serve(Recorder())
    with pytest.raises(MailError, match="TLS with SMTP server") as raised:
        send(report(), smtp_at(plain, "ssl"), ssl_context=client_tls, timeout=5)
    assert raised.value.permanent

    implicit = serve(Recorder(), ssl_context=server_tls)  # waits for TLS, says nothing
    with pytest.raises(MailError, match=r"did not answer within 0.3 s") as raised:
        send(report(), smtp_at(implicit, "starttls"), attempts=1, timeout=0.3)
    assert not raised.value.permanent


def test_delivering_a_message_settles_its_waiting_copy(
    serve: Callable[..., Controller], tmp_path: Path
) -> None:
    handler = Recorder()
    smtp = smtp_at(serve(handler))
    outbox = Outbox(tmp_path / "outbox")
    message = report("weekly-2026-W47@moc.example")
    outbox.add(message, error="server down")  # a first run failed; a rerun gets through

    outcome = deliver(message, smtp, outbox, timeout=5)

    assert outcome.delivered
    assert outcome.error is None
    assert outcome.kept is None
    assert outbox.pending() == []
    assert len(list(outbox.sent_folder.glob("*.eml"))) == 1
    assert outbox.flush(smtp, timeout=5).sent == []
    assert len(handler.received) == 1
