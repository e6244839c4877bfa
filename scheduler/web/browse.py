"""``ladder serve`` and ``ladder export``: the database for people who ask their own questions.

``ladder serve`` runs Datasette (the optional ``ui`` extra) on 127.0.0.1 over the live database:
read-only (Datasette runs only SELECT statements and no write queries are configured), not
immutable (the database is in WAL mode, so pages stay current while a crawl writes), with titles
and column descriptions from :mod:`db.views`, canned queries for the usual questions and full-text
search over review text that finds "quay lại" when typed "quay lai".
"""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from sqlite_utils import Database

from db.exceptions import ServeError
from db.views import VIEWS
from scheduler.config import Config

FORMATS = ("csv", "json", "jsonl")

#: Canned queries: the questions a manager asks, with parameters where they take one. An empty
#: ``week`` means the last analysed week; an empty ``business`` means every business.
QUERIES: dict[str, dict[str, str]] = {
    "ranking_of_week": {
        "title": "Ranking of a week",
        "description": "Every business's overall position in a week (empty: the latest).",
        "sql": "SELECT rank, business, score, low, high, rung_name, delta, per_month, reviews "
        "FROM ranking WHERE segment = 'all' AND week = coalesce(nullif(:week, ''), "
        "(SELECT max(week) FROM weekly_positions)) ORDER BY rank IS NULL, rank, score DESC",
    },
    "gaps_of_week": {
        "title": "Where we are behind or ahead",
        "description": "Our gaps per dimension against a competitor (empty: all) in a week.",
        "sql": "SELECT dimension_name, versus, ours, theirs, gap, probability, verdict FROM gaps "
        "WHERE segment = 'all' AND week = coalesce(nullif(:week, ''), "
        "(SELECT max(week) FROM weekly_gaps)) AND (:business = '' OR versus = :business) "
        "ORDER BY verdict != 'behind', gap",
    },
    "reviews_of_business": {
        "title": "Reviews on the ladder",
        "description": "A business's newest reviews with their rung and the phrases that decided it.",
        "sql": "SELECT published_at, rating, rung, rung_name, title, body, evidence, reply_body "
        "FROM reviews_on_ladder WHERE (:business = '' OR business = :business) "
        "ORDER BY published_at DESC LIMIT 200",
    },
    "complaints": {
        "title": "Newest complaints",
        "description": "The newest rung-1 and rung-2 reviews of a business (empty: every one).",
        "sql": "SELECT business, published_at, rung_name, rating, title, body, replied "
        "FROM latest_complaints WHERE (:business = '' OR business = :business) "
        "ORDER BY business, recency",
    },
    "replies_of_week": {
        "title": "Answering reviews",
        "description": "Reply rate, on negative reviews, reply time and templated replies, per "
        "business, over the 12 weeks to a week (empty: the latest).",
        "sql": "SELECT business, reviews, reply_rate, rate_low, rate_high, negative_reply_rate, "
        "median_latency_hours, templated_share FROM replies_by_week WHERE week = "
        "coalesce(nullif(:week, ''), (SELECT max(week) FROM weekly_replies)) "
        "ORDER BY reply_rate DESC",
    },
    "service_changes": {
        "title": "Changes on the businesses' sites",
        "description": "What each site added, dropped or changed since its previous crawl.",
        "sql": "SELECT business, change, signal, before, after, unit, observed_at "
        "FROM service_changes ORDER BY observed_at DESC",
    },
    "source_health": {
        "title": "Source health",
        "description": "Every source's last crawl, last success and failures since.",
        "sql": "SELECT business, kind, url, last_crawl_at, last_crawl_ok, last_crawl_health, "
        "last_success_at, failures_since_success FROM source_health ORDER BY business, kind",
    },
    "search_reviews": {
        "title": "Search review text",
        "description": "Words in reviews, with or without Vietnamese marks: 'quay lai' finds "
        "'quay lại'.",
        "sql": "SELECT v.business, v.published_at, v.rung_name, v.title, v.body "
        "FROM reviews_on_ladder v WHERE v.id IN (SELECT rowid FROM reviews_fts "
        "WHERE reviews_fts MATCH :words) ORDER BY v.published_at DESC LIMIT 200",
    },
}
HIDDEN = ("settings", "_sqlite_migrations")


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


def exportable(db: Database) -> list[str]:
    """Tables and views a user may export (not the search index's shadow tables, nor the
    settings, which hold the salt of the reviewer hashes)."""
    return [
        name
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'reviews_fts%' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
        if name not in HIDDEN
    ]


def export_rows(
    db: Database, name: str, *, week: str | None = None
) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """The columns and rows of a table or view (of one week, when it has a ``week`` column)."""
    known = exportable(db)
    if name not in known:
        raise ServeError(f"no table or view {name!r}; choose one of: {', '.join(known)}")
    columns = [row[1] for row in db.execute(f"PRAGMA table_info([{name}])")]
    sql = f"SELECT * FROM [{name}]"  # noqa: S608 - the name was checked against sqlite_master
    parameters: list[str] = []
    if week is not None:
        if "week" not in columns:
            raise ServeError(f"{name} has no week column; leave out --week")
        sql += " WHERE week = ?"
        parameters.append(week)
    cursor = db.execute(sql, parameters)
    return [d[0] for d in cursor.description], iter(cursor)


def write_export(columns: list[str], rows: Iterator[tuple[Any, ...]], out: TextIO, fmt: str) -> int:
    """Write rows as CSV (with a header), a JSON list, or JSON lines; returns how many."""
    count = 0
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(row)
            count += 1
        return count
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False) + "\n")
            count += 1
        return count
    out.write("[")
    for row in rows:
        item = json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False)
        out.write(("," if count else "") + "\n" + item)
        count += 1
    out.write("\n]\n")
    return count
