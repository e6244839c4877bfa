"""The crawl-run recorder: every crawl leaves one ``crawl_runs`` row saying what it did and whether
it was healthy. ``scrapy crawl`` exits 0 even when every request failed, so this row, not the exit
code, is how ``ladder crawl`` and ``ladder status`` know that a source works.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from twisted.internet.task import LoopingCall

from crawler.feed import result_line
from crawler.robots import UNREACHABLE
from crawler.source_spider import PAGES_WITHOUT_NEW, ReviewSpider, SourceSpider
from crawler.spiders.signals import SignalsSpider
from db.rows import utc_iso
from db.store import start_crawl_run, update_crawl_run

logger = logging.getLogger(__name__)

#: How often the figures of a running crawl are saved (``ladder crawl`` shows them as progress).
PROGRESS_SECONDS = 2.0
#: A run is unhealthy when more than this share of the reviews it parsed had to be dropped.
MAX_DROPPED_SHARE = 0.5
#: A run is unhealthy when more than this share of the reviews it parsed look garbled (mojibake):
#: a few are likely reviewers' own pasted text, most mean the page was decoded wrongly and the
#: text is useless to the analysis; either way the reviews are kept.
MAX_GARBLED_SHARE = 0.5


def run_figures(stats: dict[str, Any]) -> dict[str, Any]:
    """The ``crawl_runs`` columns, from a crawl's Scrapy stats."""
    dropped = {
        key.removeprefix("ladder/dropped/"): value
        for key, value in stats.items()
        if key.startswith("ladder/dropped/")
    }
    statuses = {
        key.rsplit("/", 1)[-1]: value
        for key, value in stats.items()
        if key.startswith("downloader/response_status_count/")
    }
    kept = stats.get("ladder/reviews_parsed", 0) - sum(dropped.values())
    coverage = {
        key.removeprefix("ladder/field/"): round(value / kept, 3)
        for key, value in stats.items()
        if key.startswith("ladder/field/") and kept > 0
    }
    return {
        "pages": stats.get("ladder/pages", 0),
        "pages_empty": stats.get("ladder/pages_empty", 0),
        "reviews_parsed": stats.get("ladder/reviews_parsed", 0),
        "reviews_new": stats.get("ladder/reviews_new", 0),
        "reviews_changed": stats.get("ladder/reviews_changed", 0),
        "dropped": sum(dropped.values()),
        "dropped_reasons": dropped,
        "errors": stats.get("ladder/failed_requests", 0),
        "http_statuses": statuses,
        "coverage": coverage,
    }


#: What the network errors Scrapy counts mean, for a person.
_EXCEPTION_CAUSES = {
    "ConnectionRefusedError": "connection refused (is the site up, the port right?)",
    "DNSLookupError": "host not found (DNS): check the URL's host name",
    "TimeoutError": "timed out",
    "TCPTimedOutError": "timed out",
    "ConnectError": "could not connect",
    "ConnectionLost": "connection lost",
    "ResponseNeverReceived": "no answer (connection dropped)",
    "ResponseFailed": "the answer broke off",
    "SSLError": "TLS error",
    # Scrapy's own names for the same (scrapy.exceptions, 2.14 and later).
    "DownloadConnectionRefusedError": "connection refused (is the site up, the port right?)",
    "CannotResolveHostError": "host not found (DNS): check the URL's host name",
    "DownloadTimeoutError": "timed out",
    "DownloadCancelledError": "the download was cancelled",
    "DownloadFailedError": "the download failed",
    "ResponseDataLossError": "the answer broke off",
}
#: HTTP statuses worth naming.
_STATUS_NAMES = {
    "401": "401 Unauthorized", "403": "403 Forbidden (the site refuses crawlers?)",
    "404": "404 Not Found: check the URL", "429": "429 Too Many Requests: slow down",
    "500": "500 Internal Server Error", "502": "502 Bad Gateway", "503": "503 Unavailable",
    "504": "504 Gateway Timeout",
}  # fmt: skip


def fetch_failures(stats: dict[str, Any]) -> str:
    """Why requests failed, in words, most frequent first: ``"connection refused (…) ×3"``,
    ``"HTTP 403 Forbidden …"``; empty when nothing failed."""
    counts: dict[str, int] = {}
    for key, count in stats.items():
        if key.startswith("downloader/exception_type_count/"):
            name = key.rsplit(".", 1)[-1].rsplit("/", 1)[-1]
            cause = _EXCEPTION_CAUSES.get(name, name)
        elif key.startswith("downloader/response_status_count/"):
            status = key.rsplit("/", 1)[-1]
            if status.startswith(("2", "3")):
                continue
            cause = f"HTTP {_STATUS_NAMES.get(status, status)}"
        else:
            continue
        counts[cause] = counts.get(cause, 0) + count
    ranked = sorted(counts.items(), key=lambda pair: -pair[1])
    return "; ".join(f"{cause} ×{count}" for cause, count in ranked)


def assess_run(
    figures: dict[str, Any], finish_reason: str, stats: dict[str, Any], items: str = "reviews"
) -> tuple[bool, str]:
    """``(ok, why)``: a crawl is healthy when it finished, read every page it fetched and kept most
    of what it read. ``why`` names the first problem and what to do about it."""
    pages, parsed, dropped = figures["pages"], figures["reviews_parsed"], figures["dropped"]
    if finish_reason != "finished":
        return False, f"stopped before the end ({finish_reason})"
    if pages == 0:
        if stats.get(UNREACHABLE):
            return (
                False,
                f"{stats[UNREACHABLE]}: nothing was crawled, as RFC 9309 asks of a robots.txt "
                "that cannot be read; the next crawl asks again",
            )
        if stats.get("robotstxt/forbidden"):
            return (
                False,
                "robots.txt forbids the start page; this source cannot be crawled politely",
            )
        causes = fetch_failures(stats)
        if figures["errors"] or causes:
            return False, f"no page could be fetched: {causes or 'see the log for the errors'}"
        return False, "no page was fetched"
    if parsed == 0:
        return False, (
            f"fetched {pages} page(s) but found no {items}; has the site changed? "
            "Check a page with `ladder extract`"
        )
    if figures["pages_empty"]:
        first = stats.get("ladder/first_empty_page", "?")
        return False, f"{figures['pages_empty']} of {pages} pages had no reviews (first: {first})"
    if dropped > MAX_DROPPED_SHARE * parsed:
        return (
            False,
            f"dropped {dropped} of {parsed} reviews as invalid: {figures['dropped_reasons']}",
        )
    kept = parsed - dropped
    if kept and stats.get("ladder/dates/estimated", 0) >= kept:
        return False, (
            f"none of the {kept} reviews had a readable date (stored at the date first seen); "
            "has the site changed how it shows dates? Check a page with `ladder extract`"
        )
    unanswered = stats.get("ladder/pages_requested", 0) - stats.get("ladder/pages_answered", 0)
    if unanswered > 0 and stats.get("ladder/offsite/first"):
        return False, (
            f"{unanswered} listing page(s) led off the source's address and were not followed "
            f"(first: {stats['ladder/offsite/first']}); if the site moved, write its new address "
            "in ladder.toml"
        )
    if unanswered > 0:
        return False, (
            f"{unanswered} listing page(s) were never answered (a redirect to another site, a "
            "redirect loop, or a filtered request); see the log; the next crawl reads on from there"
        )
    if figures["errors"]:
        kept = (
            "; the site's signals were not stored (the previous observation stands)"
            if "ladder/signals_unsaved" in stats
            else ""
        )
        return False, f"{figures['errors']} request(s) failed after retries; see the log{kept}"
    if stats.get("ladder/reviews_unsaved"):
        return False, (
            f"could not store {stats['ladder/reviews_unsaved']} reviews (database error); "
            "see the log; the next crawl reads them again"
        )
    if stats.get("log_count/ERROR"):
        return False, f"{stats['log_count/ERROR']} error(s) in the log; see it"
    garbled = stats.get("ladder/text/garbled_reviews", 0)
    if garbled > MAX_GARBLED_SHARE * parsed:
        return False, (
            f"{garbled} of {parsed} {items} look garbled (mojibake: UTF-8 read as Latin-1); "
            "check a page with `ladder extract`, then crawl again with --full to repair them"
        )
    warnings = (
        walk_warnings(stats) + date_warnings(stats, kept) + text_warnings(stats, parsed, items)
    )
    return True, f"read {parsed} {items} on {pages} pages{warnings}"


def walk_warnings(stats: dict[str, Any]) -> str:
    """What was odd about a healthy crawl's walk through the listing, as a ``"; …"`` clause for
    its health text: a walk stopped because its last pages brought no review not already read
    (next links that go on for ever over the same or recycled reviews). The reviews it read are
    kept and the run stays healthy; a walk that read no review at all is unhealthy anyway. A next
    link back to a page already read is the end of the listing and says nothing."""
    stopped = stats.get("ladder/walk/stopped_without_new")
    if not stopped:
        return ""
    return (
        f"; stopped at page {stopped}: the last {PAGES_WITHOUT_NEW} pages brought no review not "
        "already read (the site's next links go on over the same reviews)"
    )


def text_warnings(stats: dict[str, Any], parsed: int, items: str = "reviews") -> str:
    """What went wrong with a healthy crawl's text, as ``"; …"`` clauses for its health text:
    reviews that look garbled (mojibake, kept as they are), bytes not valid in the page's
    encoding (read as U+FFFD, the reviews kept). Empty when the text was fine."""
    warnings = []
    garbled = stats.get("ladder/text/garbled_reviews", 0)
    if garbled:
        warnings.append(f"{garbled} of {parsed} {items} look garbled (mojibake)")
    replaced = stats.get("ladder/text/replaced_bytes", 0)
    if replaced:
        warnings.append(f"{replaced} invalid byte(s) in the pages read as U+FFFD")
    return "".join(f"; {warning}" for warning in warnings)


def date_warnings(stats: dict[str, Any], kept: int) -> str:
    """What went wrong with a healthy crawl's dates, as ``"; …"`` clauses for its health text:
    reviews with no readable date (kept, dated when first seen, out of velocity), pages whose
    dates prove both day-first and month-first, pages read in the order their dates prove rather
    than the one the source is set to. Empty when the dates were fine."""
    warnings = []
    estimated = stats.get("ladder/dates/estimated", 0)
    if estimated:
        warnings.append(f"{estimated} of {kept} reviews had no readable date")
    mixed = stats.get("ladder/dates/mixed_order_pages", 0)
    if mixed:
        warnings.append(
            f"{mixed} page(s) mix day-first and month-first dates (ambiguous ones read as set)"
        )
    proven = stats.get("ladder/dates/pages_in_proven_order", 0)
    if proven:
        warnings.append(
            f"{proven} page(s) read in the day/month order their dates prove, not as set: "
            "check the source's day_first option"
        )
    return "".join(f"; {warning}" for warning in warnings)


class CrawlRunRecorder:
    """Keeps the crawl's ``crawl_runs`` row current and judges the run when the spider closes."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.run_id: int | None = None
        self.loop: LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        recorder = cls(crawler)
        crawler.signals.connect(recorder.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def _stats(self) -> dict[str, Any]:
        assert self.crawler.stats is not None
        return self.crawler.stats.get_stats()

    def spider_opened(self, spider: Spider) -> None:
        if not isinstance(spider, SourceSpider) or spider.feed:
            return
        if spider.run_id is None:
            spider.run_id = start_crawl_run(
                spider.db, spider.source_id, spider.name, now=spider.now
            )
        self.run_id = spider.run_id
        update_crawl_run(spider.db, self.run_id, pid=os.getpid())
        self.loop = LoopingCall(self.save_progress, spider)
        self.loop.start(PROGRESS_SECONDS, now=False)

    def save_progress(self, spider: SourceSpider) -> None:
        assert self.run_id is not None
        update_crawl_run(spider.db, self.run_id, **run_figures(self._stats()))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if isinstance(spider, SourceSpider) and spider.feed:
            logger.info("%s", result_line(feed_result(spider, reason, self._stats())))
            return
        if self.run_id is None or not isinstance(spider, SourceSpider):
            return
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        stats = self._stats()
        figures = run_figures(stats)
        ok, health = assess_run(figures, reason, stats, spider.items_name)
        reason, health = stopped_reason(reason, health, self.crawler.settings)
        update_crawl_run(
            spider.db,
            self.run_id,
            **figures,
            finished_at=utc_iso(),
            finish_reason=reason,
            ok=int(ok),
            health=health,
        )
        log = spider.logger.info if ok else spider.logger.error
        log("crawl run %d %s: %s", self.run_id, "ok" if ok else "UNHEALTHY", health)


def stopped_reason(reason: str, health: str, settings: Any) -> tuple[str, str]:
    """A crawl stopped from outside, in the words ``ladder status`` uses: past its time limit
    (Scrapy's ``closespider_timeout``, set from ``[crawl].source_timeout``) is ``"timeout"``,
    stopped by a signal (``shutdown``: Ctrl-C, ``ladder crawl`` stopped) is ``"interrupted"``."""
    if reason == "closespider_timeout":
        limit = settings.getfloat("CLOSESPIDER_TIMEOUT")
        return "timeout", f"stopped after {limit:g} s ([crawl].source_timeout)"
    if reason == "shutdown":
        return "interrupted", "stopped before the end: the crawl was interrupted"
    return reason, health


def feed_result(spider: SourceSpider, reason: str, stats: dict[str, Any]) -> dict[str, Any]:
    """What a feed-mode crawl reports at its end for the ingest (:mod:`crawler.ingest`): its
    stats, why it closed, and whether its walk (or its signals observation) was whole."""
    result: dict[str, Any] = {"finish_reason": reason, "stats": stats}
    if isinstance(spider, ReviewSpider):
        result["walk_complete"] = spider.walk_complete
    if isinstance(spider, SignalsSpider):
        result["signals_complete"] = spider.complete
        result["unreadable"] = spider.unreadable
    return result
