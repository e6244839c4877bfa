"""The Scrapyd engine for real: two Scrapyd processes on 127.0.0.1 (each with its own port,
folders and login), the project deployed to both, the demo world crawled through them and ingested
here; the rows equal a local crawl's, a rerun adds nothing, and a node stopped mid-run loses no
source."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.request import urlopen

import pytest
from click.testing import CliRunner

from crawler.feed import (
    author_public_key,
    decode_settled,
    encode_settled,
    open_author,
    read_items,
    read_result,
    seal_author,
)
from crawler.ingest import ingest_feed
from crawler.normalize import SourceContext, author_hash
from crawler.sources import SOURCE_KINDS
from db import open_db
from db.exceptions import ConfigError
from db.store import start_crawl_run, sync_business, sync_source
from scheduler import clock
from scheduler.cli import cli
from scheduler.config import load_config
from scheduler.crawl.engine import crawl_sources
from scheduler.crawl.nodes import cluster_nodes, deploy
from scheduler.crawl.targets import CrawlOutcome, select_targets
from scheduler.demo.launch import demo_config_text, demo_pages, serve_demo
from scheduler.demo.server import FixtureServer, Page

USER, PASSWORD = "ladder", "s3cret-node-pass"
#: The stored fields of a review that must be the same however it was crawled.
COMPARED = (
    "review_key native_id published_at rating rating_raw rating_scale title body lang "
    "author_hash reply_body replied_at verified answers url content_hash"
).split()


@dataclass
class ScrapydNode:
    url: str
    process: subprocess.Popen[bytes]
    folder: Path

    def stop(self) -> None:
        """Terminate the node and the crawls it started (its process group)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_node(folder: Path) -> ScrapydNode:
    folder.mkdir(parents=True)
    port = free_port()
    (folder / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"eggs_dir = {folder / 'eggs'}\n"
        f"logs_dir = {folder / 'logs'}\n"
        f"items_dir = {folder / 'items'}\n"
        f"dbs_dir = {folder / 'dbs'}\n"
        "max_proc = 4\n"
        "poll_interval = 0.5\n"
        f"username = {USER}\n"
        f"password = {PASSWORD}\n",
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCRAPY", "LADDER"))}
    with (folder / "scrapyd.out").open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "scrapyd", "--pidfile="],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urlopen(url + "/", timeout=1).close()
        except URLError as error:
            if "401" in str(error):
                break
            time.sleep(0.1)
        else:
            break
    else:
        process.kill()
        raise AssertionError((folder / "scrapyd.out").read_text())
    return ScrapydNode(url, process, folder)


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[list[ScrapydNode]]:
    started = [start_node(tmp_path / name) for name in ("node-a", "node-b")]
    yield started
    for node in started:
        node.stop()


@dataclass
class Demo:
    """The demo world on 127.0.0.1. Some of its pages change from one read to the next (a
    competitor adds live chat): :meth:`rewind` serves them from the start again, so two crawls
    compared see the same world."""

    config: str
    server: FixtureServer
    pages: dict[str, Page | list[Page]]

    def rewind(self) -> None:
        for path, page in self.pages.items():
            if not isinstance(page, Page):
                self.server.add(path, page)


@pytest.fixture
def demo() -> Iterator[Demo]:
    now = clock.now()  # the session's frozen instant, the one the crawl processes are handed
    with serve_demo(now) as (server, sites):
        yield Demo(demo_config_text(server.url, sites), server, demo_pages(sites, now))


def write_configs(tmp_path: Path, demo: Demo, urls: list[str]) -> tuple[Path, Path]:
    text = demo.config
    text = text.replace("parallel = 2\n", "parallel = 4\n")
    local = tmp_path / "local" / "ladder.toml"
    local.parent.mkdir()
    local.write_text(text, encoding="utf-8")
    nodes = ", ".join(f'"{url}"' for url in urls)
    cluster = tmp_path / "cluster" / "ladder.toml"
    cluster.parent.mkdir()
    cluster.write_text(
        text.replace(
            "parallel = 4\n",
            f'parallel = 4\nengine = "scrapyd"\nscrapyd_nodes = [{nodes}]\nscrapyd_poll = 0.3\n',
        ),
        encoding="utf-8",
    )
    return local, cluster


def reviews(path: Path) -> dict[str, tuple[Any, ...]]:
    with contextlib.closing(open_db(path)) as db:
        rows = db.execute(
            f"SELECT b.name, s.kind, {', '.join('r.' + c for c in COMPARED)} FROM reviews r "  # noqa: S608
            "JOIN businesses b ON b.id = r.business_id JOIN sources s ON s.id = r.source_id"
        ).fetchall()
    return {row[2]: tuple(row) for row in rows}


def signals(path: Path) -> list[tuple[Any, ...]]:
    with contextlib.closing(open_db(path)) as db:
        rows = db.execute(
            "SELECT business_id, name, value, unit, url, evidence FROM service_signals "
            "ORDER BY 1, 2, 3, 4, 5, 6"
        ).fetchall()
    assert rows
    return [tuple(row) for row in rows]


def crawl(path: Path) -> list[CrawlOutcome]:
    """Crawl one source of each kind (six sources, signals included), to keep the test short."""
    config = load_config(path)
    targets = {target.source.kind: target for target in reversed(select_targets(config))}
    return crawl_sources(config, list(targets.values()))


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LADDER_SCRAPYD_USERNAME", USER)
    monkeypatch.setenv("LADDER_SCRAPYD_PASSWORD", PASSWORD)
    monkeypatch.setenv("LADDER_SALT", "the-same-salt-for-both-databases")


@pytest.mark.usefixtures("credentials")
def test_a_cluster_crawl_stores_what_a_local_crawl_stores_and_a_rerun_adds_nothing(
    tmp_path: Path, nodes: list[ScrapydNode], demo: Demo
) -> None:
    local, cluster = write_configs(tmp_path, demo, [node.url for node in nodes])
    deployed = CliRunner().invoke(cli, ["--config", str(cluster), "deploy"])
    assert deployed.exit_code == 0, deployed.output
    assert deployed.output.count(": ok: service-ladder") == 2, deployed.output
    assert not list(Path.cwd().glob("*.egg-info"))
    assert not Path("build").exists()

    local_outcomes = crawl(local)
    assert all(o.ok for o in local_outcomes), [o.run and o.run.health for o in local_outcomes]
    demo.rewind()
    first = crawl(cluster)
    assert all(o.ok for o in first), [(o.target.label, o.run and o.run.health) for o in first]
    expected = reviews(local.parent / "ladder.db")
    assert len(expected) > 500
    assert {kind for _, kind, *_ in expected.values()} == set(SOURCE_KINDS) - {"signals"}
    assert reviews(cluster.parent / "ladder.db") == expected
    with contextlib.closing(open_db(cluster.parent / "ladder.db")) as db:
        runs = list(db["crawl_runs"].rows_where(order_by="id"))
    assert signals(cluster.parent / "ladder.db") == signals(local.parent / "ladder.db")
    assert {run["node"] for run in runs} == {node.url for node in nodes}  # both took work
    assert all(run["job_id"] and run["retried"] is None for run in runs)
    assert all(Path(run["log_path"]).read_text(encoding="utf-8") for run in runs)
    assert sum(run["reviews_new"] for run in runs) == len(expected)
    # the feeds left on the nodes hold no reviewer's name, only names sealed to the central key
    feeds = [
        path for node in nodes for path in (node.folder / "items").rglob("*") if path.is_file()
    ]
    assert feeds
    text = "\n".join(path.read_text(encoding="utf-8") for path in feeds)
    assert '"author_sealed"' in text
    assert '"author"' not in text
    with contextlib.closing(open_db(local.parent / "ladder.db")) as db:
        assert db.execute("SELECT count(author_hash) FROM reviews").fetchone()[0] > 500

    second = crawl(cluster)
    assert all(o.ok for o in second)
    assert [o.run.reviews_new for o in second if o.run] == [0] * len(second)
    assert reviews(cluster.parent / "ladder.db").keys() == expected.keys()
    # incremental on the nodes too: one listing page per review source
    assert {o.run.pages for o in second if o.run and o.target.source.kind != "signals"} == {1}

    dumped = CliRunner().invoke(cli, ["--config", str(cluster), "config"]).output
    with contextlib.closing(open_db(cluster.parent / "ladder.db")) as db:
        stored = "\n".join(str(tuple(row)) for row in db.execute("SELECT * FROM crawl_runs"))
    for secret in (PASSWORD, "the-same-salt-for-both-databases"):
        assert secret not in dumped
        assert secret not in stored
    assert "scrapyd_nodes" in dumped


@pytest.mark.usefixtures("credentials")
def test_a_node_stopped_mid_run_loses_no_source(
    tmp_path: Path, nodes: list[ScrapydNode], demo: Demo
) -> None:
    _, cluster = write_configs(tmp_path, demo, [node.url for node in nodes])
    assert all(result.ok for result in deploy(load_config(cluster)))
    config = load_config(cluster)
    node_b = cluster_nodes(config)[1]
    outcomes: list[CrawlOutcome] = []
    crawling = threading.Thread(target=lambda: outcomes.extend(crawl(cluster)))
    crawling.start()
    deadline = time.monotonic() + 30
    while node_b.load() == 0 and time.monotonic() < deadline:  # it has work: stop it
        time.sleep(0.02)
    nodes[1].stop()
    crawling.join(timeout=90)
    assert not crawling.is_alive()
    assert all(o.ok for o in outcomes), [(o.target.label, o.run and o.run.health) for o in outcomes]
    retried = [o for o in outcomes if o.retried]
    assert retried
    assert all(nodes[1].url in str(o.retried) for o in retried)
    assert len(outcomes) == len(SOURCE_KINDS)
    with contextlib.closing(open_db(cluster.parent / "ladder.db")) as db:
        runs = db.execute("SELECT node, retried FROM crawl_runs WHERE retried IS NOT NULL")
        assert {node for node, _ in runs} == {nodes[0].url}
        crawled = (
            db.execute("SELECT count(DISTINCT source_id) FROM reviews").fetchone()[0]
            + db.execute("SELECT count(DISTINCT source_id) FROM service_signals").fetchone()[0]
        )
    assert crawled == len(SOURCE_KINDS)


def test_a_refused_login_and_a_node_that_is_down_are_named(
    tmp_path: Path, nodes: list[ScrapydNode], monkeypatch: pytest.MonkeyPatch
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    path = tmp_path / "ladder.toml"
    path.write_text(
        '[business]\nname = "Us"\n[crawl]\ncontact = "t@example.com"\nengine = "scrapyd"\n'
        f'scrapyd_nodes = ["{nodes[0].url}", "{down}"]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("LADDER_SCRAPYD_USERNAME", USER)
    monkeypatch.setenv("LADDER_SCRAPYD_PASSWORD", "wrong")
    result = CliRunner().invoke(cli, ["--config", str(path), "deploy"])
    assert result.exit_code == 1
    assert f"{nodes[0].url}: FAILED: {nodes[0].url}: login refused (HTTP 401)" in result.output
    assert f"{down}: FAILED: {down}: unreachable" in result.output
    assert "wrong" not in result.output


def test_ingesting_the_same_feed_twice_adds_nothing(tmp_path: Path) -> None:
    feed = (
        '{"type": "reviews", "url": "http://127.0.0.1/r", "aggregate": null, "raw": ['
        '{"native_id": "a1", "rating": 4, "body": "Good coffee", "published": "2026-10-01",'
        ' "author": "Lan"}, {"native_id": "a2", "rating": 9, "body": "Bad"}]}\n'
    )
    log = 'x [crawler.extensions] INFO: ladder-feed-result: {"finish_reason": "finished", '
    log += '"stats": {"ladder/pages": 1, "ladder/pages_answered": 1, '
    log += '"ladder/pages_requested": 1}, "walk_complete": true}\n'
    result = read_result(log)
    assert result is not None
    context = SourceContext(
        "Us", "schemaorg", "127.0.0.1", "salt", now=datetime(2026, 11, 24, tzinfo=UTC)
    )
    with contextlib.closing(open_db(tmp_path / "ladder.db")) as db:
        source = sync_source(db, sync_business(db, "Us"), "schemaorg", "http://127.0.0.1/r")
        counts = []
        for _ in range(2):
            run = start_crawl_run(db, source, "schemaorg")
            figures = ingest_feed(db, source, run, read_items(feed.splitlines()), result, context)
            counts.append((figures["reviews_parsed"], figures["reviews_new"], figures["dropped"]))
        assert counts == [(2, 1, 1), (2, 0, 1)]  # the rating 9 of 5 is dropped both times
        assert db["reviews"].count == 1
        assert db.execute("SELECT walk_completed_at FROM sources").fetchone()[0]


def test_a_sealed_name_opens_only_with_the_salt_and_hashes_as_a_local_crawl_does(
    tmp_path: Path,
) -> None:
    key = author_public_key("salt")
    sealed = [seal_author(key, name) for name in ("Lan", "Nguyễn Văn A", "x" * 40)]
    assert len({len(text) for text in sealed[:2]}) == 1  # padded: short names look alike
    assert [open_author("salt", text) for text in sealed] == ["Lan", "Nguyễn Văn A", "x" * 40]
    assert open_author("another salt", sealed[0]) is None
    feed = json.dumps({"type": "reviews", "url": "http://127.0.0.1/r", "aggregate": None, "raw": [
        {"native_id": "a1", "rating": 4, "body": "Good", "published": "2026-10-01",
         "author_sealed": sealed[1]},
        {"native_id": "a2", "rating": 5, "body": "Fine", "published": "2026-10-02",
         "author": "Lan"},  # a feed written before names were sealed
    ]})  # fmt: skip
    context = SourceContext(
        "Us", "schemaorg", "127.0.0.1", "salt", now=datetime(2026, 11, 24, tzinfo=UTC)
    )
    with contextlib.closing(open_db(tmp_path / "ladder.db")) as db:
        source = sync_source(db, sync_business(db, "Us"), "schemaorg", "http://127.0.0.1/r")
        run = start_crawl_run(db, source, "schemaorg")
        ingest_feed(db, source, run, read_items([feed]), {"finish_reason": "finished"}, context)
        hashes = dict(db.execute("SELECT native_id, author_hash FROM reviews").fetchall())
    assert hashes == {"a1": author_hash("nguyễn văn a", "salt"), "a2": author_hash("Lan", "salt")}


def test_settled_keys_travel_as_compact_prefixes() -> None:
    keys = [f"{i:024x}" for i in range(1000)]
    text = encode_settled(keys)
    assert len(text) < 11 * len(keys)
    assert decode_settled(text) == {key[:16] for key in keys}


@pytest.mark.parametrize(
    ("crawl_table", "message"),
    [
        ('engine = "cluster"', 'engine: \'cluster\': use "local" or "scrapyd"'),
        ('engine = "scrapyd"', 'scrapyd_nodes: required with engine = "scrapyd"'),
        ('scrapyd_nodes = ["ftp://n:6800"]', "scrapyd_nodes[0]: 'ftp://n:6800' is not an http(s)"),
        ('scrapyd_nodes = ["http://u:p@n:6800"]', "LADDER_SCRAPYD_USERNAME"),
        ('scrapyd_nodes = ["http://n:6800", "http://n:6800/"]', "is listed twice"),
        ('scrapyd_password = "x"', "credentials are never read from the file"),
        ('scrapyd_project = "a b"', "scrapyd_project: 'a b': use letters"),
        ("scrapyd_poll = 0", "scrapyd_poll: 0.0 must be more than 0"),
    ],
)
def test_engine_keys_are_validated(tmp_path: Path, crawl_table: str, message: str) -> None:
    path = tmp_path / "ladder.toml"
    path.write_text(
        f'[business]\nname = "Us"\n[crawl]\ncontact = "t@example.com"\n{crawl_table}\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as error:
        load_config(path, environ={})
    assert str(error.value).startswith(f"{path}: [crawl].")
    assert message in str(error.value)


def test_engine_keys_resolve(tmp_path: Path) -> None:
    path = tmp_path / "ladder.toml"
    path.write_text(
        '[business]\nname = "Us"\n[crawl]\ncontact = "t@example.com"\nengine = "scrapyd"\n'
        'scrapyd_nodes = ["http://10.0.0.5:6800/", "https://crawl.example.com/scrapyd"]\n',
        encoding="utf-8",
    )
    crawl_config = load_config(path, environ={}).crawl
    assert crawl_config.engine == "scrapyd"
    assert crawl_config.scrapyd_nodes == (
        "http://10.0.0.5:6800",
        "https://crawl.example.com/scrapyd",
    )
    assert load_config(path, environ={}).crawl.scrapyd_project == "service-ladder"
