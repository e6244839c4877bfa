"""Weekly positions from a real database: classification stored, floods guarded, races called."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from analysis.ladder import analysis_version
from analysis.settings import AnalysisSettings
from analysis.weeks import week_label
from db.queries import week_gaps, week_positions
from db.reviews import ReviewWriter
from db.store import sync_business, sync_source
from scheduler.analyze.refresh import analyze

TZ = UTC
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)  # a Wednesday: the last complete week is 2026-W47
LAST_MONDAY = datetime(2026, 11, 16, tzinfo=UTC)
TEXTS = {
    1: "Lừa đảo, thái độ như hạch, tôi đòi hoàn tiền",
    2: "Thất vọng quá, chắc chắn sẽ không quay lại",
    3: "Bình thường, không có gì đặc biệt để kể",
    4: "Rất hài lòng, chắc chắn sẽ quay lại lần nữa",
    5: "Vượt mong đợi, sẽ giới thiệu cho bạn bè ngay",
}
_serial = itertools.count()


def add_week(
    db: Database, business: str, monday: datetime, rungs: Sequence[int], *, same_day: bool = False
) -> None:
    """Reviews for ``business`` in the week of ``monday``, one per rung given, spread over the
    week (or all on its Wednesday), each with its own wording so none looks pasted."""
    business_id = sync_business(db, business, is_self=business == "Ours")
    source_id = sync_source(db, business_id, "schemaorg", f"https://{len(business)}.example/r")
    rows = []
    for index, rung in enumerate(rungs):
        number = next(_serial)
        day = 2 if same_day else index % 7
        published = monday + timedelta(days=day, hours=8 + index % 10)
        rows.append(
            {
                "review_key": f"k{number}",
                "business_id": business_id,
                "source_id": source_id,
                "rating": float(min(rung, 5)),
                "body": f"{TEXTS[min(rung, 5)]} (đơn {_word(number)})",
                "published_at": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )
    ReviewWriter(db, source_id).write(rows)


def _word(number: int) -> str:
    return "".join("abcdefghij"[int(d)] for d in str(number))  # digits are ignored by fingerprints


def weeks_before(count: int) -> list[datetime]:
    return [LAST_MONDAY - timedelta(weeks=count - 1 - i) for i in range(count)]


def overall(db: Database, week: str, name: str) -> float:
    (row,) = [p for p in week_positions(db, week) if p.business == name]
    return row.score


def test_classifications_are_stored_and_redone_only_when_needed(db: Database) -> None:
    add_week(db, "Ours", LAST_MONDAY, [4, 2])
    first = analyze(db, AnalysisSettings(), TZ, now=NOW)
    assert first.classified == 2
    assert db["review_rungs"].count == 2
    assert {row["version"] for row in db["review_rungs"].rows} == {analysis_version()}
    assert sorted(row["rung"] for row in db["review_rungs"].rows) == [2, 4]
    again = analyze(db, AnalysisSettings(), TZ, now=NOW)
    assert (again.classified, again.weekly) == (0, None)  # nothing changed: nothing recomputed
    add_week(db, "Ours", LAST_MONDAY, [5])
    third = analyze(db, AnalysisSettings(), TZ, now=NOW)
    assert third.classified == 1
    assert third.weekly is not None


def test_positions_ranks_and_not_enough_reviews(db: Database) -> None:
    for monday in weeks_before(6):
        add_week(db, "Ours", monday, [3, 4, 4, 3, 4])
        add_week(db, "Better", monday, [5, 4, 5, 4, 5])
    add_week(db, "Tiny", LAST_MONDAY, [5])
    analyze(db, AnalysisSettings(), TZ, now=NOW)
    week = week_label(LAST_MONDAY.date())
    rows = {p.business: p for p in week_positions(db, week)}
    assert rows["Better"].rank == 1
    assert rows["Ours"].rank == 2
    assert rows["Better"].score > rows["Ours"].score
    assert rows["Ours"].low < rows["Ours"].score < rows["Ours"].high
    assert not rows["Tiny"].enough
    assert rows["Tiny"].rank is None
    gaps = {(g.versus, g.dimension, g.kind): g for g in week_gaps(db, week)}
    assert gaps["Better", "overall", "score"].verdict == "behind"


def test_a_flood_of_one_star_reviews_barely_moves_a_position(db: Database) -> None:
    for monday in weeks_before(6):
        add_week(db, "Ours", monday, [4, 4, 5, 4, 3, 4, 4, 5, 4, 4, 3, 4, 5, 4])
    analyze(db, AnalysisSettings(), TZ, now=NOW - timedelta(weeks=1))
    before = overall(db, week_label((LAST_MONDAY - timedelta(weeks=1)).date()), "Ours")

    add_week(db, "Ours", LAST_MONDAY, [1] * 200, same_day=True)  # a brigade in one day
    analyze(db, AnalysisSettings(), TZ, now=NOW)
    week = week_label(LAST_MONDAY.date())
    with_guard = overall(db, week, "Ours")
    flags = list(db["weekly_flags"].rows_where("week = ? AND kind = 'flood'", [week]))
    assert len(flags) == 1
    assert flags[0]["reviews"] >= 200
    assert flags[0]["weight"] < 0.2

    analyze(db, AnalysisSettings(flood_k=1e9), TZ, now=NOW)  # the guard switched off
    without_guard = overall(db, week, "Ours")
    assert before - with_guard < 0.3
    assert before - without_guard > 1.0


def test_pasted_reviews_count_once(db: Database) -> None:
    for monday in weeks_before(3):
        add_week(db, "Ours", monday, [4, 4, 4, 4])
    business_id = sync_business(db, "Ours")
    source_id = sync_source(db, business_id, "schemaorg", "https://4.example/r")
    pasted = [
        {
            "review_key": f"paste{i}",
            "business_id": business_id,
            "source_id": source_id,
            "rating": 1.0,
            "body": "Quán này lừa đảo, mọi người tránh xa, đừng bao giờ đến",
            "published_at": (LAST_MONDAY + timedelta(days=1, minutes=i)).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
        }
        for i in range(12)
    ]
    ReviewWriter(db, source_id).write(pasted)
    analyze(db, AnalysisSettings(), TZ, now=NOW)
    week = week_label(LAST_MONDAY.date())
    flags = list(db["weekly_flags"].rows_where("week = ? AND kind = 'duplicates'", [week]))
    assert [flag["reviews"] for flag in flags] == [12]
    (row,) = [p for p in week_positions(db, week) if p.business == "Ours"]
    assert row.reviews == 16  # all are stored and counted as reviews …
    assert row.score > 3.2  # … but twelve copies weigh as one


def test_falling_behind_relatively_when_both_climb(db: Database) -> None:
    """We climb a little every week; the rival climbs much faster."""
    mondays = weeks_before(12)
    for week, monday in enumerate(mondays):
        ours = [3] * (12 - week // 2) + [4] * (6 + week // 2)
        rival = [2] * max(0, 10 - week) + [3] * 4 + [5] * (2 + week * 2)
        add_week(db, "Ours", monday, ours)
        add_week(db, "Rival", monday, rival)
    analyze(db, AnalysisSettings(half_life_days=30), TZ, now=NOW)
    week = week_label(mondays[-1].date())
    rows = {p.business: p for p in week_positions(db, week)}
    assert rows["Ours"].velocity is not None
    assert rows["Rival"].velocity is not None
    assert 0 < rows["Ours"].velocity < rows["Rival"].velocity
    (race,) = [g for g in week_gaps(db, week) if g.kind == "velocity"]
    assert race.versus == "Rival"
    assert race.verdict == "behind"
    assert (race.probability or 0) > 0.8


def test_repeat_reviewers_get_a_segment_of_their_own(db: Database) -> None:
    add_week(db, "Ours", LAST_MONDAY, [4, 4, 2])
    with db.conn:  # the first two reviews were written by one customer
        db.execute(
            "UPDATE reviews SET author_hash = 'same' WHERE review_key IN (SELECT review_key FROM reviews ORDER BY rowid LIMIT 2)"
        )
        db.execute("UPDATE reviews SET author_hash = 'once' WHERE author_hash IS NULL")
    analyze(db, AnalysisSettings(), TZ, now=NOW)
    week = week_label(LAST_MONDAY.date())
    (everyone,) = week_positions(db, week, "all")
    (returning,) = week_positions(db, week, "repeat")
    assert (everyone.reviews, returning.reviews) == (3, 2)
    assert returning.score > everyone.score  # the one who returned was the happier one
