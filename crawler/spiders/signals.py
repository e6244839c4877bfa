from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.feed import signal_item
from crawler.items import SignalPage
from crawler.source_spider import DEFAULT_SIGNAL_PAGES, SourceSpider

#: Statuses that say a linked page is not there: the site's answer, not a failed fetch.
ABSENT = frozenset({404, 410})


class SignalsSpider(SourceSpider):
    """A business's own site: the home page, then the same-site pages most likely to be contact,
    support, FAQ, returns, shipping, warranty or policy pages (at most ``max_pages`` in all).
    Yields the service signals of each page (:mod:`crawler.extract.signals`).

    A site's signals are one observation, so the spider keeps count of the pages it asked for and
    the pages it could not read: :attr:`complete` says whether the observation is whole (a page
    that failed or was never answered would make its signals look gone)."""

    name = "signals"
    items_name = "signals"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.requested = 0
        self.answered = 0
        self.unreadable: list[str] = []

    @property
    def complete(self) -> bool:
        return self.requested > 0 and self.answered == self.requested and not self.unreadable

    def request(self, url: str, *, home: bool = False) -> scrapy.Request:
        self.requested += 1
        return scrapy.Request(
            url, callback=self.parse, errback=self.on_error, cb_kwargs={"home": home}
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self.request(self.start_url, home=True)

    def parse(self, response: Response, home: bool = False) -> Any:
        # Imported here: every crawl process loads this module (Scrapy's spider loader), and
        # BeautifulSoup's import costs a review crawl 0.2 s of CPU it never uses.
        from crawler.extract.signals import extract_signals, links_to_follow

        self.answered += 1
        body = self.body(response)
        signals = extract_signals(body, response.url)
        self.count("ladder/pages")
        self.count("ladder/reviews_parsed", len(signals))
        if self.feed:
            yield signal_item(response.url, signals)
        else:
            yield SignalPage(url=response.url, signals=signals)
        if home:
            limit = int(self.options["max_pages"] or DEFAULT_SIGNAL_PAGES) - 1
            for link in links_to_follow(body, response.url, limit=max(0, limit)):
                yield self.request(link)

    def on_error(self, failure: Failure) -> None:
        self.answered += 1
        super().on_error(failure)
        error = failure.value
        if isinstance(error, HttpError) and error.response.status in ABSENT:
            return
        request = getattr(failure, "request", None)
        self.unreadable.append(str(getattr(request, "url", "?")))
