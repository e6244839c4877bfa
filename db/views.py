"""What the documented views (migration ``m008_views``) hold, column by column: the source of the
Datasette metadata (``ladder serve``) and checked against ``docs/queries.md`` by the tests.

Each entry: ``(description, {column: description}, {column: unit})``.
"""

from __future__ import annotations

ViewDoc = tuple[str, dict[str, str], dict[str, str]]

_RANKING_COLUMNS = {
    "week": "ISO week, e.g. 2026-W47 (weeks run Monday to Sunday in the configured time zone)",
    "segment": "all reviews ('all'), repeat reviewers ('repeat'), or one platform ('source:tiki')",
    "rank": "1 = best; empty when the business has not enough reviews",
    "business": "the business's name as in ladder.toml",
    "is_self": "1 for our business",
    "score": "ladder score from 1 (Bad) to 6 (Unbelievable): shrunk toward the market, recent "
    "reviews weighing more",
    "low": "lower end of the 90% band of the score",
    "high": "upper end of the 90% band of the score",
    "rung": "the rung the score sits on (3.4 is 3, 3.5 is 4)",
    "rung_name": "the rung's name in English",
    "rung_name_vi": "the rung's name in Vietnamese",
    "delta": "score change since the previous week",
    "per_month": "climb in rungs a month (Theil–Sen slope of the last 12 weeks)",
    "reviews": "effective number of reviews behind the score (recency-weighted)",
    "reviews_this_week": "reviews published this week",
    "losing_share": "share of reviews on rungs 1–2 (customers being lost)",
    "enough": "1 when there are enough reviews for a position",
}

VIEWS: dict[str, ViewDoc] = {
    "ranking": (
        "Every business's overall position, every week and segment.",
        _RANKING_COLUMNS,
        {"score": "rungs", "low": "rungs", "high": "rungs", "delta": "rungs"},
    ),
    "latest_ranking": (
        "This week's ranking: the last analysed week, all reviews, best first.",
        _RANKING_COLUMNS,
        {"score": "rungs", "low": "rungs", "high": "rungs", "delta": "rungs"},
    ),
    "gaps": (
        "Our score against each competitor, their median and the best, per dimension and week.",
        {
            "week": "ISO week",
            "segment": "as in ranking",
            "dimension": "overall, tangibles, reliability, responsiveness, assurance or empathy",
            "dimension_name": "the dimension's name in English",
            "versus": "a competitor's name, or 'median' or 'best'",
            "ours": "our score on the dimension",
            "theirs": "their score on the dimension",
            "gap": "ours − theirs; negative means we are behind",
            "probability": "probability that the gap has this sign (from the score draws)",
            "verdict": "'behind' or 'ahead' when the gap is large (≥ 0.25) and certain (> 0.9), "
            "else 'even'",
        },
        {"ours": "rungs", "theirs": "rungs", "gap": "rungs"},
    ),
    "reviews_on_ladder": (
        "Every review with the rung the ladder gave it and the phrases that decided it.",
        {
            "id": "the review's id (reviews.id)",
            "business": "the business reviewed",
            "is_self": "1 for our business",
            "source_kind": "the kind of source it was read from (schemaorg, tiki, …)",
            "published_at": "when it was published (UTC)",
            "rating": "stars on a 1–5 scale (other scales converted)",
            "rung": "the rung the ladder gave it, 1–6",
            "rung_name": "the rung's name",
            "confidence": "how sure the ladder is, 0–1",
            "conflict": "1 when the text and the stars disagree by two rungs or more",
            "lang": "vi, en or mixed",
            "title": "the review's title",
            "body": "the review's text",
            "evidence": "JSON list of the phrases that decided the rung and dimensions",
            "reply_body": "the owner's reply, if any",
            "replied_at": "when the owner replied (UTC)",
            "verified": "1 when the platform marks it a verified purchase",
            "url": "the page it was read on",
        },
        {},
    ),
    "review_evidence": (
        "One row per phrase the ladder read in a review: what customers say, and about what.",
        {
            "review_id": "the review (reviews.id)",
            "business": "the business reviewed",
            "is_self": "1 for our business",
            "published_at": "when the review was published (UTC)",
            "rung": "the review's rung",
            "signal": "what the phrase said: 'rung 2', or a dimension and polarity "
            "('responsiveness −', 'empathy +')",
            "phrase": "the phrase as written in the review",
        },
        {},
    ),
    "latest_complaints": (
        "The newest 20 reviews on rung 1 (angry) or 2 (silently lost) of each business.",
        {
            "business": "the business reviewed",
            "is_self": "1 for our business",
            "published_at": "when it was published (UTC)",
            "rung": "1 Bad or 2 Basic",
            "rung_name": "the rung's name",
            "rating": "stars, 1–5",
            "title": "the review's title",
            "body": "the review's text",
            "evidence": "JSON list of the phrases that decided it",
            "replied": "1 when the owner replied",
            "url": "the page it was read on",
            "recency": "1 = the newest complaint of this business",
        },
        {},
    ),
    "replies_by_week": (
        "How each business answers its reviews, over the 12 weeks up to each week.",
        {
            "week": "ISO week (the window ends with it)",
            "business": "the business",
            "is_self": "1 for our business",
            "reviews": "reviews published in the window",
            "replies": "of them, answered by the owner",
            "reply_rate": "replies / reviews",
            "rate_low": "lower end of the 90% Wilson interval of the reply rate",
            "rate_high": "upper end of the 90% Wilson interval of the reply rate",
            "negative_reviews": "reviews with 1–2 stars or on rungs 1–2",
            "negative_replies": "of them, answered",
            "negative_reply_rate": "negative_replies / negative_reviews",
            "negative_rate_low": "lower end of its 90% interval",
            "negative_rate_high": "upper end of its 90% interval",
            "median_latency_hours": "median time from review to reply",
            "templated_replies": "replies that are a near-copy of another reply of the business",
            "templated_share": "templated_replies / replies with text",
        },
        {"median_latency_hours": "hours"},
    ),
    "service_changes": (
        "What changed on each business's own site between its last two crawls.",
        {
            "business": "the business",
            "is_self": "1 for our business",
            "site": "the site's start page",
            "change": "'new', 'gone' or 'changed'",
            "signal": "e.g. chat.vendor, returns.window_days (docs/sources/signals.md)",
            "before": "the value before (JSON), for gone and changed",
            "after": "the value now (JSON), for new and changed",
            "unit": "days, months, hours, hours/week, VND, …",
            "observed_at": "when the latest crawl saw it (UTC)",
            "evidence": "what was seen on the page",
        },
        {},
    ),
    "source_health": (
        "Every source with its last crawl, its last success and its failures since.",
        {
            "source_id": "the source (sources.id)",
            "business": "the business",
            "kind": "the kind of source",
            "url": "its start page",
            "last_crawl_at": "when its last crawl finished (UTC)",
            "last_crawl_ok": "1 when that crawl was healthy",
            "last_crawl_health": "what the last crawl found, or what went wrong",
            "last_crawl_pages": "pages the last crawl fetched",
            "last_crawl_new": "new reviews the last crawl stored",
            "last_success_at": "when a crawl last succeeded (UTC)",
            "failures_since_success": "failed crawls since the last success",
            "crawls": "crawls recorded",
        },
        {},
    ),
}
