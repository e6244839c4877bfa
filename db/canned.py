"""Canned queries: the questions a manager asks, as Datasette shows them in ``ladder serve`` (each
with its parameters; an empty ``week`` means the last analysed week, an empty ``business`` every
business). Read-only SELECTs over the documented views (:mod:`db.views`)."""

from __future__ import annotations

from db.search import match_words_sql

#: Canned queries: the questions a manager asks, with parameters where they take one. An empty
#: ``week`` means the last analysed week; an empty ``business`` means every business.
QUERIES: dict[str, dict[str, str]] = {
    "ranking_of_week": {
        "title": "Ranking of a week",
        "description": "Every business's overall position in a week (empty: the latest).",
        "sql": "SELECT rank, business, score, low, high, rung_name, delta, per_month, reviews "
        "FROM ranking WHERE segment = 'all' AND week = coalesce(nullif(:week, ''), "
        "(SELECT max(week) FROM weekly_positions)) ORDER BY rank IS NULL, rank, score DESC",
    },
    "gaps_of_week": {
        "title": "Where we are behind or ahead",
        "description": "Our gaps per dimension against a competitor (empty: all) in a week.",
        "sql": "SELECT dimension_name, versus, ours, theirs, gap, probability, verdict FROM gaps "
        "WHERE segment = 'all' AND week = coalesce(nullif(:week, ''), "
        "(SELECT max(week) FROM weekly_gaps)) AND (:business = '' OR versus = :business) "
        "ORDER BY verdict != 'behind', gap",
    },
    "reviews_of_business": {
        "title": "Reviews on the ladder",
        "description": "A business's newest reviews with their rung and the phrases that decided it.",
        "sql": "SELECT published_at, rating, rung, rung_name, title, body, evidence, reply_body "
        "FROM reviews_on_ladder WHERE (:business = '' OR business = :business) "
        "ORDER BY published_at DESC LIMIT 200",
    },
    "complaints": {
        "title": "Newest complaints",
        "description": "The newest rung-1 and rung-2 reviews of a business (empty: every one).",
        "sql": "SELECT business, published_at, rung_name, rating, title, body, replied "
        "FROM latest_complaints WHERE (:business = '' OR business = :business) "
        "ORDER BY business, recency",
    },
    "replies_of_week": {
        "title": "Answering reviews",
        "description": "Reply rate, on negative reviews, reply time and templated replies, per "
        "business, over the 12 weeks to a week (empty: the latest).",
        "sql": "SELECT business, reviews, reply_rate, rate_low, rate_high, negative_reply_rate, "
        "median_latency_hours, templated_share FROM replies_by_week WHERE week = "
        "coalesce(nullif(:week, ''), (SELECT max(week) FROM weekly_replies)) "
        "ORDER BY reply_rate DESC",
    },
    "service_changes": {
        "title": "Changes on the businesses' sites",
        "description": "What each site added, dropped or changed since its previous crawl.",
        "sql": "SELECT business, change, signal, before, after, unit, observed_at "
        "FROM service_changes ORDER BY observed_at DESC",
    },
    "source_health": {
        "title": "Source health",
        "description": "Every source's last crawl, last success and failures since.",
        "sql": "SELECT business, kind, url, last_crawl_at, last_crawl_ok, last_crawl_health, "
        "last_success_at, failures_since_success FROM source_health ORDER BY business, kind",
    },
    "search_reviews": {
        "title": "Search review text",
        "description": "Words in reviews, with or without Vietnamese marks: 'quay lai' finds "
        "'quay lại', 'doi lau' and 'đợi lâu' find the same reviews.",
        "sql": "SELECT v.business, v.published_at, "  # noqa: S608 - constant SQL
        "v.rung_name, v.title, v.body FROM reviews_on_ladder v WHERE v.id IN "
        f"(SELECT rowid FROM reviews_fts WHERE reviews_fts MATCH {match_words_sql(':words')}) "
        "ORDER BY v.published_at DESC LIMIT 200",
    },
}
