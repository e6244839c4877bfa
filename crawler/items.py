"""What spiders yield. Plain dataclasses: extractors build them without Scrapy.

A review spider yields one :class:`ReviewPage` per listing page rather than one item per review:
Scrapy's per-item overhead is a large share of a 20-review page's cost, and a page is also the unit
the pipelines validate, count and store.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the extractors and crawler.normalize import these items
    from crawler.extract.signals import Signal
    from crawler.normalize import ReadPage


@dataclass
class RawReview:
    """A review as the page states it: values are strings or numbers, not yet checked."""

    native_id: str | None = None
    rating: object = None
    best_rating: object = None
    worst_rating: object = None
    title: object = None
    body: object = None
    lang: object = None
    published: object = None
    author: object = None
    reply_body: object = None
    replied: object = None
    url: str | None = None
    #: The platform says the reviewer bought or used the service (a segment of its own).
    verified: object = None
    #: Structured answers the platform asks for: ("Thời gian giao hàng", "Giao nhanh").
    answers: list[tuple[str, str]] | None = None


@dataclass
class RawAggregate:
    """What the page says about the business overall ("4.2 from 250 reviews"), and on some
    platforms how it replies (``details``: reply percentage, days to reply …)."""

    rating: object = None
    best_rating: object = None
    worst_rating: object = None
    count: object = None
    details: dict[str, object] | None = None


@dataclass
class Review:
    """A normalised, valid review: what the store keeps (the author only as a salted hash)."""

    review_key: str
    native_id: str | None
    rating: float | None
    rating_raw: str | None
    rating_scale: float | None
    title: str | None
    body: str | None
    lang: str | None
    published_at: str
    reply_body: str | None
    replied_at: str | None
    url: str | None
    author_hash: str | None = None
    verified: bool | None = None
    answers: str | None = None  # JSON: [[question, answer], …]
    #: How exactly ``published_at`` is known when not as the site gave it: "month" or "year" (the
    #: site showed no finer), "estimated" (no readable date: the crawl's moment, when first seen).
    date_precision: str | None = None


@dataclass
class Aggregate:
    rating: float | None
    rating_raw: str | None
    rating_scale: float | None
    count: int | None
    details: dict[str, object] | None = None


@dataclass
class ExtractedPage:
    """An extractor's answer for one page or JSON document."""

    reviews: list[RawReview] = field(default_factory=list)
    aggregate: RawAggregate | None = None
    next_url: str | None = None
    #: Things that went wrong but did not stop extraction ("broken JSON-LD block"), counted in stats.
    problems: list[str] = field(default_factory=list)


@dataclass
class ReviewPage:
    """The item: one fetched page's reviews, normalised and validated by the pipelines in place."""

    url: str
    raw: list[RawReview]
    aggregate: RawAggregate | None = None
    reviews: list[Review] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)
    #: The page normalised already, by the spider that needed its review keys
    #: (:func:`crawler.normalize.read_page`); the pipeline then does not read it again.
    read: ReadPage | None = None


@dataclass
class SignalPage:
    """The item of the signals spider: the service signals found on one page of a site."""

    url: str
    signals: list[Signal]
