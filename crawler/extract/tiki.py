"""Tiki-style marketplace review API: JSON pages of ``data`` (reviews) with ``paging``
(``current_page``, ``last_page``), asked for with ``page`` and ``limit``. Dates are epoch seconds;
the reviewer's ``created_by.purchased`` says the purchase is verified; the seller's reply is the
comment by ``commentator: "seller"``. The delivery questions (``delivery_rating``) and the quick
tags customers agree or disagree with (``vote_attributes``: "Giao hàng nhanh", "Đóng gói cẩn thận")
are kept as answers: service evidence the ladder reads with the text.
"""

from __future__ import annotations

import json
from typing import Any

from crawler.extract.urls import with_query
from crawler.items import ExtractedPage, RawAggregate, RawReview


def extract_page(body: bytes, url: str) -> ExtractedPage:
    page = ExtractedPage()
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as error:
        page.problems.append(f"not JSON: {str(error)[:120]}")
        return page
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        page.problems.append('no "data" list of reviews in the response: has the API changed?')
        return page
    for item in data["data"]:
        if isinstance(item, dict):
            page.reviews.append(_review(item, url))
    if data.get("rating_average") is not None:
        page.aggregate = RawAggregate(
            rating=data.get("rating_average"), best_rating=5, worst_rating=1,
            count=data.get("reviews_count"),
        )  # fmt: skip
    paging = _mapping(data.get("paging"))
    current, last = paging.get("current_page"), paging.get("last_page")
    if isinstance(current, int) and isinstance(last, int) and current < last and page.reviews:
        page.next_url = with_query(url, page=str(current + 1))
    return page


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _review(item: dict[str, Any], url: str) -> RawReview:
    author = _mapping(item.get("created_by"))
    sellers = [
        c
        for c in _list(item.get("comments"))
        if isinstance(c, dict) and c.get("commentator") == "seller"
    ]
    reply: dict[str, Any] = sellers[0] if sellers else {}
    return RawReview(
        native_id=str(item["id"]) if item.get("id") is not None else None,
        rating=item.get("rating"),
        best_rating=5,
        worst_rating=1,
        title=item.get("title"),
        body=item.get("content"),
        published=item.get("created_at"),
        author=author.get("full_name") or author.get("name"),
        reply_body=reply.get("content"),
        replied=reply.get("create_at"),
        url=url,
        verified=author.get("purchased"),
        answers=_answers(item),
    )


def _answers(item: dict[str, Any]) -> list[tuple[str, str]]:
    answers = []
    for answer in _list(item.get("delivery_rating")):
        if isinstance(answer, dict) and answer.get("question") and answer.get("option"):
            answers.append((str(answer["question"]), str(answer["option"])))
    votes = _mapping(item.get("vote_attributes"))
    for side in ("agree", "disagree"):
        for tag in _list(votes.get(side)):
            if isinstance(tag, str) and tag.strip():
                answers.append((side, tag))
    return answers
