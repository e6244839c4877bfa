"""Many sources in one crawl process (crawler.batch): each keeps its own health, counts, log and
lock; a source that hangs, fails or is refused by robots.txt never stops the others; a site is
never crawled for more of its sources at once than ``concurrency_per_site``."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from db import open_db
from scheduler.config import load_config
from scheduler.crawl.engine import crawl_sources
from scheduler.crawl.local import split_job
from scheduler.crawl.targets import select_targets
from scheduler.demo.server import FixtureServer, Page
from tests.conftest import review, review_page, write_config

SOURCES = 30
PAGES = 2
REVIEWS = 3


def serve_shop(server: FixtureServer, number: int) -> str:
    """Shop ``number``'s listing: two pages of three reviews of its own; its first page's URL."""
    base = f"/shop-{number}/reviews"
    for page in range(1, PAGES + 1):
        path = base if page == 1 else f"{base}?page={page}"
        after = f"{base}?page={page + 1}" if page < PAGES else None
        nodes = [review(number * 100 + page * 10 + i) for i in range(REVIEWS)]
        server.add(path, review_page(nodes, next_path=after))
    return server.url + base


def test_thirty_sources_in_one_process_each_with_its_own_health(tmp_path: Path) -> None:
    robots = "User-agent: *\nDisallow: /shop-2/\n"  # shop 2 may not be crawled
    with FixtureServer(robots=robots) as server:
        urls = [serve_shop(server, number) for number in range(SOURCES)]
        server.add("/shop-0/reviews", Page("never answered in time", delay=8))  # shop 0 hangs
        server.add("/shop-1/reviews", Page("<h1>broken</h1>", status=500))  # shop 1 fails
        sources = {f"Shop {number}": [url] for number, url in enumerate(urls)}
        crawl = {"processes": 1, "parallel": 4, "concurrency_per_site": 4}
        path = write_config(tmp_path, sources, crawl={**crawl, "timeout": 1.5, "retries": 0})
        config = load_config(path)
        outcomes = crawl_sources(config, select_targets(config))

    runs = {outcome.target.business.name: outcome.run for outcome in outcomes}
    assert all(run is not None for run in runs.values())
    hung, failed, refused = runs.pop("Shop 0"), runs.pop("Shop 1"), runs.pop("Shop 2")
    assert hung is not None
    assert failed is not None
    assert refused is not None
    assert not hung.ok
    assert "timed out" in str(hung.health)
    assert not failed.ok
    assert "HTTP 500" in str(failed.health)
    assert not refused.ok
    assert "robots.txt forbids" in str(refused.health)
    for name, run in runs.items():  # the other 27 finished, each with its own figures
        assert run is not None
        assert run.ok, (name, run.health)
        assert (run.pages, run.reviews_new) == (PAGES, PAGES * REVIEWS), name
        assert run.finish_reason == "finished"
    pids = {run.pid for run in (*runs.values(), hung, failed, refused) if run is not None}
    assert len(pids) == 1  # one crawl process crawled them all

    with contextlib.closing(open_db(tmp_path / "ladder.db")) as db:
        stored = db.execute("SELECT source_id, count(*) FROM reviews GROUP BY source_id")
        counts = dict(stored.fetchall())
    assert sorted(counts.values()) == [PAGES * REVIEWS] * (SOURCES - 3)

    # Each source's log holds its own crawl, not its neighbours'.
    failed_log = Path(str(failed.log_path)).read_text(encoding="utf-8")
    assert "/shop-1/reviews: HTTP 500" in failed_log
    assert "/shop-3/" not in failed_log
    shop_3 = runs["Shop 3"]
    assert shop_3 is not None
    ok_log = Path(str(shop_3.log_path)).read_text(encoding="utf-8")
    assert "Enabled item pipelines" in ok_log  # what Scrapy says while it sets the crawl up
    assert "'ladder/pages': 2" in ok_log  # and its own stats at the end
    assert "Spider closed (finished)" in ok_log
    assert "HTTP 500" not in ok_log
    assert "Shop 1" not in ok_log


def log_span(path: Path) -> tuple[datetime, datetime]:
    """When a source's crawl opened and closed, from its own log's Scrapy lines."""
    text = path.read_text(encoding="utf-8")
    stamp = r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) .*Spider "
    opened = re.search(stamp + "opened", text, re.MULTILINE)
    closed = re.search(stamp + "closed", text, re.MULTILINE)
    assert opened is not None
    assert closed is not None
    return tuple(  # type: ignore[return-value]
        datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f") for match in (opened, closed)
    )


@pytest.mark.parametrize("processes", [1, 2])
def test_a_site_is_crawled_for_one_source_at_a_time(
    tmp_path: Path, server: FixtureServer, processes: int
) -> None:
    # Six businesses on one site, eight sources allowed at once: the site still sees one crawl
    # at a time (concurrency_per_site = 1), in one process or shared among two.
    urls = [serve_shop(server, number) for number in range(6)]
    for number in range(6):
        page = review_page([review(number * 100 + 11)])
        server.add(f"/shop-{number}/reviews?page=2", dataclasses.replace(page, delay=0.3))
    sources = {f"Shop {number}": [url] for number, url in enumerate(urls)}
    crawl = {"processes": processes, "parallel": 8, "concurrency_per_site": 1}
    config = load_config(write_config(tmp_path, sources, crawl=crawl))
    outcomes = crawl_sources(config, select_targets(config))
    assert all(outcome.ok for outcome in outcomes)
    spans = sorted(log_span(Path(str(o.run.log_path))) for o in outcomes if o.run is not None)
    assert len(spans) == 6
    for (_, closed), (opened, _) in itertools.pairwise(spans):
        assert closed <= opened  # never two at once


def job(sites: list[tuple[str, int, int]], parallel: int) -> dict[str, Any]:
    """A batch job of ``count`` sources on each ``(site, count, site_limit)``."""
    sources = []
    for site, count, limit in sites:
        for _ in range(count):
            sources.append({"index": len(sources), "site": site, "site_limit": limit})
    return {"parallel": parallel, "sources": sources}


@pytest.mark.parametrize(
    ("sites", "parallel", "processes"),
    [
        ([("a", 50, 2)], 2, 2),
        ([("a", 50, 1)], 2, 2),
        ([("a", 10, 3), ("b", 7, 1), ("c", 1, 4)], 4, 2),
        ([("a", 3, 8)], 8, 4),
        ([(f"s{n}", 1, 1) for n in range(500)], 8, 2),
        ([("a", 5, 1)], 1, 8),
    ],
)
def test_split_job_keeps_every_limit(
    sites: list[tuple[str, int, int]], parallel: int, processes: int
) -> None:
    whole = job(sites, parallel)
    shares = split_job(whole, processes)
    # As many processes as there is room for, and no more than the sites can be dealt among.
    room = min(processes, parallel, len(whole["sources"]))
    assert len(shares) == min(room, sum(min(limit, room, count) for _, count, limit in sites))
    indexes = [source["index"] for share in shares for source in share["sources"]]
    assert sorted(indexes) == list(range(len(whole["sources"])))  # each source once
    assert sum(share["parallel"] for share in shares) <= parallel
    assert all(share["parallel"] >= 1 for share in shares)
    for site, _, limit in sites:  # a site's limit, summed over the processes it is dealt to
        limits = [
            next(s["site_limit"] for s in share["sources"] if s["site"] == site)
            for share in shares
            if any(s["site"] == site for s in share["sources"])
        ]
        assert sum(limits) <= limit
        assert all(part >= 1 for part in limits)
    for share in shares:  # the job's order within each process
        order = [source["index"] for source in share["sources"]]
        assert order == sorted(order)
    # Balanced: each piece of a site goes to one of the least loaded processes, so no process
    # has more sources than another by more than the largest piece.
    sizes = [len(share["sources"]) for share in shares]
    pieces = [-(-count // min(limit, len(shares), count)) for _, count, limit in sites]
    assert max(sizes) - min(sizes) <= max(pieces)
