"""Extractors of the platform source kinds on the project's own fixtures, one edge case each."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from crawler.extract.urls import with_query
from crawler.preview import preview_page
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
SAIGON = ZoneInfo("Asia/Ho_Chi_Minh")
#: A real Trustpilot page saved as text (twenix.es, 20 reviews, 9 replies), which the project does
#: not ship: the test runs where ``LADDER_TEST_TRUSTPILOT_PAGE`` names one.
REFERENCE = Path(os.environ.get("LADDER_TEST_TRUSTPILOT_PAGE", "/nonexistent"))


def items(kind: str, name: str, url: str, **options: Any) -> list[dict[str, Any]]:
    body = (FIXTURES / name).read_bytes()
    return list(preview_page(kind, body, url, options, now=NOW, tz=SAIGON))


def of(found: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [item for item in found if item["type"] == kind]


def test_trustpilot_company_page() -> None:
    found = items(
        "trustpilot", "trustpilot/company_page.html", "https://reviews.example/review/shoes.vn"
    )
    first, second, third = of(found, "review")
    assert (first["native_id"], first["rating"], first["lang"]) == ("tp-003", 5.0, "en")
    assert first["reply_body"] == "Thank you Hannah, enjoy your new shoes!"
    assert first["replied_at"] == "2026-11-20T15:00:00Z"
    assert first["verified"] is True
    assert first["url"] == "https://reviews.example/reviews/tp-003"
    # a reply without a date keeps its text
    assert (second["reply_body"], second["replied_at"], second["lang"]) == (
        "Shop xin lỗi anh, đã liên hệ đổi size ạ.", None, "vi",
    )  # fmt: skip
    assert third["reply_body"] is None
    (aggregate,) = of(found, "aggregate")
    assert (aggregate["rating"], aggregate["count"]) == (4.1, 1284)
    assert of(found, "next") == [
        {"type": "next", "url": "https://reviews.example/review/shoes.vn?page=2"}
    ]


def test_trustpilot_next_page_keeps_the_other_parameters() -> None:
    found = items(
        "trustpilot",
        "trustpilot/company_page.html",
        "https://r.example/review/x?sort=recency&page=1",
    )
    assert of(found, "next")[0]["url"] == "https://r.example/review/x?sort=recency&page=2"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("trustpilot/no_data.html", "no __NEXT_DATA__"),
        ("trustpilot/broken_data.html", "unreadable"),
    ],
)
def test_trustpilot_pages_without_data(name: str, problem: str) -> None:
    found = items("trustpilot", name, "https://r.example/review/x")
    assert of(found, "review") == []
    assert problem in of(found, "problem")[0]["message"]


@pytest.mark.skipif(
    not REFERENCE.is_file(), reason="no saved Trustpilot page (LADDER_TEST_TRUSTPILOT_PAGE)"
)
def test_trustpilot_real_saved_page_with_replies() -> None:
    body = REFERENCE.read_bytes()
    found = list(
        preview_page("trustpilot", body, "https://www.trustpilot.com/review/twenix.es", {}, now=NOW)
    )
    reviews = of(found, "review")
    assert len(reviews) == 20
    assert all(r["rating"] and r["published_at"] and r["lang"] for r in reviews)
    replied = [r for r in reviews if r["reply_body"]]
    assert len(replied) == 9
    assert all(r["replied_at"] for r in replied)


def test_tiki_api_page() -> None:
    url = "https://shop.example/api/v2/reviews?product_id=42&page=1&limit=3"
    found = items("tiki", "tiki/reviews_page1.json", url)
    first, second, third = of(found, "review")
    assert (first["native_id"], first["rating"], first["verified"]) == ("9001", 5.0, True)
    assert first["published_at"] == "2025-11-18T08:00:00Z"  # epoch seconds
    assert first["reply_body"] == "Cảm ơn chị đã tin tưởng ạ!"
    assert first["replied_at"] == "2025-11-18T10:00:00Z"
    assert json.loads(first["answers"]) == [
        ["Thời gian giao hàng", "Giao hàng nhanh"],
        ["agree", "Đóng gói cẩn thận"],
    ]
    # rating only, no text: kept; the disagreement is kept as an answer
    assert (second["body"], second["title"], second["verified"]) == (None, "Không hài lòng", False)
    assert json.loads(second["answers"]) == [["disagree", "Giao hàng nhanh"]]
    assert third["reply_body"] is None  # a customer's comment is not the seller's reply
    assert of(found, "next") == [{"type": "next", "url": with_query(url, page="2")}]
    assert of(found, "aggregate")[0]["count"] == 75


def test_tiki_empty_page_has_no_next() -> None:
    found = items(
        "tiki", "tiki/empty_page.json", "https://shop.example/api/v2/reviews?product_id=42&page=26"
    )
    assert found == []


def test_foody_feed_with_relative_dates_and_ten_point_ratings() -> None:
    url = "https://food.example/__get/Review/ResLoadMore?ResId=9&Count=3"
    found = items("foody", "foody/feed.json", url)
    first, second, third = of(found, "review")
    assert (first["rating_raw"], first["rating_scale"], first["rating"]) == ("8.6", 10.0, 4.44)
    assert first["published_at"] == "2026-11-20T17:00:00Z"  # 3 ngày trước, a Saigon day
    assert first["replied_at"] == "2026-11-21T17:00:00Z"
    assert second["published_at"] == "2026-11-22T17:00:00Z"  # hôm qua
    assert (second["reply_body"], second["replied_at"]) == ("Dạ quán xin lỗi", None)
    assert third["rating"] == 5.0
    assert third["reply_body"] is None  # a reply that is not the owner's
    assert first["url"] == "https://food.example/ho-chi-minh/bun-bo/binh-luan-7003"
    assert of(found, "next") == [{"type": "next", "url": url + "&LastId=7001"}]


def test_foody_malformed_json() -> None:
    found = items("foody", "foody/malformed.json", "https://food.example/feed")
    assert [item["type"] for item in found] == ["problem"]
    assert "not JSON" in found[0]["message"]


CSS = {
    "review": "li.rv",
    "id": "::attr(data-review-id)",
    "author": ".who",
    "title": "h4",
    "body": "p.txt",
    "date": "span.when",
    "reply": ".shop-reply p",
    "reply_date": ".shop-reply .when",
    "next": "a.more",
}


@pytest.mark.parametrize(
    ("how", "selector", "ratings"),
    [
        ("width", "span.bar", [4.0, 1.0, 3.0]),
        ("class", "i.rate", [4.0, 1.0, 3.0]),
        ("text", "p.txt", [None, 2.0, 3.0]),  # the first number ("2 tiếng"), or the ★ counted
    ],
)
def test_css_selectors_and_each_way_of_writing_a_rating(
    how: str, selector: str, ratings: list[float | None]
) -> None:
    found = items(
        "css",
        "css/shop.html",
        "https://xe.example/danh-gia",
        rating=selector,
        rating_from=how,
        **CSS,
    )
    reviews = of(found, "review")
    assert [r["rating"] for r in reviews] == ratings
    first = reviews[0]
    assert (first["native_id"], first["title"], first["reply_body"]) == (
        "a17",
        "Thợ tay nghề",
        "Cảm ơn anh Quang!",
    )
    assert first["published_at"] == "2026-11-01T17:00:00Z"
    assert first["replied_at"] == "2026-11-02T17:00:00Z"
    assert reviews[2]["published_at"] == "2026-11-22T17:00:00Z"  # "hôm qua"
    assert of(found, "next") == [{"type": "next", "url": "https://xe.example/danh-gia?trang=2"}]


def test_css_attribute_and_xpath_selectors() -> None:
    options = {
        **CSS,
        "date": "span.when::attr(title)",
        "body": "./p[@class='txt']",
        "rating": "i.rate",
        "rating_from": "class",
    }
    first = of(items("css", "css/shop.html", "https://xe.example/r", **options), "review")[0]
    assert first["published_at"] == "2026-11-01T17:00:00Z"
    assert first["body"] == "Kiểm tra kỹ, báo giá rõ ràng, sẽ quay lại."


def test_css_selector_that_matches_nothing_is_an_empty_page() -> None:
    assert items("css", "css/shop.html", "https://xe.example/r", review="div.review-card") == []


def test_css_xpath_selectors_that_find_text_or_attributes_read_them() -> None:
    options = {
        **CSS,
        "body": "./p[@class='txt']/text()",
        "rating": "./i/@class",  # text, not an element: no attributes to read a class from
        "rating_from": "class",
    }
    first = of(items("css", "css/shop.html", "https://xe.example/r", **options), "review")[0]
    assert first["body"] == "Kiểm tra kỹ, báo giá rõ ràng, sẽ quay lại."
    assert first["rating"] is None


@pytest.mark.parametrize("field", ["review", "body", "rating", "next"])
def test_a_broken_selector_is_a_problem_named_not_a_crash(field: str) -> None:
    options = {**CSS, "rating": "i.rate", "rating_from": "class", field: "p[[["}
    found = items("css", "css/shop.html", "https://xe.example/r", **options)
    (problem,) = of(found, "problem")
    assert "p[[[" in problem["message"]
    # No review is read with a broken selector; a broken next link leaves the reviews read.
    assert len(of(found, "review")) == (3 if field == "next" else 0)
