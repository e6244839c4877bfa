"""`ladder report` and `ladder outbox` on the demo world: the files written, the email sent once
through a real SMTP server (aiosmtpd on 127.0.0.1), kept when it cannot be, and the HTML report
rendered in real headless Chromium."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import struct
import subprocess
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from zoneinfo import ZoneInfo

import lxml.html
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from click.testing import CliRunner, Result

from analysis.weeks import last_complete_week, week_label
from db import open_db
from scheduler.cli import cli
from tests.conftest import FROZEN_NOW

HOST = "127.0.0.1"
#: The demo world is dated from the current week: its report is of the last complete one.
WEEK = week_label(last_complete_week(FROZEN_NOW, ZoneInfo("Asia/Ho_Chi_Minh")))
NUMBER = int(WEEK.split("-W")[1])


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        self.received.append(message_from_bytes(envelope.content, policy=default))
        return "250 2.0.0 Accepted"


@contextlib.contextmanager
def smtp_server(port: int = 0) -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname=HOST, port=port or free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


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
    text = config.read_text(encoding="utf-8")
    head, _, _ = text.partition("[report.smtp]")
    config.write_text(
        head + f'[report.smtp]\nhost = "{HOST}"\nport = {port}\nsecurity = "none"\n',
        encoding="utf-8",
    )
    return config


def ladder(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def test_the_demo_report_says_what_a_manager_needs(demo_output: Path) -> None:
    folder = demo_output / "report"
    html = (folder / "report.html").read_text(encoding="utf-8")
    text = (folder / "report.txt").read_text(encoding="utf-8")
    with contextlib.closing(open_db(demo_output / "ladder.db")) as db:
        sources = db.execute("SELECT count(*) FROM sources").fetchone()[0]
    page = lxml.html.fromstring(html)
    shown = " ".join(page.text_content().split())
    for content in (shown, text):
        # the fast-climbing competitor, by name, in its section
        race = content.split("Ai đang leo nhanh hơn")[1].split("Thế mạnh của chúng ta")[0]
        assert "Nhà Sóng Kitchen" in race
        assert "tụt lại tương đối" in race
        assert "Lá Chanh Kitchen trả lời 88% đánh giá, chúng ta 30%." in content  # reply rate
        strong = content.split("Thế mạnh của chúng ta")[1].split("Trả lời đánh giá")[0]
        assert "Hữu hình" in strong  # a strength
        assert "Phố Xưa Bistro: thêm chat trực tuyến (Tawk.to)" in content  # a service change
        # every source is healthy: one line, not a row per source
        assert f"Cả {sources} nguồn đều hoạt động tốt." in content
        # each gap says what to do next
        gaps = content.split("Thu hẹp những khoảng cách này trước")[1].split("Ai đang leo")[0]
        assert gaps.count("Việc cần làm: chấm dứt điều khách chê chúng ta nhiều nhất") == 3
    assert not page.xpath("//tr[td[2]//span[contains(@style, 'font-weight:bold')]]")
    assert not [line for line in text.splitlines() if line.startswith("- ") and " · " in line]
    # a quote is shown once, and praise is never a complaint it conceded ("không ai nghe, nhưng…")
    quotes, praise, whose = [], [], None
    for paragraph in page.xpath("//p"):
        said = " ".join(paragraph.text_content().split())
        if said.startswith("“"):
            quotes.append(said)
            if whose not in (None, "Khách hàng của chúng ta nói:"):
                praise.append(said)
        else:
            whose = said if said.startswith("Khách hàng của") else None
    assert len(quotes) >= 12
    assert len(quotes) == len(set(quotes))
    assert 3 <= len(praise) < len(quotes)
    assert not [quote for quote in praise if "không ai nghe" in quote]
    assert {path.name for path in folder.iterdir()} >= {
        "report.html",
        "report.txt",
        "report.eml",
        "scores.png",
        "rungs.png",
    }


def test_report_writes_the_exact_message_in_both_parts(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = ladder(demo / "ladder.toml", "report", "--out", str(out), "--language", "en")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Week {NUMBER}: you rank 3 of 5 — behind ")
    message = message_from_bytes((out / "report.eml").read_bytes(), policy=default)
    assert message["Subject"] == result.output.splitlines()[0]
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "Close these gaps first" in text.get_content()
    cids = {
        f"cid:{part['Content-ID'].strip('<>')}" for part in message.walk() if part["Content-ID"]
    }
    sources = set(lxml.html.fromstring(html.get_content()).xpath("//img/@src"))
    assert sources == cids == {"cid:scores@ladder", "cid:rungs@ladder"}
    on_disk = lxml.html.fromstring((out / "report.html").read_text(encoding="utf-8"))
    assert on_disk.xpath("//img/@src") == ["scores.png", "rungs.png"]


def test_send_delivers_once_and_a_rerun_does_not_send_again(demo: Path) -> None:
    with smtp_server() as (inbox, port):
        config = with_smtp(demo, port)
        first = ladder(config, "report", "--send", "--to", "boss@example.com")
        assert first.exit_code == 0, first.output
        assert "Sent to boss@example.com." in first.output
        again = ladder(config, "report", "--send", "--to", "boss@example.com")
        assert again.exit_code == 0
        assert "already sent" in again.output
        assert len(inbox.received) == 1
        forced = ladder(config, "report", "--send", "--to", "boss@example.com", "--resend")
        assert forced.exit_code == 0
        assert len(inbox.received) == 2
    (message, _) = inbox.received
    assert message["To"] == "boss@example.com"
    assert message["Subject"].startswith(f"Tuần {NUMBER}: Bạn xếp thứ 3/5")
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 2
    with contextlib.closing(open_db(demo / "ladder.db")) as db:
        statuses = [row[0] for row in db.execute("SELECT status FROM reports ORDER BY id")]
    assert statuses.count("sent") == 2


def test_a_server_that_is_down_keeps_the_report_until_a_flush_sends_it(demo: Path) -> None:
    port = free_port()  # nothing listens here yet
    config = with_smtp(demo, port)
    failed = CliRunner().invoke(
        cli, ["--config", str(config), "report", "--send", "--to", "boss@example.com"]
    )
    assert failed.exit_code == 4, failed.output
    assert "connection refused" in failed.output
    assert "ladder outbox --flush" in failed.output
    listed = ladder(config, "outbox")
    assert f"Tuần {NUMBER}" in listed.output
    assert "boss@example.com" in listed.output
    again = ladder(config, "report", "--send", "--to", "boss@example.com")
    assert "already queued in the outbox" in again.output  # not queued twice
    with smtp_server(port) as (inbox, _):
        flushed = ladder(config, "outbox", "--flush")
        assert flushed.exit_code == 0, flushed.output
        assert len(inbox.received) == 1
        assert ladder(config, "outbox", "--flush").output.strip() == "The outbox is empty."
        assert len(inbox.received) == 1
    assert ladder(config, "outbox").output.strip() == "The outbox is empty."
    with contextlib.closing(open_db(demo / "ladder.db")) as db:
        sent = db.execute(
            "SELECT status, sent_at FROM reports WHERE status != 'written'"
        ).fetchall()
    assert [status for status, _ in sent] == ["sent"]
    assert sent[0][1] is not None


def test_send_without_recipients_says_what_to_set(demo: Path) -> None:
    config = demo / "ladder.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('recipients = ["manager@localhost"]', ""), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(config), "report", "--send"])
    assert result.exit_code == 1
    assert "[report].recipients" in result.output


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and os.environ.get("LADDER_REQUIRE_CHROMIUM"):
        pytest.fail("chromium is not installed (CI installs Debian's chromium)")
    return found


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_demo_report_renders_in_headless_chromium(
    demo: Path, tmp_path: Path, language: str
) -> None:
    chromium = _chromium()
    if chromium is None:
        pytest.skip("chromium is not installed here")
    out = tmp_path / language
    result = ladder(demo / "ladder.toml", "report", "--out", str(out), "--language", language)
    assert result.exit_code == 0, result.output
    shot = tmp_path / f"{language}.png"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            "--window-size=800,3000",
            f"--screenshot={shot}",
            (out / "report.html").as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert _png_size(shot) == (800, 3000)
    assert shot.stat().st_size > 100_000  # a rendered page with text and charts, not a blank one


def test_the_weekly_job_sends_the_report_once(demo: Path) -> None:
    from scheduler.service.jobs import scheduled_weekly

    with smtp_server() as (inbox, port):
        config = with_smtp(demo, port)
        first = scheduled_weekly(str(config), True).message
        assert "sent to manager@localhost" in first
        second = scheduled_weekly(str(config), True).message
        assert f"not sent: the report of {WEEK} was already sent" in second
        assert len(inbox.received) == 1
    with contextlib.closing(open_db(demo / "ladder.db")) as db:
        jobs = db.execute("SELECT ok FROM job_runs WHERE job_id = 'weekly'").fetchall()
    assert jobs == [(1,), (1,)]
