"""Reads that return dataclasses; the CLI and the analysis format them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database


@dataclass(frozen=True)
class BusinessSummary:
    name: str
    is_self: bool
    reviews: int
    mean_rating: float | None
    reply_rate: float | None
    newest_at: str | None
    languages: dict[str, int]


def business_summaries(db: Database) -> list[BusinessSummary]:
    """One line per business: review count, mean rating (1–5), reply rate, newest review."""
    rows = db.execute(
        """
        SELECT b.name, b.is_self, count(r.review_key), avg(r.rating),
               avg(r.reply_body IS NOT NULL), max(r.published_at)
        FROM businesses b LEFT JOIN reviews r ON r.business_id = b.id
        GROUP BY b.id ORDER BY b.is_self DESC, b.name
        """
    ).fetchall()
    languages: dict[str, dict[str, int]] = {}
    for name, lang, count in db.execute(
        "SELECT b.name, coalesce(r.lang, '?'), count(*) FROM reviews r "
        "JOIN businesses b ON b.id = r.business_id GROUP BY 1, 2"
    ).fetchall():
        languages.setdefault(name, {})[lang] = count
    return [
        BusinessSummary(
            name=name,
            is_self=bool(is_self),
            reviews=count,
            mean_rating=mean,
            reply_rate=reply_rate if count else None,
            newest_at=newest,
            languages=languages.get(name, {}),
        )
        for name, is_self, count, mean, reply_rate, newest in rows
    ]


@dataclass(frozen=True)
class CrawlRun:
    id: int
    source_id: int | None
    spider: str
    started_at: str
    finished_at: str | None
    pid: int | None
    pages: int
    pages_empty: int
    reviews_parsed: int
    reviews_new: int
    reviews_changed: int
    dropped: int
    dropped_reasons: dict[str, int]
    errors: int
    http_statuses: dict[str, int]
    finish_reason: str | None
    ok: bool | None
    health: str | None
    log_path: str | None


def crawl_run(db: Database, run_id: int) -> CrawlRun:
    """One crawl run by id (``KeyError`` if there is none)."""
    row = db.execute(
        "SELECT id, source_id, spider, started_at, finished_at, pid, pages, pages_empty, reviews_parsed, "
        "reviews_new, reviews_changed, dropped, dropped_reasons, errors, http_statuses, "
        "finish_reason, ok, health, log_path FROM crawl_runs WHERE id = ?",
        [run_id],
    ).fetchone()
    if row is None:
        raise KeyError(f"no crawl run {run_id}")
    values: list[Any] = list(row)
    values[12] = json.loads(values[12])
    values[14] = json.loads(values[14])
    values[16] = None if values[16] is None else bool(values[16])
    return CrawlRun(*values)


def count_reviews(db: Database) -> int:
    return int(db.execute("SELECT count(*) FROM reviews").fetchone()[0])


def search_reviews(db: Database, query: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """Reviews whose title or body match an FTS5 query; Vietnamese matches with or without marks."""
    cursor = db.execute(
        "SELECT r.review_key, b.name AS business, r.rating, r.title, r.body, r.published_at "
        "FROM reviews_fts JOIN reviews r ON r.rowid = reviews_fts.rowid "
        "JOIN businesses b ON b.id = r.business_id "
        "WHERE reviews_fts MATCH ? ORDER BY rank LIMIT ?",
        [query, limit],
    )
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
