"""The crawl engines behind ``ladder crawl``, cron and the service: local subprocesses
(:mod:`scheduler.crawl.local`) or jobs on Scrapyd nodes (:mod:`scheduler.crawl.cluster`), as
``[crawl] engine`` says.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from scheduler.config import Config
from scheduler.crawl.local import run_crawl
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
    """Crawl several sources, ``[crawl].parallel`` at a time, or as jobs on the Scrapyd nodes
    with ``[crawl] engine = "scrapyd"``; outcomes in the targets' order."""
    ids = sync_config(config)
    cancel = threading.Event()
    if config.crawl.engine == "scrapyd":
        from scheduler.crawl.cluster import crawl_on_cluster

        return crawl_on_cluster(config, targets, ids, on_start=on_start, full=full)

    def one(target: CrawlTarget) -> CrawlOutcome:
        source_id = ids[target.business.name, target.source.kind, target.source.url]
        return run_crawl(
            config, target, source_id=source_id, on_start=on_start, cancel=cancel, full=full
        )

    with ThreadPoolExecutor(max_workers=config.crawl.parallel) as pool:
        futures = [pool.submit(one, target) for target in targets]
        try:
            return [future.result() for future in futures]
        except BaseException:  # Ctrl-C: stop the running crawls, start no more
            cancel.set()
            for future in futures:
                future.cancel()
            raise
