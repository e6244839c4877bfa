"""Trustpilot-style company review pages: the reviews live in the Next.js data blob
``<script id="__NEXT_DATA__">``, at ``props.pageProps.reviews`` (id, rating, title, text, dates,
language, reply with its own date). ``props.pageProps.businessUnit`` holds the trust score, the
review count and the business's reply behaviour; ``filters.pagination`` the page count. Pages are
``?page=N``, newest first when sorted by date.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urljoin

from crawler.extract.urls import with_query
from crawler.items import ExtractedPage, RawAggregate, RawReview

_NEXT_DATA = re.compile(
    rb"<script[^>]*\bid\s*=\s*[\"']__NEXT_DATA__[\"'][^>]*>(.*?)</script\s*>",
    re.IGNORECASE | re.DOTALL,
)


def extract_page(body: bytes, url: str) -> ExtractedPage:
    page = ExtractedPage()
    match = _NEXT_DATA.search(body)
    if match is None:
        page.problems.append("no __NEXT_DATA__ block on this page: has the site changed?")
        return page
    try:
        # An invalid byte costs one character (U+FFFD), not the page's reviews.
        data = json.loads(match.group(1).decode("utf-8", "replace"))
        props = data["props"]["pageProps"]
    except (ValueError, KeyError, TypeError, RecursionError) as error:
        page.problems.append(f"unreadable __NEXT_DATA__ block: {str(error)[:120]}")
        return page
    reviews = props.get("reviews") if isinstance(props, dict) else None
    for item in reviews if isinstance(reviews, list) else []:
        if isinstance(item, dict):
            page.reviews.append(_review(item, url))
    unit = props.get("businessUnit") if isinstance(props, dict) else None
    if isinstance(unit, dict):
        page.aggregate = _aggregate(unit)
    page.next_url = _next_url(props, url)
    return page


def _get(node: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _review(item: dict[str, Any], url: str) -> RawReview:
    reply: dict[str, Any] = item["reply"] if isinstance(item.get("reply"), dict) else {}
    review_id = item.get("id")
    return RawReview(
        native_id=str(review_id) if review_id else None,
        rating=item.get("rating"),
        best_rating=5,
        worst_rating=1,
        title=item.get("title"),
        body=item.get("text"),
        lang=item.get("language"),
        published=_get(item, "dates", "publishedDate"),
        author=_get(item, "consumer", "displayName"),
        reply_body=reply.get("message"),
        replied=reply.get("publishedDate") or reply.get("updatedDate"),
        url=urljoin(url, f"/reviews/{review_id}") if review_id else url,
        verified=_get(item, "labels", "verification", "isVerified"),
    )


def _aggregate(unit: dict[str, Any]) -> RawAggregate:
    behaviour = _get(unit, "activity", "replyBehavior")
    details = None
    if isinstance(behaviour, dict):
        details = {
            "reply_percentage": behaviour.get("replyPercentage"),
            "average_days_to_reply": behaviour.get("averageDaysToReply"),
            "negative_reviews": behaviour.get("totalNegativeReviewsCount"),
            "negative_reviews_replied": behaviour.get("negativeReviewsWithRepliesCount"),
        }
    return RawAggregate(
        rating=unit.get("trustScore"),
        best_rating=5,
        worst_rating=1,
        count=unit.get("numberOfReviews"),
        details=details,
    )


def _next_url(props: Any, url: str) -> str | None:
    pagination = _get(props, "filters", "pagination")
    if not isinstance(pagination, dict):
        return None
    current, total = pagination.get("currentPage"), pagination.get("totalPages")
    if not isinstance(current, int) or not isinstance(total, int) or current >= total:
        return None
    return with_query(url, page=str(current + 1))
