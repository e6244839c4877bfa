"""Write transactions that wait for the lock instead of failing, and say what failed in our terms."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

from sqlite_utils import Database

from db.exceptions import DatabaseError


@contextlib.contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """A transaction that takes the write lock up front (``BEGIN IMMEDIATE``).

    A plain ``BEGIN`` reads first and upgrades later; in WAL mode the upgrade fails at once with
    "database is locked" when another process committed in between (two crawls writing side by
    side). Taking the lock first makes a busy writer wait, up to the busy timeout, instead.
    Inside an open transaction this is a savepoint.

    A write that fails (the disk is full, the file is locked for longer than the busy timeout, it
    is not a database) is rolled back and raised as :class:`DatabaseError`, so callers outside
    ``db`` never handle ``sqlite3`` errors. A constraint violation stays an
    ``sqlite3.IntegrityError``: it is ``db``'s own business (a row to refuse), not the caller's.
    """
    try:
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
    except sqlite3.IntegrityError:
        raise
    except sqlite3.Error as error:
        raise DatabaseError(f"could not write to the database: {error}") from error
