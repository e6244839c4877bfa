"""Faults and hostile input never lose data, corrupt the database, wedge a run or leak a secret.

The fault cases live in :mod:`tests.faults` (``make reliability`` runs all of them and prints the
table); the fast ones run here. Then: a crawl killed with SIGKILL halfway, everything running at
once, and the security checks.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from db import open_db
from db.exceptions import ConfigError
from scheduler.analyze.refresh import run_analysis
from scheduler.cli import cli
from scheduler.config import load_config
from scheduler.crawl.engine import crawl_sources
from scheduler.crawl.local import run_crawl
from scheduler.crawl.targets import select_targets
from scheduler.deliver.dispatch import send_report, write_report
from scheduler.demo.server import FixtureServer, Page
from tests.conftest import FROZEN_NOW
from tests.faults import CASES, PER_PAGE, SETTINGS, healthy_site, listing, review, run_case

FAST = [case for case in CASES if case.fast]


@pytest.mark.parametrize("case", FAST, ids=[case.name for case in FAST])
def test_a_fault_is_survived_and_nothing_is_lost(case: object, tmp_path: Path) -> None:
    outcome = run_case(case, tmp_path)  # type: ignore[arg-type]
    assert outcome.integrity == "ok"
    assert outcome.invalid_rows == 0
    assert outcome.other_hosts == []  # never a request to a host the config did not name
    assert outcome.lost == 0
    assert outcome.as_expected, (outcome.ok, outcome.health, outcome.dropped, outcome.stored_first)


def _config(folder: Path, sources: dict[str, list[str]], **crawl: object) -> Path:
    lines = ['[database]\npath = "ladder.db"\n']
    for index, (name, urls) in enumerate(sources.items()):
        table = "business" if index == 0 else "competitors"
        lines.append("[business]" if index == 0 else "[[competitors]]")
        lines.append(f"name = {json.dumps(name, ensure_ascii=False)}")
        for url in urls:
            lines += [f"[[{table}.sources]]", 'kind = "schemaorg"', f'url = "{url}"']
        lines.append("")
    lines.append("[crawl]")
    lines += [f"{k} = {json.dumps(v)}" for k, v in {**SETTINGS, **crawl}.items()]
    path = folder / "ladder.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_a_crawl_killed_halfway_loses_nothing_committed_and_the_next_one_finishes(
    tmp_path: Path,
) -> None:
    pages = 40  # 800 reviews: the first batches are committed, the rest is in flight
    site = healthy_site(pages)
    with FixtureServer() as server:
        for path, page in site.items():
            assert isinstance(page, Page)
            server.add(path, Page(page.body, delay=0.12))
        config = load_config(_config(tmp_path, {"Quán Thử": [server.url + "/shop/reviews"]}))
        (target,) = select_targets(config)
        database = tmp_path / "ladder.db"
        open_db(database).close()  # the schema exists before anyone looks
        killed = threading.Thread(target=run_crawl, args=(config, target))
        killed.start()
        deadline = time.monotonic() + 60
        pid = None
        while time.monotonic() < deadline:
            with contextlib.closing(sqlite3.connect(database, timeout=10)) as db:
                count = db.execute("SELECT count(*) FROM reviews").fetchone()[0]
                row = db.execute("SELECT pid FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
            if count >= 500 and row and row[0]:
                pid = row[0]
                break
            time.sleep(0.05)
        assert pid is not None, "the first batch was never committed"
        os.kill(pid, signal.SIGKILL)  # no chance to flush, close or record anything
        killed.join(timeout=60)
        with contextlib.closing(open_db(database)) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            db.execute("INSERT INTO reviews_fts (reviews_fts) VALUES ('integrity-check')")
            stored = db.execute("SELECT count(*) FROM reviews").fetchone()[0]
            # whole batches only (500 reviews, or what 2 s brought): whole pages, never part of one
            assert stored % PER_PAGE == 0 < stored < pages * PER_PAGE
            assert db.execute(
                "SELECT count(*) FROM reviews WHERE body IS NULL OR rating IS NULL"
            ).fetchone() == (0,)
            run = db.execute("SELECT ok, health FROM crawl_runs ORDER BY id DESC").fetchone()
            assert run[0] == 0
            assert "failed" in run[1]  # the killed run is recorded as such
        for path, page in site.items():
            assert isinstance(page, Page)
            server.add(path, Page(page.body))
        after = run_crawl(config, target).run
        again = run_crawl(config, target).run  # and from then on, incremental again
    assert after is not None
    assert after.ok, after.health
    with contextlib.closing(open_db(database)) as db:
        assert db.execute("SELECT count(*) FROM reviews").fetchone()[0] == pages * PER_PAGE
    assert again is not None
    assert again.pages == 1


def test_crawls_analysis_serve_and_report_at_once_never_lock(
    demo_output: Path, tmp_path: Path
) -> None:
    shutil.copy(demo_output / "ladder.db", tmp_path / "ladder.db")
    with FixtureServer() as server:
        for shop in ("a", "b"):
            for number in range(1, 9):
                first = 1000 * (ord(shop) - 96) + (9 - number) * PER_PAGE
                nodes = [review(n) for n in range(first, first - PER_PAGE, -1)]
                path = f"/{shop}/reviews" + ("" if number == 1 else f"?page={number}")
                text = listing(nodes, number, last=number == 8).replace(
                    "/shop/reviews", f"/{shop}/reviews"
                )
                server.add(path, Page(text, delay=0.05))
        path = _config(
            tmp_path,
            {"Mộc Café": [server.url + "/a/reviews"], "Quán Bà Tư": [server.url + "/b/reviews"]},
        )
        text = path.read_text(encoding="utf-8")
        path.write_text(text + '\n[report]\nrecipients = ["boss@localhost"]\n', encoding="utf-8")
        config = load_config(path)
        errors: list[BaseException] = []
        done = threading.Event()

        def keep(work: object) -> None:
            try:
                while not done.is_set():
                    work()  # type: ignore[operator]
            except BaseException as error:
                errors.append(error)

        def analyse() -> None:
            with contextlib.closing(open_db(config.database)) as db:
                run_analysis(db, config, now=FROZEN_NOW)

        def report() -> None:
            with contextlib.closing(open_db(config.database)) as db:
                written = write_report(
                    db,
                    config,
                    now=FROZEN_NOW,
                    folder=tmp_path / "r",
                    recipients=config.report.recipients,
                )
                send_report(db, config, written, attempts=1)  # nothing listens: to the outbox

        port = _free_port()
        served = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "scheduler",
                "--config",
                str(path),
                "serve",
                "--port",
                str(port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        reads: list[int] = []

        def read() -> None:  # what a manager's browser does meanwhile, through Datasette
            query = urllib.parse.urlencode({"sql": "SELECT count(*) AS n FROM reviews_on_ladder"})
            url = f"http://127.0.0.1:{port}/ladder.json?{query}&_shape=array"
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    reads.append(json.loads(response.read())[0]["n"])
            except urllib.error.URLError:
                if served.poll() is not None:
                    raise
                time.sleep(0.2)  # still starting

        workers = [threading.Thread(target=keep, args=(w,)) for w in (analyse, report, read)]
        try:
            deadline = time.monotonic() + 60
            while not reads and time.monotonic() < deadline:  # Datasette up before the crawls
                read()
            for worker in workers:
                worker.start()
            outcomes = crawl_sources(config, select_targets(config))
            time.sleep(1)
        finally:
            done.set()
            for worker in workers:
                worker.join(timeout=120)
            served.terminate()
            served.wait(timeout=10)
    assert len(reads) > 3
    assert reads == sorted(reads)  # each read saw a consistent, growing database
    assert errors == []
    assert all(outcome.ok for outcome in outcomes), [o.run.health for o in outcomes if o.run]
    logs = "".join(p.read_text(errors="replace") for p in (tmp_path / "logs").glob("*.log"))
    assert "database is locked" not in logs
    with contextlib.closing(open_db(config.database)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM reviews WHERE review_key IN "
                          "(SELECT review_key FROM reviews GROUP BY review_key HAVING count(*) > 1)"
                          ).fetchone() == (0,)  # fmt: skip


# Security


def test_secrets_never_appear_in_logs_config_runs_or_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    password = "s3cr3t-Passw0rd-xyz"
    monkeypatch.setenv("LADDER_SMTP_PASSWORD", password)
    with FixtureServer(healthy_site()) as server:  # type: ignore[arg-type]
        path = _config(tmp_path, {"Quán Thử": [server.url + "/shop/reviews"]})
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text + '\n[report]\nrecipients = ["boss@localhost"]\n[report.smtp]\n'
            f'host = "127.0.0.1"\nport = {_free_port()}\nsecurity = "none"\nuser = "me"\n',
            encoding="utf-8",
        )
        config = load_config(path)
        assert password not in repr(config)
        crawled = CliRunner().invoke(cli, ["--config", str(path), "crawl"])
        assert crawled.exit_code == 0, crawled.output
    shown = CliRunner().invoke(cli, ["--config", str(path), "config"]).output
    with contextlib.closing(open_db(config.database)) as db:
        (salt,) = db.execute("SELECT value FROM settings WHERE key = 'author_salt'").fetchone()
        runs = json.dumps(db.execute("SELECT * FROM crawl_runs").fetchall())
        stored = "\n".join(db.iterdump())
    analysed = CliRunner().invoke(cli, ["--config", str(path), "analyze"])
    failed = CliRunner().invoke(cli, ["--config", str(path), "report", "--send"])
    assert failed.exit_code == 4, failed.output  # nothing listens: kept in the outbox
    everything = [shown, runs, crawled.output, analysed.output, failed.output]
    everything += [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()
                   and p.suffix in (".log", ".json", ".eml", ".txt", ".toml", ".html")]  # fmt: skip
    for text in everything:
        assert password not in text
        assert salt not in text
    assert salt in stored  # it is in the database, and only there
    assert "Khách" not in stored  # reviewer names are never stored, only salted hashes
    assert "me" in shown  # the user is shown; the password is not


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.com/reviews", "javascript:alert(1)", "/relative/path"],
)
def test_only_http_and_https_addresses_are_crawled(tmp_path: Path, url: str) -> None:
    path = _config(tmp_path, {"Quán Thử": [url]})
    with pytest.raises(ConfigError, match="not an http"):
        load_config(path)


def test_robots_is_obeyed_and_ignored_only_per_source_and_said(tmp_path: Path) -> None:
    with FixtureServer() as server:
        server.add("/private/reviews", Page(listing([review(1)], 1, last=True)))
        path = _config(tmp_path, {"Quán Thử": [server.url + "/private/reviews"]})
        config = load_config(path)
        (target,) = select_targets(config)
        polite = run_crawl(config, target).run
        assert polite is not None
        assert not polite.ok
        assert "robots.txt forbids" in (polite.health or "")
        assert server.hits("/private/reviews") == 0
        text = path.read_text(encoding="utf-8").replace(
            'kind = "schemaorg"', 'kind = "schemaorg"\nignore_robots = true'
        )
        path.write_text(text, encoding="utf-8")
        config = load_config(path)
        (target,) = select_targets(config)
        allowed = run_crawl(config, target).run
        assert allowed is not None
        assert allowed.ok, allowed.health
        assert server.hits("/private/reviews") == 1
        assert allowed.log_path is not None
        assert "robots.txt of" in Path(allowed.log_path).read_text(encoding="utf-8")
    global_switch = path.read_text(encoding="utf-8").replace(
        "[crawl]", "[crawl]\nobey_robots = false"
    )
    path.write_text(global_switch, encoding="utf-8")
    with pytest.raises(ConfigError, match="ignore_robots = true on that source"):
        load_config(path)


def test_review_text_is_text_in_the_terminal_too(tmp_path: Path) -> None:
    """Rich markup in a review ("[/b]", "[link=…]") is printed, never interpreted or fatal."""
    from rich.console import Console

    from db.store import record_signals, sync_business, sync_source
    from scheduler.cli.tables import show_signals

    with contextlib.closing(open_db(tmp_path / "ladder.db")) as db:
        source = sync_source(
            db, sync_business(db, "[bold]Shop[/]", is_self=True), "signals", "https://s/"
        )
        record_signals(
            db, source, [{"name": "channel.email", "value": "[/b][link=http://x]hi"}], run_id=None
        )
        console = Console(record=True, width=200)
        console.print(show_signals(db))
    shown = console.export_text()
    assert "[/b][link=http://x]hi" in shown
    assert "[bold]Shop[/]" in shown


def _bomb() -> Page:
    """A robots.txt that is 64 KB on the wire and 64 MB unpacked (over max_page_bytes)."""
    return Page(
        gzip.compress(b"User-agent: *\nAllow: /\n" + b"#" * (64 * 1024 * 1024)),
        content_type="text/plain",
        headers={"Content-Encoding": "gzip"},
    )


@pytest.mark.parametrize(
    ("robots", "reason"),
    [
        (Page("Service Unavailable", status=503, content_type="text/plain"), "HTTP 503"),
        (Page("User-agent: *\nAllow: /\n", content_type="text/plain", delay=5.0), "fetched"),
        (_bomb(), "fetched"),
    ],
    ids=["503", "hangs", "gzip-bomb"],
)
def test_a_robots_txt_that_cannot_be_read_means_crawl_nothing(
    tmp_path: Path, robots: Page, reason: str
) -> None:
    """RFC 9309 §2.3.1.3: unreachable (5xx, network errors) means disallow all. Scrapy's own
    middleware crawled every page."""
    with FixtureServer(robots=None) as server:
        server.add("/robots.txt", robots)
        server.add("/shop/reviews", Page(listing([review(1)], 1, last=True)))
        path = _config(tmp_path, {"Quán Thử": [server.url + "/shop/reviews"]})
        config = load_config(path)
        (target,) = select_targets(config)
        run = run_crawl(config, target).run
        assert server.hits("/shop/reviews") == 0
    assert run is not None
    assert not run.ok
    assert "robots.txt" in (run.health or "")
    assert reason in (run.health or "")
    assert "RFC 9309" in (run.health or "")
    status = CliRunner().invoke(cli, ["--config", str(path), "status"])
    assert status.exit_code == 3  # and `ladder status` calls the source broken, saying why
    assert "robots.txt" in status.output


def test_a_robots_txt_that_is_not_there_allows_everything(tmp_path: Path) -> None:
    """RFC 9309 §2.3.1.4: a 4xx means there are no rules."""
    with FixtureServer(robots=None) as server:
        server.add("/robots.txt", Page("Not Found", status=404, content_type="text/plain"))
        server.add("/shop/reviews", Page(listing([review(1)], 1, last=True)))
        path = _config(tmp_path, {"Quán Thử": [server.url + "/shop/reviews"]})
        config = load_config(path)
        (target,) = select_targets(config)
        run = run_crawl(config, target).run
        assert server.hits("/shop/reviews") == 1
    assert run is not None
    assert run.ok, run.health
