"""The store: migrations, WAL, batched idempotent writes, full-text search, the salt."""

from __future__ import annotations

import contextlib
import multiprocessing
import sqlite3
import stat
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from crawler.items import RawReview, ReviewPage
from crawler.normalize import SourceContext, read_page
from crawler.pipelines import BATCH_SECONDS, ReviewBatches
from db import open_db
from db.exceptions import DatabaseError
from db.queries import business_summaries, count_reviews, search_reviews
from db.reviews import ReviewWriter
from db.store import author_salt, start_crawl_run, sync_business, sync_source, update_crawl_run


def _row(key: str, business_id: int, source_id: int, **fields: Any) -> dict[str, Any]:
    row = {
        "review_key": key,
        "business_id": business_id,
        "source_id": source_id,
        "rating": 4.0,
        "body": f"body of {key}",
        "published_at": "2026-11-01T00:00:00Z",
    }
    row.update(fields)
    return row


def by_key(db: Database, key: str) -> dict[str, Any]:
    (row,) = db["reviews"].rows_where("review_key = ?", [key])
    return row


@pytest.fixture
def source(db: Database) -> tuple[int, int]:
    business_id = sync_business(db, "Phở Hạnh", is_self=True)
    return business_id, sync_source(db, business_id, "schemaorg", "https://pho.example/r")


def test_open_db_uses_wal_and_a_long_busy_timeout(tmp_path: Path) -> None:
    database = open_db(tmp_path / "ladder.db")
    assert database.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert database.execute("PRAGMA busy_timeout").fetchone()[0] >= 10_000
    assert {"businesses", "sources", "reviews", "crawl_runs", "reviews_fts"} <= set(
        database.table_names()
    )


def test_reopening_applies_no_migration_twice(tmp_path: Path) -> None:
    open_db(tmp_path / "ladder.db").close()
    database = open_db(tmp_path / "ladder.db")
    names = [row[0] for row in database.execute("SELECT name FROM _sqlite_migrations")]
    assert len(names) == len(set(names)) >= 1


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ladder.db"
    with open_db(path) as database, database.conn:
        database.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('ladder', 'm999_future', '2030-01-01')"
        )
    with pytest.raises(DatabaseError, match="newer Service Ladder"):
        open_db(path)


def test_a_file_that_is_not_sqlite_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some notes, not a database\n" * 100)
    with pytest.raises(DatabaseError, match="cannot open as a SQLite database"):
        open_db(path)


def _open_and_count(path: str) -> int:
    with open_db(path) as database:
        return int(database.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0])


def test_two_processes_creating_one_database_at_once_do_not_race(tmp_path: Path) -> None:
    path = str(tmp_path / "ladder.db")
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        counts = pool.map(_open_and_count, [path] * 8)
    assert len(set(counts)) == 1


def test_connections_opening_a_new_database_together_all_get_it(tmp_path: Path) -> None:
    # Switching a new file to WAL answered "database is locked" at once, busy timeout or not,
    # while another connection was switching it too: about one round in twenty failed.
    failures: list[BaseException] = []

    def open_and_close(path: Path) -> None:
        try:
            open_db(path).conn.close()
        except Exception as error:
            failures.append(error)

    for round_ in range(60):
        path = tmp_path / f"round-{round_}.db"
        threads = [threading.Thread(target=open_and_close, args=(path,)) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []


def test_writer_inserts_then_only_touches_unchanged_rows(
    db: Database, source: tuple[int, int]
) -> None:
    business_id, source_id = source
    rows = [_row(f"k{i}", business_id, source_id) for i in range(5)]
    first = ReviewWriter(db, source_id).write(rows)
    assert (first.new, first.changed, first.unchanged) == (5, 0, 0)
    before = {r["review_key"]: r for r in db["reviews"].rows}

    again = ReviewWriter(db, source_id).write(rows)  # a new writer: a new crawl
    assert (again.new, again.changed, again.unchanged) == (0, 0, 5)
    after = {r["review_key"]: r for r in db["reviews"].rows}
    for key, row in after.items():
        changed = {c for c in row if row[c] != before[key][c]}
        assert changed <= {"last_seen_at"}


def test_an_edited_review_or_late_reply_updates_the_row(
    db: Database, source: tuple[int, int]
) -> None:
    business_id, source_id = source
    writer = ReviewWriter(db, source_id)
    writer.write([_row("k1", business_id, source_id)])
    first_seen = by_key(db, "k1")["first_seen_at"]
    counts = ReviewWriter(db, source_id).write(
        [
            _row(
                "k1",
                business_id,
                source_id,
                reply_body="Cảm ơn bạn!",
                replied_at="2026-11-02T00:00:00Z",
            )
        ]
    )
    assert (counts.new, counts.changed) == (0, 1)
    stored = by_key(db, "k1")
    assert stored["reply_body"] == "Cảm ơn bạn!"
    assert stored["first_seen_at"] == first_seen


def test_a_row_the_schema_refuses_does_not_lose_the_batch(
    db: Database, source: tuple[int, int]
) -> None:
    business_id, source_id = source
    rows = [
        _row("good1", business_id, source_id),
        _row("bad", business_id, source_id, rating=9.0),
        _row("good2", business_id, source_id),
    ]
    counts = ReviewWriter(db, source_id).write(rows)
    assert (counts.new, counts.rejected) == (2, 1)
    assert {r["review_key"] for r in db["reviews"].rows} == {"good1", "good2"}


def test_duplicate_keys_in_one_batch_keep_the_last(db: Database, source: tuple[int, int]) -> None:
    business_id, source_id = source
    rows = [
        _row("k", business_id, source_id, body="first"),
        _row("k", business_id, source_id, body="second"),
    ]
    counts = ReviewWriter(db, source_id).write(rows)
    assert counts.new == 1
    assert by_key(db, "k")["body"] == "second"


def test_full_text_search_ignores_vietnamese_marks(db: Database, source: tuple[int, int]) -> None:
    business_id, source_id = source
    ReviewWriter(db, source_id).write(
        [
            _row("vi", business_id, source_id, body="Nhân viên dễ thương, chắc chắn sẽ quay lại."),
            _row("dd", business_id, source_id, body="Đồ ăn được, giá hơi đắt."),
            _row("en", business_id, source_id, body="Great coffee, will come back."),
        ]
    )
    assert [r["review_key"] for r in search_reviews(db, "quay lai")] == ["vi"]
    assert [r["review_key"] for r in search_reviews(db, "quay lại")] == ["vi"]
    assert [r["review_key"] for r in search_reviews(db, "duoc")] == ["dd"]
    assert [r["review_key"] for r in search_reviews(db, "được")] == ["dd"]
    assert search_reviews(db, "tệ") == []


def test_search_index_follows_edits_and_deletes(db: Database, source: tuple[int, int]) -> None:
    business_id, source_id = source
    writer = ReviewWriter(db, source_id)
    writer.write([_row("k", business_id, source_id, body="phục vụ chậm")])
    writer.write([_row("k", business_id, source_id, body="phục vụ nhanh")])
    assert search_reviews(db, "cham") == []
    assert len(search_reviews(db, "nhanh")) == 1
    with db.conn:
        db.execute("DELETE FROM reviews WHERE review_key = 'k'")
    assert search_reviews(db, "nhanh") == []
    db.execute(
        "INSERT INTO reviews_fts(reviews_fts) VALUES ('integrity-check')"
    )  # raises if corrupt


def test_only_one_business_is_ours(db: Database) -> None:
    first = sync_business(db, "A", is_self=True)
    second = sync_business(db, "B", is_self=True)
    sync_business(db, "C")  # a competitor added by a crawl leaves the flag alone
    flags = {row["id"]: row["is_self"] for row in db["businesses"].rows}
    assert flags[first] == 0
    assert flags[second] == 1
    assert sum(flags.values()) == 1


def test_each_database_has_its_own_salt(tmp_path: Path) -> None:
    one = open_db(tmp_path / "one.db")
    two = open_db(tmp_path / "two.db")
    assert author_salt(one) != author_salt(two)
    assert author_salt(one) == author_salt(open_db(tmp_path / "one.db"))


def test_summaries_count_reviews_and_replies(db: Database, source: tuple[int, int]) -> None:
    business_id, source_id = source
    sync_business(db, "Empty competitor")
    ReviewWriter(db, source_id).write(
        [
            _row("a", business_id, source_id, rating=5.0, lang="vi", reply_body="Cảm ơn"),
            _row(
                "b",
                business_id,
                source_id,
                rating=3.0,
                lang="en",
                published_at="2026-11-03T00:00:00Z",
            ),
        ]
    )
    ours, empty = business_summaries(db)
    assert (ours.name, ours.is_self, ours.reviews, ours.mean_rating) == ("Phở Hạnh", True, 2, 4.0)
    assert ours.reply_rate == 0.5
    assert ours.newest_at == "2026-11-03T00:00:00Z"
    assert ours.languages == {"vi": 1, "en": 1}
    assert (empty.reviews, empty.mean_rating, empty.reply_rate) == (0, None, None)
    assert count_reviews(db) == 2


def test_invalid_rows_cannot_be_inserted_by_hand(db: Database, source: tuple[int, int]) -> None:
    business_id, source_id = source
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO reviews (review_key, business_id, source_id, rating, published_at, "
            "content_hash, first_seen_at, last_seen_at) VALUES ('x', ?, ?, 0.5, '2026', 'h', 'a', 'a')",
            [business_id, source_id],
        )


def _write_batches(path: str, name: str) -> int:
    """One crawl's writes: progress updates between batches, as a real crawl does."""
    with open_db(path) as database:
        business_id = sync_business(database, name)
        source_id = sync_source(database, business_id, "schemaorg", f"https://{name}.example/r")
        run_id = start_crawl_run(database, source_id, "schemaorg")
        writer = ReviewWriter(database, source_id)
        for batch in range(60):
            update_crawl_run(database, run_id, pages=batch)
            rows = [_row(f"{name}-{batch}-{i}", business_id, source_id) for i in range(20)]
            writer.write(rows)
    return 60 * 20


def test_crawls_writing_side_by_side_wait_for_each_other(tmp_path: Path) -> None:
    """A write that starts while another process writes waits for it instead of failing with
    "database is locked" (a deferred BEGIN failed so in about half of such runs)."""
    path = str(tmp_path / "ladder.db")
    open_db(path).close()
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        written = pool.starmap(_write_batches, [(path, f"shop{n}") for n in range(4)])
    with open_db(path) as database:
        assert database["reviews"].count == sum(written) == 4 * 60 * 20


def test_the_first_publication_date_is_kept(db: Database, source: tuple[int, int]) -> None:
    """A site that writes "3 ngày trước" gives a less precise date each day: the first stays."""
    business_id, source_id = source
    ReviewWriter(db, source_id).write(
        [_row("k", business_id, source_id, published_at="2026-11-20T17:00:00Z")]
    )
    later = ReviewWriter(db, source_id).write(
        [_row("k", business_id, source_id, published_at="2026-11-19T17:00:00Z")]
    )
    assert (later.changed, later.unchanged) == (0, 1)
    edited = ReviewWriter(db, source_id).write(
        [
            _row(
                "k",
                business_id,
                source_id,
                published_at="2026-11-01T00:00:00Z",
                reply_body="Cảm ơn",
            )
        ]
    )
    assert edited.changed == 1
    assert by_key(db, "k")["published_at"] == "2026-11-20T17:00:00Z"
    assert by_key(db, "k")["reply_body"] == "Cảm ơn"


def test_a_new_database_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    """It holds the salt of the reviewer hashes: 0600, and its WAL file too."""
    path = tmp_path / "ladder.db"
    with contextlib.closing(open_db(path)) as db:
        sync_business(db, "Quán Bà Tư", is_self=True)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        wal = path.with_name("ladder.db-wal")
        assert wal.exists()
        assert stat.S_IMODE(wal.stat().st_mode) == 0o600
    shared = tmp_path / "shared.db"
    shared.touch(mode=0o640)
    shared.chmod(0o640)  # its owner's choice stands
    with contextlib.closing(open_db(shared)):
        pass
    assert stat.S_IMODE(shared.stat().st_mode) == 0o640


def test_a_slow_crawl_stores_its_reviews_every_few_seconds(db: Database) -> None:
    """A batch waits for BATCH_ROWS reviews or BATCH_SECONDS, whichever comes first: a crawl
    killed on a slow site keeps what it parsed more than a few seconds ago."""
    business_id = sync_business(db, "Quán Bà Tư", is_self=True)
    source_id = sync_source(db, business_id, "schemaorg", "https://ba-tu.example/r")
    context = SourceContext(
        business="Quán Bà Tư", kind="schemaorg", host="ba-tu.example", salt="s",
        now=datetime(2026, 11, 29, 17, tzinfo=UTC),
    )  # fmt: skip
    seconds = [0.0]  # the batches' clock, moved by hand

    def page(number: int) -> ReviewPage:
        raw = RawReview(native_id=f"r{number}", rating=4, body=f"Ngon lần {number}",
                        published="2026-11-20")  # fmt: skip
        item = ReviewPage(url=f"https://ba-tu.example/r?page={number}", raw=[raw])
        item.reviews = read_page(item.raw, context).reviews
        return item

    batches = ReviewBatches(ReviewWriter(db, source_id), None, lambda *_: None,
                            clock=lambda: seconds[0])  # fmt: skip
    batches.add(page(1), None)
    seconds[0] = 0.5
    batches.add(page(2), None)
    assert count_reviews(db) == 0  # still waiting for more
    seconds[0] = BATCH_SECONDS + 0.1
    batches.add(page(3), None)  # the first has waited long enough: all three written at once
    assert count_reviews(db) == 3
    assert batches.rows == []
    seconds[0] += 0.5
    batches.add(page(4), None)  # a new batch starts its own wait
    assert count_reviews(db) == 3
