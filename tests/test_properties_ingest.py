"""Properties of ingest: writing reviews is idempotent, and independent of batch boundaries and
of the order of exact duplicates.

What ReviewWriter.write promises, read from db/reviews.py: per review_key the last row written wins
(within a batch and across batches) for every column but published_at, which is kept from the
first time the key was stored; a row the schema refuses is counted as rejected and the rest of its
batch is stored; an unchanged row only moves last_seen_at.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from db import open_db
from db.reviews import REVIEW_FIELDS, ReviewWriter
from db.store import sync_business, sync_source
from tests.conftest import budget
from tests.strategies import NOW

KEYS = ("k1", "k2", "k3", "k4")
#: One publication date per key, for the properties about the other columns.
PUBLISHED = {key: f"2026-11-{n:02d}T0{n}:00:00Z" for n, key in enumerate(KEYS, 1)}


@st.composite
def review_rows(
    draw: st.DrawFn, *, vary_published: bool = False, valid: bool = True
) -> dict[str, Any]:
    key = draw(st.sampled_from(KEYS))
    rating = draw(st.none() | st.sampled_from([1.0, 2.5, 4.0, 5.0]))
    row = {
        "review_key": key,
        "native_id": draw(st.none() | st.just(key.upper())),
        "published_at": (
            draw(st.sampled_from(sorted(PUBLISHED.values()))) if vary_published else PUBLISHED[key]
        ),
        "rating": rating,
        "rating_raw": None if rating is None else str(rating),
        "rating_scale": None if rating is None else 5.0,
        "title": draw(st.none() | st.sampled_from(["Ngon", "Tệ quá", "Great"])),
        "body": draw(st.none() | st.sampled_from(["phục vụ nhanh", "phục vụ chậm", "thờ ơ"])),
        "lang": draw(st.sampled_from([None, "vi", "en"])),
        "author_hash": draw(st.sampled_from([None, "a1", "b2"])),
        "reply_body": draw(st.none() | st.just("Cảm ơn anh!")),
        "replied_at": draw(st.none() | st.just("2026-11-20T10:00:00Z")),
        "verified": draw(st.sampled_from([None, True, False])),
        "answers": draw(st.none() | st.just('[["Thời gian giao hàng", "Đúng hẹn"]]')),
        "url": draw(st.sampled_from(["https://pho.example/r", "https://pho.example/r?page=2"])),
    }
    if rating is None and row["title"] is None and row["body"] is None:
        row["body"] = "ngon"
    if not valid:
        broken = draw(st.sampled_from(["rating", "verified", "empty"]))
        if broken == "rating":
            row.update(rating=draw(st.sampled_from([0.0, 7.0])), rating_raw="7", rating_scale=5.0)
        elif broken == "verified":
            row["verified"] = 2
        else:
            row.update(rating=None, rating_raw=None, rating_scale=None, title=None, body=None)
    return row


def is_valid(row: Mapping[str, Any]) -> bool:
    rating = row["rating"]
    return (
        (rating is None or 1 <= rating <= 5)
        and row["verified"] in (None, True, False)
        and (rating is not None or row["title"] is not None or row["body"] is not None)
    )


def split(rows: Sequence[Any], cuts: Sequence[bool]) -> list[list[Any]]:
    """``rows`` in batches, a new batch after each True of ``cuts``."""
    batches: list[list[Any]] = [[]]
    for row, cut in zip(rows, [*cuts, *[False] * len(rows)], strict=False):
        batches[-1].append(row)
        if cut:
            batches.append([])
    return [batch for batch in batches if batch]


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, int]:
    """A migrated database with one business and source, copied for every example."""
    path = tmp_path_factory.mktemp("ingest") / "template.db"
    database = open_db(path)
    business_id = sync_business(database, "Phở Hạnh", is_self=True, now=NOW)
    source_id = sync_source(database, business_id, "schemaorg", "https://pho.example/r", now=NOW)
    database.close()
    return path, business_id, source_id


class Store:
    """A fresh database (a copy of the template, opened through open_db) and its source."""

    def __init__(self, template: tuple[Path, int, int]) -> None:
        path, self.business_id, self.source_id = template
        self.folder = Path(tempfile.mkdtemp(dir=path.parent))
        shutil.copy(path, self.folder / "ladder.db")
        self.db = open_db(self.folder / "ladder.db")
        self.clock = NOW

    def close(self) -> None:
        self.db.close()
        shutil.rmtree(self.folder)

    def write(
        self, batches: Sequence[Sequence[Mapping[str, Any]]], writer: ReviewWriter | None = None
    ) -> list[Any]:
        """Each batch written a minute after the last, by one writer (one crawl)."""
        writer = writer or ReviewWriter(self.db, self.source_id)
        counts = []
        for batch in batches:
            self.clock += timedelta(minutes=1)
            rows = [
                {**row, "business_id": self.business_id, "source_id": self.source_id}
                for row in batch
            ]
            counts.append(writer.write(rows, now=self.clock))
        return counts

    def reviews(self, *, seen: bool = False, where: bool = True) -> dict[str, dict[str, Any]]:
        """The reviews table by key; without the row id, without the seen-at stamps unless asked
        for (they record when a write happened, not what was written), and without where the
        review was seen (``url``, ``native_id``, and the ``identity`` derived from whether it had
        a native id) when ``where`` is False: a write whose content is unchanged only moves
        ``last_seen_at`` (the writer's promise, so a re-crawl of a shifted listing writes nothing),
        so they are those of the last write that changed the content."""
        ignored = {"id"} if seen else {"id", "first_seen_at", "last_seen_at"}
        if not where:
            ignored |= {"url", "native_id", "identity"}
        return {
            row["review_key"]: {name: value for name, value in row.items() if name not in ignored}
            for row in self.db["reviews"].rows
        }

    def assert_sound(self) -> None:
        assert self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert self.db.execute("PRAGMA foreign_key_check").fetchall() == []
        # The full-text index agrees with the reviews it indexes (raises if not).
        self.db.execute("INSERT INTO reviews_fts (reviews_fts, rank) VALUES ('integrity-check', 1)")
        self.db.conn.rollback()
        for row in self.db["reviews"].rows:
            assert row["first_seen_at"] <= row["last_seen_at"]


@contextmanager
def fresh_store(template: tuple[Path, int, int]) -> Iterator[Store]:
    store = Store(template)
    try:
        yield store
    finally:
        store.close()


def last_of_each(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """One row per key: the last written (in the order of first appearance)."""
    return list({row["review_key"]: row for row in rows}.values())


ROWS = st.lists(review_rows(), min_size=1, max_size=12)
CUTS = st.lists(st.booleans(), max_size=12)


@budget(40)
@given(rows=ROWS, cuts=CUTS, order=st.randoms(use_true_random=False))
def test_the_last_write_of_each_review_wins_in_any_batch_split(
    template_db: tuple[Path, int, int], rows: list[dict[str, Any]], cuts: list[bool], order: Any
) -> None:
    """Whatever the order and the batch boundaries, the table is what writing only the last
    version of each review once gives; each key is counted new exactly once."""
    order.shuffle(rows)
    with fresh_store(template_db) as store, fresh_store(template_db) as reference:
        counts = store.write(split(rows, cuts))
        reference.write([last_of_each(rows)])
        assert store.reviews(where=False) == reference.reviews(where=False)
        assert sum(c.new for c in counts) == len({row["review_key"] for row in rows})
        assert sum(c.rejected for c in counts) == 0
        store.assert_sound()


@budget(40)
@given(
    rows=st.lists(
        review_rows(vary_published=True),
        min_size=1,
        max_size=8,
        unique_by=lambda r: r["review_key"],
    ),
    copies=st.lists(st.integers(1, 3), min_size=8, max_size=8),
    first=st.tuples(st.randoms(use_true_random=False), CUTS),
    second=st.tuples(st.randoms(use_true_random=False), CUTS),
)
def test_exact_duplicates_give_one_table_in_any_order_and_split(
    template_db: tuple[Path, int, int],
    rows: list[dict[str, Any]],
    copies: list[int],
    first: tuple[Any, list[bool]],
    second: tuple[Any, list[bool]],
) -> None:
    """A crawl that sees a review twice (a listing shifted while it was read) stores it once,
    whatever the order and batches: the table depends only on the set of reviews."""
    repeated = [row for row, n in zip(rows, copies, strict=False) for _ in range(n)]
    tables = []
    for order, cuts in (first, second):
        shuffled = list(repeated)
        order.shuffle(shuffled)
        with fresh_store(template_db) as store:
            store.write(split(shuffled, cuts))
            store.assert_sound()
            tables.append(store.reviews())
    assert tables[0] == tables[1]
    assert len(tables[0]) == len(rows)


@budget(40)
@given(
    rows=ROWS.map(last_of_each).flatmap(lambda rows: st.permutations(rows + rows)),
    new_writer=st.booleans(),
)
def test_writing_the_same_batch_twice_changes_nothing(
    template_db: tuple[Path, int, int], rows: list[dict[str, Any]], new_writer: bool
) -> None:
    """A re-crawl of unchanged pages: counted unchanged, only last_seen_at moves."""
    with fresh_store(template_db) as store:
        writer = ReviewWriter(store.db, store.source_id)
        (first,) = store.write([rows], writer)
        before = store.reviews(seen=True)
        (again,) = store.write([rows], None if new_writer else writer)
        after = store.reviews(seen=True)
        keys = len({row["review_key"] for row in rows})
        assert (first.new, first.changed, first.unchanged, first.rejected) == (keys, 0, 0, 0)
        assert (again.new, again.changed, again.unchanged, again.rejected) == (0, 0, keys, 0)
        for key, row in after.items():
            assert row["last_seen_at"] > before[key]["last_seen_at"]
            assert {**row, "last_seen_at": None} == {**before[key], "last_seen_at": None}
        store.assert_sound()


def bare_row(key: str, published: str, body: str) -> dict[str, Any]:
    """A stored review row with only its key, date and body set: an ``@example``'s input."""
    return {
        **dict.fromkeys(REVIEW_FIELDS),
        "review_key": key,
        "published_at": published,
        "body": body,
    }


@budget(40)
@given(rows=ROWS)
@example(rows=[bare_row("k1", PUBLISHED["k1"], body) for body in ("x", "y")])
def test_a_second_identical_write_is_counted_unchanged(
    template_db: tuple[Path, int, int], rows: list[dict[str, Any]]
) -> None:
    with fresh_store(template_db) as store:
        store.write([rows])
        (again,) = store.write([rows])
        keys = len({row["review_key"] for row in rows})
        assert (again.new, again.changed, again.unchanged) == (0, 0, keys)


@budget(40)
@given(rows=st.lists(review_rows(vary_published=True), min_size=1, max_size=8), cuts=CUTS)
@example(
    rows=[bare_row("k1", day, "ngon") for day in ("2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z")],
    cuts=[],
)
def test_the_first_publication_date_is_kept_in_any_batch_split(
    template_db: tuple[Path, int, int], rows: list[dict[str, Any]], cuts: list[bool]
) -> None:
    first_published = {}
    for row in rows:
        first_published.setdefault(row["review_key"], row["published_at"])
    with fresh_store(template_db) as store:
        store.write(split(rows, cuts))
        stored = {key: row["published_at"] for key, row in store.reviews().items()}
    assert stored == first_published


@budget(40)
@given(
    rows=st.lists(review_rows() | review_rows(valid=False), min_size=1, max_size=12),
    cuts=CUTS,
)
def test_a_refused_row_loses_nothing_else(
    template_db: tuple[Path, int, int], rows: list[dict[str, Any]], cuts: list[bool]
) -> None:
    """Per batch, the last row of each key is written (a new review with the date of its first
    row in the batch); if the schema refuses it, it is counted rejected and that key keeps what it
    had; every other row of the batch is stored."""
    batches = split(rows, cuts)
    expected: dict[str, Mapping[str, Any]] = {}
    rejected = []
    for batch in batches:
        first_date: dict[str, str] = {}
        for row in batch:
            first_date.setdefault(row["review_key"], row["published_at"])
        latest = last_of_each(batch)
        rejected.append(sum(not is_valid(row) for row in latest))
        for row in latest:
            if is_valid(row):
                key = row["review_key"]
                kept = expected[key]["published_at"] if key in expected else first_date[key]
                expected[key] = {**row, "published_at": kept}
    with fresh_store(template_db) as store, fresh_store(template_db) as reference:
        counts = store.write(batches)
        reference.write([list(expected.values())])
        assert [c.rejected for c in counts] == rejected
        assert store.reviews(where=False) == reference.reviews(where=False)
        store.assert_sound()
