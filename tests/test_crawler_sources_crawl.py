"""Each platform kind end to end: a real `scrapy crawl` subprocess against the fixture server,
incremental re-crawls that stop at the first known page, and full passes that catch late replies."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from db import open_db
from scheduler.config import load_config
from scheduler.crawl.local import run_crawl
from scheduler.crawl.targets import CrawlOutcome, select_targets
from scheduler.demo.platforms import foody_pages, tiki_pages, trustpilot_pages
from scheduler.demo.server import FixtureServer, Page
from scheduler.demo.sites import CSS_OPTIONS, DemoSite, render_site
from scheduler.demo.world import DemoBusiness, DemoReview
from tests.conftest import CRAWL_SETTINGS, FROZEN_NOW

NOW = FROZEN_NOW  # the instant the crawl processes see too (LADDER_NOW)


def reviews(count: int, *, first: int = 1, reply_every: int = 3) -> tuple[DemoReview, ...]:
    """``count`` reviews, newest first, numbered from ``first`` (the newest gets the highest)."""
    made = []
    for number in range(first, first + count):
        published = NOW - timedelta(days=2 * (first + count - number), hours=3)
        replied = number % reply_every == 0
        made.append(
            DemoReview(
                native_id=f"shop-{number:04d}",
                rating=1 + number % 5,
                title=f"Lần {number}",
                body=f"Đánh giá số {number}: phục vụ nhanh, sẽ quay lại.",
                lang="vi",
                author=f"Khách {number}",
                published_at=published,
                reply_body=f"Cảm ơn bạn {number}!" if replied else None,
                replied_at=published + timedelta(hours=5) if replied else None,
            )
        )
    return tuple(reversed(made))


def site_pages(
    kind: str, items: tuple[DemoReview, ...]
) -> tuple[str, dict[str, Page], dict[str, Any]]:
    """The start path, the pages and the source options of a ``kind`` site holding ``items``."""
    business = DemoBusiness(slug="shop", name="Shop", is_self=True, story="test", reviews=items)
    if kind == "css":
        site = DemoSite(business, "organization", "css", items, CSS_OPTIONS)
        return site.path, render_site(site, NOW), dict(CSS_OPTIONS)
    site = DemoSite(business, kind, kind, items)
    render: dict[str, Callable[[], dict[str, Page]]] = {
        "trustpilot": lambda: trustpilot_pages(site.path, "Shop", items),
        "tiki": lambda: tiki_pages(site.path, items),
        "foody": lambda: foody_pages(site.path, items, NOW),
    }
    return site.path, render[kind](), {}


def crawl(
    tmp_path: Path,
    server: FixtureServer,
    kind: str,
    path: str,
    options: dict[str, Any],
    *,
    full: bool = False,
) -> CrawlOutcome:
    lines = [
        '[database]\npath = "ladder.db"\n',
        '[business]\nname = "Shop"',
        "[[business.sources]]",
    ]
    lines += [f'kind = "{kind}"', f'url = "{server.url + path}"']
    lines += [f'{key} = "{value}"' for key, value in options.items()]
    lines += ["", "[crawl]", *(f"{k} = {json.dumps(v)}" for k, v in CRAWL_SETTINGS.items())]
    (tmp_path / "ladder.toml").write_text("\n".join(lines), encoding="utf-8")
    config = load_config(tmp_path / "ladder.toml")
    (target,) = select_targets(config)
    return run_crawl(config, target, full=full)


def stored(tmp_path: Path) -> dict[str, dict[str, Any]]:
    with contextlib.closing(open_db(tmp_path / "ladder.db")) as db:
        return {row["native_id"]: row for row in db["reviews"].rows}


@pytest.mark.parametrize("kind", ["trustpilot", "tiki", "foody", "css"])
def test_each_kind_crawls_every_page_into_the_database(
    tmp_path: Path, server: FixtureServer, kind: str
) -> None:
    items = reviews(45)
    path, pages, options = site_pages(kind, items)
    for key, page in pages.items():
        server.add(key, page)
    run = crawl(tmp_path, server, kind, path, options).run
    assert run is not None
    assert run.ok, run.health
    assert (run.pages, run.reviews_parsed, run.reviews_new) == (3, 45, 45)
    rows = stored(tmp_path)
    assert len(rows) == 45
    replied = [row for row in rows.values() if row["reply_body"]]
    assert len(replied) == 15
    assert all(row["replied_at"] for row in replied)
    assert run.coverage["body"] == 1.0


@pytest.mark.parametrize("kind", ["trustpilot", "tiki", "foody", "css"])
def test_a_recrawl_reads_only_up_to_the_first_known_page(
    tmp_path: Path, server: FixtureServer, kind: str
) -> None:
    items = reviews(60)
    path, pages, options = site_pages(kind, items)
    for key, page in pages.items():
        server.add(key, page)
    first = crawl(tmp_path, server, kind, path, options).run
    assert first is not None
    assert first.pages == 3

    unchanged = crawl(tmp_path, server, kind, path, options).run
    assert unchanged is not None
    assert (unchanged.pages, unchanged.reviews_new) == (1, 0)  # one listing page, nothing new
    assert unchanged.ok

    newer = reviews(3, first=61) + items  # three new reviews on top
    path, pages, options = site_pages(kind, newer)
    for key, page in pages.items():
        server.add(key, page)
    requests_before = len(server.requests)
    again = crawl(tmp_path, server, kind, path, options).run
    assert again is not None
    assert again.reviews_new == 3
    assert len(stored(tmp_path)) == 63
    listing = [p for _, p in server.requests[requests_before:] if p != "/robots.txt"]
    assert len(listing) <= 2  # the page with the new reviews, and one beyond it


def test_a_full_pass_picks_up_a_late_owner_reply(tmp_path: Path, server: FixtureServer) -> None:
    items = reviews(50, reply_every=1000)  # no replies yet
    path, pages, options = site_pages("tiki", items)
    for key, page in pages.items():
        server.add(key, page)
    crawl(tmp_path, server, "tiki", path, options)
    old = items[-1]  # the oldest review, on the last page
    answered = DemoReview(
        **{**vars(old), "reply_body": "Xin lỗi vì đã trả lời muộn", "replied_at": NOW}
    )
    path, pages, options = site_pages("tiki", (*items[:-1], answered))
    for key, page in pages.items():
        server.add(key, page)
    incremental = crawl(tmp_path, server, "tiki", path, options).run
    assert incremental is not None
    assert stored(tmp_path)[old.native_id.rsplit("-", 1)[-1].lstrip("0")]["reply_body"] is None
    full = crawl(tmp_path, server, "tiki", path, options, full=True).run
    assert full is not None
    assert (full.pages, full.reviews_changed, full.reviews_new) == (3, 1, 0)
    row = stored(tmp_path)[old.native_id.rsplit("-", 1)[-1].lstrip("0")]
    assert row["reply_body"] == "Xin lỗi vì đã trả lời muộn"


def test_an_empty_api_page_marks_the_run_unhealthy(tmp_path: Path, server: FixtureServer) -> None:
    path = "/api/v2/reviews?product_id=1&limit=20&page=1"
    server.add(
        path,
        Page(
            '{"data": [], "paging": {"current_page": 1, "last_page": 1}}',
            content_type="application/json",
        ),
    )
    run = crawl(tmp_path, server, "tiki", path, {}).run
    assert run is not None
    assert not run.ok
    assert "found no reviews" in str(run.health)
