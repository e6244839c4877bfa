"""What the database's rows look like in Python: the dataclasses the reads return, and the one
timestamp format of every ``*_at`` column.

No SQL here: this module is what the analysis may know of the database (it imports these types and
nothing else of ``db`` but its exceptions), so the ladder and the positions are computed from rows
handed to them, never from a connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple


def utc_iso(moment: datetime | None = None) -> str:
    """``2026-11-24T03:15:00Z``: the one timestamp format of every ``*_at`` column."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: give a timezone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class BusinessSummary:
    name: str
    is_self: bool
    reviews: int
    mean_rating: float | None
    reply_rate: float | None
    newest_at: str | None
    languages: dict[str, int]


@dataclass(frozen=True)
class CrawlRun:
    id: int
    source_id: int | None
    spider: str
    started_at: str
    finished_at: str | None
    pid: int | None
    pages: int
    pages_empty: int
    reviews_parsed: int
    reviews_new: int
    reviews_changed: int
    dropped: int
    dropped_reasons: dict[str, int]
    errors: int
    http_statuses: dict[str, int]
    finish_reason: str | None
    ok: bool | None
    health: str | None
    log_path: str | None
    coverage: dict[str, float]


@dataclass(frozen=True)
class ReviewText:
    review_id: int
    content_hash: str
    title: str | None
    body: str | None
    rating: float | None
    lang: str | None
    answers: str | None  # JSON [[question, answer], …]
    reply_body: str | None


@dataclass(frozen=True)
class Business:
    id: int
    name: str
    is_self: bool


class RungCount(NamedTuple):
    """Reviews of one business, on one day of a week, on one rung (overall or for a dimension),
    from one kind of source, by repeat reviewers or not.

    ``weight`` counts each review once, except reviews sharing a text fingerprint with two or more
    others in the same business and week: such a cluster counts as one review in all.

    ``estimated`` counts reviews with no readable date (``date_precision = 'estimated'``), dated
    when first seen: they count in positions but not in velocity.
    """

    business_id: int
    dimension: str
    day: int
    rung: int
    repeat: bool
    kind: str
    reviews: int
    weight: float
    weight_sq: float
    duplicates: int
    estimated: bool = False


@dataclass(frozen=True)
class ReplyStats:
    business_id: int
    reviews: int
    replies: int
    negative_reviews: int
    negative_replies: int
    latencies_hours: list[float]


@dataclass(frozen=True)
class PositionRow:
    week: str
    business_id: int
    business: str
    is_self: bool
    segment: str
    dimension: str
    reviews: int
    n_effective: float
    score: float
    low: float
    high: float
    rung_held: int | None
    losing_share: float
    losing_upper: float
    shares: list[float]
    enough: bool
    rank: int | None
    delta: float | None
    velocity: float | None  # rungs per week


@dataclass(frozen=True)
class GapRow:
    week: str
    segment: str
    dimension: str
    kind: str
    versus: str
    versus_business_id: int | None
    ours: float | None
    theirs: float | None
    gap: float | None
    probability: float | None
    verdict: str
    note: str | None


@dataclass(frozen=True)
class EvidenceRow:
    signal: str
    text: str
    rung: int
    published_at: str


@dataclass(frozen=True)
class SourceRow:
    id: int
    business: str
    is_self: bool
    kind: str
    url: str


@dataclass(frozen=True)
class SignalRow:
    business: str
    is_self: bool
    source_id: int
    observed_at: str
    name: str
    value: Any
    unit: str | None
    url: str | None
    evidence: str | None


@dataclass(frozen=True)
class ReplyRow:
    week: str
    business: str
    reviews: int
    replies: int
    reply_rate: float | None
    rate_low: float | None
    rate_high: float | None
    negative_reviews: int
    negative_reply_rate: float | None
    negative_rate_low: float | None
    negative_rate_high: float | None
    median_latency_hours: float | None
    templated_share: float | None


@dataclass(frozen=True)
class Quote:
    """A review's text with the span that said something about a dimension."""

    title: str | None
    body: str | None
    answers: str | None
    start: int
    end: int
    published_at: str


@dataclass(frozen=True)
class SignalChangeRow:
    business: str
    is_self: bool
    change: str
    name: str
    before: Any
    after: Any
    unit: str | None
    observed_at: str


@dataclass(frozen=True)
class ReportRow:
    week: str
    language: str
    subject: str
    message_id: str
    recipients: list[str]
    written_at: str
    status: str
    sent_at: str | None
