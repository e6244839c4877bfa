"""The schema.org extractor on the project's own fixture pages (tests/fixtures/schemaorg/)."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from crawler.extract.schemaorg import extract_page
from crawler.items import RawReview
from crawler.preview import preview_page
from tests.conftest import FIXTURES

PAGES = FIXTURES / "schemaorg"
URL = "https://shop.example/reviews"
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
SAIGON = ZoneInfo("Asia/Ho_Chi_Minh")


def preview(name: str, **options: Any) -> list[dict[str, Any]]:
    body = (PAGES / name).read_bytes()
    return list(preview_page("schemaorg", body, URL, options, now=NOW, tz=SAIGON))


def of_type(items: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [item for item in items if item["type"] == kind]


def test_jsonld_in_a_local_business() -> None:
    items = preview("localbusiness_jsonld.html")
    reviews = of_type(items, "review")
    assert [r["native_id"] for r in reviews] == ["r-1001", "r-1000", "r-0999"]
    first = reviews[0]
    assert first["rating"] == 5.0
    assert first["title"] == "Ngon, sẽ quay lại"
    assert first["lang"] == "vi"
    assert first["published_at"] == "2026-11-20T12:05:00Z"  # 19:05 at +07:00
    assert first["reply_body"] == "Cảm ơn chị đã ủng hộ quán ạ!"
    assert first["replied_at"] == "2026-11-21T01:30:00Z"
    # entities decoded; a string author; a date without a zone is read in the site's zone
    assert reviews[1]["body"] == "Waited 40 minutes & nobody answered the phone. Won't be back."
    assert reviews[1]["published_at"] == "2026-11-17T17:00:00Z"
    assert reviews[1]["reply_body"] is None
    # a decimal comma; unaccented Vietnamese still detected as Vietnamese
    assert (reviews[2]["rating"], reviews[2]["rating_raw"], reviews[2]["lang"]) == (
        4.5,
        "4,5",
        "vi",
    )
    assert of_type(items, "aggregate") == [
        {"type": "aggregate", "rating": 4.3, "count": 128, "rating_raw": "4.3", "rating_scale": 5.0}
    ]
    assert of_type(items, "next") == [
        {"type": "next", "url": "https://shop.example/bun-cha/reviews?page=2"}
    ]


def test_graph_with_reviews_referenced_by_id() -> None:
    items = preview("graph_by_id.html")
    reviews = of_type(items, "review")
    assert [r["title"] for r in reviews] == ["Lovely staff", "Cold bread"]
    assert reviews[0]["native_id"] == "https://reviews.example/#/schema/Review/sunrise/a1"
    assert reviews[1]["rating"] == 2.0
    assert of_type(items, "aggregate")[0]["count"] == 57
    assert of_type(items, "next")[0]["url"] == "https://reviews.example/review/sunrise?page=2"


def test_microdata_reviews_and_owner_reply() -> None:
    items = preview("microdata.html")
    reviews = of_type(items, "review")
    assert len(reviews) == 2
    first, second = reviews
    assert first["title"] == "Cơm ngon như ở nhà"
    assert first["body"] == "Cơm ngon, giá hợp lý, nhân viên dễ thương."
    assert (first["rating"], first["rating_raw"]) == (4.0, "4")  # microdata ratings are strings
    assert first["reply_body"] == "Cảm ơn anh Hùng đã ghé quán!"
    assert first["replied_at"] == "2026-11-03T02:00:00Z"
    assert first["native_id"] is None
    assert second["rating"] == 1.0
    assert of_type(items, "aggregate")[0]["count"] == 342
    assert of_type(items, "next")[0]["url"] == "https://shop.example/reviews?page=2"


def test_string_ratings_on_a_ten_point_scale() -> None:
    items = preview("ten_point_strings.html", next="a.pager-next")
    reviews = of_type(items, "review")
    assert [(r["rating_raw"], r["rating_scale"], r["rating"]) for r in reviews] == [
        ("8.0", 10.0, 4.2),
        ("0", 10.0, 1.0),
    ]
    assert reviews[0]["published_at"] == "2026-11-03T13:15:00Z"  # "03/11/2026 20:15", day first
    assert of_type(items, "dropped") == [
        {"type": "dropped", "reason": "rating_out_of_range", "native_id": None}
    ]
    assert of_type(items, "next")[0]["url"] == "https://shop.example/tra-sua-may?page=2"


def test_next_selector_missing_means_no_next_page() -> None:
    assert of_type(preview("ten_point_strings.html"), "next") == []


def test_a_broken_jsonld_block_is_reported_and_the_rest_is_read() -> None:
    items = preview("broken_block.html")
    assert [r["body"] for r in of_type(items, "review")] == ["It was okay, nothing special."]
    problems = of_type(items, "problem")
    assert len(problems) == 1
    assert "broken JSON-LD block #1" in problems[0]["message"]


def test_a_page_without_reviews_yields_nothing() -> None:
    page = extract_page((PAGES / "no_reviews.html").read_bytes(), URL)
    assert (page.reviews, page.aggregate, page.next_url, page.problems) == ([], None, None, [])


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ('<link rel="next" href="/p/2">', "https://shop.example/p/2"),
        ("<a class='x' rel=next href='?page=3&amp;sort=new'>»</a>", URL + "?page=3&sort=new"),
        ('<a href="/p/9" rel="nofollow">9</a>', None),
    ],
)
def test_rel_next_links(markup: str, expected: str | None) -> None:
    assert extract_page(f"<html><body>{markup}</body></html>".encode(), URL).next_url == expected


def test_reviews_nested_in_a_product_with_numbers_and_a_list_of_types() -> None:
    body = b"""<script type="application/ld+json">
    {"@context": "https://schema.org", "@type": ["Product", "Thing"], "name": "Phone case",
     "review": [{"@type": ["Review"], "reviewRating": {"ratingValue": 3, "bestRating": 5},
                 "author": [{"name": "A"}], "datePublished": "2026-01-02", "description": "ok"}]}
    </script>"""
    (review,) = extract_page(body, URL).reviews
    assert (review.rating, review.best_rating, review.body, review.author) == (3, 5, "ok", "A")


# One review marked up twice: a theme's microdata beside an SEO plugin's JSON-LD


def test_reviews_in_jsonld_and_in_microdata_are_each_stored_once_with_every_field() -> None:
    # The plugin's JSON-LD has ratings, titles and times; the theme's microdata has permalinks,
    # paragraphs, "Ngon!" for "Ngon", a double space in a name, and the day in the site's zone
    # where the JSON-LD gives UTC (Lê Hoàng: 14 Nov 17:30 UTC is the 15th in Hà Nội).
    reviews = of_type(preview("jsonld_and_microdata.html"), "review")
    assert len(reviews) == 6
    assert [r["rating"] for r in reviews] == [5.0, 5.0, 4.0, 4.0, 2.0, 3.0]
    assert [r["url"] for r in reviews] == [
        f"{URL}#review-{number}" for number in (1812, 1805, 1804, 1797, 1790, 1786)
    ]
    first = reviews[0]
    assert first["title"] == "Ngon đúng vị Hà Nội"
    assert first["published_at"] == "2026-11-20T12:05:00Z"  # the JSON-LD's time, not a bare day
    # two people wrote "Ngon" on the same day: still two reviews, each with its own rating
    assert [(r["body"], r["rating"]) for r in reviews[1:3]] == [("Ngon", 5.0), ("Ngon", 4.0)]
    assert reviews[4]["published_at"] == "2026-11-14T17:30:00Z"
    assert of_type(preview("jsonld_and_microdata.html"), "aggregate")[0]["count"] == 126


def twice(jsonld: list[dict[str, object]], microdata: str) -> list[RawReview]:
    """The reviews of a page with ``jsonld`` reviews in a script and ``microdata`` in the body."""
    graph = {"@context": "https://schema.org", "@type": "Restaurant", "review": jsonld}
    body = (
        f"<html><head><script type='application/ld+json'>{json.dumps(graph)}</script></head>"
        f"<body><div itemscope itemtype='https://schema.org/Restaurant'>{microdata}</div>"
        "</body></html>"
    )
    return extract_page(body.encode(), URL).reviews


def ld(body: str, author: str | None, day: str, rating: int, **extra: object) -> dict[str, object]:
    node: dict[str, object] = {"@type": "Review", "reviewBody": body, "datePublished": day}
    node["reviewRating"] = {"@type": "Rating", "ratingValue": rating}
    if author:
        node["author"] = {"@type": "Person", "name": author}
    return node | extra


def md(body: str, author: str | None, day: str, attributes: str = "", more: str = "") -> str:
    by = f'<span itemprop="author">{author}</span>' if author else ""
    return (
        f'<div itemprop="review" itemscope itemtype="https://schema.org/Review" {attributes}>'
        f'{by}<span itemprop="datePublished">{day}</span>{more}'
        f'<div itemprop="reviewBody"><p>{body}</p></div></div>'
    )


def test_the_same_short_text_by_different_authors_stays_two_reviews() -> None:
    # in the other order in the microdata, so the pairing is by author, not by position
    reviews = twice(
        [ld("Ngon", "Minh", "2026-11-18", 5), ld("Ngon", "Hà", "2026-11-18", 1)],
        md("Ngon", "Hà", "2026-11-18") + md("Ngon", "Minh", "2026-11-18"),
    )
    assert [(r.author, r.rating) for r in reviews] == [("Minh", 5), ("Hà", 1)]
    # one in each syntax, by different people: two reviews, the microdata one without a rating
    reviews = twice([ld("Ngon", "Minh", "2026-11-18", 5)], md("Ngon", "Hà", "2026-11-18"))
    assert [(r.author, r.rating) for r in reviews] == [("Minh", 5), ("Hà", None)]


def test_the_same_text_on_days_far_apart_stays_two_reviews() -> None:
    reviews = twice([ld("Vẫn ngon", "Minh", "2026-11-01", 5)], md("Vẫn ngon", "Minh", "2026-11-10"))
    assert [r.published for r in reviews] == ["2026-11-01", "2026-11-10"]


def test_one_block_never_merges_its_own_reviews() -> None:
    # two anonymous "Ngon" on one day are two reviews in each syntax: two in all, not one or four
    reviews = twice(
        [ld("Ngon", None, "2026-11-18", 5), ld("Ngon", None, "2026-11-18", 1)],
        md("Ngon", None, "2026-11-18") * 2,
    )
    assert [r.rating for r in reviews] == [5, 1]
    reviews = twice([ld("Ngon", None, "2026-11-18", 5)] * 2, md("Ngon", None, "2026-11-18") * 2)
    assert [r.rating for r in reviews] == [5, 5]


@pytest.mark.parametrize(
    ("jsonld", "microdata"),
    [
        pytest.param(
            ld("Phở ngon", "Lan", "2026-11-02T09:00:00+07:00", 5, identifier="r-7"),
            md("Phở ngon, nước dùng đậm… Xem thêm", "Lan", "2026-11-02", 'itemid="r-7"'),
            id="same-native-id",
        ),
        pytest.param(
            ld("Phở ngon", "Lan", "2026-11-02", 5, url=URL + "#r-7"),
            md(
                "Phở ngon nước dùng", None, "2026-11-02", more='<a itemprop="url" href="#r-7">#</a>'
            ),
            id="same-own-url",
        ),
        pytest.param(
            ld(unicodedata.normalize("NFD", "PHỞ NGON &amp; rẻ"), "Lan", "2026-11-02", 5),
            md("<b>Phở</b> ngon &amp; rẻ!", "Lan", "2026-11-02"),
            id="text-marks-case-markup",
        ),
        pytest.param(
            ld("Phở ngon", "Lê  Thị Lan", "2026-11-01T18:00:00Z", 5),
            md("Phở ngon", "lê thị lan", "2026-11-02"),
            id="author-spacing-and-a-day-apart-in-utc",
        ),
        pytest.param(
            ld("Phở ngon", "Lan", "2026-11-02", 5),
            md("Phở ngon", None, "2 ngày trước"),
            id="no-author-and-a-relative-day-on-one-side",
        ),
    ],
)
def test_one_review_in_two_syntaxes_is_one_review(
    jsonld: dict[str, object], microdata: str
) -> None:
    (review,) = twice([jsonld], microdata)
    assert review.rating == 5
    assert review.author is not None
