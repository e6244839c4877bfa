"""End to end: `ladder crawl`'s job runs `python -m crawler crawl` against the fixture server on
127.0.0.1 and writes into a real SQLite file."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from db import open_db
from db.queries import crawl_run
from scheduler.config import load_config
from scheduler.crawl.local import run_crawl
from scheduler.crawl.targets import CrawlOutcome, select_targets, source_lock, sync_config
from scheduler.demo.server import FixtureServer, Page
from tests.conftest import FIXTURES, review, review_page, write_config


def crawl(
    tmp_path: Path, server: FixtureServer, *, crawl_settings: dict[str, object] | None = None
) -> CrawlOutcome:
    path = write_config(
        tmp_path, {"Test Shop": [server.url + "/shop/reviews"]}, crawl=crawl_settings
    )
    config = load_config(path)
    (target,) = select_targets(config)
    return run_crawl(config, target)


def stored(tmp_path: Path) -> list[dict[str, object]]:
    with contextlib.closing(open_db(tmp_path / "ladder.db")) as db:
        return list(db["reviews"].rows_where(order_by="native_id"))


def serve_pages(server: FixtureServer, pages: int, per_page: int = 5) -> None:
    for number in range(1, pages + 1):
        path = "/shop/reviews" if number == 1 else f"/shop/reviews?page={number}"
        nodes = [review(number * 100 + i) for i in range(per_page)]
        next_path = f"/shop/reviews?page={number + 1}" if number < pages else None
        server.add(path, review_page(nodes, next_path=next_path))


def test_crawl_follows_pagination_and_stores_every_review(
    tmp_path: Path, server: FixtureServer
) -> None:
    serve_pages(server, 3)
    outcome = crawl(tmp_path, server)
    run = outcome.run
    assert run is not None
    assert run.ok, run.health
    assert (run.pages, run.reviews_parsed, run.reviews_new, run.dropped) == (3, 15, 15, 0)
    assert run.http_statuses.get("200", 0) >= 3
    assert run.finish_reason == "finished"
    rows = stored(tmp_path)
    assert len(rows) == 15
    assert {row["native_id"] for row in rows} == {
        f"r{p * 100 + i}" for p in (1, 2, 3) for i in range(5)
    }
    assert all(row["author_hash"] and "Reviewer" not in str(row["author_hash"]) for row in rows)
    # polite: one robots.txt fetch, each page once, an honest User-Agent with the contact
    assert server.hits("/robots.txt") == 1
    assert server.hits("/shop/reviews?page=2") == 1
    assert any("ServiceLadder/" in ua and "tests@example.com" in ua for ua in server.user_agents)
    assert Path(str(run.log_path)).exists()


def test_a_crawl_opens_no_remote_control_server(
    tmp_path: Path, server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Scrapy's RemoteControl extension (on by default since 2.19) listens on localhost for Python
    # code to run and keeps its token in a job file under the user's state folder.
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    serve_pages(server, 1)
    run = crawl(tmp_path, server).run
    assert run is not None
    assert run.ok, run.health
    log = Path(str(run.log_path)).read_text(encoding="utf-8")
    assert "Enabled extensions" in log
    assert "RemoteControl" not in log
    assert not (state / "scrapy").exists()


def test_a_crawl_process_does_not_import_numpy(
    tmp_path: Path, server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # sqlite-utils imports numpy whenever it is installed (0.1 s a process); `python -m crawler`
    # marks it absent. The interpreter lists every import it makes on its standard error: the
    # crawl process's own log (logs/…-crawl-….log), beside each source's.
    monkeypatch.setenv("PYTHONPROFILEIMPORTTIME", "1")
    serve_pages(server, 1)
    run = crawl(tmp_path, server).run
    assert run is not None
    assert run.ok, run.health
    (process_log,) = (tmp_path / "logs").glob("*-crawl-*.log")
    imported = {
        line.split("|")[-1].strip()
        for line in process_log.read_text(encoding="utf-8").splitlines()
        if line.startswith("import time:")
    }
    assert {"sqlite_utils", "crawler.source_spider"} <= imported
    assert not any(name.split(".")[0] in ("numpy", "pandas") for name in imported)


def test_reviews_marked_up_twice_on_a_page_are_stored_once(
    tmp_path: Path, server: FixtureServer
) -> None:
    # A theme's microdata (no ratings) beside an SEO plugin's JSON-LD (with them): six reviews.
    page = (FIXTURES / "schemaorg" / "jsonld_and_microdata.html").read_text(encoding="utf-8")
    server.add("/shop/reviews", Page(page.replace(' rel="next"', "")))  # the one page
    run = crawl(tmp_path, server).run
    assert run is not None
    assert run.ok, run.health
    assert run.reviews_parsed == 6
    rows = stored(tmp_path)
    assert len(rows) == run.reviews_new
    assert all(row["rating"] is not None and row["title"] for row in rows)
    assert len({row["body"] for row in rows}) == len(rows)


def test_recrawl_adds_nothing_and_only_moves_last_seen(
    tmp_path: Path, server: FixtureServer
) -> None:
    serve_pages(server, 2)
    first = crawl(tmp_path, server).run
    before = {row["review_key"]: row for row in stored(tmp_path)}
    second = crawl(tmp_path, server).run
    assert first is not None
    assert second is not None
    assert (first.reviews_new, second.reviews_new, second.reviews_changed) == (10, 0, 0)
    assert second.ok
    after = {row["review_key"]: row for row in stored(tmp_path)}
    assert after.keys() == before.keys()
    for key, row in after.items():
        assert {column for column in row if row[column] != before[key][column]} <= {"last_seen_at"}


def test_robots_txt_disallow_is_honoured(tmp_path: Path, server: FixtureServer) -> None:
    server.add("/shop/reviews", review_page([review(1)], next_path="/private/more"))
    server.add("/private/more", review_page([review(2)]))
    run = crawl(tmp_path, server).run
    assert server.hits("/private/more") == 0
    assert [row["native_id"] for row in stored(tmp_path)] == ["r1"]
    assert run is not None
    assert run.pages == 1


def test_a_start_page_forbidden_by_robots_is_unhealthy(tmp_path: Path) -> None:
    with FixtureServer(
        {"/shop/reviews": review_page([review(1)])}, robots="User-agent: *\nDisallow: /shop/\n"
    ) as server:
        run = crawl(tmp_path, server).run
        assert server.hits("/shop/reviews") == 0
    assert run is not None
    assert not run.ok
    assert "robots.txt forbids" in str(run.health)


def test_a_server_error_is_retried_then_succeeds(tmp_path: Path, server: FixtureServer) -> None:
    server.add("/shop/reviews", review_page([review(1)], next_path="/shop/reviews?page=2"))
    server.add(
        "/shop/reviews?page=2",
        [Page("<h1>Internal Server Error</h1>", status=500), review_page([review(2)])],
    )
    run = crawl(tmp_path, server).run
    assert server.hits("/shop/reviews?page=2") == 2
    assert run is not None
    assert run.ok, run.health
    assert run.http_statuses == {"200": 3, "500": 1}  # robots.txt, page 1, page 2 after its 500
    assert len(stored(tmp_path)) == 2


def test_a_page_that_stays_broken_is_unhealthy(tmp_path: Path, server: FixtureServer) -> None:
    server.add("/shop/reviews", review_page([review(1)], next_path="/shop/reviews?page=2"))
    server.add("/shop/reviews?page=2", Page("down", status=503))
    run = crawl(tmp_path, server).run
    assert server.hits("/shop/reviews?page=2") == 3  # the first try and two retries
    assert run is not None
    assert not run.ok
    assert "failed after retries" in str(run.health)
    assert len(stored(tmp_path)) == 1  # what was read is kept


def test_a_page_with_no_reviews_marks_the_run_unhealthy(
    tmp_path: Path, server: FixtureServer
) -> None:
    server.add("/shop/reviews", review_page([review(1)], next_path="/shop/reviews?page=2"))
    server.add("/shop/reviews?page=2", review_page([]))
    run = crawl(tmp_path, server).run
    assert run is not None
    assert not run.ok
    assert run.pages_empty == 1
    assert "1 of 2 pages had no reviews" in str(run.health)
    assert "/shop/reviews?page=2" in str(run.health)


def test_invalid_reviews_are_counted_by_reason(tmp_path: Path, server: FixtureServer) -> None:
    nodes = [
        review(1),
        review(2, reviewRating={"ratingValue": "6", "bestRating": "5"}),
        review(3, datePublished="2099-01-01"),
    ]
    server.add("/shop/reviews", review_page(nodes))
    run = crawl(tmp_path, server).run
    assert run is not None
    assert run.dropped_reasons == {"rating_out_of_range": 1, "date_in_future": 1}
    assert (run.reviews_parsed, run.dropped, run.reviews_new) == (3, 2, 1)
    assert not run.ok  # most of what it read was invalid: a sign the site changed


def test_a_crawl_past_its_timeout_is_killed_with_its_process_group(
    tmp_path: Path, server: FixtureServer
) -> None:
    server.add("/shop/reviews", review_page([review(1)], next_path="/shop/reviews?page=2"))
    server.add("/shop/reviews?page=2", Page("slow", delay=30))
    outcome = crawl(tmp_path, server, crawl_settings={"source_timeout": 4.0, "timeout": 60.0})
    run = outcome.run
    assert run is not None
    assert (run.ok, run.finish_reason) == (False, "timeout")
    assert "source_timeout" in str(run.health)
    assert run.pid is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(run.pid, 0)  # the crawl was its group's leader: no member is left


def test_a_source_locked_by_another_crawl_is_skipped(tmp_path: Path, server: FixtureServer) -> None:
    serve_pages(server, 1)
    config = load_config(write_config(tmp_path, {"Test Shop": [server.url + "/shop/reviews"]}))
    (target,) = select_targets(config)
    (source_id,) = sync_config(config).values()
    with source_lock(config, source_id) as acquired:
        assert acquired
        outcome = run_crawl(config, target)
    assert outcome.run is None
    assert outcome.skipped == "another crawl of this source is running"
    assert server.hits("/shop/reviews") == 0


def test_crawl_run_row_is_readable_by_id(tmp_path: Path, server: FixtureServer) -> None:
    serve_pages(server, 1)
    run = crawl(tmp_path, server).run
    assert run is not None
    with contextlib.closing(open_db(tmp_path / "ladder.db")) as db:
        assert crawl_run(db, run.id) == run
        aggregate = db.execute("SELECT count(*) FROM aggregate_ratings WHERE run_id = ?", [run.id])
        assert aggregate.fetchone()[0] == 0  # the test page has no AggregateRating


def test_interrupting_ladder_crawl_stops_its_crawls(tmp_path: Path, server: FixtureServer) -> None:
    server.add("/shop/reviews", review_page([review(1)], next_path="/shop/reviews?page=2"))
    server.add("/shop/reviews?page=2", Page("slow", delay=60))
    config = write_config(tmp_path, {"Test Shop": [server.url + "/shop/reviews"]})
    command = [sys.executable, "-m", "scheduler", "--config", str(config), "crawl"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while server.hits("/shop/reviews?page=2") == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 1, output
    with contextlib.closing(open_db(tmp_path / "ladder.db")) as db:
        (run_id,) = [row["id"] for row in db["crawl_runs"].rows]
        run = crawl_run(db, run_id)
    assert (run.ok, run.finish_reason) == (False, "interrupted")
    assert run.pid is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(run.pid, 0)


def _cp1258(text: str) -> bytes:
    """Windows-1258 keeps letters like ơ and ư whole and writes tone marks after them."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = ""
    for char in text:
        parts = unicodedata.normalize("NFD", char)
        out += unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out += "".join(c for c in parts if c in tones)
    return out.encode("cp1258")


@pytest.mark.parametrize(
    ("header", "encode", "body"),
    [
        ("text/html; charset=windows-1258", _cp1258, "Sẽ quay lại, phục vụ được"),
        (
            "text/html; charset=iso-8859-1",
            lambda text: text.encode("latin-1"),
            "Très bon café, à bientôt",
        ),
    ],
)
def test_pages_served_in_other_encodings_are_read_correctly(
    tmp_path: Path, server: FixtureServer, header: str, encode: Callable[[str], bytes], body: str
) -> None:
    page = review_page([review(1, body=body)])
    server.add("/shop/reviews", Page(encode(page.payload().decode()), content_type=header))
    run = crawl(tmp_path, server).run
    assert run is not None
    assert run.ok, run.health
    (row,) = stored(tmp_path)
    assert row["body"] == body  # decoded, and composed (NFC) again
