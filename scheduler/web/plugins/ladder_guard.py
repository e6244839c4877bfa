"""A Datasette plugin that ``ladder serve`` loads (``--plugins-dir``): every connection Datasette
opens on the ladder database refuses writes, and refuses to read the ``settings`` table (it holds
the salt of the reviewer hashes, which must not leave the database).

Datasette already runs only SELECT statements; this makes read-only a property of the connection.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from datasette import hookimpl  # type: ignore[import-untyped]

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
PRIVATE = frozenset({"settings"})


def authorize(action: int, first: str | None, second: str | None, *_: Any) -> int:
    if action in _WRITES and first != "sqlite_master":  # FTS5 checks the schema that way
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_READ and first in PRIVATE:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


@hookimpl  # type: ignore[untyped-decorator]
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    if database not in ("_internal", "_memory"):  # Datasette's own scratch databases
        conn.set_authorizer(authorize)
