"""Ingest a Scrapyd job's item feed into the database: the second half of a remote crawl.

A feed-mode spider (:mod:`crawler.feed`) ran on a node and left raw pages in its feed and a result
line in its log. Here they go through what a local crawl's pipelines do, with this database's
salt (which also opens the reviewer names the node sealed, :func:`crawler.feed.open_author`): :func:`crawler.pipelines.normalize_item` (normalisation, validation, drop reasons, field
coverage), :class:`db.store.ReviewWriter` in batches, the first aggregate rating, the signals
observation when it is whole, the settled walk, and the run judged by
:func:`crawler.extensions.assess_run` on the merged stats. Ingesting the same feed twice adds
nothing: the writer only touches reviews it already holds.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from sqlite_utils import Database

from crawler.extensions import assess_run, run_figures
from crawler.feed import raw_aggregate, raw_reviews
from crawler.items import ReviewPage
from crawler.normalize import SourceContext
from crawler.pipelines import ReviewBatches, normalize_item
from db.reviews import ReviewWriter
from db.rows import utc_iso
from db.store import record_signals, update_crawl_run

logger = logging.getLogger(__name__)

#: The finish reason of a job whose log has no result line: the crawl died before closing.
NO_RESULT = "no result (the crawl process died)"


class _Ingest:
    def __init__(self, db: Database, source_id: int, run_id: int, context: SourceContext) -> None:
        self.db = db
        self.source_id = source_id
        self.run_id = run_id
        self.context = context
        self.writer = ReviewWriter(db, source_id)
        self.stats: dict[str, Any] = {}
        self.batches = ReviewBatches(self.writer, run_id, self.inc, context.now)
        self.signals: dict[tuple[str, str], dict[str, Any]] = {}

    def inc(self, key: str, count: int = 1) -> None:
        self.stats[key] = self.stats.get(key, 0) + count

    def reviews(self, item: Mapping[str, Any]) -> None:
        page = ReviewPage(url=str(item.get("url")), raw=raw_reviews(item, self.context.salt))
        normalize_item(page, self.context, self.inc)
        self.batches.add(page, raw_aggregate(item))

    def signal_page(self, item: Mapping[str, Any]) -> None:
        for signal in item.get("signals") or ():
            if isinstance(signal, Mapping) and "name" in signal and "value" in signal:
                self.signals.setdefault((signal["name"], repr(signal["value"])), dict(signal))


def ingest_feed(
    db: Database,
    source_id: int,
    run_id: int,
    items: Iterable[Mapping[str, Any]],
    result: Mapping[str, Any] | None,
    context: SourceContext,
    *,
    items_name: str = "reviews",
) -> dict[str, Any]:
    """Store a feed's items as crawl run ``run_id`` of the source and complete that run;
    ``result`` is the job's result line (None when the crawl died before writing it). Returns
    the run's figures with ``ok`` and ``health``."""
    ingest = _Ingest(db, source_id, run_id, context)
    for item in items:
        if item.get("type") == "reviews":
            ingest.reviews(item)
        elif item.get("type") == "signals":
            ingest.signal_page(item)
    ingest.batches.flush()
    remote = dict(result or {})
    stats = {**dict(remote.get("stats") or {}), **ingest.stats}
    if items_name == "signals":
        if remote.get("signals_complete"):
            stored = record_signals(
                db, source_id, ingest.signals.values(), run_id=run_id, now=context.now
            )
            stats["ladder/signals_stored"] = stored
        else:
            stats["ladder/signals_unsaved"] = len(ingest.signals)
    elif remote.get("walk_complete") and not stats.get("ladder/reviews_unsaved"):
        ingest.writer.walk_completed(context.now)
    reason = str(remote.get("finish_reason") or NO_RESULT)
    figures = run_figures(stats)
    ok, health = assess_run(figures, reason, stats, items_name)
    update_crawl_run(
        db,
        run_id,
        **figures,
        finished_at=utc_iso(),
        finish_reason=reason,
        ok=int(ok),
        health=health,
    )
    return {**figures, "ok": ok, "health": health}
