"""Properties of normalisation: a review is only dropped for a documented reason; an accepted one
is within range (rating on 1 to 5, dates in ISO-8601 UTC between 1995 and tomorrow, tidy text).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any, TypeVar

from hypothesis import example, given
from hypothesis import strategies as st

from crawler.items import RawAggregate, RawReview
from crawler.normalize import (
    DROP_REASONS,
    SourceContext,
    normalize_aggregate,
    normalize_page,
    normalize_rating,
    normalize_review,
    parse_number,
)
from db.exceptions import Dropped
from tests.conftest import budget
from tests.strategies import (
    ANY_JSON,
    EARLIEST,
    ISO_UTC,
    MARKUP_TEXT,
    NOW,
    NOWS,
    SAFE_JSON,
    VI_UNITS,
    WITH_SURROGATES,
    ZONES,
    date_values,
    safe_text,
)

T = TypeVar("T")

GOOD_DATES = st.one_of(
    st.datetimes(datetime(1990, 1, 1), datetime(2101, 1, 1), timezones=ZONES).map(
        datetime.isoformat
    ),
    st.builds("{} {} trước".format, st.integers(0, 500), st.sampled_from(VI_UNITS)),
    st.integers(0, 10**13),
)
RATING_TEXTS = st.sampled_from(["4", "4.5", "4,5", " 3 / 5 ", "+2", "-0", "abc", "", "★★★★"])


def numbers(*, safe: bool) -> st.SearchStrategy[Any]:
    """What a page gives as a rating or a scale end. ``safe``: within ±10**300 (the known bugs
    need more: 10**400 overflows a float, ±10**308 overflows the scale arithmetic)."""
    bound = 10**300
    values = st.one_of(
        st.integers(-bound, bound),
        st.integers(-bound, bound).map(str),
        st.floats(-float(bound), float(bound)),
        st.sampled_from([math.nan, math.inf, -math.inf, True, None, 5, 10, 0, 1, 100]),
        RATING_TEXTS,
    )
    if not safe:
        values |= st.sampled_from([10**400, "1" + "0" * 308, "-1" + "0" * 308, 1.7e308, -1.7e308])
    return values


def raw_reviews(*, safe: bool) -> st.SearchStrategy[RawReview]:
    junk = SAFE_JSON if safe else ANY_JSON
    text = MARKUP_TEXT | junk if safe else MARKUP_TEXT | WITH_SURROGATES | junk
    # Safe reply dates stay after the year 1000 (the known bug is in earlier ones).
    replied = st.none() | GOOD_DATES | st.text(max_size=10) if safe else date_values(safe=False)
    return st.builds(
        RawReview,
        native_id=st.none() | safe_text,
        rating=numbers(safe=safe),
        best_rating=numbers(safe=safe),
        worst_rating=numbers(safe=safe),
        title=text,
        body=text,
        lang=st.none() | st.sampled_from(["vi", " EN ", "vi-VN", "", "a b"]) | junk,
        published=GOOD_DATES | date_values(safe=safe),
        author=junk,
        reply_body=text,
        replied=replied,
        url=st.none() | safe_text,
        verified=junk,
        answers=st.none() | st.lists(st.tuples(text, text), max_size=3),
    )


CONTEXTS = st.builds(
    SourceContext,
    business=st.text(max_size=10),
    kind=st.sampled_from(["schemaorg", "tiki", "foody", "css", "import"]),
    host=st.sampled_from(["reviews.example", "tiki.vn", "local"]),
    salt=st.text(max_size=10),
    now=NOWS,
    tz=ZONES,
    day_first=st.booleans(),
)


def outcome(function: Callable[..., T], *args: Any) -> tuple[T | None, str | None]:
    """``(result, None)``, or ``(None, reason)`` when the review is dropped."""
    try:
        return function(*args), None
    except Dropped as drop:
        return None, drop.reason


def assert_review_in_range(review: Any, ctx: SourceContext) -> None:
    assert review.rating is None or 1 <= review.rating <= 5
    assert (review.rating is None) == (review.rating_raw is None) == (review.rating_scale is None)
    assert review.rating is not None or review.title is not None or review.body is not None
    for text in (review.title, review.body, review.reply_body):
        assert text is None or (isinstance(text, str) and text and text == text.strip())
    assert ISO_UTC.match(review.published_at)
    published = datetime.fromisoformat(review.published_at)
    assert EARLIEST <= published <= ctx.now + timedelta(days=1)
    assert review.replied_at is None or (review.reply_body and ISO_UTC.match(review.replied_at))
    assert re.fullmatch(r"[0-9a-f]{24}", review.review_key)
    assert review.author_hash is None or re.fullmatch(r"[0-9a-f]{20}", review.author_hash)
    assert review.lang is None or 1 <= len(review.lang) <= 2
    assert review.verified in (None, True, False)
    if review.answers is not None:
        pairs = json.loads(review.answers)
        assert pairs
        assert all(len(pair) == 2 and all(pair) for pair in pairs)


@budget(500)
@given(raw=raw_reviews(safe=True), ctx=CONTEXTS)
def test_normalize_review_accepts_in_range_or_drops_with_a_reason(
    raw: RawReview, ctx: SourceContext
) -> None:
    review, reason = outcome(normalize_review, raw, ctx)
    if review is None:
        assert reason in DROP_REASONS
        return
    assert_review_in_range(review, ctx)
    assert normalize_review(raw, ctx) == review  # the same page read twice: the same review


@budget(300)
@given(raws=st.lists(raw_reviews(safe=True), max_size=6), ctx=CONTEXTS, repeat=st.booleans())
def test_normalize_page_accounts_for_every_review(
    raws: list[RawReview], ctx: SourceContext, repeat: bool
) -> None:
    raws = raws + raws[:1] if repeat else raws
    reviews, dropped = normalize_page(raws, ctx)
    assert len(reviews) + sum(dropped.values()) == len(raws)
    assert set(dropped) <= set(DROP_REASONS)
    assert len({review.review_key for review in reviews}) == len(reviews)
    for review in reviews:
        assert_review_in_range(review, ctx)


@budget(300)
@given(
    value=numbers(safe=True),
    best=numbers(safe=True),
    worst=numbers(safe=True),
    count=numbers(safe=True),
)
def test_numbers_and_ratings_are_finite_and_on_the_scale(
    value: object, best: object, worst: object, count: object
) -> None:
    try:
        number = parse_number(value)
    except ValueError:
        number = math.nan
    assert number is None or math.isnan(number) or math.isfinite(number)
    result, reason = outcome(normalize_rating, value, best, worst)
    if result is None:
        assert reason in ("bad_rating", "bad_scale", "rating_out_of_range")
    else:
        rating, raw, scale = result
        assert rating is None or 1 <= rating <= 5
        assert (rating is None) == (raw is None) == (scale is None)
    aggregate = normalize_aggregate(RawAggregate(value, best, worst, count))
    assert aggregate is None or aggregate.rating is None or 1 <= aggregate.rating <= 5


@budget(200)
@given(value=numbers(safe=False), count=numbers(safe=False))
@example(value=10**400, count=None)
@example(value=4, count=10**400)
def test_parse_number_raises_only_value_error(value: object, count: object) -> None:
    with suppress(ValueError):
        parse_number(value)
    normalize_aggregate(RawAggregate(value, None, None, count))


@budget(200)
@given(value=numbers(safe=False), best=numbers(safe=False), worst=numbers(safe=False))
@example(value=1, best="1" + "0" * 308, worst="-1" + "0" * 308)
def test_normalized_rating_is_always_on_1_to_5(value: object, best: object, worst: object) -> None:
    try:
        rating, _, _ = normalize_rating(value, best, worst)
    except (Dropped, OverflowError):  # OverflowError: the parse_number bug above
        return
    assert rating is None or 1 <= rating <= 5


@budget(200)
@given(raw=raw_reviews(safe=True), replied=date_values(safe=True), ctx=CONTEXTS)
@example(
    raw=RawReview(rating=4, published="2025-01-01", reply_body="Cảm ơn"),
    replied="0001-01-02",
    ctx=SourceContext("Phở Hạnh", "foody", "foody.vn", "salt", NOW),
)
def test_replied_at_is_always_iso_utc(raw: RawReview, replied: object, ctx: SourceContext) -> None:
    raw.replied = replied
    try:
        review = normalize_review(raw, ctx)
    except Dropped:
        return
    assert review.replied_at is None or ISO_UTC.match(review.replied_at)


@budget(200)
@given(raw=raw_reviews(safe=True), body=WITH_SURROGATES, author=WITH_SURROGATES, ctx=CONTEXTS)
@example(
    raw=RawReview(published="2025-01-01"),
    body="ok \ud83d",
    author=None,
    ctx=SourceContext("Phở Hạnh", "tiki", "tiki.vn", "salt", NOW),
)
@example(
    raw=RawReview(native_id="7", published="2025-01-01"),
    body="ok",
    author="\ud83d",
    ctx=SourceContext("Phở Hạnh", "tiki", "tiki.vn", "salt", NOW),
)
def test_normalize_review_never_raises_on_lone_surrogates(
    raw: RawReview, body: str, author: str | None, ctx: SourceContext
) -> None:
    raw.body, raw.author = body, author
    with suppress(Dropped):
        normalize_review(raw, ctx)
