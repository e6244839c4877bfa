"""Writing reviews: :class:`ReviewWriter` loads the keys a source already holds once, then sorts
every batch into new rows (inserted), changed rows (updated) and unchanged rows (only
``last_seen_at`` moves), all inside one transaction per batch.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from db.rows import utc_iso
from db.transaction import write_transaction

#: A review whose content fields change (an edit, a late owner reply) is updated in place. Its
#: ``published_at`` is kept from the first time it was seen: sites that show relative dates
#: ("3 ngày trước") are most precise when a review is new.
CONTENT_FIELDS = (
    "rating",
    "rating_raw",
    "rating_scale",
    "title",
    "body",
    "lang",
    "author_hash",
    "reply_body",
    "replied_at",
    "verified",
    "answers",
)


#: Columns a review row may carry (``first_seen_at``/``last_seen_at`` are the writer's).
REVIEW_FIELDS = (
    "review_key",
    "business_id",
    "source_id",
    "native_id",
    "published_at",
    *CONTENT_FIELDS,
    "url",
)


def content_hash(row: Mapping[str, Any]) -> str:
    """A digest of the fields whose change means the review was edited or answered."""
    payload = json.dumps([row.get(field) for field in CONTENT_FIELDS], ensure_ascii=False)
    return hashlib.sha1(payload.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class WriteCounts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0


_COLUMNS = ", ".join((*REVIEW_FIELDS, "content_hash", "first_seen_at", "last_seen_at"))


_PLACEHOLDERS = ", ".join("?" * (len(REVIEW_FIELDS) + 3))


_UPDATES = ", ".join(
    f"{field} = excluded.{field}"
    for field in (*REVIEW_FIELDS[1:], "content_hash", "last_seen_at")
    if field != "published_at"
)


_UPSERT = (
    f"INSERT INTO reviews ({_COLUMNS}) VALUES ({_PLACEHOLDERS}) "  # noqa: S608 - constant columns
    f"ON CONFLICT (review_key) DO UPDATE SET {_UPDATES}"
)


_TOUCH = "UPDATE reviews SET last_seen_at = ? WHERE review_key = ?"


#: The settled review keys of a source's business and kind (see :attr:`ReviewWriter.settled`).
_SETTLED = """
    SELECT r.review_key FROM reviews r
    JOIN sources s ON s.id = r.source_id
    JOIN sources this ON this.business_id = s.business_id AND this.kind = s.kind
    WHERE this.id = ? AND r.first_seen_at <= this.walk_completed_at
"""


class ReviewWriter:
    """Writes one source's reviews; re-writing a stored review only moves its ``last_seen_at``.

    ``known`` maps every ``review_key`` the business holds from sources of the same kind (a source
    whose URL was edited keeps its reviews) to its content hash. It is loaded once and kept current,
    so a re-crawl never asks the database what it already has.

    ``settled`` holds the keys stored when this source's listing was last read through to its end
    (:meth:`walk_completed`): everything older than a page of settled reviews is stored too. Keys
    stored by a crawl that was killed halfway are known but not settled, so the next crawl reads on
    past them.
    """

    def __init__(self, db: Database, source_id: int) -> None:
        self.db = db
        self.source_id = source_id
        row = db.execute("SELECT business_id FROM sources WHERE id = ?", [source_id]).fetchone()
        if row is None:
            raise KeyError(f"no source {source_id}")
        self.business_id = int(row[0])
        self.known: dict[str, str] = {}
        self.settled: set[str] = set()
        for key, digest, settled in db.execute(  # one pass for both
            """
            SELECT r.review_key, r.content_hash, r.first_seen_at <= this.walk_completed_at
            FROM reviews r
            JOIN sources s ON s.id = r.source_id
            JOIN sources this ON this.business_id = s.business_id AND this.kind = s.kind
            WHERE this.id = ?
            """,
            [source_id],
        ):
            self.known[key] = digest
            if settled:
                self.settled.add(key)

    def walk_completed(self, now: datetime | None = None) -> None:
        """The listing was read to its end (or to settled reviews) and every row written: all the
        reviews stored so far are settled."""
        with write_transaction(self.db):
            self.db.execute(
                "UPDATE sources SET walk_completed_at = ? WHERE id = ?",
                [utc_iso(now), self.source_id],
            )

    def write(self, rows: Iterable[Mapping[str, Any]], now: datetime | None = None) -> WriteCounts:
        """Insert new, update changed and touch unchanged rows, in one transaction.

        A row the schema refuses (it should have been dropped by validation) is skipped and counted
        as ``rejected``; the rest of the batch is still written.
        """
        seen_at = utc_iso(now)
        published_field = REVIEW_FIELDS.index("published_at")
        latest: dict[str, Mapping[str, Any]] = {}
        first_published: dict[str, Any] = {}
        for row in rows:  # a review twice in one batch: its last version, its first date
            key = row["review_key"]
            latest[key] = row
            first_published.setdefault(key, row.get("published_at"))
        upserts: dict[str, tuple[Any, ...]] = {}
        touches: dict[str, tuple[str, str]] = {}
        previous: dict[str, str | None] = {}
        for key, row in latest.items():
            digest = content_hash(row)
            if self.known.get(key) == digest:
                touches[key] = (seen_at, key)
                continue
            previous[key] = self.known.get(key)
            values = [row.get(field) for field in REVIEW_FIELDS]
            values[published_field] = first_published[key]
            upserts[key] = (*values, digest, seen_at, seen_at)
        rejected = self._execute(upserts, touches)
        for key in rejected:
            del upserts[key]
        for key, stored in upserts.items():
            self.known[key] = stored[len(REVIEW_FIELDS)]
        new = sum(previous[key] is None for key in upserts)
        return WriteCounts(
            new=new, changed=len(upserts) - new, unchanged=len(touches), rejected=len(rejected)
        )

    def _execute(
        self, upserts: dict[str, tuple[Any, ...]], touches: dict[str, tuple[str, str]]
    ) -> list[str]:
        try:
            with write_transaction(self.db):
                self.db.conn.executemany(_UPSERT, upserts.values())
                self.db.conn.executemany(_TOUCH, touches.values())
        except sqlite3.IntegrityError:
            pass
        else:
            return []
        rejected = []
        with write_transaction(self.db):
            for key, values in upserts.items():
                try:
                    self.db.execute(_UPSERT, values)
                except sqlite3.IntegrityError:
                    rejected.append(key)
            self.db.conn.executemany(_TOUCH, touches.values())
        return rejected


def newest_settled_keys(db: Database, source_id: int, limit: int) -> list[str]:
    """The ``limit`` newest (by publication) settled review keys of a source, as
    :attr:`ReviewWriter.settled` holds them: what a remote crawl needs to stop where a local one
    would."""
    newest_first = f"{_SETTLED} ORDER BY r.published_at DESC, r.review_key LIMIT ?"
    return [key for (key,) in db.execute(newest_first, [source_id, limit])]
