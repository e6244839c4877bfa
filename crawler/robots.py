"""robots.txt as RFC 9309 reads it, where Scrapy's middleware fails open.

Scrapy's :class:`~scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware` treats a robots.txt
it could not get (a 503, a connection that hangs, a body over the size limit) as no robots.txt at
all, and crawls every page. RFC 9309 §2.3.1.3 says the opposite: when robots.txt is unreachable
because of a server or network error, the crawler must assume it disallows everything; only a
4xx ("unavailable", §2.3.1.4) means everything is allowed. Here:

- 2xx: the rules are read as Scrapy reads them;
- 4xx (but 429, which asks the crawler to slow down): everything is allowed;
- 5xx, 429, a timeout, a refused or reset connection, a body too large: nothing is crawled on that
  site this time, ``ladder/robots/unreachable`` in the stats says why, and the crawl's health
  says so. The next crawl asks again.
"""

from __future__ import annotations

from typing import Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.http import Request, Response
from twisted.internet.defer import Deferred

#: The stat that says why a site's robots.txt could not be read (its value is the reason).
UNREACHABLE = "ladder/robots/unreachable"


class DisallowAll:
    """The rules of an unreachable robots.txt: nothing may be fetched."""

    def allowed(self, url: str | bytes, user_agent: str | bytes | None) -> bool:
        return False


class AllowAll:
    """The rules of an unavailable robots.txt (4xx): everything may be fetched."""

    def allowed(self, url: str | bytes, user_agent: str | bytes | None) -> bool:
        return True


class RobotsRfc9309Middleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, closed where RFC 9309 says closed."""

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        status = response.status
        if status >= 500 or status == 429:
            self._settle(netloc, DisallowAll(), f"robots.txt answered HTTP {status}")
            return
        if 400 <= status < 500:
            self._stats.inc_value("robotstxt/response_count")
            self._stats.inc_value(f"robotstxt/response_status_count/{status}")
            self._settle(netloc, AllowAll(), None)
            return
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        self._stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
        reason = str(exc).strip() or type(exc).__name__
        self._settle(netloc, DisallowAll(), f"robots.txt could not be fetched ({reason[:200]})")

    def _settle(self, netloc: str, rules: Any, unreachable: str | None) -> None:
        if unreachable is not None:
            self._stats.set_value(UNREACHABLE, unreachable)
        waiting = self._parsers[netloc]
        self._parsers[netloc] = rules
        if isinstance(waiting, Deferred):
            waiting.callback(rules)
