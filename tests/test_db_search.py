"""Searching review text with or without Vietnamese marks, đ included, through db.queries and the
canned query's SQL on a real SQLite file (``ladder serve`` is tested in test_scheduler_serve)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlite_utils import Database

from db.canned import QUERIES
from db.queries import search_reviews
from db.reviews import ReviewWriter
from db.store import sync_business, sync_source

#: Review bodies written with marks, without them, and in capitals; and ones that must not match.
BODIES = {
    "marked": "Phải đợi lâu quá mới có món.",
    "bare": "Phai doi lau qua moi co mon.",
    "capitals": "ĐỢI LÂU, nhân viên không để ý.",
    "closing-marked": "Quán đóng cửa sớm hơn giờ ghi.",
    "closing-bare": "Quan dong cua som hon gio ghi.",
    "other": "Đồ uống ngon, sẽ quay lại.",
}
WAITING = {"marked", "bare", "capitals"}
CLOSING = {"closing-marked", "closing-bare"}


def write_reviews(db: Database) -> None:
    business_id = sync_business(db, "Quán Bà Tư", is_self=True)
    source_id = sync_source(db, business_id, "schemaorg", "https://ba-tu.example/reviews")
    ReviewWriter(db, source_id).write(
        {
            "review_key": key,
            "business_id": business_id,
            "source_id": source_id,
            "rating": 3.0,
            "body": body,
            "published_at": "2026-11-01T00:00:00Z",
        }
        for key, body in BODIES.items()
    )


@pytest.fixture
def reviews(db: Database) -> Database:
    write_reviews(db)
    return db


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("đợi lâu", WAITING),
        ("doi lau", WAITING),
        ("Đợi LÂU", WAITING),
        ("DOI LAU", WAITING),
        ("dợi lâu", WAITING),
        ("đóng cửa sớm", CLOSING),
        ("dong cua som", CLOSING),
        ("Đóng Cửa", CLOSING),
    ],
)
def test_search_finds_the_same_reviews_with_or_without_marks(
    reviews: Database, words: str, expected: set[str]
) -> None:
    assert {row["review_key"] for row in search_reviews(reviews, words)} == expected


def test_an_empty_search_finds_nothing_and_is_not_an_error(reviews: Database) -> None:
    assert search_reviews(reviews, "") == []
    assert search_reviews(reviews, "   ") == []


def canned(db: Database, name: str, **params: Any) -> list[dict[str, Any]]:
    cursor = db.execute(QUERIES[name]["sql"], params)
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


@pytest.mark.parametrize("words", ["đợi lâu", "doi lau", "Đợi LÂU"])
def test_the_canned_search_folds_d_with_stroke(reviews: Database, words: str) -> None:
    bodies = {row["body"] for row in canned(reviews, "search_reviews", words=words)}
    assert bodies == {BODIES[key] for key in WAITING}


@pytest.mark.parametrize("words", ["", "  "])
def test_the_canned_search_without_words_answers_no_rows(reviews: Database, words: str) -> None:
    assert canned(reviews, "search_reviews", words=words) == []
