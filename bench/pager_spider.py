"""The anchor of a crawl: a Scrapy spider that only follows a listing's pagination and does nothing
else (no reviews read, no items, no storage). Run by bench/crawl.py as ``python -m scrapy runspider
bench/pager_spider.py -a url=URL[ URL…]`` with the project's settings and the same ``-s`` values
``ladder crawl`` passes, so the only difference from the real crawl is the work done per page.

The next page is found the cheapest way: a regular expression over the bytes for the ``rel=next``
link (``<link>`` or ``<a>``) or the 0–10 style's ``a.pager-next``. With ``-a selectors=1`` it is
found as a Scrapy spider is usually written, with ``response.css`` (the page parsed by lxml).
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response

_NEXT = re.compile(
    rb"<(?:link|a)\b[^>]*?(?:\brel=\"next\"|class=\"pager-next\")[^>]*>", re.IGNORECASE
)
_HREF = re.compile(rb'\bhref="([^"]*)"')


class PagerSpider(scrapy.Spider):
    name = "pager"

    def __init__(self, url: str = "", selectors: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls_given = url.split()
        self.selectors = selectors == "1"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.start_urls_given:
            yield scrapy.Request(url)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[scrapy.Request]:
        if self.selectors:
            href = response.css(
                "link[rel=next]::attr(href), a[rel=next]::attr(href), a.pager-next::attr(href)"
            ).get()
            if href:
                yield response.follow(href)
            return
        tag = _NEXT.search(response.body)
        if tag:
            href = _HREF.search(tag.group(0))
            if href:
                yield response.follow(html.unescape(href.group(1).decode()))
