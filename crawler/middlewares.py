"""Retries that back off: Scrapy's own retry re-queues a failed request at once, which hammers a
struggling site. Here the n-th retry waits ``RETRY_BACKOFF_BASE * 2**(n-1)`` seconds (capped by
``RETRY_BACKOFF_MAX``), or what a 429/503 ``Retry-After`` header asks, within the same cap.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import reactor
from twisted.internet.task import deferLater

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
