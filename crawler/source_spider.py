"""The base of every review spider: one source, i.e. one business's reviews on one site.

``ladder crawl`` runs one spider per source, many in one process (:mod:`crawler.batch`), with the
arguments ``url``, ``business``, ``run_id``, ``options`` (JSON) and ``full``, and ``LADDER_DB``
among its settings. One source can be crawled by hand from the project root with ``python -m
crawler crawl KIND -a url=… -a business=… [-a options=JSON] [-a full=1] -s LADDER_DB=PATH``.
Pages are read by the kind's extractor (:data:`crawler.extract.EXTRACTORS`).

Crawls are incremental: listings are read newest first, and paging stops at the first page whose
reviews are all stored already. ``full=1`` reads every page (to pick up edited reviews and owner
replies written later), up to the page limit either way.

A listing ends where a page has no next link, or where its next link leads to a page this walk has
fetched already (a last page linking back to page 1 is the end, not a fault). A walk also stops
after :data:`PAGES_WITHOUT_NEW` pages in a row that bring no review not read earlier in this crawl
(next links that go on for ever over the same or recycled reviews), said as a warning in the
crawl's health.

On a Scrapyd node the spider runs in feed mode (``-a feed=1``, :mod:`crawler.feed`): no database,
items written to Scrapyd's feed, the settled keys and the crawl's moment given as arguments.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, Self
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from sqlite_utils import Database
from twisted.python.failure import Failure
from w3lib.url import canonicalize_url

from crawler.connection import CrawlDatabase
from crawler.extract import EXTRACTORS
from crawler.extract.encoding import decode_page, looks_garbled
from crawler.feed import decode_settled, key_prefix, parse_now, review_item
from crawler.items import ExtractedPage, ReviewPage
from crawler.normalize import SourceContext, read_page
from crawler.sources import source_options, with_defaults
from db.reviews import ReviewWriter
from db.store import author_salt, sync_business, sync_source

logger = logging.getLogger(__name__)

#: Listing pages per source and crawl when neither the source nor the settings say.
DEFAULT_MAX_PAGES = 200
#: Pages of a business's own site read for service signals, the home page included.
DEFAULT_SIGNAL_PAGES = 8
#: Listing pages in a row that bring no review not already read in this crawl before the walk
#: stops: a site whose next links go on for ever, serving the same or recycled reviews, would
#: otherwise be read to the page limit. More than one, so a page or two repeated by a listing
#: that shifted while it was read do not end the walk.
PAGES_WITHOUT_NEW = 5


class SourceSpider(scrapy.Spider):
    """What every source's spider shares: its arguments, its options, the database, its source
    row, and the crawl run the recorder keeps (:mod:`crawler.extensions`)."""

    #: The crawl's connection, borrowed from its owner (:class:`crawler.connection.CrawlDatabase`).
    db: Database
    source_id: int
    business_id: int
    #: What the spider reads, in messages about its runs ("fetched 3 pages but found no reviews").
    items_name = "reviews"

    def __init__(
        self,
        url: str = "",
        business: str = "",
        run_id: str = "",
        options: str = "{}",
        full: str = "",
        feed: str = "",
        settled: str = "",
        now: str = "",
        author_key: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if not url or not business:
            raise UsageError(f"{self.name}: pass the source with -a url=URL -a business=NAME")
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise UsageError(f"{self.name}: url {url!r} is not an http(s) address")
        self.start_url = url
        self.business = business
        self.run_id = int(run_id) if run_id else None
        self.options = self._read_options(options)
        self.full = full.lower() in ("1", "true", "yes")
        self.allowed_domains = [parsed.hostname]
        #: Feed mode (:mod:`crawler.feed`): no database; items go to Scrapyd's feed.
        self.feed = feed.lower() in ("1", "true", "yes")
        #: Feed mode: the public key reviewer names are sealed to (:func:`crawler.feed.seal_author`).
        self.author_key = author_key
        if self.feed and not author_key:
            raise UsageError(
                f"{self.name}: feed mode needs -a author_key=KEY (the central database's public "
                "key, crawler.feed.author_public_key): reviewer names never go into a feed in "
                "plain text"
            )
        self.settled_prefixes = decode_settled(settled) if settled else frozenset()
        self.now = parse_now(now)

    def _read_options(self, text: str) -> dict[str, Any]:
        given = json.loads(text)
        known = source_options(self.name)
        unknown = set(given) - set(known)
        if unknown:
            raise UsageError(
                f"{self.name}: unknown options {sorted(unknown)}; known: {sorted(known)}"
            )
        missing = [name for name, option in known.items() if option.required and name not in given]
        if missing:
            raise UsageError(f"{self.name}: options {missing} are required")
        return with_defaults(self.name, given)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        if spider.feed:
            spider.open_feed()
        else:
            spider.open_store()
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            logger.warning(
                "robots.txt of %s is IGNORED for this crawl (ignore_robots = true on this source "
                "in ladder.toml)",
                spider.start_url,
            )
        return spider

    def open_store(self) -> None:
        self.db = CrawlDatabase.from_crawler(self.crawler).db
        self.business_id = sync_business(self.db, self.business)
        self.source_id = sync_source(self.db, self.business_id, self.name, self.start_url)

    def open_feed(self) -> None:
        """Feed mode: what :meth:`open_store` prepares, without a database."""

    def count(self, key: str, value: int = 1) -> None:
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value(key, value)

    def on_error(self, failure: Failure) -> None:
        self.count("ladder/failed_requests")
        error = failure.value
        if isinstance(error, HttpError):
            status = error.response.status
            self.count(f"ladder/failed_status/{status}")
            self.logger.error("%s: HTTP %d after retries", error.response.url, status)
        else:
            request = getattr(failure, "request", None)
            self.logger.error("%s: %s", getattr(request, "url", "?"), failure.getErrorMessage())

    def body(self, response: Response) -> bytes:
        """The page as UTF-8, its encoding decided from its bytes before its header
        (:mod:`crawler.extract.encoding`); bytes invalid in it are read as U+FFFD and counted."""
        content_type = response.headers.get(b"Content-Type")
        page = decode_page(response.body, content_type.decode("latin-1") if content_type else None)
        if page.replaced:
            self.count("ladder/text/replaced_bytes", page.replaced)
            self.logger.warning(
                "%s: %d byte(s) not valid %s, read as U+FFFD",
                response.url,
                page.replaced,
                page.encoding,
            )
        return page.utf8


class ReviewSpider(SourceSpider):
    """Fetches a source's listing pages, newest first, and yields one :class:`ReviewPage` each."""

    writer: ReviewWriter
    context: SourceContext
    #: Set when the listing was read to its end, to settled reviews or to the page limit; a walk
    #: cut short (a page that failed, a crawl stopped) leaves it False.
    walk_complete = False
    #: Set when a page on the way failed or came back without reviews: the walk cannot settle
    #: what lies beyond it, even if later pages were read.
    walk_broken = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The listing pages this walk asked for or landed on (after redirects), canonical: a next
        #: link to one of them ends the listing.
        self.visited: set[str] = set()
        #: The review keys read in this crawl, and how many pages in a row brought none new.
        self.seen_keys: set[str] = set()
        self.pages_without_new = 0

    def on_error(self, failure: Failure) -> None:
        self.count("ladder/pages_answered")
        self.walk_broken = True
        super().on_error(failure)

    def open_store(self) -> None:
        super().open_store()
        self.writer = ReviewWriter(self.db, self.source_id)
        self._prepare(self.crawler.settings.get("LADDER_SALT") or author_salt(self.db))

    def open_feed(self) -> None:
        # Review keys do not depend on the salt; reviewer names are sealed to the central
        # database's key and hashed where the feed is ingested, with that database's salt.
        self._prepare(salt="")

    def _prepare(self, salt: str) -> None:
        settings = self.crawler.settings
        self.max_pages = int(
            self.options["max_pages"] or settings.getint("LADDER_MAX_PAGES", DEFAULT_MAX_PAGES)
        )
        self.context = SourceContext(
            business=self.business,
            kind=self.name,
            host=self.allowed_domains[0],
            salt=salt,
            now=self.now or datetime.now(UTC),
            tz=ZoneInfo(settings.get("LADDER_TIMEZONE") or "UTC"),
            day_first=bool(self.options["day_first"]),
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield self.page_request(self.start_url, 1)

    def page_request(self, url: str, number: int) -> scrapy.Request:
        self.count("ladder/pages_requested")
        self.visited.add(canonicalize_url(url))
        return scrapy.Request(
            url, callback=self.parse, errback=self.on_error, cb_kwargs={"number": number}
        )

    def parse(self, response: Response, number: int = 1) -> Any:
        stats = self.crawler.stats
        assert stats is not None
        page = self.extract(response)
        # Normalised once, here: the walk needs the review keys, and the pipeline takes the rest.
        read = read_page(page.reviews, self.context)
        keys = [review.review_key for review in read.reviews]
        stats.inc_value("ladder/pages")
        stats.inc_value("ladder/pages_answered")
        if not page.reviews:
            self.walk_broken = True
        garbled = sum(
            any(looks_garbled(text) for text in (raw.title, raw.body, raw.reply_body))
            for raw in page.reviews
        )
        if garbled:
            stats.inc_value("ladder/text/garbled_reviews", garbled)
            self.logger.warning("%s: %d review(s) look garbled (mojibake)", response.url, garbled)
        for problem in page.problems:
            stats.inc_value("ladder/page_problems")
            self.logger.warning("%s: %s", response.url, problem)
        if not page.reviews:
            stats.inc_value("ladder/pages_empty")
            stats.set_value("ladder/first_empty_page", response.url)
            self.logger.warning("%s: no reviews found on this page", response.url)
        if self.feed:
            yield review_item(response.url, page, self.author_key)
        else:
            yield ReviewPage(
                url=response.url, raw=page.reviews, aggregate=page.aggregate, read=read
            )
        self.visited.add(canonicalize_url(response.url))
        next_url = page.next_url
        if next_url and canonicalize_url(next_url) in self.visited:
            self.logger.info(
                "%s: the next link leads back to %s, read already: the end of the listing",
                response.url,
                next_url,
            )
            stats.set_value("ladder/walk/next_link_back", number)
            next_url = None
        if not next_url:
            # The end of the listing; an empty page without a next link is not (a page that
            # failed to render ends the walk too, and the next crawl must read on from there).
            self.walk_complete = not self.walk_broken or number == 1
            return
        if not self.full and page.reviews and self.reaches_settled(keys):
            stats.set_value("ladder/stopped_at_known_page", number)
            self.logger.info(
                "page %d ends with reviews already stored: stopping (crawl with --full to read all)",
                number,
            )
            self.walk_complete = True
        elif self.brings_nothing_new(keys):
            stats.set_value("ladder/walk/stopped_without_new", number)
            self.logger.warning(
                "%s: stopping at page %d: the last %d pages brought no review not already read "
                "in this crawl (next links that go round, or recycled reviews)",
                response.url,
                number,
                PAGES_WITHOUT_NEW,
            )
            self.walk_complete = not self.walk_broken
        elif number >= self.max_pages:
            stats.set_value("ladder/max_pages_reached", self.max_pages)
            self.logger.info("stopping at the page limit (%d pages)", self.max_pages)
            self.walk_complete = True
        else:
            yield self.page_request(next_url, number + 1)

    def brings_nothing_new(self, keys: list[str]) -> bool:
        """Whether this page (its review ``keys``) ends :data:`PAGES_WITHOUT_NEW` pages in a row
        that brought no review key not already read in this crawl."""
        if set(keys) - self.seen_keys:
            self.pages_without_new = 0
            self.seen_keys.update(keys)
        else:
            self.pages_without_new += 1
        return self.pages_without_new >= PAGES_WITHOUT_NEW

    #: How many of a page's last reviews must be settled to stop: more than one, so a single
    #: review the site shows out of order does not end the walk early.
    SETTLED_TAIL = 3

    def reaches_settled(self, keys: list[str]) -> bool:
        """Whether the page (its review ``keys``, in page order) ends with reviews settled before
        this crawl (stored by a crawl that read the listing through, see
        :attr:`db.store.ReviewWriter.settled`): the listing is newest first, so every later page
        is stored already. A page of new reviews above old ones is the
        last page read, not the one before it."""
        if not (self.settled_prefixes if self.feed else self.writer.settled):
            return False  # a first crawl: nothing is settled
        tail = keys[-self.SETTLED_TAIL :]
        return bool(tail) and all(self.is_settled(key) for key in tail)

    def is_settled(self, key: str) -> bool:
        """In feed mode the settled keys came as prefixes, in the ``settled`` argument."""
        if self.feed:
            return key_prefix(key) in self.settled_prefixes
        return key in self.writer.settled

    def extract(self, response: Response) -> ExtractedPage:
        """Read one page with this kind's extractor (:data:`crawler.extract.EXTRACTORS`)."""
        return EXTRACTORS[self.name](self.body(response), response.url, self.options)
