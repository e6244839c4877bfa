"""The crawl engines behind ``ladder crawl``, cron and the service: the local crawl processes,
each crawling many sources (:mod:`scheduler.crawl.local`), or jobs on Scrapyd nodes
(:mod:`scheduler.crawl.cluster`), as ``[crawl] engine`` says.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from scheduler.config import Config
from scheduler.crawl.local import run_crawls
from scheduler.crawl.targets import (
    CrawlOutcome,
    CrawlTarget,
    sync_config,
)


def crawl_sources(
    config: Config,
    targets: Sequence[CrawlTarget],
    *,
    on_start: Callable[[CrawlTarget, int], None] | None = None,
    full: bool = False,
) -> list[CrawlOutcome]:
    """Crawl several sources in one process, ``[crawl].parallel`` at a time, or as jobs on the
    Scrapyd nodes with ``[crawl] engine = "scrapyd"``; outcomes in the targets' order."""
    ids = sync_config(config)
    if config.crawl.engine == "scrapyd":
        from scheduler.crawl.cluster import crawl_on_cluster

        return crawl_on_cluster(config, targets, ids, on_start=on_start, full=full)
    return run_crawls(config, targets, ids=ids, on_start=on_start, full=full)
