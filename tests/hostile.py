"""Hostile conditions beyond a faulty page, each checked as a user would check it, as a table:
``python -m tests.hostile`` (part of ``make reliability``; the crawl faults are in
:mod:`tests.faults`). Each row does the real thing (a real SMTP server, real crawl processes, a
real export read back as a spreadsheet reads it) and compares what it observed with what must hold.
The same behaviours have regression tests in ``make test``; this is the table to read.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import os
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

from click.testing import CliRunner

from db import open_db
from db.exceptions import ConfigError
from db.reviews import ReviewWriter
from db.store import sync_business, sync_source
from scheduler.cli import cli
from scheduler.config import SmtpConfig, load_config
from scheduler.crawl.local import run_crawl
from scheduler.crawl.targets import select_targets
from scheduler.deliver.mailer import build_message
from scheduler.deliver.outbox import Outbox, deliver
from scheduler.demo.server import FixtureServer, Page
from tests.conftest import review, review_page, write_config

#: (what is checked, what a user would look at, expected, the check) per row.
Check = Callable[[Path], tuple[object, object]]


def _slow_smtp(folder: Path) -> tuple[object, object]:
    """A server that takes 3 s to acknowledge DATA, a client that waits 0.5 s: one send, one
    flush of the outbox. Copies of the one Message-ID the server received."""
    from aiosmtpd.controller import Controller

    class Slow:
        def __init__(self) -> None:
            self.received: list[bytes] = []

        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            import asyncio

            self.received.append(getattr(envelope, "content", b""))
            await asyncio.sleep(3.0)
            return "250 OK"

    handler = Slow()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        smtp = SmtpConfig(host="127.0.0.1", port=controller.port, security="none")
        message: EmailMessage = build_message(
            subject="Tuần 48", sender="ladder@moc.example", recipients=["boss@example.com"],
            text="x", html="<p>x</p>", message_id="weekly-2026-W48@moc.example",
        )  # fmt: skip
        outbox = Outbox(folder / "outbox")
        deliver(message, smtp, outbox, timeout=5, data_timeout=0.5)
        outbox.flush(smtp, timeout=5, data_timeout=0.5)
        time.sleep(0.2)
    finally:
        controller.stop()
    return len(handler.received), 1


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _killed_parent(folder: Path) -> tuple[object, object]:
    """`ladder crawl` SIGKILLed while its crawl runs, then `ladder crawl` again at once: crawls
    of the site at the same time (crawl runs started while the first lived)."""
    with FixtureServer() as server:
        for number in range(1, 6):
            path = "/shop/reviews" if number == 1 else f"/shop/reviews?page={number}"
            after = f"/shop/reviews?page={number + 1}" if number < 5 else None
            page = review_page([review(number * 10 + i) for i in range(3)], next_path=after)
            server.add(path, dataclasses.replace(page, delay=0.7))
        config = write_config(folder, {"Test Shop": [server.url + "/shop/reviews"]})
        ladder = [sys.executable, "-m", "scheduler", "--config", str(config), "crawl"]
        parent = subprocess.Popen(ladder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        database = folder / "ladder.db"
        deadline = time.monotonic() + 30
        child = None
        while child is None and time.monotonic() < deadline:
            time.sleep(0.05)
            if database.exists():
                with contextlib.closing(open_db(database)) as db:
                    row = db.execute("SELECT pid FROM crawl_runs").fetchone()
                child = row[0] if row else None
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        subprocess.run(ladder, capture_output=True, check=False)
        while child and time.monotonic() < deadline + 60:
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
    with contextlib.closing(open_db(database)) as db:
        runs = db.execute("SELECT count(*) FROM crawl_runs").fetchone()[0]
    return runs, 1


def _spreadsheet(folder: Path) -> tuple[object, object]:
    """`ladder export reviews --format csv` of hostile review text, read back as a spreadsheet
    reads it: cells that would run as formulas, cells with control characters, cells over the
    32,767 characters a spreadsheet cell holds."""
    path = write_config(folder, {"Quán Bà Tư": ["https://ba-tu.example/r"]})
    bodies = [
        '=HYPERLINK("https://evil.example","bấm vào")', "+1+2", "-3+4", "@SUM(A1)",
        "\tcột", "ngon\x1b[2J\x07\x00 lắm", "x" * 1_048_576,
    ]  # fmt: skip
    with contextlib.closing(open_db(folder / "ladder.db")) as db:
        business = sync_business(db, "Quán Bà Tư", is_self=True)
        source = sync_source(db, business, "schemaorg", "https://ba-tu.example/r")
        rows = [
            {"review_key": f"k{i}", "business_id": business, "source_id": source, "rating": 4.0,
             "body": body, "published_at": "2026-11-20T10:00:00Z"}
            for i, body in enumerate(bodies)
        ]  # fmt: skip
        ReviewWriter(db, source).write(rows)
    result = CliRunner().invoke(
        cli, ["--config", str(path), "export", "reviews", "--format", "csv"]
    )
    cells = [cell for row in csv.reader(io.StringIO(result.output)) for cell in row]
    formulas = sum(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in cells if cell)
    controls = sum(any(ord(c) < 32 and c not in "\n\t" for c in cell) for cell in cells)
    too_long = sum(len(cell) > 32_767 for cell in cells)
    return (formulas, controls, too_long), (0, 0, 0)


def _robots_unreachable(folder: Path) -> tuple[object, object]:
    """robots.txt answers 503 (RFC 9309: crawl nothing): listing pages the site served."""
    with FixtureServer(robots=None) as server:
        server.add("/robots.txt", Page("busy", status=503, content_type="text/plain"))
        server.add("/shop/reviews", review_page([review(1)]))
        config = load_config(write_config(folder, {"Test Shop": [server.url + "/shop/reviews"]}))
        (target,) = select_targets(config)
        run_crawl(config, target)
        return server.hits("/shop/reviews"), 0


def _config_numbers(folder: Path) -> tuple[object, object]:
    """ladder.toml with nan, inf and negative numbers: values accepted."""
    accepted = 0
    for table, key, value in [
        ("crawl", "max_pages", "-5"), ("crawl", "delay", "nan"), ("crawl", "timeout", "inf"),
        ("analysis", "half_life_days", "nan"), ("analysis", "prior_strength", "inf"),
    ]:  # fmt: skip
        path = write_config(folder, {"Us": ["https://us.example/r"]})
        text = path.read_text(encoding="utf-8")
        if f"[{table}]" in text:
            text = text.replace(f"[{table}]", f"[{table}]\n{key} = {value}", 1)
        else:
            text += f"\n[{table}]\n{key} = {value}\n"
        path.write_text(text, encoding="utf-8")
        try:
            load_config(path)
            accepted += 1
        except ConfigError:
            pass
    return accepted, 0


def _hostile_addresses(folder: Path) -> tuple[object, object]:
    """Sources at a metadata address, written four ways, and at this machine's SSH port, with
    loopback not allowed: addresses accepted."""
    accepted = 0
    for url in [
        "http://169.254.169.254/latest/meta-data/", "http://2852039166/", "http://0xA9.254.169.254/",
        "http://[fd00:ec2::254]/", "http://localhost:22/",
    ]:  # fmt: skip
        path = write_config(folder, {"Us": [url]})
        path.write_text(
            path.read_text(encoding="utf-8").replace("allow_loopback = true", ""), encoding="utf-8"
        )
        try:
            load_config(path)
            accepted += 1
        except ConfigError:
            pass
    return accepted, 0


def _private_database(folder: Path) -> tuple[object, object]:
    """A new ladder.db (it holds the salt of the reviewer hashes): its mode."""
    with contextlib.closing(open_db(folder / "ladder.db")):
        pass
    return oct(stat.S_IMODE((folder / "ladder.db").stat().st_mode)), oct(0o600)


def _redacted_config(folder: Path) -> tuple[object, object]:
    """`ladder config` with a source at https://shop:s3cret@…: is the password printed?"""
    path = write_config(folder, {"Us": ["https://shop:s3cret@us.example/r"]})
    shown = CliRunner().invoke(cli, ["--config", str(path), "config"]).output
    return "s3cret" in shown, False


ROWS: list[tuple[str, str, Check]] = [
    ("1 SMTP slow to acknowledge DATA", "copies of one Message-ID at the server", _slow_smtp),
    ("4 `ladder crawl` SIGKILLed mid-crawl", "crawls of the source at once", _killed_parent),
    ("5 hostile cells in an export", "formulas, control chars, cells > 32,767", _spreadsheet),
    ("6 metadata and loopback source URLs", "addresses accepted", _hostile_addresses),
    ("7 robots.txt answers 503", "listing pages fetched", _robots_unreachable),
    ("8 nan, inf, negatives in ladder.toml", "values accepted", _config_numbers),
    ("9 a new database file", "its mode", _private_database),
    ("9 a source URL with a password", "password shown by `ladder config`", _redacted_config),
]


def main() -> int:
    """Every row, as a table; exit 1 unless every row holds."""
    width = max(len(name) for name, _, _ in ROWS)
    look = max(len(what) for _, what, _ in ROWS)
    header = (
        f"{'condition':<{width}} {'what is checked':<{look}} {'observed':>12} {'expected':>12} ok"
    )
    print(header)
    print("-" * len(header))
    failed = []
    for name, what, check in ROWS:
        with tempfile.TemporaryDirectory() as folder:
            try:
                observed, expected = check(Path(folder))
            except Exception as error:
                observed, expected = f"{type(error).__name__}: {error}"[:60], "?"
        ok = observed == expected
        failed += [] if ok else [name]
        print(
            f"{name:<{width}} {what:<{look}} {observed!s:>12} {expected!s:>12} {'yes' if ok else 'NO'}"
        )
    print("-" * len(header))
    print(f"{len(ROWS)} conditions; not holding: {failed or 0}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
