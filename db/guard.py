"""A connection that can only read, and cannot read the private tables: what ``ladder serve``
installs on every connection Datasette opens (through its plugin), so that read-only is a property
of the connection, not only of the queries Datasette chooses to run.

The ``settings`` table holds the salt of the reviewer hashes, which must not leave the database.
"""

from __future__ import annotations

import sqlite3
from typing import Any

#: Tables nobody browsing the database may read.
PRIVATE = frozenset({"settings"})
#: Tables and views that are not shown or exported: the private ones and the migrations' record.
HIDDEN = (*sorted(PRIVATE), "_sqlite_migrations")

_WRITES = frozenset(
    {
        sqlite3.SQLITE_INSERT,
        sqlite3.SQLITE_UPDATE,
        sqlite3.SQLITE_DELETE,
        sqlite3.SQLITE_DROP_TABLE,
        sqlite3.SQLITE_DROP_VIEW,
        sqlite3.SQLITE_CREATE_TABLE,
        sqlite3.SQLITE_CREATE_VIEW,
        sqlite3.SQLITE_CREATE_INDEX,
        sqlite3.SQLITE_ALTER_TABLE,
    }
)


def authorize(action: int, first: str | None, second: str | None, *_: Any) -> int:
    """SQLite's authorizer callback: deny every write and every read of a private table."""
    if action in _WRITES and first != "sqlite_master":  # FTS5 checks the schema that way
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_READ and first in PRIVATE:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def guard(conn: sqlite3.Connection) -> None:
    """Make ``conn`` read-only and blind to the private tables, for as long as it is open."""
    conn.set_authorizer(authorize)
