"""The crawl's one connection to the database, and who owns it.

:class:`CrawlDatabase` is built from the crawler (Scrapy-style ``from_crawler``): the spider asks
for it when it is built (it needs its source row before the first request), the pipelines and the
crawl-run recorder borrow it, and it closes itself when the crawler's engine has stopped, after the
pipelines flushed their last batch and the recorder wrote the run's end. Nobody else opens or
closes it. A feed-mode crawl on a Scrapyd node never asks for it, so it never opens.

Many crawls in one process (:mod:`crawler.batch`) share one connection to their database
(:func:`share`): its owner is then the batch, and a crawl's :class:`CrawlDatabase` borrows it
without closing it. They run on one thread, so one write transaction is done before the next
begins.
"""

from __future__ import annotations

from typing import Self

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from sqlite_utils import Database

from db import open_db

#: Connections shared by every crawl of this process, by database path (:func:`share`).
_SHARED: dict[str, Database] = {}


def share(path: str) -> Database:
    """Open the database at ``path`` for every crawl this process runs until :func:`unshare`."""
    if path not in _SHARED:
        _SHARED[path] = open_db(path)
    return _SHARED[path]


def unshare(path: str) -> None:
    """Close the shared connection to ``path``."""
    db = _SHARED.pop(path, None)
    if db is not None:
        db.close()


class CrawlDatabase:
    def __init__(self, path: str, name: str = "crawl") -> None:
        self.path = path
        self.name = name
        self._db: Database | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        path = crawler.settings.get("LADDER_DB")
        name = crawler.spidercls.name if crawler.spidercls is not None else "crawl"
        if not path:
            raise UsageError(f"{name}: pass the database with -s LADDER_DB=PATH")
        owner = cls(str(path), name)
        crawler.signals.connect(owner.close, signal=signals.engine_stopped)
        return owner

    @property
    def db(self) -> Database:
        """The connection, opened (with migrations applied) on first use."""
        if self._db is None:
            self._db = _SHARED.get(self.path) or open_db(self.path)
        return self._db

    def close(self) -> None:
        if self._db is not None and self._db is not _SHARED.get(self.path):
            self._db.close()
            self._db = None
