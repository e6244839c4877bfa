"""What a source's extractor makes of one page, as ``ladder extract`` prints it: each review after
normalisation (or the reason it would be dropped), the aggregate, the next page and any problems.
Nothing is stored.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import fields
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import urlparse

from crawler.extract import as_utf8, extract
from crawler.extract.signals import extract_signals, links_to_follow
from crawler.items import Review
from crawler.normalize import SourceContext, normalize_aggregate, normalize_review
from crawler.sources import SIGNAL_KINDS
from db.exceptions import Dropped

#: What ``ladder extract`` shows of a review: everything stored but the identity hashes.
REVIEW_FIELDS = tuple(f.name for f in fields(Review) if f.name not in ("review_key", "author_hash"))


def preview_page(
    kind: str,
    body: bytes,
    url: str,
    options: Mapping[str, Any],
    *,
    now: datetime | None = None,
    tz: tzinfo = UTC,
) -> Iterator[dict[str, Any]]:
    """One dict per item found: ``type`` is review, dropped, aggregate, next or problem; for the
    ``signals`` kind, signal and follow (a same-site page the crawl would read next)."""
    if kind in SIGNAL_KINDS:
        yield from _signals(as_utf8(body), url)
        return
    page = extract(kind, body, url, options)
    context = SourceContext(
        business="(preview)",
        kind=kind,
        host=urlparse(url).hostname or "local",
        salt="preview",
        now=now or datetime.now(UTC),
        tz=tz,
        day_first=bool(options.get("day_first", True)),
    )
    for raw in page.reviews:
        try:
            review = normalize_review(raw, context)
        except Dropped as drop:
            yield {"type": "dropped", "reason": drop.reason, "native_id": raw.native_id}
            continue
        yield {"type": "review", **{name: getattr(review, name) for name in REVIEW_FIELDS}}
    if page.aggregate is not None:
        aggregate = normalize_aggregate(page.aggregate)
        if aggregate is not None:
            yield {"type": "aggregate", "rating": aggregate.rating, "count": aggregate.count,
                   "rating_raw": aggregate.rating_raw, "rating_scale": aggregate.rating_scale}  # fmt: skip
    if page.next_url:
        yield {"type": "next", "url": page.next_url}
    for problem in page.problems:
        yield {"type": "problem", "message": problem}


def _signals(body: bytes, url: str) -> Iterator[dict[str, Any]]:
    for signal in extract_signals(body, url):
        yield {"type": "signal", **vars(signal)}
    for link in links_to_follow(body, url):
        yield {"type": "follow", "url": link}
