"""What a crawl is asked to do, whichever engine runs it: the sources chosen from the config
(:class:`CrawlTarget`), what became of each (:class:`CrawlOutcome`), and what every engine gives a
source's crawl alike (its Scrapy settings, spider options, log file and lock).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from crawler.locks import try_lock, unlock
from db import open_db
from db.exceptions import CrawlError
from db.rows import CrawlRun
from db.store import (
    sync_business,
    sync_source,
)
from scheduler import __version__
from scheduler.config import BusinessConfig, Config, SourceConfig
from scheduler.slugs import slug

PROJECT_URL = "https://github.com/service-ladder/service-ladder"


#: Why a source was not crawled when another crawl of it holds its lock.
BUSY = "another crawl of this source is running"

#: Options that are crawl settings rather than spider arguments.
_SETTING_OPTIONS = frozenset({"delay", "schedule", "ignore_robots"})


@dataclass(frozen=True)
class CrawlTarget:
    business: BusinessConfig
    source: SourceConfig

    @property
    def label(self) -> str:
        return f"{self.business.name} · {self.source.kind}"


@dataclass(frozen=True)
class CrawlOutcome:
    target: CrawlTarget
    run: CrawlRun | None
    skipped: str | None = None
    #: Scrapyd engine: why the first attempt was given up and the crawl run again elsewhere.
    retried: str | None = None

    @property
    def ok(self) -> bool:
        return self.run is not None and bool(self.run.ok)


def crawl_state(outcomes: Sequence[CrawlOutcome]) -> str:
    """``"ok"`` when every crawl succeeded; ``"unhealthy"`` when one failed or read nothing;
    ``"busy"`` when the only ones not done were skipped because another run held their lock."""
    if all(outcome.ok for outcome in outcomes):
        return "ok"
    if all(outcome.ok or outcome.run is None for outcome in outcomes):
        return "busy"
    return "unhealthy"


def select_targets(
    config: Config, businesses: Sequence[str] = (), kind: str | None = None
) -> list[CrawlTarget]:
    """The sources to crawl: all, or those of the named businesses and/or one kind."""
    businesses = [config.business_named(name).name for name in businesses]
    targets = [
        CrawlTarget(business, source)
        for business in config.businesses
        if not businesses or business.name in businesses
        for source in business.sources
        if kind is None or source.kind == kind
    ]
    if not targets:
        raise CrawlError(f"no sources to crawl: add [[business.sources]] to {config.path}")
    return targets


def user_agent(config: Config) -> str:
    return f"ServiceLadder/{__version__} (+{PROJECT_URL}; {config.crawl.contact})"


def spider_options(target: CrawlTarget) -> dict[str, Any]:
    """The source's options that are spider arguments (the rest are crawl settings)."""
    return {k: v for k, v in target.source.options.items() if k not in _SETTING_OPTIONS}


def crawl_settings(config: Config, target: CrawlTarget) -> dict[str, Any]:
    """The Scrapy settings of one source's crawl, local or on a Scrapyd node: politeness, the
    User-Agent with the contact, retries, limits and the time zone (not the database)."""
    crawl, source = config.crawl, target.source
    delay = float(source.options.get("delay", crawl.delay))
    return {
        "LADDER_TIMEZONE": config.schedule.timezone,
        "LADDER_MAX_PAGES": crawl.max_pages,
        "USER_AGENT": user_agent(config),
        "ROBOTSTXT_OBEY": int(not source.options.get("ignore_robots", False)),
        "DOWNLOAD_DELAY": delay,
        "AUTOTHROTTLE_ENABLED": int(crawl.autothrottle),
        "AUTOTHROTTLE_START_DELAY": delay,
        "AUTOTHROTTLE_MAX_DELAY": max(crawl.max_delay, delay),
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_site,
        "RETRY_TIMES": crawl.retries,
        "RETRY_BACKOFF_BASE": crawl.backoff,
        "DOWNLOAD_TIMEOUT": crawl.timeout,
        "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
    }


def log_path(config: Config, started: datetime, name: str) -> Path:
    """A new log file in ``logs/`` beside the database, ``<started>-<name>-<random>.log``; the
    random suffix keeps apart two logs of one name started in the same second."""
    logs = config.database.parent / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    return logs / f"{started:%Y%m%dT%H%M%S}-{name}-{uuid.uuid4().hex[:6]}.log"


def crawl_log_path(config: Config, target: CrawlTarget, started: datetime) -> Path:
    """A new log file for one crawl of ``target``."""
    return log_path(config, started, f"{slug(target.business.name)}-{target.source.kind}")


def sync_config(config: Config) -> dict[tuple[str, str, str], int]:
    """Put the config's businesses and sources in the database; source ids by (name, kind, url)."""
    ids = {}
    with contextlib.closing(open_db(config.database)) as db:
        for business in config.businesses:
            business_id = sync_business(db, business.name, is_self=business.is_self)
            for source in business.sources:
                ids[business.name, source.kind, source.url] = sync_source(
                    db, business_id, source.kind, source.url
                )
    return ids


def lock_path(config: Config, source_id: int) -> Path:
    """The source's lock file, ``locks/source-N.lock`` beside the database: whoever crawls the
    source holds an ``flock`` on it for as long as it crawls (:mod:`crawler.batch` locally)."""
    folder = config.database.parent / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"source-{source_id}.lock"


@contextlib.contextmanager
def source_lock(config: Config, source_id: int) -> Iterator[bool]:
    """Hold the source's lock file (:mod:`crawler.locks`) while the block runs; yields False
    (without waiting) when another crawl holds it."""
    handle = try_lock(lock_path(config, source_id))
    try:
        yield handle is not None
    finally:
        if handle is not None:
            unlock(handle)
