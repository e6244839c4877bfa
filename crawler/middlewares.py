"""Retries that back off, and requests that stay on their source's site.

Scrapy's own retry re-queues a failed request at once, which hammers a struggling site. Here the
n-th retry waits ``RETRY_BACKOFF_BASE * 2**(n-1)`` seconds (capped by ``RETRY_BACKOFF_MAX``), or what
a 429/503 ``Retry-After`` header asks, within the same cap.

Scrapy's offsite filter compares host names only, so a redirect to another port of the same host
was followed, and a next link to ``ftp://`` the same host fetched. :class:`SameOriginMiddleware`
takes its place: a listing stays on its source's origin (:func:`crawler.addresses.same_origin`).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor
from twisted.internet.task import deferLater

from crawler.addresses import DEFAULT_PORTS, origin, same_origin
from crawler.source_spider import ReviewSpider

logger = logging.getLogger(__name__)


def retry_after_seconds(value: bytes | None, now: datetime) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's ``RetryMiddleware`` with exponential backoff and ``Retry-After``."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler.settings)
        self.crawler = crawler
        self.base = crawler.settings.getfloat("RETRY_BACKOFF_BASE")
        self.cap = crawler.settings.getfloat("RETRY_BACKOFF_MAX")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        result = super().process_response(request, response)
        if isinstance(result, Request):
            hint = retry_after_seconds(response.headers.get(b"Retry-After"), datetime.now(UTC))
            await self._wait(result, hint)
        return result

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        result = super().process_exception(request, exception)
        if isinstance(result, Request):
            await self._wait(result, None)
        return result

    async def _wait(self, retry: Request, hint: float | None) -> None:
        attempt = int(retry.meta.get("retry_times", 1))
        delay = min(self.cap, hint if hint is not None else self.base * 2 ** (attempt - 1))
        if delay > 0:
            logger.debug("waiting %.1f s before retry %d of %s", delay, attempt, retry.url)
            await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))


class SameOriginMiddleware:
    """Refuses, before it is fetched, a request whose scheme is not http(s), or that leaves its
    source's site: for a listing (:class:`crawler.source_spider.ReviewSpider`) another origin than
    the source's ``url`` (scheme, host and port; http may become https on the same host and default
    ports); for a business's own site (the signals spider) another host than its own or its
    subdomains, or another port.

    It runs when a request is scheduled, redirects included, so a refused request is dropped
    unanswered (the run's health says "never answered"), counted as ``ladder/offsite/origin`` or
    ``ladder/offsite/scheme``, and logged with its address; ``ladder/offsite/first`` keeps the
    first. It replaces Scrapy's ``OffsiteMiddleware``, which compared host names only."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.request_scheduled, signal=signals.request_scheduled)
        return middleware

    def request_scheduled(self, request: Request) -> None:
        self.process_request(request)

    def process_request(self, request: Request) -> None:
        spider = self.crawler.spider
        start = getattr(spider, "start_url", None)
        if not start:
            return
        refused = self.refusal(start, request.url, listing=isinstance(spider, ReviewSpider))
        if refused is None:
            return
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value(f"ladder/offsite/{refused}")
        if stats.get_value("ladder/offsite/first") is None:
            stats.set_value("ladder/offsite/first", request.url)
        log = spider.logger if spider is not None else logger
        if refused == "scheme":
            log.warning("%s: not fetched: only http and https pages are crawled", request.url)
        else:
            log.warning(
                "%s: not followed: another site than the source's %s (scheme, host and port "
                "must match); if the site has moved, write its new address in ladder.toml",
                request.url,
                start,
            )
        raise IgnoreRequest(f"{request.url}: another origin than {start}")

    @staticmethod
    def refusal(start: str, url: str, *, listing: bool) -> str | None:
        """Why ``url`` may not be fetched by the crawl of ``start``: "scheme", "origin" or None."""
        scheme, host, port = origin(url)
        if scheme not in DEFAULT_PORTS:
            return "scheme"
        if listing:
            return None if same_origin(start, url) else "origin"
        own_scheme, own_host, own_port = origin(start)
        on_host = host == own_host or host.endswith(f".{own_host}")
        on_port = port == own_port or (
            port == DEFAULT_PORTS[scheme] and own_port == DEFAULT_PORTS[own_scheme]
        )
        return None if on_host and on_port else "origin"
