"""``ladder serve``: the database in Datasette, for people who ask their own questions.

It runs Datasette (the optional ``ui`` extra) on 127.0.0.1 over the live database:
read-only (Datasette runs only SELECT statements and no write queries are configured), not
immutable (the database is in WAL mode, so pages stay current while a crawl writes), with titles
and column descriptions from :mod:`db.views`, canned queries for the usual questions
(:mod:`db.canned`) and full-text search over review text that finds "quay lại" when typed "quay
lai". Every connection it opens is guarded by :mod:`db.guard` (through its plugin).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

from db.canned import QUERIES
from db.exceptions import ServeError
from db.guard import HIDDEN
from db.views import VIEWS
from scheduler.config import Config

FTS_SHADOWS = ("config", "data", "docsize", "idx")


def metadata(config: Config) -> dict[str, Any]:
    """Datasette metadata: titles, descriptions, column descriptions, units, FTS, queries."""
    tables: dict[str, Any] = {
        name: {
            "description": description,
            "columns": columns,
            **({"units": units} if units else {}),
        }
        for name, (description, columns, units) in VIEWS.items()
    }
    tables["reviews"] = {
        "description": "Every review read, one row each (reviewers only as salted hashes). "
        "Search it with or without Vietnamese marks.",
        "fts_table": "reviews_fts",
        "fts_pk": "id",
        "sort_desc": "published_at",
    }
    for name in (*HIDDEN, "reviews_fts", *(f"reviews_fts_{s}" for s in FTS_SHADOWS)):
        tables.setdefault(name, {})["hidden"] = True
    return {
        "title": f"Service Ladder: {config.business.name} and its competitors",
        "description": "The customer service ladder's data: reviews, their rungs, weekly "
        "positions, gaps, reply behaviour, service signals and source health. Read-only. "
        "The views are described in docs/queries.md.",
        "databases": {
            config.database.stem: {
                "tables": tables,
                "queries": QUERIES,
            }
        },
    }


def datasette_command(config: Config, metadata_path: Path, port: int) -> list[str]:
    """The Datasette command line: the live file (not immutable: crawls may write meanwhile)."""
    if importlib.util.find_spec("datasette") is None:
        raise ServeError(
            "Datasette is not installed: it is the optional 'ui' extra; install it with "
            "pip install -e '.[ui]' (make demo does)"
        )
    if not config.database.exists():
        raise ServeError(f"{config.database} does not exist yet: run `ladder crawl` first")
    return [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        str(config.database),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--metadata",
        str(metadata_path),
        "--setting",
        "sql_time_limit_ms",
        "5000",
        "--setting",
        "default_page_size",
        "50",
        "--setting",
        "allow_download",
        "off",
        "--plugins-dir",
        str(Path(__file__).parent / "plugins"),
    ]


def write_metadata(config: Config) -> Path:
    path = config.database.parent / "datasette-metadata.json"
    path.write_text(json.dumps(metadata(config), ensure_ascii=False, indent=2), encoding="utf-8")
    return path
