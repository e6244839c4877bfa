"""The demo world's review platforms: a Trustpilot-like company page (reviews in ``__NEXT_DATA__``),
a Tiki-like review API (JSON, ``page``/``limit``) and a Foody-like feed (JSON, a ``LastId`` cursor,
ratings out of 10, relative Vietnamese dates). Each serves some of one business's reviews, newest
first, in the shapes :mod:`crawler.extract` reads from the real platforms.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from crawler.extract.urls import with_query
from scheduler.demo.server import Page
from scheduler.demo.world import DemoReview

PER_PAGE = 20
SITE_TZ = timezone(timedelta(hours=7), "ICT")


def _chunks(reviews: Sequence[DemoReview]) -> list[Sequence[DemoReview]]:
    return [reviews[i : i + PER_PAGE] for i in range(0, len(reviews), PER_PAGE)] or [[]]


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _json(data: Any) -> Page:
    return Page(
        json.dumps(data, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )


def trustpilot_pages(path: str, name: str, reviews: Sequence[DemoReview]) -> dict[str, Page]:
    """``path`` and ``path?page=N``: company pages with the reviews in ``__NEXT_DATA__``."""
    chunks = _chunks(reviews)
    replied = [r for r in reviews if r.reply_body]
    unit = {
        "displayName": name,
        "numberOfReviews": len(reviews),
        "trustScore": round(sum(r.rating for r in reviews) / max(1, len(reviews)), 1),
        "activity": {
            "replyBehavior": {
                "replyPercentage": round(100 * len(replied) / max(1, len(reviews)), 1)
            }
        },
    }
    pages = {}
    for number, chunk in enumerate(chunks, 1):
        props = {
            "businessUnit": unit,
            "reviews": [_trustpilot_review(r) for r in chunk],
            "filters": {
                "pagination": {
                    "currentPage": number,
                    "perPage": PER_PAGE,
                    "totalPages": len(chunks),
                }
            },
        }
        data = json.dumps({"props": {"pageProps": props}}, ensure_ascii=False).replace("</", "<\\/")
        key = path if number == 1 else with_query(path, page=str(number))
        pages[key] = Page(
            f'<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{name} reviews</title>'
            f'</head><body><div id="__next"></div><script id="__NEXT_DATA__" type="application/json">'
            f"{data}</script></body></html>"
        )
    return pages


def _trustpilot_review(review: DemoReview) -> dict[str, Any]:
    reply = None
    if review.reply_body and review.replied_at:
        reply = {"message": review.reply_body, "publishedDate": _iso(review.replied_at)}
    return {
        "id": review.native_id,
        "rating": review.rating,
        "title": review.title or review.body[:40],
        "text": review.body,
        "language": review.lang,
        "dates": {"publishedDate": _iso(review.published_at)},
        "consumer": {"displayName": review.author},
        "reply": reply,
    }


def tiki_pages(path: str, reviews: Sequence[DemoReview]) -> dict[str, Page]:
    """``path`` with ``page=N``: the review API's JSON pages (``path`` carries ``page=1``)."""
    chunks = _chunks(reviews)
    pages = {}
    for number, chunk in enumerate(chunks, 1):
        data = {
            "rating_average": round(sum(r.rating for r in reviews) / max(1, len(reviews)), 1),
            "reviews_count": len(reviews),
            "data": [_tiki_review(r) for r in chunk],
            "paging": {"total": len(reviews), "per_page": PER_PAGE, "current_page": number,
                       "last_page": len(chunks)},
        }  # fmt: skip
        pages[with_query(path, page=str(number))] = _json(data)
    return pages


def _tiki_review(review: DemoReview) -> dict[str, Any]:
    comments = []
    if review.reply_body and review.replied_at:
        comments.append(
            {
                "commentator": "seller",
                "content": review.reply_body,
                "create_at": int(review.replied_at.timestamp()),
            }
        )
    answer = "Đúng hẹn" if review.rating >= 4 else "Giao trễ" if review.rating <= 2 else None
    return {
        "id": int(review.native_id.rsplit("-", 1)[-1]),
        "title": review.title or "",
        "content": review.body,
        "rating": review.rating,
        "created_at": int(review.published_at.timestamp()),
        "created_by": {"full_name": review.author, "purchased": int(review.native_id[-1]) % 3 != 0},
        "delivery_rating": [{"question": "Thời gian giao hàng", "option": answer}]
        if answer
        else [],
        "comments": comments,
    }


def foody_pages(path: str, reviews: Sequence[DemoReview], now: datetime) -> dict[str, Page]:
    """``path``, then ``path&LastId=ID`` for each next page: the feed's JSON pages."""
    chunks = _chunks(reviews)
    pages = {}
    key = path
    for number, chunk in enumerate(chunks, 1):
        items = [_foody_review(r, now) for r in chunk]
        last_id = items[-1]["Id"] if items else None
        data = {
            "Total": len(reviews),
            "AvgRating": round(2 * sum(r.rating for r in reviews) / max(1, len(reviews)), 1),
            "Items": items,
            "LastId": last_id,
            "IsLoadMore": number < len(chunks),
        }
        pages[key] = _json(data)
        key = with_query(path, LastId=str(last_id))
    return pages


def _foody_review(review: DemoReview, now: datetime) -> dict[str, Any]:
    replies = []
    if review.reply_body and review.replied_at:
        replies.append(
            {
                "Content": review.reply_body,
                "CreatedOnTimeDiff": _relative(review.replied_at, now),
                "IsOwner": True,
            }
        )
    number = int(review.native_id.rsplit("-", 1)[-1])
    return {
        "Id": number,
        "Title": review.title or "",
        "Description": review.body,
        "AvgRating": float(review.rating * 2),
        "CreatedOnTimeDiff": _relative(review.published_at, now),
        "Owner": {"DisplayName": review.author},
        "Url": f"/binh-luan-{number}",
        "Replies": replies,
    }


def _relative(moment: datetime, now: datetime) -> str:
    """How Foody writes a date: "5 giờ trước", "3 ngày trước", then the date itself."""
    local, today = moment.astimezone(SITE_TZ), now.astimezone(SITE_TZ)
    days = (today.date() - local.date()).days
    if days <= 0:
        return f"{max(1, int((now - moment).total_seconds() // 3600))} giờ trước"
    if days == 1:
        return "hôm qua"
    if days < 30:
        return f"{days} ngày trước"
    return f"{local:%d/%m/%Y %H:%M}"
