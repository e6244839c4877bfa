"""The Service Ladder store: one SQLite file, opened through :func:`open_db`.

``db`` imports nothing else of ours: it is the bottom layer, the one door to SQL. Reads live in
:mod:`db.queries` (returning the row types of :mod:`db.rows`), writes in :mod:`db.store`, the schema
in :mod:`db.migrations` and :mod:`db.views`; :mod:`db.exceptions` holds every exception of Service
Ladder.

``open_db`` is loaded on first use (PEP 562): importing ``db.rows`` or ``db.exceptions`` does not
load sqlite-utils (and through it numpy), so commands that open no database start quickly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from db.database import BUSY_TIMEOUT_SECONDS, open_db

__all__ = ["BUSY_TIMEOUT_SECONDS", "open_db"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from db import database

        return getattr(database, name)
    raise AttributeError(f"module 'db' has no attribute {name!r}")
