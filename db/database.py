"""Opening the database: WAL, a busy timeout, foreign keys, and the migrations applied.

Import it as ``from db import open_db``.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from sqlite_utils import Database

from db.exceptions import DatabaseError
from db.migrations import apply_migrations

#: How long a writer waits for another writer before "database is locked". Crawls, the analysis,
#: ``ladder serve`` and a report may all touch the file at once; tens of seconds keeps them polite.
BUSY_TIMEOUT_SECONDS = 60.0


def open_db(path: str | Path, *, migrate: bool = True) -> Database:
    """Open (creating if needed) the database at ``path`` in WAL mode with migrations applied.

    >>> db = open_db(tmp_path / "ladder.db")  # doctest: +SKIP
    >>> db["reviews"].count  # doctest: +SKIP
    0
    """
    path = Path(path)
    if path.is_dir():
        raise DatabaseError(f"{path}: is a folder; give the path of a database file")
    path.parent.mkdir(parents=True, exist_ok=True)
    _create_private(path)
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)
        database = Database(conn)
        _use_wal(conn)
        database.execute("PRAGMA synchronous=NORMAL")
        database.execute("PRAGMA foreign_keys=ON")
    except sqlite3.DatabaseError as error:
        raise DatabaseError(
            f"{path}: cannot open as a SQLite database ({error}); is it the right file?"
        ) from error
    if migrate:
        apply_migrations(database, path)
    return database


def _create_private(path: Path) -> None:
    """Create a new database file readable by its owner only (0600): it holds the salt of the
    reviewer hashes. SQLite gives its -wal and -shm files the same mode. An existing file keeps
    the mode its owner gave it."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError as error:
        raise DatabaseError(f"{path}: cannot create the database file ({error})") from error


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch ``conn``'s file to WAL, waiting for other connections that are doing the same.

    Changing the journal mode needs the file to itself, and SQLite answers "database is locked"
    at once, without the busy timeout, while another connection is creating or switching the same
    new file: two scheduler jobs opening a fresh database together failed this way.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
    delay = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            locked = "locked" in str(error) or "busy" in str(error)
            if not locked or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.25)
