"""One page for ``ladder extract``: a saved file, or a URL fetched politely (robots.txt obeyed,
the same User-Agent as a crawl)."""

from __future__ import annotations

import urllib.error
import urllib.request
import urllib.robotparser
from pathlib import Path
from urllib.parse import urljoin, urlparse

from db.exceptions import FetchError
from scheduler import __version__
from scheduler.config import Config
from scheduler.crawl.targets import PROJECT_URL, user_agent

#: The largest page ``ladder extract`` reads, as in a crawl's default ``max_page_bytes``.
MAX_BYTES = 10 * 1024 * 1024


def read_page(page: str, config: Config | None, *, timeout: float = 30.0) -> tuple[bytes, str]:
    """``(body, url)`` of a saved file or an http(s) URL."""
    if urlparse(page).scheme in ("http", "https"):
        agent = user_agent(config) if config else f"ServiceLadder/{__version__} (+{PROJECT_URL})"
        return _fetch(page, agent, timeout), page
    path = Path(page)
    try:
        return path.read_bytes()[:MAX_BYTES], path.resolve().as_uri()
    except OSError as error:
        raise FetchError(f"{page}: cannot read ({error.strerror or error})") from None


def _robots(url: str, agent: str, timeout: float) -> urllib.robotparser.RobotFileParser:
    """The site's robots.txt, read the way Scrapy reads it: 401/403 forbid all, other errors none."""
    robots = urllib.robotparser.RobotFileParser()
    robots_url = urljoin(url, "/robots.txt")
    request = urllib.request.Request(robots_url, headers={"User-Agent": agent})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            robots.parse(response.read(MAX_BYTES).decode("utf-8", "replace").splitlines())
    except urllib.error.HTTPError as error:
        error.close()
        robots.parse(["User-agent: *", "Disallow: /"] if error.code in (401, 403) else [])
    except OSError:  # no answer: nothing forbids the fetch
        robots.parse([])
    return robots


def _fetch(url: str, agent: str, timeout: float) -> bytes:
    if not _robots(url, agent, timeout).can_fetch(agent, url):
        raise FetchError(
            f"{url}: robots.txt forbids fetching it; save the page yourself if you may"
        )
    request = urllib.request.Request(url, headers={"User-Agent": agent})  # noqa: S310 - http(s) only
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return bytes(response.read(MAX_BYTES))
    except urllib.error.HTTPError as error:
        error.close()
        raise FetchError(f"{url}: HTTP {error.code} {error.reason}") from None
    except OSError as error:
        reason = getattr(error, "reason", error)
        raise FetchError(f"{url}: cannot fetch ({reason})") from None
