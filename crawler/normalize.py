"""Raw review → stored review: numbers, dates, text and identity, or the reason it is dropped.

Pure functions shared by the pipelines and ``ladder extract``. A dropped review is never an error:
its reason is counted in the crawl's stats and shown in ``crawl_runs.dropped_reasons``.

A review whose date is missing or cannot be read is still a review: it is kept with the crawl's
moment as its date, marked ``date_precision = "estimated"`` (the stored row keeps the moment it was
first seen), and counted (:func:`read_page`) so the crawl's health says how many had no readable
date. Its key leaves the date out, so the next crawl finds it again. A date only to the month or
year is kept with that precision. A date in the future or before 1995 is still dropped: it was read,
and it is wrong.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo

from crawler.extract.cleaning import clean_text, encodable, guess_language
from crawler.extract.dates import ReadDate, parse_date, read_date
from crawler.items import Aggregate, RawAggregate, RawReview, Review
from db.exceptions import Dropped
from db.rows import utc_iso

#: Every reason a review can be dropped for, with what it means.
DROP_REASONS = {
    "empty_review": "neither a rating nor any text",
    "date_in_future": "publication date more than a day in the future",
    "date_too_old": "publication date before 1995",
    "bad_rating": "rating is not a number",
    "bad_scale": "rating scale is not a number range (best must exceed worst)",
    "rating_out_of_range": "rating outside the scale it claims",
    "duplicate_on_page": "the same review twice on one page",
    "rejected_by_database": "refused by the database's checks (a bug: please report it)",
}
#: ``date_precision`` of a review with no readable date: stored at the moment it was first seen.
ESTIMATED = "estimated"
#: The precisions of :func:`crawler.extract.dates.read_date` stored as they are (finer ones, a day
#: or a time, are stored as NULL: the date as given).
_COARSE = frozenset({"month", "year"})
_EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)
#: A review's date not read yet (:func:`normalize_review` reads it).
_UNREAD = object()
_NUMBER = re.compile(r"^\s*([+-]?\d+(?:[.,]\d+)?)\s*(?:/\s*\d+(?:[.,]\d+)?)?\s*$")


@dataclass(frozen=True)
class SourceContext:
    """What normalisation needs to know about the source and the moment of the crawl."""

    business: str
    kind: str
    host: str
    salt: str
    now: datetime
    tz: tzinfo = UTC
    day_first: bool = True


def parse_number(value: object) -> float | None:
    """``4``, ``"4.5"``, ``"4,5"``, ``"4/5"`` → float; None for None or ""; raises ValueError."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an int beyond a float's range
            raise ValueError(value) from None
    else:
        match = _NUMBER.match(str(value))
        if not match:
            raise ValueError(value)
        number = float(match.group(1).replace(",", "."))
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(value)
    return number


def normalize_rating(
    value: object, best: object, worst: object
) -> tuple[float | None, str | None, float | None]:
    """(rating on 1–5, the raw value as text, the scale's best) — schema.org defaults 1 to 5."""
    try:
        number = parse_number(value)
    except ValueError:
        raise Dropped("bad_rating") from None
    if number is None:
        return None, None, None
    try:
        top = parse_number(best)
        bottom = parse_number(worst)
    except ValueError:
        raise Dropped("bad_scale") from None
    top = 5.0 if top is None else top
    bottom = 1.0 if bottom is None else bottom
    if top <= bottom:
        raise Dropped("bad_scale")
    if not bottom <= number <= top:
        raise Dropped("rating_out_of_range")
    rating = round(1 + 4 * (number - bottom) / (top - bottom), 4)
    if not math.isfinite(rating):  # a scale wider than a float can subtract
        raise Dropped("bad_scale")
    return rating, str(value).strip(), top


def normalize_aggregate(raw: RawAggregate) -> Aggregate | None:
    try:
        rating, rating_raw, scale = normalize_rating(raw.rating, raw.best_rating, raw.worst_rating)
        count = parse_number(raw.count)
    except (Dropped, ValueError):
        return None
    return Aggregate(
        rating=rating,
        rating_raw=rating_raw,
        rating_scale=scale,
        count=None if count is None else int(count),
        details=raw.details,
    )


def normalize_review(
    raw: RawReview, ctx: SourceContext, *, date: ReadDate | object | None = _UNREAD
) -> Review:
    """A valid :class:`Review`, or :class:`Dropped` with the reason. ``date``: its date read
    already (:func:`_read_published`, in the same context), when it was."""
    rating, rating_raw, scale = normalize_rating(raw.rating, raw.best_rating, raw.worst_rating)
    title = clean_text(raw.title)
    body = clean_text(raw.body)
    if rating is None and title is None and body is None:
        raise Dropped("empty_review")
    read = _read_published(raw.published, ctx) if date is _UNREAD else date
    published, precision = _published(read if isinstance(read, ReadDate) else None, ctx)
    reply_body = clean_text(raw.reply_body)
    replied = None  # a reply's date is stored with its reply only
    if reply_body and raw.replied is not None:
        replied = parse_date(raw.replied, now=ctx.now, tz=ctx.tz, day_first=ctx.day_first)
    if replied is not None and not _EARLIEST <= replied <= ctx.now + timedelta(days=1):
        replied = None  # "0001-01-01" is how some APIs say "no date"; the reply itself is kept
    lang = raw.lang if isinstance(raw.lang, str) and raw.lang.strip() else None
    native_id = _native_id(raw) or None
    published_at = utc_iso(published)
    return Review(
        review_key=review_key(
            ctx, native_id, None if precision == ESTIMATED else published, title, body
        ),
        native_id=native_id,
        rating=rating,
        rating_raw=rating_raw,
        rating_scale=scale,
        title=title,
        body=body,
        lang=lang.strip().lower()[:2] if lang else guess_language(f"{title or ''} {body or ''}"),
        published_at=published_at,
        reply_body=reply_body,
        replied_at=utc_iso(replied) if reply_body and replied else None,
        url=encodable(raw.url) if raw.url else raw.url,
        author_hash=author_hash(raw.author, ctx.salt),
        verified=_flag(raw.verified),
        answers=_answers(raw.answers),
        date_precision=precision,
    )


def _flag(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "false", "no", "0"):
        return value.strip().lower() in ("true", "yes", "1")
    return None


def _answers(value: list[tuple[str, str]] | None) -> str | None:
    pairs = []
    for question, answer in value or ():
        question_text, answer_text = clean_text(question), clean_text(answer)
        if question_text and answer_text:
            pairs.append([question_text, answer_text])
    return json.dumps(pairs, ensure_ascii=False) if pairs else None


@dataclass
class ReadPage:
    """A page normalised: its valid reviews, the count of each drop reason, and what its dates
    showed (``dates``): ``estimated`` (kept reviews with no readable date), ``day_first`` and
    ``month_first`` (dates that can only be read in that order, "13/05/2024", "05/13/2024"),
    ``against_config`` (those proving the order the source is not set to read),
    ``pages_in_proven_order`` (1 when the page proves only the other order: a site writes its dates
    one way, so its ambiguous dates, "05/11/2026", were read that way too) and
    ``mixed_order_pages`` (1 when the page proves both orders: its other numeric dates were read
    in the configured order, a guess the crawl's health reports rather than hides)."""

    reviews: list[Review] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)
    dates: Counter[str] = field(default_factory=Counter)


def normalize_page(
    raws: Iterable[RawReview], ctx: SourceContext
) -> tuple[list[Review], Counter[str]]:
    """A page's valid reviews (the first of any repeated one) and the count of each drop reason."""
    page = read_page(raws, ctx)
    return page.reviews, page.dropped


def read_page(raws: Iterable[RawReview], ctx: SourceContext) -> ReadPage:
    """A page's valid reviews (the first of any repeated one), the count of each drop reason and
    what its dates showed (:class:`ReadPage`)."""
    page = ReadPage()
    reviews, dropped, keys = page.reviews, page.dropped, set[str]()
    configured = "day_first" if ctx.day_first else "month_first"
    raws = list(raws)
    dates: list[ReadDate | object | None] = [_read_published(raw.published, ctx) for raw in raws]
    for date in dates:
        if isinstance(date, ReadDate) and date.order is not None:
            page.dates[date.order] += 1
            page.dates["against_config"] += date.order != configured
    if page.dates["against_config"] and not page.dates[configured]:
        ctx = replace(ctx, day_first=not ctx.day_first)  # the page's own dates say which way
        page.dates["pages_in_proven_order"] = 1
        dates = [_UNREAD] * len(raws)  # read again, in that order
    for raw, date in zip(raws, dates, strict=True):
        try:
            review = normalize_review(raw, ctx, date=date)
        except Dropped as drop:
            dropped[drop.reason] += 1
            continue
        if review.review_key in keys:
            dropped["duplicate_on_page"] += 1
            continue
        keys.add(review.review_key)
        reviews.append(review)
        page.dates["estimated"] += review.date_precision == ESTIMATED
    if page.dates["day_first"] and page.dates["month_first"]:
        page.dates["mixed_order_pages"] = 1
    page.dates = +page.dates  # only what was seen
    return page


def _native_id(raw: RawReview) -> str:
    """The platform's id as text ("" for none); half a surrogate pair would not encode."""
    return encodable(raw.native_id.strip()) if raw.native_id else ""


def _read_published(value: object, ctx: SourceContext) -> ReadDate | None:
    """The publication date as the page states it, read in the source's context; None when it
    has none (missing, blank or unreadable)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return read_date(value, now=ctx.now, tz=ctx.tz, day_first=ctx.day_first)


def _published(read: ReadDate | None, ctx: SourceContext) -> tuple[datetime, str | None]:
    """The publication date and its ``date_precision``: the crawl's moment, estimated, when there
    is no readable date; :class:`Dropped` for a date in the future or before 1995."""
    if read is None:
        if ctx.now < _EARLIEST:  # a clock set before 1995 dates nothing
            raise Dropped("date_too_old")
        return ctx.now, ESTIMATED
    if read.moment > ctx.now + timedelta(days=1):
        raise Dropped("date_in_future")
    if read.moment < _EARLIEST:
        raise Dropped("date_too_old")
    return read.moment, read.precision if read.precision in _COARSE else None


def _digest(text: str, key: bytes = b"", size: int = 12) -> str:
    return hashlib.blake2b(text.encode(), key=key, digest_size=size).hexdigest()


def review_key(
    ctx: SourceContext,
    native_id: str | None,
    published: datetime | None,
    title: str | None,
    body: str | None,
) -> str:
    """Stable identity: the platform's own id where there is one, else the day (as the site shows
    it, in its zone) and the text; the text alone for a review with no readable date
    (``published`` None: its estimated date moves with every crawl and must not make it new).

    The business, source kind and host are part of it, so two sites' review "17" never collide, and
    a source whose URL gains a query parameter keeps its reviews.
    """
    scope = f"{ctx.business}\x1f{ctx.kind}\x1f{ctx.host}\x1f"
    if native_id:
        return _digest(f"{scope}id\x1f{native_id}")
    text = " ".join(f"{title or ''} {body or ''}".casefold().split())
    if published is None:
        return _digest(f"{scope}undated\x1f{text}")
    day = published.astimezone(ctx.tz).date().isoformat()
    return _digest(f"{scope}text\x1f{day}\x1f{text}")


def author_hash(author: object, salt: str) -> str | None:
    """A salted (keyed) hash of the reviewer's name; the name itself is never stored."""
    name = clean_text(author)
    if not name:
        return None
    return _digest(" ".join(name.casefold().split()), key=_author_key(salt), size=10)


@functools.lru_cache(maxsize=8)
def _author_key(salt: str) -> bytes:
    return hashlib.sha256(salt.encode()).digest()
