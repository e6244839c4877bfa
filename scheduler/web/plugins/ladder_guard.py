"""A Datasette plugin that ``ladder serve`` loads (``--plugins-dir``): every connection Datasette
opens on the ladder database is guarded by :func:`db.guard.guard` (no writes; the ``settings``
table, which holds the salt of the reviewer hashes, unreadable).

Datasette already runs only SELECT statements; this makes read-only a property of the connection.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl  # type: ignore[import-untyped]

from db.guard import guard


@hookimpl  # type: ignore[untyped-decorator]
def prepare_connection(conn: Any, database: str, datasette: Any) -> None:
    if database not in ("_internal", "_memory"):  # Datasette's own scratch databases
        guard(conn)
