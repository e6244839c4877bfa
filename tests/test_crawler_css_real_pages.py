"""The css source on pages shaped like real ones (docs/sources/css.md, "Real pages"): the selectors
the docs give read every review of each page, dates written inside sentences included, and a crawl
of such a site stores every review."""

from __future__ import annotations

import contextlib
import json
import re
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from crawler.preview import preview_page
from db import open_db
from scheduler.config import load_config
from scheduler.crawl.local import run_crawl
from scheduler.crawl.targets import select_targets
from scheduler.demo.server import FixtureServer, Page
from tests.conftest import CRAWL_SETTINGS, FIXTURES, FROZEN_NOW

DOCS = Path(__file__).parent.parent / "docs" / "sources" / "css.md"
PAGES = FIXTURES / "css" / "real"
SAIGON = ZoneInfo("Asia/Ho_Chi_Minh")


def documented() -> dict[str, dict[str, Any]]:
    """The source options of each example in the docs' "Real pages" section, by the page named
    in its ``url`` line's comment."""
    section = DOCS.read_text(encoding="utf-8").split("## Real pages", 1)[1]
    examples = {}
    for block in re.findall(r"```toml\n(.*?)```", section, re.S):
        page = re.search(r'^url = ".*"\s+#\s+(\S+\.html)', block, re.M)
        assert page, block
        (source,) = tomllib.loads(block)["competitors"]["sources"]
        examples[page.group(1)] = source
    return examples


#: What each page says, as a reader sees it: (stars, the day written or time, in the site's zone),
#: and the replies' days.
EXPECTED = {
    "marketplace_en.html": (
        [(5.0, "2024-07-01"), (2.0, "2024-03-12"), (4.0, "2026-11-02")],
        [None, "2024-03-14", None],
    ),
    "marketplace_vi.html": (
        # "2024-03-12 14:05 | Phân loại hàng…", "ngày 5 tháng 11 năm 2026", "3 tuần trước"
        [(5.0, "2024-03-12 14:05"), (2.0, "2026-11-05"), (4.0, "2026-11-09")],
        [None, "2026-11-09", None],
    ),
    "restaurant_en.html": (
        [(5.0, "2026-11-03"), (2.0, "2026-10-14"), (4.0, "2026-09-30")],
        ["2026-11-05", None, None],
    ),
}


def local(stamp: str | None, with_time: bool = False) -> str | None:
    if stamp is None:
        return None
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(SAIGON)
    return moment.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def test_the_docs_give_an_example_for_each_page() -> None:
    assert set(documented()) == set(EXPECTED) == {p.name for p in PAGES.glob("*.html")}


@pytest.mark.parametrize("page", sorted(EXPECTED))
def test_the_documented_selectors_read_every_review(page: str) -> None:
    options = {k: v for k, v in documented()[page].items() if k not in ("kind", "url")}
    url = f"https://pages.example/{page}"
    found = list(
        preview_page("css", (PAGES / page).read_bytes(), url, options, now=FROZEN_NOW, tz=SAIGON)
    )
    assert not [item for item in found if item["type"] in ("dropped", "problem")], found
    reviews = [item for item in found if item["type"] == "review"]
    expected_reviews, expected_replies = EXPECTED[page]
    shown = [
        (r["rating"], local(r["published_at"], with_time=" " in day))
        for r, (_, day) in zip(reviews, expected_reviews, strict=True)
    ]
    assert shown == expected_reviews
    assert [local(r["replied_at"]) for r in reviews] == expected_replies
    assert all(r["body"] for r in reviews)
    assert [bool(r["reply_body"]) for r in reviews] == [d is not None for d in expected_replies]
    (after,) = [item for item in found if item["type"] == "next"]
    assert after["url"].startswith("https://pages.example/")


def second_page(html: str) -> str:
    """Page 2 of the English marketplace: other reviews (other ids), no next link."""
    return re.sub(r'<li class="a-last">.*?</li>', "", html.replace('"R', '"S'))


def test_a_crawl_of_a_site_dated_in_sentences_stores_every_review(
    tmp_path: Path, server: FixtureServer
) -> None:
    html = (PAGES / "marketplace_en.html").read_text(encoding="utf-8")
    server.add("/product-reviews", Page(html))
    server.add("/product-reviews?pageNumber=2", Page(second_page(html)))
    source = {**documented()["marketplace_en.html"], "url": server.url + "/product-reviews"}
    lines = [
        '[database]\npath = "ladder.db"\n',
        '[business]\nname = "Our Shop"\n',
        '[[competitors]]\nname = "Bottle Store"',
        "[[competitors.sources]]",
        *(f"{key} = {json.dumps(value)}" for key, value in source.items()),
        "",
        "[crawl]",
        *(f"{key} = {json.dumps(value)}" for key, value in CRAWL_SETTINGS.items()),
    ]
    (tmp_path / "ladder.toml").write_text("\n".join(lines), encoding="utf-8")
    config = load_config(tmp_path / "ladder.toml")
    (target,) = select_targets(config)
    outcome = run_crawl(config, target)
    assert outcome.run is not None
    assert outcome.run.ok, outcome.run.health
    assert (outcome.run.pages, outcome.run.reviews_new, outcome.run.dropped) == (2, 6, 0)
    with contextlib.closing(open_db(tmp_path / "ladder.db")) as db:
        stored = [row[0] for row in db.execute("SELECT published_at FROM reviews ORDER BY id")]
    assert config.timezone.key == "Asia/Ho_Chi_Minh"  # the default zone the days are read in
    days = [day for _, day in EXPECTED["marketplace_en.html"][0]]
    assert [local(stamp) for stamp in stored] == days * 2
