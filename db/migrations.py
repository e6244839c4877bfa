"""The schema, as an ordered list of migrations (``sqlite_utils.Migrations("ladder")``).

Never edit an applied migration: add a new one. Each runs inside one transaction, and the whole set is
applied under ``BEGIN IMMEDIATE`` so two processes opening a new database at once do not race.
"""

from __future__ import annotations

import secrets
import sqlite3
from pathlib import Path

from sqlite_utils import Database, Migrations

from db.exceptions import DatabaseError
from db.identity import identity_scope, review_identity
from db.transaction import write_transaction

migrations = Migrations("ladder")


def apply_migrations(db: Database, path: Path | str = "database") -> None:
    """Apply pending migrations; refuse a database written by a newer version."""
    known = {m.name for m in migrations._migrations}
    unknown = [m.name for m in migrations.applied(db) if m.name not in known]
    if unknown:
        raise DatabaseError(
            f"{path}: written by a newer Service Ladder (unknown migration {unknown[0]!r}); "
            "upgrade Service Ladder to use this database"
        )
    if not migrations.pending(db):
        return
    with write_transaction(db):  # a second process opening a new database waits here
        migrations.apply(db)


# The review text as indexed for full-text search: unicode61 with remove_diacritics 2 folds
# "lại" to "lai", but "đ" is a letter of its own, so a copy with đ → d is appended when present.
_FOLD = (
    "coalesce({c}, '') || CASE WHEN instr({c}, 'đ') OR instr({c}, 'Đ') "
    "THEN ' ' || replace(replace({c}, 'đ', 'd'), 'Đ', 'D') ELSE '' END"
)


def _fts_values(prefix: str) -> str:
    return ", ".join(_FOLD.format(c=f"{prefix}.{column}") for column in ("title", "body"))


def _execute_script(db: Database, script: str) -> None:
    """Run statements one by one: ``executescript`` would COMMIT the migration's transaction."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in migration: {statement!r}")


@migrations()
def m001_initial(db: Database) -> None:
    _execute_script(
        db,
        """
        CREATE TABLE businesses (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            is_self INTEGER NOT NULL DEFAULT 0 CHECK (is_self IN (0, 1)),
            created_at TEXT NOT NULL
        );
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            business_id INTEGER NOT NULL REFERENCES businesses(id),
            kind TEXT NOT NULL,
            url TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (business_id, kind, url)
        );
        CREATE TABLE reviews (
            id INTEGER PRIMARY KEY,
            review_key TEXT NOT NULL UNIQUE,
            business_id INTEGER NOT NULL REFERENCES businesses(id),
            source_id INTEGER NOT NULL REFERENCES sources(id),
            native_id TEXT,
            rating REAL CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
            rating_raw TEXT,
            rating_scale REAL,
            title TEXT,
            body TEXT,
            lang TEXT,
            author_hash TEXT,
            published_at TEXT NOT NULL,
            reply_body TEXT,
            replied_at TEXT,
            verified INTEGER CHECK (verified IS NULL OR verified IN (0, 1)),
            answers TEXT,
            url TEXT,
            content_hash TEXT NOT NULL,
            first_seen_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            CHECK (rating IS NOT NULL OR coalesce(title, body) IS NOT NULL)
        );
        CREATE INDEX reviews_business_published ON reviews (business_id, published_at);
        CREATE INDEX reviews_source_published ON reviews (source_id, published_at);

        CREATE VIRTUAL TABLE reviews_fts USING fts5 (
            title, body,
            content="reviews", content_rowid="id",
            tokenize="unicode61 remove_diacritics 2"
        );
        CREATE TRIGGER reviews_ai AFTER INSERT ON reviews BEGIN
            INSERT INTO reviews_fts (rowid, title, body) VALUES (new.id, NEW_VALUES);
        END;
        CREATE TRIGGER reviews_ad AFTER DELETE ON reviews BEGIN
            INSERT INTO reviews_fts (reviews_fts, rowid, title, body)
            VALUES ('delete', old.id, OLD_VALUES);
        END;
        CREATE TRIGGER reviews_au AFTER UPDATE OF title, body ON reviews BEGIN
            INSERT INTO reviews_fts (reviews_fts, rowid, title, body)
            VALUES ('delete', old.id, OLD_VALUES);
            INSERT INTO reviews_fts (rowid, title, body) VALUES (new.id, NEW_VALUES);
        END;

        CREATE TABLE crawl_runs (
            id INTEGER PRIMARY KEY,
            source_id INTEGER REFERENCES sources(id),
            spider TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            pid INTEGER,
            pages INTEGER NOT NULL DEFAULT 0,
            pages_empty INTEGER NOT NULL DEFAULT 0,
            reviews_parsed INTEGER NOT NULL DEFAULT 0,
            reviews_new INTEGER NOT NULL DEFAULT 0,
            reviews_changed INTEGER NOT NULL DEFAULT 0,
            dropped INTEGER NOT NULL DEFAULT 0,
            dropped_reasons TEXT NOT NULL DEFAULT '{}',
            errors INTEGER NOT NULL DEFAULT 0,
            http_statuses TEXT NOT NULL DEFAULT '{}',
            finish_reason TEXT,
            ok INTEGER CHECK (ok IN (0, 1)),
            health TEXT,
            coverage TEXT NOT NULL DEFAULT '{}',
            log_path TEXT
        );
        CREATE INDEX crawl_runs_source_started ON crawl_runs (source_id, started_at);

        CREATE TABLE aggregate_ratings (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources(id),
            run_id INTEGER REFERENCES crawl_runs(id),
            observed_at TEXT NOT NULL,
            rating REAL CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
            rating_raw TEXT,
            rating_scale REAL,
            review_count INTEGER,
            details TEXT
        );

        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """.replace("NEW_VALUES", _fts_values("new")).replace("OLD_VALUES", _fts_values("old")),
    )
    db.execute(
        "INSERT INTO settings (key, value) VALUES ('author_salt', ?)", [secrets.token_hex(16)]
    )


@migrations()
def m002_analysis(db: Database) -> None:
    """The ladder's results: each review's rung, and weekly positions, gaps and flags."""
    _execute_script(
        db,
        """
        CREATE TABLE review_rungs (
            review_id INTEGER PRIMARY KEY REFERENCES reviews(id) ON DELETE CASCADE,
            rung INTEGER NOT NULL CHECK (rung BETWEEN 1 AND 6),
            confidence REAL NOT NULL CHECK (confidence BETWEEN 0 AND 1),
            conflict INTEGER NOT NULL CHECK (conflict IN (0, 1)),
            lang TEXT,
            evidence TEXT NOT NULL DEFAULT '[]',
            fingerprint TEXT,
            content_hash TEXT NOT NULL,
            version TEXT NOT NULL,
            classified_at TEXT NOT NULL
        );
        CREATE TABLE review_dimensions (
            review_id INTEGER NOT NULL REFERENCES reviews(id) ON DELETE CASCADE,
            dimension TEXT NOT NULL,
            polarity REAL NOT NULL CHECK (polarity BETWEEN -1 AND 1),
            rung INTEGER NOT NULL CHECK (rung BETWEEN 1 AND 6),
            PRIMARY KEY (review_id, dimension)
        ) WITHOUT ROWID;
        CREATE INDEX review_dimensions_dimension ON review_dimensions (dimension);

        CREATE TABLE weekly_positions (
            week TEXT NOT NULL,
            business_id INTEGER NOT NULL REFERENCES businesses(id),
            segment TEXT NOT NULL,
            dimension TEXT NOT NULL,
            reviews INTEGER NOT NULL,
            weight REAL NOT NULL,
            n_effective REAL NOT NULL,
            score REAL,
            low REAL,
            high REAL,
            rung_held INTEGER,
            losing_share REAL,
            losing_upper REAL,
            shares TEXT NOT NULL,
            enough INTEGER NOT NULL CHECK (enough IN (0, 1)),
            rank INTEGER,
            delta REAL,
            velocity REAL,
            version TEXT NOT NULL,
            computed_at TEXT NOT NULL,
            PRIMARY KEY (week, segment, dimension, business_id)
        );
        CREATE TABLE weekly_gaps (
            week TEXT NOT NULL,
            segment TEXT NOT NULL,
            business_id INTEGER NOT NULL REFERENCES businesses(id),
            versus TEXT NOT NULL,
            versus_business_id INTEGER REFERENCES businesses(id),
            dimension TEXT NOT NULL,
            kind TEXT NOT NULL,
            ours REAL,
            theirs REAL,
            gap REAL,
            probability REAL,
            verdict TEXT NOT NULL CHECK (verdict IN ('behind', 'ahead', 'even')),
            note TEXT,
            PRIMARY KEY (week, segment, kind, dimension, versus)
        );
        CREATE TABLE weekly_replies (
            week TEXT NOT NULL,
            business_id INTEGER NOT NULL REFERENCES businesses(id),
            reviews INTEGER NOT NULL,
            replies INTEGER NOT NULL,
            reply_rate REAL,
            rate_low REAL,
            rate_high REAL,
            negative_reviews INTEGER NOT NULL,
            negative_replies INTEGER NOT NULL,
            negative_reply_rate REAL,
            median_latency_hours REAL,
            PRIMARY KEY (week, business_id)
        );
        CREATE TABLE weekly_flags (
            week TEXT NOT NULL,
            business_id INTEGER NOT NULL REFERENCES businesses(id),
            day TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('flood', 'duplicates')),
            reviews INTEGER NOT NULL,
            expected REAL,
            weight REAL NOT NULL,
            PRIMARY KEY (week, business_id, day, kind)
        );
        """,
    )


@migrations()
def m003_weekly_indexes(db: Database) -> None:
    """The weekly analysis reads one week of reviews at a time, across all businesses: an index
    holding everything it needs of them, so it never reads the reviews' text."""
    db.execute(
        "ALTER TABLE reviews ADD COLUMN has_reply INTEGER "
        "GENERATED ALWAYS AS (reply_body IS NOT NULL) VIRTUAL"
    )
    db.execute(
        "CREATE INDEX reviews_week ON reviews "
        "(published_at, business_id, source_id, author_hash, verified, rating, has_reply, replied_at)"
    )


@migrations()
def m004_job_runs(db: Database) -> None:
    """What the scheduler service ran: every job, its outcome and how long it took."""
    _execute_script(
        db,
        """
        CREATE TABLE job_runs (
            id INTEGER PRIMARY KEY,
            job_id TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            seconds REAL,
            ok INTEGER CHECK (ok IN (0, 1)),
            message TEXT
        );
        CREATE INDEX job_runs_job_started ON job_runs (job_id, started_at);
        """,
    )


@migrations()
def m005_service_signals(db: Database) -> None:
    """What businesses' own sites say about their service, each crawl an observation; and what
    changed between a source's last two observations."""
    _execute_script(
        db,
        """
        CREATE TABLE service_signals (
            id INTEGER PRIMARY KEY,
            business_id INTEGER NOT NULL REFERENCES businesses(id),
            source_id INTEGER NOT NULL REFERENCES sources(id),
            run_id INTEGER REFERENCES crawl_runs(id),
            observed_at TEXT NOT NULL,
            name TEXT NOT NULL,
            value TEXT NOT NULL,
            unit TEXT,
            url TEXT,
            evidence TEXT
        );
        CREATE INDEX service_signals_source ON service_signals (source_id, observed_at);

        CREATE VIEW signal_changes AS
        WITH observations AS (
            SELECT source_id, observed_at,
                   dense_rank() OVER (PARTITION BY source_id ORDER BY observed_at DESC) AS age
            FROM (SELECT DISTINCT source_id, observed_at FROM service_signals)
        ),
        latest AS (
            SELECT s.* FROM service_signals s JOIN observations o
            ON o.source_id = s.source_id AND o.observed_at = s.observed_at AND o.age = 1
        ),
        previous AS (
            SELECT s.* FROM service_signals s JOIN observations o
            ON o.source_id = s.source_id AND o.observed_at = s.observed_at AND o.age = 2
        ),
        -- a name with one value in each observation: a different value is a change, not new + gone
        single AS (
            SELECT source_id, name FROM latest GROUP BY source_id, name HAVING count(*) = 1
            INTERSECT
            SELECT source_id, name FROM previous GROUP BY source_id, name HAVING count(*) = 1
        )
        SELECT l.business_id, l.source_id, l.name, 'changed' AS change, p.value AS before,
               l.value AS after, l.unit, l.observed_at, l.evidence
        FROM latest l
        JOIN previous p ON p.source_id = l.source_id AND p.name = l.name
        JOIN single s ON s.source_id = l.source_id AND s.name = l.name
        WHERE l.value != p.value
        UNION ALL
        SELECT l.business_id, l.source_id, l.name, 'new', NULL, l.value, l.unit, l.observed_at,
               l.evidence
        FROM latest l
        WHERE EXISTS (SELECT 1 FROM previous p WHERE p.source_id = l.source_id)
          AND NOT EXISTS (SELECT 1 FROM previous p WHERE p.source_id = l.source_id
                          AND p.name = l.name AND p.value = l.value)
          AND NOT EXISTS (SELECT 1 FROM single s WHERE s.source_id = l.source_id
                          AND s.name = l.name)
        UNION ALL
        SELECT p.business_id, p.source_id, p.name, 'gone', p.value, NULL, p.unit,
               (SELECT max(observed_at) FROM latest x WHERE x.source_id = p.source_id), p.evidence
        FROM previous p
        WHERE EXISTS (SELECT 1 FROM latest l WHERE l.source_id = p.source_id)
          AND NOT EXISTS (SELECT 1 FROM latest l WHERE l.source_id = p.source_id
                          AND l.name = p.name AND l.value = p.value)
          AND NOT EXISTS (SELECT 1 FROM single s WHERE s.source_id = p.source_id
                          AND s.name = p.name);
        """,
    )


@migrations()
def m006_reply_templates(db: Database) -> None:
    """Weekly replies: the interval of the negative-review reply rate, and templated replies; each
    classified review keeps its owner reply's MinHash signature (``analysis.replies``)."""
    db.execute("ALTER TABLE review_rungs ADD COLUMN reply_signature BLOB")
    for column in (
        "negative_rate_low REAL",
        "negative_rate_high REAL",
        "templated_replies INTEGER",
        "templated_share REAL",
    ):
        db.execute(f"ALTER TABLE weekly_replies ADD COLUMN {column}")


@migrations()
def m007_reports(db: Database) -> None:
    """Every weekly report written: where it went and whether it was delivered, so a report is
    never sent twice and a failed one is not forgotten."""
    _execute_script(
        db,
        """
        CREATE TABLE reports (
            id INTEGER PRIMARY KEY,
            week TEXT NOT NULL,
            language TEXT NOT NULL,
            subject TEXT NOT NULL,
            message_id TEXT NOT NULL UNIQUE,
            recipients TEXT NOT NULL DEFAULT '[]',
            written_at TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('written', 'sent', 'queued')),
            sent_at TEXT,
            error TEXT
        );
        CREATE INDEX reports_week ON reports (week, status);
        """,
    )


@migrations()
def m008_views(db: Database) -> None:
    """The documented views (``docs/queries.md``) and the rung and dimension names they use: the
    database's public interface, stable across versions."""
    _execute_script(
        db,
        """
        CREATE TABLE rungs (
            rung INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            name_vi TEXT NOT NULL,
            customers TEXT NOT NULL
        );
        INSERT INTO rungs VALUES
            (1, 'Bad', 'Tệ', 'complain, angrily'),
            (2, 'Basic', 'Cơ bản', 'do not complain; tell friends; never return'),
            (3, 'Normal', 'Bình thường', 'return only without an alternative'),
            (4, 'Good', 'Tốt', 'have their expectations met; return'),
            (5, 'Surprising', 'Đáng ngạc nhiên', 'get more than expected; return and recommend'),
            (6, 'Unbelievable', 'Không thể tin nổi', 'never forget it; evangelise');
        CREATE TABLE dimensions (
            dimension TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            name_vi TEXT NOT NULL,
            meaning TEXT NOT NULL
        );
        INSERT INTO dimensions VALUES
            ('overall', 'Overall', 'Tổng thể', 'all reviews, whatever they mention'),
            ('tangibles', 'Tangibles', 'Hữu hình', 'place, equipment, staff appearance, packaging'),
            ('reliability', 'Reliability', 'Tin cậy', 'does what was promised, accurately'),
            ('responsiveness', 'Responsiveness', 'Đáp ứng', 'willing and quick to help'),
            ('assurance', 'Assurance', 'Đảm bảo', 'competent, courteous, trustworthy'),
            ('empathy', 'Empathy', 'Đồng cảm', 'caring, individual attention, convenience');

        CREATE VIEW ranking AS
        SELECT p.week, p.segment, p.rank, b.name AS business, b.is_self, p.score, p.low, p.high,
               r.rung, r.name AS rung_name, r.name_vi AS rung_name_vi, p.delta,
               round(p.velocity * 52.0 / 12, 4) AS per_month, p.n_effective AS reviews,
               p.reviews AS reviews_this_week, p.losing_share, p.enough
        FROM weekly_positions p
        JOIN businesses b ON b.id = p.business_id
        JOIN rungs r ON r.rung = min(6, max(1, cast(p.score + 0.5 AS INTEGER)))
        WHERE p.dimension = 'overall';

        CREATE VIEW latest_ranking AS
        SELECT * FROM ranking
        WHERE segment = 'all' AND week = (SELECT max(week) FROM weekly_positions)
        ORDER BY rank IS NULL, rank, score DESC;

        CREATE VIEW gaps AS
        SELECT g.week, g.segment, g.dimension, d.name AS dimension_name, g.versus, g.ours,
               g.theirs, g.gap, g.probability, g.verdict
        FROM weekly_gaps g JOIN dimensions d ON d.dimension = g.dimension
        WHERE g.kind = 'score';

        CREATE VIEW reviews_on_ladder AS
        SELECT v.id, b.name AS business, b.is_self, s.kind AS source_kind, v.published_at,
               v.rating, c.rung, r.name AS rung_name, c.confidence, c.conflict, c.lang, v.title,
               v.body, c.evidence, v.reply_body, v.replied_at, v.verified, v.url
        FROM reviews v
        JOIN businesses b ON b.id = v.business_id
        JOIN sources s ON s.id = v.source_id
        LEFT JOIN review_rungs c ON c.review_id = v.id
        LEFT JOIN rungs r ON r.rung = c.rung;

        CREATE VIEW review_evidence AS
        SELECT v.id AS review_id, b.name AS business, b.is_self, v.published_at, c.rung,
               json_extract(e.value, '$.signal') AS signal,
               json_extract(e.value, '$.text') AS phrase
        FROM reviews v
        JOIN review_rungs c ON c.review_id = v.id
        JOIN businesses b ON b.id = v.business_id
        JOIN json_each(c.evidence) e;

        CREATE VIEW latest_complaints AS
        SELECT * FROM (
            SELECT b.name AS business, b.is_self, v.published_at, c.rung,
                   r.name AS rung_name, v.rating, v.title, v.body, c.evidence,
                   v.reply_body IS NOT NULL AS replied, v.url,
                   row_number() OVER (PARTITION BY v.business_id ORDER BY v.published_at DESC)
                       AS recency
            FROM reviews v
            JOIN review_rungs c ON c.review_id = v.id
            JOIN businesses b ON b.id = v.business_id
            JOIN rungs r ON r.rung = c.rung
            WHERE c.rung <= 2
        )
        WHERE recency <= 20;

        CREATE VIEW replies_by_week AS
        SELECT w.week, b.name AS business, b.is_self, w.reviews, w.replies, w.reply_rate,
               w.rate_low, w.rate_high, w.negative_reviews, w.negative_replies,
               w.negative_reply_rate, w.negative_rate_low, w.negative_rate_high,
               w.median_latency_hours, w.templated_replies, w.templated_share
        FROM weekly_replies w JOIN businesses b ON b.id = w.business_id;

        CREATE VIEW service_changes AS
        SELECT b.name AS business, b.is_self, s.url AS site, c.change, c.name AS signal, c.before,
               c.after, c.unit, c.observed_at, c.evidence
        FROM signal_changes c
        JOIN businesses b ON b.id = c.business_id
        JOIN sources s ON s.id = c.source_id;

        CREATE VIEW source_health AS
        WITH finished AS (
            SELECT r.*, row_number() OVER (PARTITION BY r.source_id ORDER BY r.started_at DESC)
                       AS age
            FROM crawl_runs r WHERE r.finished_at IS NOT NULL
        )
        SELECT s.id AS source_id, b.name AS business, s.kind, s.url,
               last.finished_at AS last_crawl_at, last.ok AS last_crawl_ok,
               last.health AS last_crawl_health, last.pages AS last_crawl_pages,
               last.reviews_new AS last_crawl_new,
               (SELECT max(f.finished_at) FROM finished f WHERE f.source_id = s.id AND f.ok)
                   AS last_success_at,
               (SELECT count(*) FROM finished f WHERE f.source_id = s.id AND NOT f.ok
                  AND f.started_at > coalesce((SELECT max(g.started_at) FROM finished g
                                               WHERE g.source_id = s.id AND g.ok), ''))
                   AS failures_since_success,
               (SELECT count(*) FROM finished f WHERE f.source_id = s.id) AS crawls
        FROM sources s
        JOIN businesses b ON b.id = s.business_id
        LEFT JOIN finished last ON last.source_id = s.id AND last.age = 1;
        """,
    )


@migrations()
def m009_walks(db: Database) -> None:
    """When each source's listing was last read through to its end (or to reviews already stored
    by such a read): a crawl stops early only at pages settled by then, so a crawl killed halfway is
    completed by the next one. Existing sources count their last healthy crawl."""
    db.execute("ALTER TABLE sources ADD COLUMN walk_completed_at TEXT")
    db.execute(
        "UPDATE sources SET walk_completed_at = (SELECT max(finished_at) FROM crawl_runs r "
        "WHERE r.source_id = sources.id AND r.ok = 1)"
    )


@migrations()
def m010_remote_runs(db: Database) -> None:
    """Crawls run on Scrapyd nodes: the node and the job that crawled, and what happened to an
    earlier attempt when the crawl had to be retried on another node."""
    db.execute("ALTER TABLE crawl_runs ADD COLUMN node TEXT")
    db.execute("ALTER TABLE crawl_runs ADD COLUMN job_id TEXT")
    db.execute("ALTER TABLE crawl_runs ADD COLUMN retried TEXT")


@migrations()
def m011_review_identity(db: Database) -> None:
    """Each review without a native id gets its identity (``db.identity``): who it is whatever
    date the site shows, so a re-crawl after a site re-dated its reviews finds them again instead
    of storing them twice. Indexed for the writer's lookup; reviews with a native id have none.
    ``shown_at`` is the date a review showed when last seen, once it differs from the first
    (``published_at``, kept): a site that moves its dates every week is followed from week to week.

    The identities are computed by :func:`db.identity.review_identity` as it is now: a change to it
    needs a migration that computes them again."""
    db.execute("ALTER TABLE reviews ADD COLUMN identity TEXT")
    db.execute("ALTER TABLE reviews ADD COLUMN shown_at TEXT")
    db.execute("CREATE INDEX reviews_identity ON reviews (identity) WHERE identity IS NOT NULL")
    scopes = {
        source_id: identity_scope(business_id, kind, url)
        for source_id, business_id, kind, url in db.execute(
            "SELECT id, business_id, kind, url FROM sources"
        )
    }

    def identity(
        source_id: int, title: str | None, body: str | None, author: str | None, rating: float
    ) -> str | None:
        row = {"title": title, "body": body, "author_hash": author, "rating": rating}
        return review_identity(scopes[source_id], row) if source_id in scopes else None

    db.conn.create_function("ladder_review_identity", 5, identity, deterministic=True)
    db.execute(
        "UPDATE reviews SET identity = "
        "ladder_review_identity(source_id, title, body, author_hash, rating) "
        "WHERE coalesce(native_id, '') = ''"
    )


@migrations()
def m012_date_precision(db: Database) -> None:
    """How exactly each review's ``published_at`` is known: NULL as the site gave it (a day or a
    time), ``month`` or ``year`` when the site showed no finer, ``estimated`` when it showed no
    readable date and the review is dated when first seen (kept out of velocity). Reviews stored
    before had their dates as given: they stay NULL."""
    db.execute(
        "ALTER TABLE reviews ADD COLUMN date_precision TEXT "
        "CHECK (date_precision IN ('month', 'year', 'estimated'))"
    )
