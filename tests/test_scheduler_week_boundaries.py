"""The week turns at local midnight, everywhere at once.

The demo world, the analysis and the report all take "this week" from one clock and one time
zone (the config's): at any instant of the week, on both sides of every boundary (UTC midnight,
local midnight, Sunday/Monday, year end, ISO week 53), the last complete week is a full one.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from analysis.settings import AnalysisSettings
from analysis.weeks import last_complete_week, week_label
from db import open_db
from db.queries import analysed_weeks
from db.reviews import REVIEW_FIELDS, content_hash
from db.store import sync_business, sync_source
from scheduler.analyze.refresh import analyze
from scheduler.demo.world import DEMO_ZONE, build_world

WEEKS = 6
SECOND = timedelta(seconds=1)
LOCAL_MIDNIGHT = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)  # Monday 00:00 in Hồ Chí Minh City
INSTANTS = {
    "a local Monday's first second": LOCAL_MIDNIGHT,
    "the local Sunday's last second": LOCAL_MIDNIGHT - SECOND,
    "local Monday, UTC Sunday": LOCAL_MIDNIGHT + timedelta(hours=5),
    "UTC midnight, Sunday to Monday": datetime(2026, 11, 30, 0, 0, tzinfo=UTC),
    "the last UTC second of Sunday": datetime(2026, 11, 30, 0, 0, tzinfo=UTC) - SECOND,
    "Wednesday noon": datetime(2026, 12, 2, 5, 0, tzinfo=UTC),
    "the local year's last second": datetime(2025, 12, 31, 17, 0, tzinfo=UTC) - SECOND,
    "the local new year": datetime(2025, 12, 31, 17, 0, tzinfo=UTC),
    "the UTC new year": datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
    "inside ISO week 53": datetime(2020, 12, 31, 5, 0, tzinfo=UTC),
    "ISO week 53 has just ended": datetime(2021, 1, 3, 17, 0, tzinfo=UTC),
    "ISO week 53 ends in a second": datetime(2021, 1, 3, 17, 0, tzinfo=UTC) - SECOND,
}


def store_world(path: Path, now: datetime) -> None:
    """The demo world as of ``now``, written as the crawl would store it."""
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    columns = (*REVIEW_FIELDS, "content_hash", "first_seen_at", "last_seen_at")
    insert = f"INSERT INTO reviews ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608
    with contextlib.closing(open_db(path)) as db:
        rows = []
        for b, business in enumerate(build_world(now, weeks=WEEKS)):
            business_id = sync_business(db, business.name, is_self=business.is_self)
            source_id = sync_source(db, business_id, "schemaorg", f"http://127.0.0.1/{b}")
            for review in business.reviews:
                row = {
                    "review_key": f"{b}:{review.native_id}",
                    "business_id": business_id,
                    "source_id": source_id,
                    "native_id": review.native_id,
                    "published_at": review.published_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "rating": float(review.rating),
                    "rating_raw": str(review.rating),
                    "rating_scale": 5.0,
                    "title": review.title,
                    "body": review.body,
                    "lang": review.lang,
                    "author_hash": None,
                    "reply_body": review.reply_body,
                    "replied_at": None,
                    "verified": None,
                    "answers": None,
                    "url": None,
                }
                rows.append((*(row[f] for f in REVIEW_FIELDS), content_hash(row), stamp, stamp))
        with db.conn:
            db.conn.executemany(insert, rows)


@pytest.mark.parametrize("now", INSTANTS.values(), ids=INSTANTS.keys())
def test_the_last_complete_week_is_a_full_week_at_any_instant(
    tmp_path: Path, now: datetime
) -> None:
    path = tmp_path / "ladder.db"
    store_world(path, now)
    tz = ZoneInfo(DEMO_ZONE.key)
    last = week_label(last_complete_week(now, tz))
    with contextlib.closing(open_db(path)) as db:
        analyze(db, AnalysisSettings(), tz, now=now)
        weeks = analysed_weeks(db)
        counts = dict(
            db.execute(
                "SELECT week, sum(reviews) FROM weekly_replies GROUP BY week ORDER BY week"
            ).fetchall()
        )
    assert weeks[-1] == last
    assert len(weeks) == WEEKS, weeks
    assert set(counts) == set(weeks)
    typical = sorted(counts.values())[WEEKS // 2]
    assert counts[last] > 0.6 * typical, counts  # not a week the world has barely begun
