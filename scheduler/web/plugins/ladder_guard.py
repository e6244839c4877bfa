"""A Datasette plugin that ``ladder serve`` loads (``--plugins-dir``). On every connection Datasette
opens on the ladder database:

- :func:`db.guard.guard` makes the connection read-only and blind to the ``settings`` table, which
  holds the salt of the reviewer hashes. Datasette already runs only SELECT statements; this makes
  read-only a property of the connection.
- The search box (``?_search=``, ``?_search_<column>=``) folds đ/Đ as every search of review text
  does (:mod:`db.search`): Datasette matches ``escape_fts(:search)``, an SQL function it defines
  on each connection, and this plugin redefines it as Datasette's own escaping of the folded
  words. The hook runs last (``trylast``) so that its definition is the one that stays. The raw
  search mode (``?_searchmode=raw``) matches the words as typed, without folding.
- The private tables (:data:`db.guard.PRIVATE`) are not Datasette's to show: they are left out of
  the table list and their pages answer 403 Forbidden, not the 500 that a read the connection
  refuses would give.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl  # type: ignore[import-untyped]
from datasette.utils import escape_fts  # type: ignore[import-untyped]

from db.guard import PRIVATE, guard
from db.search import fold_words


def escape_folded(words: str) -> str:
    """Datasette's ``escape_fts`` of the words folded as the search index reads them."""
    return str(escape_fts(fold_words(words)))


@hookimpl(trylast=True)  # type: ignore[untyped-decorator]
def prepare_connection(conn: Any, database: str, datasette: Any) -> None:
    if database not in ("_internal", "_memory"):  # Datasette's own scratch databases
        guard(conn)
        conn.create_function("escape_fts", 1, escape_folded, deterministic=True)


@hookimpl  # type: ignore[untyped-decorator]
def permission_allowed(actor: Any, action: str, resource: Any) -> bool | None:
    """No one views a private table (None: Datasette decides everything else as usual)."""
    if action == "view-table" and isinstance(resource, tuple) and resource[-1:][0] in PRIVATE:
        return False
    return None
