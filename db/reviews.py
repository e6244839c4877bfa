"""Writing reviews: :class:`ReviewWriter` loads the keys a source already holds once, then sorts
every batch into new rows (inserted), changed rows (updated) and unchanged rows (only
``last_seen_at`` moves), all inside one transaction per batch.

A row whose key is unknown may be a stored review without a native id whose displayed date moved
(:mod:`db.identity`): it is found by its ``identity`` and the stored row takes the new key and the
date now shown (``shown_at``), keeping its id, ``published_at`` and ``first_seen_at``; counted
``moved``, and changed or unchanged as its content says.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from db.identity import (
    Sighting,
    identity_scope,
    is_distinctive,
    pair_redated,
    review_identity,
    usual_shift,
)
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
    """What one :meth:`ReviewWriter.write` did with its rows: each is new, changed, unchanged or
    rejected; ``moved`` counts the changed and unchanged ones that were found by identity, a stored
    review showing another date (:mod:`db.identity`)."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: int = 0
    moved: int = 0


#: How exactly a row's ``published_at`` is known (NULL: as given; "month", "year", "estimated"): a
#: row may carry it; written with the review and, like ``published_at``, kept from the first time.
DATE_PRECISION = "date_precision"
#: The columns an upsert writes: the row's, then the writer's.
_WRITTEN = (
    *REVIEW_FIELDS,
    DATE_PRECISION,
    "identity",
    "content_hash",
    "first_seen_at",
    "last_seen_at",
)
#: Where the content hash is in an upsert's values.
_DIGEST = _WRITTEN.index("content_hash")


_COLUMNS = ", ".join(_WRITTEN)


_PLACEHOLDERS = ", ".join("?" * len(_WRITTEN))


_UPDATES = ", ".join(
    f"{field} = excluded.{field}"
    for field in (*REVIEW_FIELDS[1:], "identity", "content_hash", "last_seen_at")
    if field != "published_at"
)


_UPSERT = (
    f"INSERT INTO reviews ({_COLUMNS}) VALUES ({_PLACEHOLDERS}) "  # noqa: S608 - constant columns
    f"ON CONFLICT (review_key) DO UPDATE SET {_UPDATES}"
)


_TOUCH = "UPDATE reviews SET last_seen_at = ? WHERE review_key = ?"


#: A stored review whose displayed date moved takes the key the site now gives it, and records
#: the date it now shows (``published_at`` keeps the first).
_RENAME = "UPDATE reviews SET review_key = ?, shown_at = ? WHERE id = ?"


#: The stored reviews of some identities (through the ``reviews_identity`` index), with the date
#: each showed when last seen.
_SAME_IDENTITY = (
    "SELECT id, review_key, identity, coalesce(shown_at, published_at), last_seen_at, "
    "content_hash FROM reviews WHERE identity IN ({})"
)
#: Identities per lookup, well under SQLite's limit on bound parameters.
_LOOKUP_CHUNK = 500
#: Moves kept to tell the crawl's usual move (their median): a sample, so a long crawl does not
#: sort every move it found for every batch.
_MOVES_KEPT = 1001


@dataclass(frozen=True)
class _Stored:
    """A stored review found by identity: its row id, how it was seen, its content hash."""

    id: int
    sighting: Sighting
    digest: str


def _moment(value: Any) -> datetime | None:
    """A stored or incoming ``*_at`` value as an aware datetime (None for none or not a date)."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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

    A writer lives for one crawl. ``matched`` holds the keys it wrote (stored reviews matched by
    key or found moved, and new ones): a stored review is found moved (:mod:`db.identity`) only if
    this crawl has not matched it yet, so two reviews that read alike stay two. ``moves`` holds the
    moves it found of distinctive reviews: once there is one, the site is known to move its dates
    and reviews that read like many others are matched too, nearest the usual move first.
    """

    def __init__(self, db: Database, source_id: int) -> None:
        self.db = db
        self.source_id = source_id
        row = db.execute(
            "SELECT business_id, kind, url FROM sources WHERE id = ?", [source_id]
        ).fetchone()
        if row is None:
            raise KeyError(f"no source {source_id}")
        self.business_id = int(row[0])
        self.scope = identity_scope(self.business_id, row[1], row[2])
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
        self.matched: set[str] = set()
        self.moves: list[tuple[Sighting, Sighting]] = []
        # Nothing stored before this crawl: nothing can have moved, no lookup is needed.
        self._held_reviews = bool(self.known)

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

        A row whose key is unknown but which is a stored review whose displayed date moved
        (:meth:`_find_moved`) updates that review: it takes the new key and the date shown
        (``shown_at``), and keeps its id, ``published_at`` and ``first_seen_at``.

        A row the schema refuses (it should have been dropped by validation) is skipped and counted
        as ``rejected``; the rest of the batch is still written.
        """
        moment = now or datetime.now(UTC)
        seen_at = utc_iso(moment)
        published_field = REVIEW_FIELDS.index("published_at")
        latest: dict[str, Mapping[str, Any]] = {}
        first_published: dict[str, Any] = {}
        first_precision: dict[str, Any] = {}
        for row in rows:  # a review twice in one batch: its last version, its first date
            key = row["review_key"]
            latest[key] = row
            first_published.setdefault(key, row.get("published_at"))
            first_precision.setdefault(key, row.get(DATE_PRECISION))
        unknown = {  # only rows to insert or update need an identity: a touch keeps its own
            key: review_identity(self.scope, row)
            for key, row in latest.items()
            if key not in self.known
        }
        moved = self._find_moved(latest, first_published, unknown, moment)
        upserts: dict[str, tuple[Any, ...]] = {}
        touches: dict[str, tuple[str, str]] = {}
        previous: dict[str, str | None] = {}
        for key, row in latest.items():
            digest = content_hash(row)
            before = moved[key].digest if key in moved else self.known.get(key)
            if before == digest:
                touches[key] = (seen_at, key)
                continue
            previous[key] = before
            values = [row.get(field) for field in REVIEW_FIELDS]
            values[published_field] = first_published[key]
            precision = first_precision[key]
            identity = unknown[key] if key in unknown else review_identity(self.scope, row)
            upserts[key] = (*values, precision, identity, digest, seen_at, seen_at)
        renames = {key: (key, first_published[key], found.id) for key, found in moved.items()}
        rejected, renamed = self._execute(renames, upserts, touches)
        for key in rejected:
            del upserts[key]
        for key in renamed:
            old_key = moved[key].sighting.key
            self.known[key] = self.known.pop(old_key, moved[key].digest)
            if old_key in self.settled:
                self.settled.discard(old_key)
                self.settled.add(key)
        for key, stored in upserts.items():
            self.known[key] = stored[_DIGEST]
        self.matched.update(latest)
        new = sum(previous[key] is None for key in upserts)
        return WriteCounts(
            new=new,
            changed=len(upserts) - new,
            unchanged=len(touches),
            rejected=len(rejected),
            moved=len(renamed),
        )

    def _find_moved(
        self,
        latest: Mapping[str, Mapping[str, Any]],
        published: Mapping[str, Any],
        unknown: Mapping[str, str | None],
        moment: datetime,
    ) -> dict[str, _Stored]:
        """The stored reviews that rows of unknown key (with their identities) are, their
        displayed date moved, by the rows' keys (:func:`db.identity.pair_redated`): one indexed
        lookup of the identities, among the reviews this crawl has not matched yet."""
        if not self._held_reviews:
            return {}
        incoming = []
        for key, identity in unknown.items():
            if identity is not None and (day := _moment(published[key])) is not None:
                incoming.append(Sighting(key, identity, day))
        if not incoming:
            return {}
        stored: dict[str, _Stored] = {}
        wanted = sorted({sighting.identity for sighting in incoming})
        for start in range(0, len(wanted), _LOOKUP_CHUNK):
            chunk = wanted[start : start + _LOOKUP_CHUNK]
            query = _SAME_IDENTITY.format(", ".join("?" * len(chunk)))
            for row_id, key, identity, shown_at, last_seen_at, digest in self.db.execute(
                query, chunk
            ):
                day, last_seen = _moment(shown_at), _moment(last_seen_at)
                if key in self.matched or key in latest or day is None or last_seen is None:
                    continue
                stored[key] = _Stored(row_id, Sighting(key, identity, day, last_seen), digest)
        if not stored:
            return {}
        candidates = [found.sighting for found in stored.values()]
        distinctive = [s for s in incoming if is_distinctive(latest[s.key])]
        pairs = pair_redated(distinctive, candidates, moment, self._usual_move())
        self.moves.extend(pairs[: max(0, _MOVES_KEPT - len(self.moves))])
        if self.moves:  # the site moves its dates: reviews that read like many others too
            plain = [s for s in incoming if not is_distinctive(latest[s.key])]
            pairs += pair_redated(plain, candidates, moment, self._usual_move())
        return {new.key: stored[old.key] for new, old in pairs}

    def _usual_move(self) -> timedelta:
        return usual_shift(self.moves) or timedelta(0)

    def _execute(
        self,
        renames: dict[str, tuple[str, Any, int]],
        upserts: dict[str, tuple[Any, ...]],
        touches: dict[str, tuple[str, str]],
    ) -> tuple[list[str], list[str]]:
        """Run the batch's writes; the keys of the rows refused and of the reviews renamed."""
        try:
            with write_transaction(self.db):
                self.db.conn.executemany(_RENAME, renames.values())
                self.db.conn.executemany(_UPSERT, upserts.values())
                self.db.conn.executemany(_TOUCH, touches.values())
        except sqlite3.IntegrityError:
            pass
        else:
            return [], list(renames)
        rejected = []
        renamed = []
        with write_transaction(self.db):
            for key, values in renames.items():
                try:
                    self.db.execute(_RENAME, values)
                except sqlite3.IntegrityError:  # stored meanwhile (another crawl): written by key
                    continue
                renamed.append(key)
            for key, values in upserts.items():
                try:
                    self.db.execute(_UPSERT, values)
                except sqlite3.IntegrityError:
                    rejected.append(key)
            self.db.conn.executemany(_TOUCH, touches.values())
        return rejected, renamed


def newest_settled_keys(db: Database, source_id: int, limit: int) -> list[str]:
    """The ``limit`` newest (by publication) settled review keys of a source, as
    :attr:`ReviewWriter.settled` holds them: what a remote crawl needs to stop where a local one
    would."""
    newest_first = f"{_SETTLED} ORDER BY r.published_at DESC, r.review_key LIMIT ?"
    return [key for (key,) in db.execute(newest_first, [source_id, limit])]
