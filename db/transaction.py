"""Write transactions that wait for the lock instead of failing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlite_utils import Database


@contextlib.contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """A transaction that takes the write lock up front (``BEGIN IMMEDIATE``).

    A plain ``BEGIN`` reads first and upgrades later; in WAL mode the upgrade fails at once with
    "database is locked" when another process committed in between (two crawls writing side by
    side). Taking the lock first makes a busy writer wait, up to the busy timeout, instead.
    Inside an open transaction this is a savepoint.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.commit()
