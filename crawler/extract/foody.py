"""Foody-style restaurant review feed: JSON pages of ``Items`` loaded with a cursor (``LastId``:
the id of the last review already shown) while ``IsLoadMore`` is true. Ratings are on a 0–10
scale (``AvgRating``); dates are relative and Vietnamese (``CreatedOnTimeDiff``: "3 ngày trước",
"hôm qua"), read against the crawl time; the owner's reply is the one with ``IsOwner``.
"""

from __future__ import annotations

import json
from typing import Any

from crawler.extract.urls import join_url, with_query
from crawler.items import ExtractedPage, RawAggregate, RawReview


def extract_page(body: bytes, url: str) -> ExtractedPage:
    page = ExtractedPage()
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as error:
        page.problems.append(f"not JSON: {str(error)[:120]}")
        return page
    if not isinstance(data, dict) or not isinstance(data.get("Items"), list):
        page.problems.append('no "Items" list of reviews in the response: has the feed changed?')
        return page
    last_id = None
    for item in data["Items"]:
        if isinstance(item, dict):
            page.reviews.append(_review(item, url))
            last_id = item.get("Id", last_id)
    if data.get("AvgRating") is not None:
        page.aggregate = RawAggregate(
            rating=data.get("AvgRating"), best_rating=10, worst_rating=0, count=data.get("Total")
        )
    cursor = data.get("LastId", last_id)
    if data.get("IsLoadMore") and page.reviews and cursor is not None:
        page.next_url = with_query(url, LastId=str(cursor))
    return page


def _review(item: dict[str, Any], url: str) -> RawReview:
    owner: dict[str, Any] = item["Owner"] if isinstance(item.get("Owner"), dict) else {}
    replies = [r for r in _list(item.get("Replies")) if isinstance(r, dict) and r.get("IsOwner")]
    reply: dict[str, Any] = replies[0] if replies else {}
    link = item.get("Url")
    return RawReview(
        native_id=str(item["Id"]) if item.get("Id") is not None else None,
        rating=item.get("AvgRating"),
        best_rating=10,
        worst_rating=0,
        title=item.get("Title"),
        body=item.get("Description"),
        published=item.get("CreatedOnTimeDiff") or item.get("CreatedOn"),
        author=owner.get("DisplayName"),
        reply_body=reply.get("Content"),
        replied=reply.get("CreatedOnTimeDiff") or reply.get("CreatedOn"),
        url=(join_url(url, link) if isinstance(link, str) else None) or url,
    )


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
