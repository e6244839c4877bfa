"""One crawl per source, for as long as any process of that crawl lives: `ladder crawl` killed with
SIGKILL leaves its crawl process running, and that process still holds the source's lock, so a
second crawl does not start beside it and store the same reviews again."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from db import open_db
from scheduler.cli import cli
from scheduler.cli.app import Exit
from scheduler.config import load_config
from scheduler.crawl.targets import source_lock, sync_config
from scheduler.demo.server import FixtureServer
from tests.conftest import review, review_page, write_config

PAGES = 6
PAGE_DELAY = 0.7  # seconds: the crawl takes a few seconds, long enough to kill its parent


def serve_slow_listing(server: FixtureServer) -> None:
    for number in range(1, PAGES + 1):
        path = "/shop/reviews" if number == 1 else f"/shop/reviews?page={number}"
        after = f"/shop/reviews?page={number + 1}" if number < PAGES else None
        page = review_page([review(number * 10 + i) for i in range(3)], next_path=after)
        server.add(path, dataclasses.replace(page, delay=PAGE_DELAY))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def crawl_pid(database: Path, deadline: float) -> int:
    """The pid the crawl process recorded in its crawl_runs row, once it has."""
    while time.monotonic() < deadline:
        if database.exists():
            with contextlib.closing(open_db(database)) as db:
                row = db.execute("SELECT pid FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
            if row and row[0]:
                return int(row[0])
        time.sleep(0.05)
    raise AssertionError("the crawl process never started")


def test_a_crawl_whose_parent_was_killed_still_holds_its_source(
    tmp_path: Path, server: FixtureServer
) -> None:
    serve_slow_listing(server)
    path = write_config(tmp_path, {"Test Shop": [server.url + "/shop/reviews"]})
    config = load_config(path)
    (source_id,) = sync_config(config).values()
    parent = subprocess.Popen(
        [sys.executable, "-m", "scheduler", "--config", str(path), "crawl"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    child = crawl_pid(tmp_path / "ladder.db", time.monotonic() + 30)
    os.kill(parent.pid, signal.SIGKILL)  # `ladder crawl` dies at once; its crawl process lives on
    parent.wait()
    assert alive(child)

    with source_lock(config, source_id) as lock:
        assert not lock  # the crawl process holds it
    second = CliRunner().invoke(cli, ["--config", str(path), "crawl"])
    assert second.exit_code == Exit.BUSY, second.output
    assert "another crawl of this source is running" in second.output

    deadline = time.monotonic() + 60
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(child)
    with source_lock(config, source_id) as lock:
        assert lock  # released when the last process holding it ended
    with contextlib.closing(open_db(tmp_path / "ladder.db")) as db:
        runs = db.execute("SELECT reviews_new, ok FROM crawl_runs ORDER BY id").fetchall()
        stored = db.execute("SELECT count(*) FROM reviews").fetchone()[0]
    assert [tuple(run) for run in runs] == [(PAGES * 3, 1)]  # one crawl, finished by itself
    assert stored == PAGES * 3
