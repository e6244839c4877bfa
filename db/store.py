"""Writes: businesses and sources from the config, crawl runs, aggregates, signals, the analysis's
results, reports and job runs. Reviews are written by :class:`db.reviews.ReviewWriter`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

from db.rows import utc_iso
from db.transaction import write_transaction


def author_salt(db: Database) -> str:
    """The per-database salt for reviewer hashes (``LADDER_SALT`` overrides it at crawl time)."""
    row = db.execute("SELECT value FROM settings WHERE key = 'author_salt'").fetchone()
    return str(row[0])


def sync_business(
    db: Database, name: str, *, is_self: bool | None = None, now: datetime | None = None
) -> int:
    """Ensure a business exists; return its id.

    ``is_self=None`` leaves the flag as it is (a new business is a competitor). Only one business is
    ever ``is_self``.
    """
    with write_transaction(db):
        if is_self:
            db.execute("UPDATE businesses SET is_self = 0 WHERE is_self = 1 AND name != ?", [name])
        db.execute(
            "INSERT INTO businesses (name, is_self, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO NOTHING",
            [name, int(bool(is_self)), utc_iso(now)],
        )
        if is_self is not None:
            db.execute("UPDATE businesses SET is_self = ? WHERE name = ?", [int(is_self), name])
        row = db.execute("SELECT id FROM businesses WHERE name = ?", [name]).fetchone()
    return int(row[0])


def sync_source(
    db: Database, business_id: int, kind: str, url: str, *, now: datetime | None = None
) -> int:
    """Ensure a source exists; return its id."""
    with write_transaction(db):
        db.execute(
            "INSERT INTO sources (business_id, kind, url, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (business_id, kind, url) DO NOTHING",
            [business_id, kind, url, utc_iso(now)],
        )
        row = db.execute(
            "SELECT id FROM sources WHERE business_id = ? AND kind = ? AND url = ?",
            [business_id, kind, url],
        ).fetchone()
    return int(row[0])


def start_crawl_run(
    db: Database,
    source_id: int | None,
    spider: str,
    *,
    log_path: str | None = None,
    now: datetime | None = None,
) -> int:
    """Record that a crawl has started; the row is completed by :func:`update_crawl_run`."""
    with write_transaction(db):
        cursor = db.execute(
            "INSERT INTO crawl_runs (source_id, spider, started_at, log_path) VALUES (?, ?, ?, ?)",
            [source_id, spider, utc_iso(now), log_path],
        )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


_RUN_COLUMNS = frozenset(
    {
        "finished_at",
        "pid",
        "pages",
        "pages_empty",
        "reviews_parsed",
        "reviews_new",
        "reviews_changed",
        "dropped",
        "dropped_reasons",
        "errors",
        "http_statuses",
        "finish_reason",
        "ok",
        "health",
        "coverage",
    }
)


def update_crawl_run(db: Database, run_id: int, **fields: Any) -> None:
    """Set figures on a crawl run; dicts (reasons, statuses) are stored as JSON."""
    unknown = set(fields) - _RUN_COLUMNS
    if unknown:
        raise ValueError(f"unknown crawl_runs columns: {sorted(unknown)}")
    values = {
        k: json.dumps(v, sort_keys=True) if isinstance(v, dict) else v for k, v in fields.items()
    }
    assignments = ", ".join(f"{column} = ?" for column in values)
    with write_transaction(db):
        db.execute(
            f"UPDATE crawl_runs SET {assignments} WHERE id = ?",  # noqa: S608 - columns whitelisted
            [*values.values(), run_id],
        )


def record_aggregate(
    db: Database,
    source_id: int,
    *,
    rating: float | None,
    rating_raw: str | None,
    rating_scale: float | None,
    review_count: int | None,
    details: Mapping[str, Any] | None = None,
    run_id: int | None = None,
    now: datetime | None = None,
) -> None:
    """Keep what a source says about itself ("4.2 from 250 reviews", and on some platforms how
    the business replies) at this crawl."""
    with write_transaction(db):
        db.execute(
            "INSERT INTO aggregate_ratings (source_id, run_id, observed_at, rating, rating_raw, "
            "rating_scale, review_count, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                source_id,
                run_id,
                utc_iso(now),
                rating,
                rating_raw,
                rating_scale,
                review_count,
                json.dumps(details, ensure_ascii=False, sort_keys=True) if details else None,
            ],
        )


_RUNG_COLUMNS = (
    "review_id",
    "rung",
    "confidence",
    "conflict",
    "lang",
    "evidence",
    "fingerprint",
    "reply_signature",
    "content_hash",
    "version",
    "classified_at",
)


def store_classifications(
    db: Database,
    rungs: Iterable[Mapping[str, Any]],
    dimensions: Iterable[tuple[int, str, float, int]],
) -> None:
    """Replace the stored rungs (``review_rungs`` rows) and dimension remarks
    (``(review_id, dimension, polarity, rung)``) of a batch of reviews, in one transaction."""
    rows = [tuple(row[c] for c in _RUNG_COLUMNS) for row in rungs]
    columns = ", ".join(_RUNG_COLUMNS)
    placeholders = ", ".join("?" * len(_RUNG_COLUMNS))
    with write_transaction(db):
        db.conn.executemany(
            "DELETE FROM review_dimensions WHERE review_id = ?", [(row[0],) for row in rows]
        )
        db.conn.executemany(
            f"INSERT OR REPLACE INTO review_rungs ({columns}) VALUES ({placeholders})",  # noqa: S608
            rows,
        )
        db.conn.executemany(
            "INSERT INTO review_dimensions (review_id, dimension, polarity, rung) VALUES (?, ?, ?, ?)",
            dimensions,
        )


def replace_week(
    db: Database, week: str, tables: Mapping[str, Iterable[Mapping[str, Any]]]
) -> None:
    """Replace everything stored for ``week`` in the weekly tables, in one transaction."""
    with write_transaction(db):
        for table, rows in tables.items():
            if table not in _WEEKLY_TABLES:
                raise ValueError(f"{table} is not a weekly table")
            db.execute(f"DELETE FROM {table} WHERE week = ?", [week])  # noqa: S608 - whitelisted
            rows = list(rows)
            if not rows:
                continue
            columns = list(rows[0])
            db.conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - whitelisted
                f"VALUES ({', '.join('?' * len(columns))})",
                [tuple(row[c] for c in columns) for row in rows],
            )


_WEEKLY_TABLES = frozenset({"weekly_positions", "weekly_gaps", "weekly_replies", "weekly_flags"})


def set_setting(db: Database, key: str, value: str) -> None:
    with write_transaction(db):
        db.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key, value],
        )


def start_job_run(db: Database, job_id: str, *, now: datetime | None = None) -> int:
    with write_transaction(db):
        cursor = db.execute(
            "INSERT INTO job_runs (job_id, started_at) VALUES (?, ?)", [job_id, utc_iso(now)]
        )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def finish_job_run(db: Database, run_id: int, *, ok: bool, message: str, seconds: float) -> None:
    with write_transaction(db):
        db.execute(
            "UPDATE job_runs SET finished_at = ?, ok = ?, message = ?, seconds = ? WHERE id = ?",
            [utc_iso(), int(ok), message, round(seconds, 3), run_id],
        )


def record_signals(
    db: Database,
    source_id: int,
    signals: Iterable[Mapping[str, Any]],
    *,
    run_id: int | None,
    now: datetime | None = None,
) -> int:
    """Store one observation of a site's service signals (``name``, ``value``, ``unit``, ``url``,
    ``evidence`` each); returns how many were stored."""
    observed_at = utc_iso(now)
    with write_transaction(db):
        row = db.execute("SELECT business_id FROM sources WHERE id = ?", [source_id]).fetchone()
        if row is None:
            raise ValueError(f"no source {source_id}")
        (last,) = db.execute(
            "SELECT max(observed_at) FROM service_signals WHERE source_id = ?", [source_id]
        ).fetchone()
        if last is not None and last >= observed_at:
            # Two crawls within a second (or a clock set back) are still two observations.
            observed_at = utc_iso(datetime.fromisoformat(last) + timedelta(seconds=1))
        rows = [
            (
                row[0],
                source_id,
                run_id,
                observed_at,
                signal["name"],
                json.dumps(signal["value"], ensure_ascii=False),
                signal.get("unit"),
                signal.get("url"),
                signal.get("evidence"),
            )
            for signal in signals
        ]
        db.conn.executemany(
            "INSERT INTO service_signals (business_id, source_id, run_id, observed_at, name, value, "
            "unit, url, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    return len(rows)


def record_report(
    db: Database,
    *,
    week: str,
    language: str,
    subject: str,
    message_id: str,
    recipients: Iterable[str],
    status: str,
    error: str | None = None,
    now: datetime | None = None,
) -> None:
    """Remember a written report and what became of it (``written``, ``sent`` or ``queued``)."""
    at = utc_iso(now)
    with write_transaction(db):
        db.execute(
            "INSERT INTO reports (week, language, subject, message_id, recipients, written_at, "
            "status, sent_at, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (message_id) DO UPDATE SET status = excluded.status, "
            "sent_at = excluded.sent_at, error = excluded.error",
            [
                week,
                language,
                subject,
                message_id,
                json.dumps(list(recipients)),
                at,
                status,
                at if status == "sent" else None,
                error,
            ],
        )


def mark_report_sent(db: Database, message_id: str, *, now: datetime | None = None) -> bool:
    """A queued report delivered later (from the outbox); False when no report has that id."""
    with write_transaction(db):
        cursor = db.execute(
            "UPDATE reports SET status = 'sent', sent_at = ?, error = NULL WHERE message_id = ?",
            [utc_iso(now), message_id],
        )
    return cursor.rowcount > 0


def record_remote_job(
    db: Database, run_id: int, *, node: str, job_id: str, retried: str | None = None
) -> None:
    """The Scrapyd node and job that crawl this run; ``retried`` says why an earlier attempt (on
    another node) was given up, when there was one."""
    with write_transaction(db):
        db.execute(
            "UPDATE crawl_runs SET node = ?, job_id = ?, retried = ? WHERE id = ?",
            [node, job_id, retried, run_id],
        )


def prepare_segments(db: Database) -> None:
    """Build what segment flags need, once per analysis: the reviewers who reviewed a business at
    least twice (the "repeat" segment: customers who came back)."""
    db.execute("DROP TABLE IF EXISTS temp.repeat_authors")
    db.execute(
        "CREATE TEMP TABLE repeat_authors (business_id INTEGER, author_hash TEXT, "
        "PRIMARY KEY (business_id, author_hash)) WITHOUT ROWID"
    )
    db.execute(
        "INSERT INTO temp.repeat_authors SELECT business_id, author_hash FROM reviews "
        # "+business_id": read the covering week index in one pass, not the table row by row
        "WHERE author_hash IS NOT NULL GROUP BY +business_id, author_hash HAVING count(*) >= 2"
    )
