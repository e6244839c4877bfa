"""A source's health from its recent crawl runs: ``ok``, ``stale``, ``degraded`` or ``broken``.

* ``broken``: the last run fetched pages but read no review (the site changed), the last
  ``FAILURES_IN_A_ROW`` runs all failed, or no run has ever succeeded;
* ``degraded``: the last run failed, or read far fewer reviews a page, or found a field (text,
  rating, reply …) on far fewer reviews, than the median of its recent healthy runs;
* ``stale``: no successful crawl for longer than expected (or never);
* ``ok`` otherwise.

Unattended crawling must not fail silently: ``ladder status`` and the weekly report show these.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from db.rows import CrawlRun

OK, STALE, DEGRADED, BROKEN = "ok", "stale", "degraded", "broken"
FAILURES_IN_A_ROW = 3
#: A figure below this share of its recent median is "far below".
FAR_BELOW = 0.5
#: Recent healthy runs needed before a run is compared with them.
HISTORY = 3


@dataclass(frozen=True)
class SourceHealth:
    state: str
    reason: str
    last_success: str | None
    last_run: CrawlRun | None


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def source_health(
    runs: Sequence[CrawlRun], *, now: datetime, stale_after: timedelta
) -> SourceHealth:
    """The health of one source from its runs, newest first (a run still going is ignored)."""
    finished = [run for run in runs if run.finished_at]
    success = next((run for run in finished if run.ok), None)
    last_success = success.finished_at if success else None
    if not finished:
        return SourceHealth(STALE, "never crawled yet", None, None)
    last = finished[0]

    def health(state: str, reason: str) -> SourceHealth:
        return SourceHealth(state, reason, last_success, last)

    if last.pages and not last.reviews_parsed:
        return health(
            BROKEN, f"fetched {last.pages} page(s) but read no review: has the site changed?"
        )
    streak = next((i for i, run in enumerate(finished) if run.ok), len(finished))
    if streak >= FAILURES_IN_A_ROW:
        return health(BROKEN, f"the last {streak} crawls failed; the last: {last.health}")
    if success is None:
        crawls = "the only crawl" if streak == 1 else f"all {streak} crawls"
        return health(BROKEN, f"never crawled successfully ({crawls} failed): {last.health}")
    if not last.ok:
        return health(DEGRADED, f"the last crawl failed: {last.health}")
    drop = _below_recent(last, [run for run in finished[1:] if run.ok and run.pages][:10])
    if drop:
        return health(DEGRADED, drop)
    if success is None or now - _at(success.finished_at or "") > stale_after:
        since = f"since {last_success[:16].replace('T', ' ')}" if last_success else "ever"
        return health(STALE, f"no successful crawl {since} (expected within {stale_after})")
    return health(OK, last.health or "ok")


def _below_recent(last: CrawlRun, history: list[CrawlRun]) -> str | None:
    """Why the last run read far less than usual, or None."""
    if len(history) < HISTORY or not last.pages:
        return None
    per_page = statistics.median(run.reviews_parsed / run.pages for run in history)
    now_per_page = last.reviews_parsed / last.pages
    if now_per_page < FAR_BELOW * per_page:
        return f"read {now_per_page:.1f} reviews a page against a usual {per_page:.1f}"
    for field, share in sorted(last.coverage.items()):
        usual = statistics.median(run.coverage.get(field, 0.0) for run in history)
        if usual >= 0.2 and share < FAR_BELOW * usual:
            return f"found the {field} on {share:.0%} of reviews against a usual {usual:.0%}"
    return None
