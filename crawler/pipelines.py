"""Item pipelines over :class:`~crawler.items.ReviewPage`: normalise and validate, then store.

Every dropped review is counted under ``ladder/dropped/<reason>``; the store writes in batches of
:data:`BATCH_ROWS` rows, or of what :data:`BATCH_SECONDS` brought on a slow site, one transaction
each, and flushes what is left when the spider closes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Self

from scrapy.crawler import Crawler

from crawler.items import RawAggregate, ReviewPage, SignalPage
from crawler.normalize import SourceContext, normalize_aggregate, read_page
from crawler.source_spider import ReviewSpider, SourceSpider
from crawler.spiders.signals import SignalsSpider
from db.exceptions import DatabaseError
from db.reviews import ReviewWriter
from db.store import record_aggregate, record_signals

logger = logging.getLogger(__name__)

#: Fields whose presence is counted per crawl: a redesign that breaks one shows up as a drop.
COVERED_FIELDS = ("rating", "title", "body", "reply_body")
#: Rows per write transaction: large enough to amortise the commit, small enough to lose little
#: when a crawl is killed (the pages of an unwritten batch are fetched again by the next crawl).
BATCH_ROWS = 500
#: A batch is written after this long even when it is small: a crawl killed on a slow site loses
#: at most these seconds of parsed reviews, not the last 499 of them.
BATCH_SECONDS = 2.0


class _PagePipeline:
    crawler: Crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        pipeline = cls()
        pipeline.crawler = crawler
        return pipeline

    @property
    def spider(self) -> ReviewSpider:
        spider = self.crawler.spider
        assert isinstance(spider, ReviewSpider)
        return spider

    @property
    def source_spider(self) -> SourceSpider:
        spider = self.crawler.spider
        assert isinstance(spider, SourceSpider)
        return spider

    def inc(self, key: str, count: int = 1) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(key, count)


def normalize_item(
    item: ReviewPage,
    context: SourceContext,
    inc: Callable[[str, int], None],
    log: logging.Logger | logging.LoggerAdapter[logging.Logger] = logger,
) -> None:
    """Normalise and validate a page's raw reviews in place, counting what was read, the fields
    present, every drop reason and what the dates showed (``ladder/dates/…``: reviews with no
    readable date, pages mixing day-first and month-first dates; a local crawl and a Scrapyd feed's
    ingest both use this)."""
    page = item.read if item.read is not None else read_page(item.raw, context)
    item.reviews, item.dropped = page.reviews, page.dropped
    inc("ladder/reviews_parsed", len(item.raw))
    for name, count in page.dates.items():
        inc(f"ladder/dates/{name}", count)
    if page.dates["mixed_order_pages"]:
        log.warning(
            "%s: dates that can only be day-first (%d) and only month-first (%d) on one page",
            item.url,
            page.dates["day_first"],
            page.dates["month_first"],
        )
    for field in COVERED_FIELDS:
        present = sum(getattr(review, field) is not None for review in item.reviews)
        inc(f"ladder/field/{field}", present)
    for reason, count in item.dropped.items():
        inc(f"ladder/dropped/{reason}", count)
    if item.dropped:
        log.info("%s: dropped %s", item.url, dict(item.dropped))


class NormalizePipeline(_PagePipeline):
    """Raw reviews → valid :class:`~crawler.items.Review` objects, or counted drop reasons."""

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ReviewPage):
            return item
        normalize_item(item, self.spider.context, self.inc, self.spider.logger)
        return item


class ReviewBatches:
    """Reviews of one source written through its :class:`~db.store.ReviewWriter` in batches of
    :data:`BATCH_ROWS`, and the first aggregate rating seen, counted with ``inc``: what a local
    crawl's :class:`StorePipeline` and a Scrapyd feed's ingest (:mod:`crawler.ingest`) both do.
    ``now`` is the crawl's moment when it was handed one (a frozen clock, a Scrapyd job), else
    each batch is written at the time it is written."""

    def __init__(
        self,
        writer: ReviewWriter,
        run_id: int | None,
        inc: Callable[[str, int], None],
        now: datetime | None = None,
        clock: Callable[[], float] = time.monotonic,
        log: logging.Logger | logging.LoggerAdapter[logging.Logger] = logger,
    ) -> None:
        self.writer = writer
        self.log = log
        self.run_id = run_id
        self.inc = inc
        self.now = now
        self.clock = clock
        self.started = clock()  # when the rows waiting now began to wait
        self.rows: list[dict[str, Any]] = []
        self.aggregate_seen = False

    def add(self, item: ReviewPage, aggregate: RawAggregate | None) -> None:
        if not self.rows:
            self.started = self.clock()
        for review in item.reviews:
            row = dict(vars(review))
            row["business_id"] = self.writer.business_id
            row["source_id"] = self.writer.source_id
            self.rows.append(row)
        if aggregate is not None and not self.aggregate_seen:
            self._record_aggregate(aggregate)
        if len(self.rows) >= BATCH_ROWS or self.clock() - self.started >= BATCH_SECONDS:
            self.flush()

    def _record_aggregate(self, raw: RawAggregate) -> None:
        aggregate = normalize_aggregate(raw)
        if aggregate is None:
            return
        self.aggregate_seen = True
        record_aggregate(
            self.writer.db,
            self.writer.source_id,
            rating=aggregate.rating,
            rating_raw=aggregate.rating_raw,
            rating_scale=aggregate.rating_scale,
            review_count=aggregate.count,
            details=aggregate.details,
            run_id=self.run_id,
        )

    def flush(self) -> None:
        if not self.rows:
            return
        rows, self.rows = self.rows, []
        try:
            counts = self.writer.write(rows, self.now)
        except DatabaseError as error:  # the pages are fetched again by the next crawl
            self.inc("ladder/store_errors", 1)
            self.inc("ladder/reviews_unsaved", len(rows))
            self.log.error("could not store %d reviews: %s", len(rows), error)
            return
        self.inc("ladder/reviews_new", counts.new)
        self.inc("ladder/reviews_changed", counts.changed)
        self.inc("ladder/reviews_unchanged", counts.unchanged)
        if counts.moved:  # stored reviews whose displayed date moved (db.identity)
            self.inc("ladder/reviews_moved", counts.moved)
        if counts.rejected:
            self.inc("ladder/dropped/rejected_by_database", counts.rejected)
            self.log.error("the database refused %d reviews; this is a bug", counts.rejected)


class StorePipeline(_PagePipeline):
    """Writes reviews through the spider's :class:`~db.store.ReviewWriter`, in batches."""

    batches: ReviewBatches | None = None

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ReviewPage):
            return item
        if self.batches is None:
            spider = self.spider
            self.batches = ReviewBatches(
                spider.writer, spider.run_id, self.inc, spider.now, log=spider.logger
            )
        self.batches.add(item, item.aggregate)
        return item

    def flush(self) -> None:
        if self.batches is not None:
            self.batches.flush()

    def close_spider(self) -> None:
        self.flush()
        spider = self.crawler.spider
        stats = self.crawler.stats
        assert stats is not None
        if not isinstance(spider, ReviewSpider) or spider.feed or not spider.walk_complete:
            return  # feed mode, or a walk cut short: the next crawl reads past what this stored
        if stats.get_value("ladder/reviews_unsaved"):
            return
        try:
            spider.writer.walk_completed(spider.now)
        except DatabaseError as error:
            spider.logger.error("could not record the completed walk: %s", error)


class SignalStorePipeline(_PagePipeline):
    """Collects a site's signals over its pages and stores them as one observation at the end
    (each name and value once, with the first page and evidence it was seen with)."""

    def __init__(self) -> None:
        self.found: dict[tuple[str, str], dict[str, Any]] = {}

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, SignalPage):
            return item
        for signal in item.signals:
            self.found.setdefault((signal.name, repr(signal.value)), vars(signal))
        return item

    def close_spider(self) -> None:
        spider = self.source_spider
        if not isinstance(spider, SignalsSpider) or spider.feed:
            return
        if not spider.complete:
            # A page missing from this observation would make its signals look gone.
            self.inc("ladder/signals_unsaved", len(self.found))
            missing = spider.unreadable or ["the crawl stopped before every page was read"]
            spider.logger.warning(
                "signals of %s not stored: %s; the previous observation stands",
                spider.business,
                ", ".join(missing[:3])
                + (f" and {len(missing) - 3} more" if len(missing) > 3 else ""),
            )
            return
        stored = record_signals(
            spider.db, spider.source_id, self.found.values(), run_id=spider.run_id, now=spider.now
        )
        self.inc("ladder/signals_stored", stored)
