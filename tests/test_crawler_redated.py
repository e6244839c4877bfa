"""End to end: a site that shows dates computed when the page is rendered ("2 ngày trước" as a
date) moves its reviews' dates between two crawls; reviews without a native id keep their rows.
Crawled as `ladder crawl` does (a `python -m crawler crawl` process) from the fixture server on
127.0.0.1 into a real SQLite file."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from db import open_db
from scheduler.config import load_config
from scheduler.crawl.local import run_crawl
from scheduler.crawl.targets import CrawlOutcome, select_targets
from scheduler.demo.server import FixtureServer
from tests.conftest import review_page, write_config

#: (author, stars, text, days before the first crawl): no native ids, as many sites publish them.
REVIEWS: list[tuple[str | None, int, str, float]] = [
    ("Lan Nguyễn", 5, "Phở ngon, nước dùng đậm đà, nhân viên dễ thương.", 1.2),
    ("Minh T.", 2, "Đợi lâu quá, gọi hai lần mới có người ra.", 2.4),
    (None, 5, "Ngon", 3.1),
    ("Sam K.", 4, "Great broth and friendly staff, a bit noisy at lunch.", 5.6),
    (None, 5, "Ngon", 6.3),
    ("Hà P.", 3, "Bình thường, giá hơi cao so với phần ăn.", 8.2),
    ("Tuấn Lê", 1, "Nhân viên thái độ, sẽ không quay lại.", 10.5),
    ("Julia", 5, "Best bún bò in the district.", 12.9),
]
PER_PAGE = 4
#: When the listing was first rendered: in the past whatever the clock the crawl sees.
RENDERED = datetime(2026, 9, 14, 12, 0, tzinfo=UTC)


def serve(server: FixtureServer, shown: datetime) -> None:
    """The listing as rendered at ``shown``: each review dated its age before that moment."""
    pages = [REVIEWS[i : i + PER_PAGE] for i in range(0, len(REVIEWS), PER_PAGE)]
    for number, reviews in enumerate(pages, start=1):
        path = "/shop/reviews" if number == 1 else f"/shop/reviews?page={number}"
        next_path = f"/shop/reviews?page={number + 1}" if number < len(pages) else None
        nodes = [node(author, stars, text, shown - timedelta(days=age))
                 for author, stars, text, age in reviews]  # fmt: skip
        server.add(path, review_page(nodes, next_path=next_path))


def node(author: str | None, stars: int, text: str, published: datetime) -> dict[str, Any]:
    review: dict[str, Any] = {
        "@type": "Review",
        "datePublished": published.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "reviewRating": {"@type": "Rating", "ratingValue": stars},
        "reviewBody": text,
    }
    if author:
        review["author"] = {"@type": "Person", "name": author}
    return review


def crawl(tmp_path: Path, server: FixtureServer) -> CrawlOutcome:
    path = write_config(tmp_path, {"Quán Bà Tư": [server.url + "/shop/reviews"]})
    config = load_config(path)
    (target,) = select_targets(config)
    return run_crawl(config, target)


def stored(tmp_path: Path) -> list[dict[str, Any]]:
    with contextlib.closing(open_db(tmp_path / "ladder.db")) as db:
        return list(db["reviews"].rows_where(order_by="id"))


def test_a_recrawl_after_the_dates_moved_stores_nothing_new(
    tmp_path: Path, server: FixtureServer
) -> None:
    serve(server, RENDERED)
    first = crawl(tmp_path, server).run
    assert first is not None
    assert first.ok, first.health
    assert first.reviews_new == len(REVIEWS)
    before = stored(tmp_path)
    assert [row["native_id"] for row in before] == [None] * len(REVIEWS)
    assert sum(row["body"] == "Ngon" for row in before) == 2  # alike, and both kept

    serve(server, RENDERED + timedelta(days=4))  # four days later: every date has moved
    second = crawl(tmp_path, server).run
    assert second is not None
    assert second.ok, second.health
    assert second.reviews_new == 0
    after = stored(tmp_path)
    assert [row["id"] for row in after] == [row["id"] for row in before]
    assert [row["published_at"] for row in after] == [row["published_at"] for row in before]

    assert server.hits("/shop/reviews?page=2") == 2  # the moved keys were not known yet

    third = crawl(tmp_path, server).run  # nothing moved since: known by their new keys
    assert third is not None
    assert third.ok, third.health
    assert third.reviews_new == 0
    assert len(stored(tmp_path)) == len(REVIEWS)
    assert server.hits("/shop/reviews?page=2") == 2  # so the crawl stopped at the first page
