"""Reads that return the dataclasses of :mod:`db.rows`; the CLI and the analysis format them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlite_utils import Database

from db.exceptions import ServeError
from db.guard import HIDDEN
from db.rows import (
    Business,
    BusinessSummary,
    CrawlRun,
    EvidenceRow,
    GapRow,
    PositionRow,
    Quote,
    ReplyRow,
    ReplyStats,
    ReportRow,
    ReviewText,
    RungCount,
    SignalChangeRow,
    SignalRow,
    SourceRow,
)
from db.search import fold_words


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
        "SELECT b.name, coalesce(r.lang, 'unknown'), count(*) FROM reviews r "
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


def crawl_run(db: Database, run_id: int) -> CrawlRun:
    """One crawl run by id (``KeyError`` if there is none)."""
    row = db.execute(
        "SELECT id, source_id, spider, started_at, finished_at, pid, pages, pages_empty, reviews_parsed, "
        "reviews_new, reviews_changed, dropped, dropped_reasons, errors, http_statuses, "
        "finish_reason, ok, health, log_path, coverage FROM crawl_runs WHERE id = ?",
        [run_id],
    ).fetchone()
    if row is None:
        raise KeyError(f"no crawl run {run_id}")
    values: list[Any] = list(row)
    values[12] = json.loads(values[12])
    values[14] = json.loads(values[14])
    values[16] = None if values[16] is None else bool(values[16])
    values[19] = json.loads(values[19])
    return CrawlRun(*values)


def count_reviews(db: Database) -> int:
    return int(db.execute("SELECT count(*) FROM reviews").fetchone()[0])


def search_reviews(db: Database, query: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """Reviews whose title or body match an FTS5 query; Vietnamese matches with or without marks
    (đ included: "đợi lâu" and "doi lau" find the same reviews, see :mod:`db.search`). No words
    find no review."""
    if not query.strip():
        return []
    cursor = db.execute(
        "SELECT r.review_key, b.name AS business, r.rating, r.title, r.body, r.published_at "
        "FROM reviews_fts JOIN reviews r ON r.id = reviews_fts.rowid "
        "JOIN businesses b ON b.id = r.business_id "
        "WHERE reviews_fts MATCH ? ORDER BY rank LIMIT ?",
        [fold_words(query), limit],
    )
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def reviews_to_classify(
    db: Database, version: str, *, batch: int = 2000
) -> Iterator[list[ReviewText]]:
    """Reviews with no rung yet, or one from another analysis version or an older text, in batches
    (keyset pagination: memory stays one batch whatever the table's size)."""
    last = 0
    while True:
        rows = db.execute(
            """
            SELECT r.id, r.content_hash, r.title, r.body, r.rating, r.lang, r.answers, r.reply_body
            FROM reviews r LEFT JOIN review_rungs c ON c.review_id = r.id
            WHERE r.id > ?
              AND (c.review_id IS NULL OR c.version != ? OR c.content_hash != r.content_hash)
            ORDER BY r.id LIMIT ?
            """,
            [last, version, batch],
        ).fetchall()
        if not rows:
            return
        yield [ReviewText(*row) for row in rows]
        last = rows[-1][0]


def businesses(db: Database) -> list[Business]:
    """Every business, ours first."""
    rows = db.execute("SELECT id, name, is_self FROM businesses ORDER BY is_self DESC, name")
    return [Business(id_, name, bool(is_self)) for id_, name, is_self in rows.fetchall()]


def published_span(db: Database) -> tuple[str, str] | None:
    """The oldest and newest ``published_at`` of all reviews, or None without reviews."""
    row = db.execute("SELECT min(published_at), max(published_at) FROM reviews").fetchone()
    return None if row[0] is None else (row[0], row[1])


def source_kinds(db: Database) -> list[str]:
    """The kinds of review sources (a ``signals`` source reads a site, not reviews)."""
    return [
        row[0]
        for row in db.execute(
            "SELECT DISTINCT kind FROM sources WHERE kind != 'signals' ORDER BY kind"
        )
    ]


def rung_counts(db: Database, start: str, end: str) -> list[RungCount]:
    """Rung counts of reviews published in ``[start, end)`` (UTC ISO), by business, dimension
    ("overall" or a SERVQUAL dimension), day since ``start`` (0–6), rung, repeat reviewer, source
    kind and whether the date is estimated: one pass over one week, from which every segment is
    summed."""
    cursor = db.execute(
        """
        WITH week AS (
            SELECT r.id, r.business_id, c.rung, s.kind,
                   EXISTS (SELECT 1 FROM temp.repeat_authors a
                           WHERE a.business_id = r.business_id AND a.author_hash = r.author_hash)
                       AS repeat,
                   CAST(julianday(r.published_at) - julianday(:start) AS INTEGER) AS day,
                   coalesce(r.date_precision = 'estimated', 0) AS estimated,
                   CASE WHEN c.fingerprint IS NULL THEN 1 ELSE count(*) OVER (
                       PARTITION BY r.business_id, c.fingerprint) END AS copies
            FROM reviews r
            JOIN review_rungs c ON c.review_id = r.id
            JOIN sources s ON s.id = r.source_id
            WHERE r.published_at >= :start AND r.published_at < :end
        ),
        weighted AS (
            SELECT *, CASE WHEN copies >= 3 THEN 1.0 / copies ELSE 1.0 END AS w FROM week
        )
        SELECT business_id, 'overall', day, rung, repeat, kind, count(*), sum(w), sum(w * w),
               sum(copies >= 3), estimated
        FROM weighted GROUP BY business_id, day, rung, repeat, kind, estimated
        UNION ALL
        SELECT w.business_id, d.dimension, w.day, d.rung, w.repeat, w.kind, count(*), sum(w.w),
               sum(w.w * w.w), sum(w.copies >= 3), w.estimated
        FROM weighted w JOIN review_dimensions d ON d.review_id = w.id
        GROUP BY w.business_id, d.dimension, w.day, d.rung, w.repeat, w.kind, w.estimated
        """,
        {"start": start, "end": end},
    )
    return list(map(RungCount._make, cursor.fetchall()))


def reply_stats(db: Database, start: str, end: str) -> list[ReplyStats]:
    """Owner replies to reviews published in ``[start, end)``: rate, on 1–2★ or rung ≤ 2, latency."""
    counts = db.execute(
        """
        SELECT r.business_id, count(*), sum(r.has_reply),
               sum(coalesce(r.rating <= 2, 0) OR coalesce(c.rung <= 2, 0)),
               sum((coalesce(r.rating <= 2, 0) OR coalesce(c.rung <= 2, 0)) AND r.has_reply)
        FROM reviews r LEFT JOIN review_rungs c ON c.review_id = r.id
        WHERE r.published_at >= ? AND r.published_at < ?
        GROUP BY r.business_id ORDER BY r.business_id
        """,
        [start, end],
    ).fetchall()
    latencies: dict[int, list[float]] = {}
    for business_id, hours in db.execute(
        "SELECT business_id, (julianday(replied_at) - julianday(published_at)) * 24 FROM reviews "
        "WHERE published_at >= ? AND published_at < ? AND has_reply AND replied_at >= published_at",
        [start, end],
    ):
        latencies.setdefault(business_id, []).append(hours)
    return [
        ReplyStats(
            business_id,
            reviews,
            replies,
            negative,
            negative_replies,
            latencies.get(business_id, []),
        )
        for business_id, reviews, replies, negative, negative_replies in counts
    ]


def reply_signatures(db: Database, start: str, end: str) -> list[tuple[int, bytes]]:
    """``(business_id, signature)`` of the owner replies to reviews published in ``[start, end)``
    (the MinHash signatures stored when the reviews were classified)."""
    return db.execute(
        "SELECT r.business_id, c.reply_signature FROM reviews r "
        "JOIN review_rungs c ON c.review_id = r.id "
        "WHERE r.published_at >= ? AND r.published_at < ? AND r.has_reply "
        "AND c.reply_signature IS NOT NULL ORDER BY r.id",
        [start, end],
    ).fetchall()


def setting(db: Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def review_state(db: Database) -> tuple[int, int]:
    """``(count, highest rowid)`` of reviews: changes whenever a review is added or removed."""
    count, highest = db.execute("SELECT count(*), coalesce(max(rowid), 0) FROM reviews").fetchone()
    return int(count), int(highest)


def week_positions(
    db: Database, week: str, segment: str = "all", dimension: str | None = "overall"
) -> list[PositionRow]:
    """Stored positions of one week, ranked first (then by score), ours first on a tie."""
    where = "p.week = ? AND p.segment = ?"
    parameters: list[Any] = [week, segment]
    if dimension is not None:
        where += " AND p.dimension = ?"
        parameters.append(dimension)
    cursor = db.execute(
        f"""
        SELECT p.week, p.business_id, b.name, b.is_self, p.segment, p.dimension, p.reviews,
               p.n_effective, p.score, p.low, p.high, p.rung_held, p.losing_share, p.losing_upper,
               p.shares, p.enough, p.rank, p.delta, p.velocity
        FROM weekly_positions p JOIN businesses b ON b.id = p.business_id
        WHERE {where}
        ORDER BY p.dimension, p.rank IS NULL, p.rank, p.score DESC, b.is_self DESC
        """,  # noqa: S608 - the where clause is built from constants
        parameters,
    )
    rows = []
    for row in cursor.fetchall():
        values = list(row)
        values[3] = bool(values[3])
        values[14] = json.loads(values[14])
        values[15] = bool(values[15])
        rows.append(PositionRow(*values))
    return rows


def week_gaps(db: Database, week: str, segment: str = "all") -> list[GapRow]:
    cursor = db.execute(
        "SELECT week, segment, dimension, kind, versus, versus_business_id, ours, theirs, gap, "
        "probability, verdict, note FROM weekly_gaps WHERE week = ? AND segment = ? "
        "ORDER BY kind, dimension, versus",
        [week, segment],
    )
    return [GapRow(*row) for row in cursor.fetchall()]


def analysed_weeks(db: Database, segment: str = "all") -> list[str]:
    """Weeks with stored positions, oldest first."""
    cursor = db.execute(
        "SELECT DISTINCT week FROM weekly_positions WHERE segment = ? ORDER BY week", [segment]
    )
    return [row[0] for row in cursor]


def analysed_segments(db: Database) -> list[str]:
    return [row[0] for row in db.execute("SELECT DISTINCT segment FROM weekly_positions")]


def business_evidence(
    db: Database, business_id: int, start: str, end: str, *, limit: int = 2000
) -> list[EvidenceRow]:
    """The evidence spans behind a business's reviews published in ``[start, end)``, newest
    first (the review text itself is not returned: only the spans that decided something)."""
    cursor = db.execute(
        """
        SELECT c.evidence, c.rung, r.published_at FROM reviews r
        JOIN review_rungs c ON c.review_id = r.id
        WHERE r.business_id = ? AND r.published_at >= ? AND r.published_at < ?
        ORDER BY r.published_at DESC LIMIT ?
        """,
        [business_id, start, end, limit],
    )
    found = []
    for evidence, rung, published_at in cursor:
        for item in json.loads(evidence):
            if item["text"]:
                found.append(EvidenceRow(item["signal"], item["text"], rung, published_at))
    return found


def sources(db: Database) -> list[SourceRow]:
    """Every source, ours first."""
    cursor = db.execute(
        "SELECT s.id, b.name, b.is_self, s.kind, s.url FROM sources s "
        "JOIN businesses b ON b.id = s.business_id ORDER BY b.is_self DESC, b.name, s.kind, s.url"
    )
    return [
        SourceRow(id_, name, bool(is_self), kind, url) for id_, name, is_self, kind, url in cursor
    ]


def source_runs(db: Database, source_id: int, *, limit: int = 20) -> list[CrawlRun]:
    """A source's most recent crawl runs, newest first."""
    ids = db.execute(
        "SELECT id FROM crawl_runs WHERE source_id = ? ORDER BY started_at DESC, id DESC LIMIT ?",
        [source_id, limit],
    ).fetchall()
    return [crawl_run(db, run_id) for (run_id,) in ids]


def signal_observations(db: Database, *, last: int = 2) -> list[SignalRow]:
    """The last ``last`` observations of every signals source, newest first per source."""
    cursor = db.execute(
        """
        WITH observations AS (
            SELECT source_id, observed_at,
                   dense_rank() OVER (PARTITION BY source_id ORDER BY observed_at DESC) AS age
            FROM (SELECT DISTINCT source_id, observed_at FROM service_signals)
        )
        SELECT b.name, b.is_self, s.source_id, s.observed_at, s.name, s.value, s.unit, s.url,
               s.evidence
        FROM service_signals s
        JOIN observations o ON o.source_id = s.source_id AND o.observed_at = s.observed_at
        JOIN businesses b ON b.id = s.business_id
        WHERE o.age <= ?
        ORDER BY b.is_self DESC, b.name, s.source_id, s.observed_at DESC, s.name, s.id
        """,
        [last],
    )
    return [
        SignalRow(
            name,
            bool(is_self),
            source_id,
            observed_at,
            signal,
            json.loads(value),
            unit,
            url,
            evidence,
        )
        for name, is_self, source_id, observed_at, signal, value, unit, url, evidence in cursor
    ]


def latest_replies(db: Database) -> list[ReplyRow]:
    """Each business's owner-reply figures in the latest analysed week (trailing window)."""
    cursor = db.execute(
        """
        SELECT r.week, b.name, r.reviews, r.replies, r.reply_rate, r.rate_low, r.rate_high,
               r.negative_reviews, r.negative_reply_rate, r.negative_rate_low,
               r.negative_rate_high, r.median_latency_hours, r.templated_share
        FROM weekly_replies r JOIN businesses b ON b.id = r.business_id
        WHERE r.week = (SELECT max(week) FROM weekly_replies)
        ORDER BY b.is_self DESC, b.name
        """
    )
    return [ReplyRow(*row) for row in cursor]


def week_replies(db: Database, week: str) -> list[ReplyRow]:
    """Every business's owner-reply figures in one analysed week (trailing window)."""
    cursor = db.execute(
        """
        SELECT r.week, b.name, r.reviews, r.replies, r.reply_rate, r.rate_low, r.rate_high,
               r.negative_reviews, r.negative_reply_rate, r.negative_rate_low,
               r.negative_rate_high, r.median_latency_hours, r.templated_share
        FROM weekly_replies r JOIN businesses b ON b.id = r.business_id
        WHERE r.week = ?
        ORDER BY b.is_self DESC, b.name
        """,
        [week],
    )
    return [ReplyRow(*row) for row in cursor]


def flood_days(db: Database, week: str) -> dict[str, int]:
    """Days down-weighted as floods in one week, per business name."""
    return dict(
        db.execute(
            "SELECT b.name, count(DISTINCT f.day) FROM weekly_flags f "
            "JOIN businesses b ON b.id = f.business_id WHERE f.week = ? GROUP BY b.name",
            [week],
        ).fetchall()
    )


def dimension_quotes(
    db: Database,
    business_id: int,
    dimension: str,
    positive: bool,
    start: str,
    end: str,
    *,
    limit: int = 3,
) -> list[Quote]:
    """The newest reviews in ``[start, end)`` that praise (``positive``) or fault a dimension, each
    with the first evidence span about it (offsets into :func:`analysis.ladder.review_text`)."""
    signal = f"{dimension} {'+' if positive else '−'}"
    cursor = db.execute(
        f"""
        SELECT r.title, r.body, r.answers, c.evidence, r.published_at FROM reviews r
        JOIN review_dimensions d ON d.review_id = r.id
        JOIN review_rungs c ON c.review_id = r.id
        WHERE r.business_id = ? AND d.dimension = ? AND d.polarity {">" if positive else "<"} 0
          AND r.published_at >= ? AND r.published_at < ?
        ORDER BY c.conflict, r.published_at DESC LIMIT ?
        """,  # noqa: S608 - the comparison is one of two constants
        [business_id, dimension, start, end, limit * 4],
    )
    quotes = []
    for title, body, answers, evidence, published_at in cursor:
        span = next((e for e in json.loads(evidence) if e["signal"] == signal), None)
        if span is not None:
            quotes.append(Quote(title, body, answers, span["start"], span["end"], published_at))
        if len(quotes) == limit:
            break
    return quotes


def signal_change_rows(db: Database, *, since: str) -> list[SignalChangeRow]:
    """What changed on each business's site between its last two observations, when the latest
    is from ``since`` on (the ``signal_changes`` view)."""
    cursor = db.execute(
        """
        SELECT b.name, b.is_self, c.change, c.name, c.before, c.after, c.unit, c.observed_at
        FROM signal_changes c JOIN businesses b ON b.id = c.business_id
        WHERE c.observed_at >= ?
        ORDER BY b.is_self DESC, b.name, c.name
        """,
        [since],
    )
    return [
        SignalChangeRow(
            name,
            bool(is_self),
            change,
            signal,
            None if before is None else json.loads(before),
            None if after is None else json.loads(after),
            unit,
            observed_at,
        )
        for name, is_self, change, signal, before, after, unit, observed_at in cursor
    ]


def delivered_reports(db: Database, week: str) -> list[ReportRow]:
    """The reports of ``week`` that were sent or are waiting in the outbox."""
    cursor = db.execute(
        "SELECT week, language, subject, message_id, recipients, written_at, status, sent_at "
        "FROM reports WHERE week = ? AND status IN ('sent', 'queued') ORDER BY id",
        [week],
    )
    return [
        ReportRow(w, lang, subject, mid, json.loads(recipients), written, status, sent)
        for w, lang, subject, mid, recipients, written, status, sent in cursor
    ]


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
