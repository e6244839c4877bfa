"""The spider glue, without a network: a spider built the Scrapy way reads a saved page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.exceptions import UsageError
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.items import ReviewPage
from crawler.spiders.schemaorg import SchemaorgSpider
from tests.conftest import FIXTURES


def build(tmp_path: Path, **arguments: str) -> SchemaorgSpider:
    crawler = get_crawler(SchemaorgSpider, {"LADDER_DB": str(tmp_path / "ladder.db")})
    arguments = {"url": "https://shop.example/reviews", "business": "Shop", **arguments}
    return SchemaorgSpider.from_crawler(crawler, **arguments)


def page(name: str, url: str = "https://shop.example/reviews") -> HtmlResponse:
    body = (FIXTURES / "schemaorg" / name).read_bytes()
    return HtmlResponse(url=url, body=body, encoding="utf-8")


def test_a_page_becomes_one_item_and_a_request_for_the_next(tmp_path: Path) -> None:
    spider = build(tmp_path)
    output = list(spider.parse(page("localbusiness_jsonld.html")))
    item, request = output
    assert isinstance(item, ReviewPage)
    assert len(item.raw) == 3
    assert isinstance(request, Request)
    assert request.url == "https://shop.example/bun-cha/reviews?page=2"
    assert request.cb_kwargs == {"number": 2}
    assert spider.crawler.stats is not None
    assert spider.crawler.stats.get_value("ladder/pages") == 1


def test_the_page_limit_stops_pagination(tmp_path: Path) -> None:
    spider = build(tmp_path, options=json.dumps({"max_pages": 2}))
    output = list(spider.parse(page("localbusiness_jsonld.html"), number=2))
    assert [type(o) for o in output] == [ReviewPage]
    assert spider.crawler.stats is not None
    assert spider.crawler.stats.get_value("ladder/max_pages_reached") == 2


def test_an_empty_page_is_counted(tmp_path: Path) -> None:
    spider = build(tmp_path)
    (item,) = spider.parse(page("no_reviews.html"))
    assert item.raw == []
    stats = spider.crawler.stats
    assert stats is not None
    assert stats.get_value("ladder/pages_empty") == 1
    assert stats.get_value("ladder/first_empty_page") == "https://shop.example/reviews"


def test_the_source_is_registered_and_only_its_host_is_allowed(tmp_path: Path) -> None:
    spider = build(tmp_path)
    assert spider.allowed_domains == ["shop.example"]
    assert spider.db["sources"].get(spider.source_id)["url"] == "https://shop.example/reviews"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"url": ""}, "pass the source"),
        ({"url": "ftp://shop.example/x"}, r"not an http\(s\) address"),
        ({"options": '{"nxt": "a"}'}, "unknown options"),
    ],
)
def test_bad_arguments_are_usage_errors(
    tmp_path: Path, arguments: dict[str, str], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        build(tmp_path, **arguments)


def test_no_callback_returns_a_value_from_a_generator() -> None:
    """Scrapy's per-response check for this is switched off in crawler.settings (it was a third
    of a page's CPU); the spiders are checked here instead, once."""
    from scrapy.settings import Settings
    from scrapy.spiderloader import SpiderLoader
    from scrapy.utils.misc import is_generator_with_return_value

    loader = SpiderLoader.from_settings(Settings({"SPIDER_MODULES": ["crawler.spiders"]}))
    spiders = [loader.load(name) for name in loader.list()]
    callbacks = [
        getattr(spider, name)
        for spider in spiders
        for name in ("parse", "on_error", "start")
        if hasattr(spider, name)
    ]
    assert len(spiders) >= 6
    assert not [c.__qualname__ for c in callbacks if is_generator_with_return_value(c)]

    def parse(response: object) -> object:  # what the check exists to catch
        yield response
        return 1

    assert is_generator_with_return_value(parse)
