"""Reviews without a native id whose displayed date moves keep their row: the writer finds them by
identity (db.identity), on real SQLite files; and the migration that gives existing reviews theirs."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from db import open_db
from db.identity import WINDOW, identity_scope, review_identity
from db.migrations import migrations
from db.reviews import ReviewWriter, WriteCounts
from db.store import sync_business, sync_source

CRAWLED = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
URL = "https://ba-tu.example/danh-gia"


@pytest.fixture
def source(db: Database) -> int:
    business_id = sync_business(db, "Quán Bà Tư", is_self=True)
    return sync_source(db, business_id, "schemaorg", URL)


def review(
    body: str, days_ago: float, *, author: str | None = "a1", rating: float = 5.0, **extra: Any
) -> dict[str, Any]:
    """A review as the normaliser hands it on: keyed, as a review without a native id is, by its
    text and the day it shows (the date ``days_ago`` before :data:`CRAWLED`)."""
    published = CRAWLED - timedelta(days=days_ago)
    return {
        "review_key": f"{body}|{author}|{published:%Y-%m-%d}",
        "rating": rating,
        "body": body,
        "author_hash": author,
        "published_at": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
        **extra,
    }


def moved(rows: list[dict[str, Any]], days: float) -> list[dict[str, Any]]:
    """The same reviews showing dates ``days`` later (what a re-rendered page shows)."""
    out = []
    for row in rows:
        published = datetime.fromisoformat(row["published_at"]) + timedelta(days=days)
        key = row["review_key"].rsplit("|", 1)[0]
        out.append(
            {
                **row,
                "review_key": f"{key}|{published:%Y-%m-%d}",
                "published_at": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
    return out


def crawl(db: Database, source_id: int, rows: list[dict[str, Any]], at: datetime) -> WriteCounts:
    """One crawl: a new writer, as each crawl process has."""
    business_id = db.execute("SELECT business_id FROM sources WHERE id = ?", [source_id]).fetchone()
    rows = [{**row, "business_id": business_id[0], "source_id": source_id} for row in rows]
    return ReviewWriter(db, source_id).write(rows, now=at)


def stored(db: Database) -> list[dict[str, Any]]:
    return list(db["reviews"].rows_where(order_by="id"))


PAGE = [
    review("Phở ngon, nước dùng đậm đà, sẽ quay lại.", 1, author="lan"),
    review("Phục vụ chậm, đợi lâu mới có món.", 3, author="minh", rating=2.0),
    review("Ngon", 4, author=None),
    review("Ngon", 9, author=None),
    review("Great broth, friendly staff.", 12, author="sam", rating=4.0),
]


def test_moved_dates_keep_their_rows_and_first_dates(db: Database, source: int) -> None:
    first = crawl(db, source, PAGE, CRAWLED)
    assert first.new == 5
    before = stored(db)
    later = CRAWLED + timedelta(days=7)
    again = crawl(db, source, moved(PAGE, 7), later)
    assert (again.new, again.unchanged, again.moved) == (0, 5, 5)
    after = stored(db)
    assert [r["id"] for r in after] == [r["id"] for r in before]
    assert [r["published_at"] for r in after] == [r["published_at"] for r in before]
    assert [r["first_seen_at"] for r in after] == [r["first_seen_at"] for r in before]
    assert {r["last_seen_at"] for r in after} == {"2026-11-30T03:00:00Z"}
    # the rows now carry the keys the site shows, so the next crawl knows them at once
    assert {r["review_key"] for r in after} == {r["review_key"] for r in moved(PAGE, 7)}
    third = crawl(db, source, moved(PAGE, 7), later + timedelta(hours=6))
    assert (third.new, third.unchanged, third.moved) == (0, 5, 0)
    assert len(stored(db)) == 5


def test_alike_reviews_on_one_page_both_stay(db: Database, source: int) -> None:
    """Two "Ngon", five stars, no reviewer: two reviews, in the first crawl and after a move."""
    crawl(db, source, PAGE, CRAWLED)
    assert sum(r["body"] == "Ngon" for r in stored(db)) == 2
    counts = crawl(db, source, moved(PAGE, 7), CRAWLED + timedelta(days=7))
    assert counts.new == 0
    ngon = [r for r in stored(db) if r["body"] == "Ngon"]
    assert sorted(r["published_at"][:10] for r in ngon) == ["2026-11-14", "2026-11-19"]


def test_a_new_review_alike_an_old_one_is_new(db: Database, source: int) -> None:
    """Without dates moving, a new "Ngon" is a new review, whether or not the old "Ngon" is on the
    pages this crawl reads."""
    crawl(db, source, PAGE, CRAWLED)
    later = CRAWLED + timedelta(days=2)
    new_ngon = review("Ngon", -1.5, author=None)
    counts = crawl(db, source, [new_ngon, *PAGE[:2]], later)  # only the first page read
    assert (counts.new, counts.moved) == (1, 0)
    other = review("Ngon", -2.2, author=None)
    counts = crawl(db, source, [other, *PAGE], later + timedelta(hours=8))  # the whole listing
    assert (counts.new, counts.moved) == (1, 0)
    assert sum(r["body"] == "Ngon" for r in stored(db)) == 4


def test_a_new_alike_review_while_dates_move_adds_exactly_one(db: Database, source: int) -> None:
    crawl(db, source, PAGE, CRAWLED)
    later = CRAWLED + timedelta(days=7)
    counts = crawl(db, source, [review("Ngon", -6.5, author=None), *moved(PAGE, 7)], later)
    assert (counts.new, counts.moved) == (1, 5)
    ngon = sorted(r["published_at"][:10] for r in stored(db) if r["body"] == "Ngon")
    assert ngon == ["2026-11-14", "2026-11-19", "2026-11-29"]  # the moved ones keep their dates


def test_a_move_beyond_the_window_is_another_review(db: Database, source: int) -> None:
    crawl(db, source, PAGE[:1], CRAWLED)
    days = WINDOW.days + 10
    counts = crawl(db, source, moved(PAGE[:1], -days), CRAWLED + timedelta(hours=1))
    assert (counts.new, counts.moved) == (1, 0)


def test_a_review_last_seen_long_ago_may_have_moved_as_far(db: Database, source: int) -> None:
    crawl(db, source, PAGE, CRAWLED)
    weeks = 9
    later = CRAWLED + timedelta(weeks=weeks)
    counts = crawl(db, source, moved(PAGE, 7 * weeks), later)
    assert (counts.new, counts.moved) == (0, 5)


def test_dates_that_move_every_week_are_followed_for_as_long_as_they_move(
    db: Database, source: int
) -> None:
    """The demo dates its world from the current week: every week each date shows 7 days later.
    Ten weeks on, the dates have moved 70 days from the first ones (beyond the window), but only 7
    from those shown the week before (``shown_at``)."""
    crawl(db, source, PAGE, CRAWLED)
    before = stored(db)
    for week in range(1, 11):
        counts = crawl(db, source, moved(PAGE, 7 * week), CRAWLED + timedelta(weeks=week))
        assert (week, counts.new, counts.moved) == (week, 0, 5)
    after = stored(db)
    assert [r["published_at"] for r in after] == [r["published_at"] for r in before]
    assert [r["shown_at"] for r in after] == [r["published_at"] for r in moved(PAGE, 70)]


def test_the_same_words_by_the_same_reviewer_a_year_later_are_a_new_review(
    db: Database, source: int
) -> None:
    """The stored one was seen yesterday showing its old date: a year is no move of its date,
    even for a crawl that reads only the first page (the old one not among its rows)."""
    crawl(db, source, PAGE, CRAWLED)
    year = timedelta(days=365)
    crawl(db, source, PAGE, CRAWLED + year - timedelta(days=1))  # the whole listing, unmoved
    again = review(PAGE[0]["body"], -364.5, author="lan")
    counts = crawl(db, source, [again], CRAWLED + year)
    assert (counts.new, counts.moved) == (1, 0)
    assert len(stored(db)) == 6


def test_a_moved_review_with_a_new_reply_is_changed_in_place(db: Database, source: int) -> None:
    crawl(db, source, PAGE, CRAWLED)
    answered = moved(PAGE, 7)
    answered[1] = {**answered[1], "reply_body": "Xin lỗi anh, lần sau quán sẽ nhanh hơn."}
    counts = crawl(db, source, answered, CRAWLED + timedelta(days=7))
    assert (counts.new, counts.changed, counts.moved) == (0, 1, 5)
    (row,) = [r for r in stored(db) if r["reply_body"]]
    assert row["published_at"] == PAGE[1]["published_at"]


def test_reviews_with_native_ids_have_no_identity(db: Database, source: int) -> None:
    native = review("Có mã riêng", 2, native_id="r-17")
    crawl(db, source, [native, PAGE[0]], CRAWLED)
    identities = {r["body"]: r["identity"] for r in stored(db)}
    assert identities["Có mã riêng"] is None
    assert identities[PAGE[0]["body"]] is not None


def test_another_business_saying_the_same_is_not_matched(db: Database, source: int) -> None:
    crawl(db, source, PAGE, CRAWLED)
    other_business = sync_business(db, "Mộc Café")
    other = sync_source(db, other_business, "schemaorg", "https://moc.example/reviews")
    counts = crawl(db, other, moved(PAGE, 7), CRAWLED + timedelta(days=7))
    assert (counts.new, counts.moved) == (5, 0)


def test_the_identity_lookup_uses_its_index(db: Database) -> None:
    plan = db.execute(
        "EXPLAIN QUERY PLAN SELECT review_key FROM reviews WHERE identity IN (?, ?)", ["a", "b"]
    ).fetchall()
    assert any("reviews_identity" in str(step) for step in plan), plan


# The migration, on a database file the previous version wrote


def test_the_migration_gives_existing_reviews_their_identity(tmp_path: Path) -> None:
    path = tmp_path / "ladder.db"
    with contextlib.closing(Database(path)) as old:
        migrations.apply(old, stop_before="m011_review_identity")
        assert "identity" not in old["reviews"].columns_dict
        old.execute(
            "INSERT INTO businesses (name, is_self, created_at) VALUES ('Quán Bà Tư', 1, 'x')"
        )
        old.execute(
            "INSERT INTO sources (business_id, kind, url, created_at) "
            "VALUES (1, 'schemaorg', ?, 'x')",
            [URL],
        )
        seen = CRAWLED.strftime("%Y-%m-%dT%H:%M:%SZ")
        for row in [*PAGE, review("Có mã riêng", 2, native_id="r-17")]:
            old.execute(
                "INSERT INTO reviews (review_key, business_id, source_id, native_id, rating, "
                "body, author_hash, published_at, content_hash, first_seen_at, last_seen_at) "
                "VALUES (?, 1, 1, ?, ?, ?, ?, ?, 'h', ?, ?)",
                [
                    row["review_key"],
                    row.get("native_id"),
                    row["rating"],
                    row["body"],
                    row["author_hash"],
                    row["published_at"],
                    seen,
                    seen,
                ],
            )
        old.conn.commit()
    with contextlib.closing(open_db(path)) as db:
        scope = identity_scope(1, "schemaorg", URL)
        for row in stored(db):
            expected = None if row["native_id"] else review_identity(scope, row)
            assert row["identity"] == expected
        assert sum(row["identity"] is not None for row in stored(db)) == 5
        counts = crawl(db, 1, moved(PAGE, 7), CRAWLED + timedelta(days=7))
        assert (counts.new, counts.moved) == (0, 5)
        assert len(stored(db)) == 6
