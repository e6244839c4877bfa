"""Feed mode: a spider that runs on a Scrapyd node, where there is no database.

Started with ``-a feed=1``, a spider opens no database and runs no storing pipeline: it yields each
page as a plain JSON-able dict (the *raw* reviews as the page states them, or a page's service
signals) which Scrapyd writes to its item feed, and at the end it logs one line
(:data:`RESULT_MARK`) with its stats and whether its walk was complete. The machine that keeps the
database fetches the feed and the log and ingests them through :mod:`crawler.ingest`: the same
normalisation, validation, reviewer hashing (with the local salt, which never leaves that machine)
and storage as a local crawl.

Incremental crawling needs the keys of the reviews already settled: they travel as the spider
argument ``settled``, a base64 string of 8-byte key prefixes (:func:`encode_settled`).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from crawler.items import ExtractedPage, RawAggregate, RawReview
from db.exceptions import FeedError

#: The log line a feed-mode crawl ends with: this mark, then one JSON object.
RESULT_MARK = "ladder-feed-result: "
#: Bytes of each review key sent to a remote spider: 2**64 makes a false "already stored" match
#: between a new review and the settled keys of one source vanishingly unlikely.
PREFIX_BYTES = 8
#: Settled keys sent at most (the newest): about 85 kB of argument, under the 128 kB a single
#: command-line argument may take on Linux. A remote crawl of a source with more settled reviews
#: may read further than a local one would (never less): the result is the same.
MAX_SETTLED = 8000
_RAW_FIELDS = frozenset(field.name for field in fields(RawReview))
_AGGREGATE_FIELDS = frozenset(field.name for field in fields(RawAggregate))


def encode_settled(keys: Iterable[str]) -> str:
    """Review keys (hex) → the compact ``settled`` spider argument."""
    prefixes = sorted({bytes.fromhex(key[: PREFIX_BYTES * 2]) for key in keys})
    return base64.urlsafe_b64encode(b"".join(prefixes)).decode("ascii")


def decode_settled(text: str) -> frozenset[str]:
    """The ``settled`` argument → the set of key prefixes (hex), as :func:`key_prefix` gives."""
    try:
        data = base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise FeedError("the settled argument is not base64") from None
    if len(data) % PREFIX_BYTES:
        raise FeedError(f"the settled argument is not a list of {PREFIX_BYTES}-byte prefixes")
    return frozenset(data[i : i + PREFIX_BYTES].hex() for i in range(0, len(data), PREFIX_BYTES))


def key_prefix(key: str) -> str:
    return key[: PREFIX_BYTES * 2]


def parse_now(text: str) -> datetime | None:
    """The ``now`` spider argument (ISO-8601 with a zone): the moment relative dates are read
    from, the same here and where the feed is ingested."""
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise FeedError(f"now={text!r} has no time zone")
    return moment


def review_item(url: str, page: ExtractedPage) -> dict[str, Any]:
    """One listing page as a feed item: the raw reviews, not yet normalised."""
    return {
        "type": "reviews",
        "url": url,
        "raw": [asdict(raw) for raw in page.reviews],
        "aggregate": asdict(page.aggregate) if page.aggregate is not None else None,
    }


def signal_item(url: str, signals: Iterable[Any]) -> dict[str, Any]:
    """One page of a business's own site as a feed item: its service signals."""
    return {"type": "signals", "url": url, "signals": [asdict(signal) for signal in signals]}


def raw_reviews(item: Mapping[str, Any]) -> list[RawReview]:
    """The raw reviews of a feed item, as the extractor gave them."""
    reviews = []
    for data in item.get("raw") or ():
        values = {key: value for key, value in data.items() if key in _RAW_FIELDS}
        if values.get("answers") is not None:
            values["answers"] = [tuple(pair) for pair in values["answers"]]
        reviews.append(RawReview(**values))
    return reviews


def raw_aggregate(item: Mapping[str, Any]) -> RawAggregate | None:
    data = item.get("aggregate")
    if not isinstance(data, Mapping):
        return None
    return RawAggregate(**{key: value for key, value in data.items() if key in _AGGREGATE_FIELDS})


def read_items(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The items of a JSON-lines feed (blank lines skipped)."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            raise FeedError(f"line {number} of the item feed is not JSON") from None
        if isinstance(item, dict):
            yield item


def result_line(result: Mapping[str, Any]) -> str:
    return RESULT_MARK + json.dumps(result, sort_keys=True, default=str)


def read_result(log: str) -> dict[str, Any] | None:
    """The result a feed-mode crawl logged at its end, or None when the log has none (the crawl
    died before closing)."""
    for line in reversed(log.splitlines()):
        at = line.find(RESULT_MARK)
        if at >= 0:
            try:
                result = json.loads(line[at + len(RESULT_MARK) :])
            except ValueError:
                return None
            return result if isinstance(result, dict) else None
    return None
