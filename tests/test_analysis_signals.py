"""Service signals over time (what changed between two crawls, in Python and in the database view)
and the review-derived reply figures: rates with intervals, latency, templated replies."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from analysis.replies import signatures, templated, words
from analysis.settings import AnalysisSettings
from analysis.signals import current_values, signal_changes
from db.reviews import ReviewWriter
from db.store import record_signals, sync_business, sync_source
from scheduler.analyze.refresh import analyze

Observation = list[tuple[str, Any, str | None]]

BEFORE: Observation = [
    ("channel.phone", "028 3822 1111", None),
    ("channel.phone", "0909 222 333", None),
    ("chat.vendor", "zalo_chat", None),
    ("returns.window_days", 7.0, "days"),
    ("hours.per_week", 84.0, "hours/week"),
    ("help.centre", True, None),
]
AFTER: Observation = [
    ("channel.phone", "028 3822 1111", None),
    ("chat.vendor", "zalo_chat", None),
    ("chat.vendor", "tawk.to", None),
    ("returns.window_days", 30.0, "days"),
    ("hours.per_week", 84.0, "hours/week"),
    ("channel.email", "hi@shop.vn", None),
]


def test_changes_say_what_is_new_gone_and_different() -> None:
    changes = {(c.kind, c.name): c for c in signal_changes(BEFORE, AFTER)}
    assert set(changes) == {
        ("changed", "returns.window_days"),
        ("new", "chat.vendor"),  # a second vendor is an addition, not a change of the first
        ("new", "channel.email"),
        ("gone", "channel.phone"),
        ("gone", "help.centre"),
    }
    assert changes["changed", "returns.window_days"].describe() == "return window: 7 days → 30 days"
    assert changes["new", "chat.vendor"].describe() == "added live chat (Tawk.to)"
    assert changes["gone", "channel.phone"].describe() == "dropped phone (0909 222 333)"
    assert changes["gone", "help.centre"].describe() == "dropped help centre / FAQ"
    assert signal_changes(AFTER, AFTER) == []


def test_current_values_join_several_values_of_a_name() -> None:
    values = current_values(AFTER)
    assert values["chat.vendor"] == "Tawk.to, Zalo chat"
    assert values["returns.window_days"] == "30 days"
    assert values["hours.per_week"] == "84 h/week"
    assert current_values([("shipping.free_threshold", 300000.0, "VND")]) == {
        "shipping.free_threshold": "300,000 VND"
    }


def test_the_database_view_agrees_with_signal_changes(db: Database) -> None:
    business_id = sync_business(db, "Shop", is_self=True)
    source_id = sync_source(db, business_id, "signals", "https://shop.example/")
    other = sync_source(db, sync_business(db, "Other"), "signals", "https://other.example/")
    first = datetime(2026, 11, 10, 9, tzinfo=UTC)

    def rows(observation: Observation) -> list[dict[str, Any]]:
        return [
            {"name": n, "value": v, "unit": u, "url": "u", "evidence": "e"}
            for n, v, u in observation
        ]

    record_signals(db, source_id, rows(BEFORE), run_id=None, now=first)
    record_signals(db, other, rows(BEFORE), run_id=None, now=first)
    # The view compares each source's last two observations only: a third one moves it on.
    record_signals(db, source_id, rows(BEFORE), run_id=None, now=first + timedelta(days=7))
    assert db.execute("SELECT count(*) FROM signal_changes").fetchone() == (0,)
    record_signals(db, source_id, rows(AFTER), run_id=None, now=first + timedelta(days=14))

    in_view = {
        (change, name, json.loads(before) if before else None, json.loads(after) if after else None)
        for change, name, before, after in db.execute(
            "SELECT change, name, before, after FROM signal_changes WHERE source_id = ?",
            [source_id],
        )
    }
    in_python = {(c.kind, c.name, c.before, c.after) for c in signal_changes(BEFORE, AFTER)}
    assert in_view == in_python
    assert db.execute(
        "SELECT count(*) FROM signal_changes WHERE source_id = ?", [other]
    ).fetchone() == (0,)  # one observation: nothing to compare with


def test_two_observations_in_one_second_stay_two(db: Database) -> None:
    source_id = sync_source(db, sync_business(db, "Shop"), "signals", "https://shop.example/")
    moment = datetime(2026, 11, 24, 8, tzinfo=UTC)
    record_signals(db, source_id, [{"name": "help.centre", "value": True}], run_id=None, now=moment)
    record_signals(db, source_id, [], run_id=None, now=moment)
    record_signals(db, source_id, [{"name": "payment.cod", "value": True}], run_id=None, now=moment)
    observed = [r[0] for r in db.execute("SELECT observed_at FROM service_signals ORDER BY id")]
    assert observed == ["2026-11-24T08:00:00Z", "2026-11-24T08:00:01Z"]


# Templated replies

TEMPLATE = "Cảm ơn {who} {name} đã ủng hộ quán, hẹn gặp lại {who} lần sau nhé!"
WRITTEN = [
    "Dear Sarah, we are sorry the soup was cold; our kitchen manager will call you tomorrow.",
    "Rất tiếc vì món phở hôm đó bị nguội, quán đã nhắc nhở bếp và xin gửi tặng bạn một ly trà.",
    "Thank you for the kind words about our garden seating, the roses are Mai's pride and joy.",
    "Xin lỗi vì phải chờ lâu vào tối thứ bảy, tuần sau quán có thêm hai bạn phục vụ ca tối.",
    "We're glad the birthday cake arrived on time and that your daughter loved the candles.",
]


def test_a_template_with_the_reviewer_filled_in_is_one_template() -> None:
    assert words("Cảm ơn chị Lan, hẹn gặp lại!") == ["cam", "on", "_", "_", "hen", "gap", "lai"]
    filled = [
        TEMPLATE.format(who=who, name=name)
        for who, name in [("chị", "Lan"), ("anh", "Minh"), ("bạn", "Tú"), ("quý khách", "Hòa")]
    ]
    found = templated(signatures([*filled, *WRITTEN]))
    assert found.tolist() == [True] * 4 + [False] * len(WRITTEN)


def test_short_replies_count_only_when_identical_and_empty_ones_never() -> None:
    found = templated(signatures(["Thanks!", "thanks", "Thank you", "", "", "Cảm ơn bạn"]))
    assert found.tolist() == [True, True, False, False, False, False]


def test_numbers_and_punctuation_do_not_hide_a_template() -> None:
    replies = [
        f"Order #{n} — we're sorry for the delay; a refund of {n * 10}k is on its way today."
        for n in (118, 2045, 77)
    ]
    assert templated(signatures(replies)).all()
    assert not templated(signatures(replies[:1])).any()


# Reply figures per week, from a real database

_serial = itertools.count()
MONDAY = datetime(2026, 11, 16, tzinfo=UTC)
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def add_reviews(db: Database, name: str, replies: list[str | None], *, rating: float = 4.0) -> None:
    business_id = sync_business(db, name, is_self=name == "Ours")
    source_id = sync_source(db, business_id, "schemaorg", f"https://{name}.example/r")
    rows = []
    for index, reply in enumerate(replies):
        number = next(_serial)
        published = MONDAY + timedelta(days=index % 7, hours=9)
        rows.append(
            {
                "review_key": f"k{number}",
                "business_id": business_id,
                "source_id": source_id,
                "rating": rating,
                "body": f"Review {number}: fine, nothing special to tell",
                "published_at": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "reply_body": reply,
                "replied_at": (
                    (published + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
                    if reply
                    else None
                ),
            }
        )
    ReviewWriter(db, source_id).write(rows)


def test_weekly_replies_carry_intervals_latency_and_templated_share(db: Database) -> None:
    names = ["Lan", "Minh", "Tú", "Hòa", "Bảo", "Vy"]
    add_reviews(db, "Ours", [*WRITTEN, None, None, None, None, None])
    add_reviews(db, "Them", [TEMPLATE.format(who="bạn", name=n) for n in names] + [WRITTEN[0]])
    add_reviews(db, "Them", [None] * 4, rating=1.0)  # negative, not replied to
    sync_source(db, sync_business(db, "Them"), "signals", "https://them.example/")
    analyze(db, AnalysisSettings(), UTC, now=NOW)
    segments = {row[0] for row in db.execute("SELECT DISTINCT segment FROM weekly_positions")}
    assert segments == {"all", "repeat"}  # one kind of review source: no per-source segments
    rows = {
        row["business_id"]: row
        for row in db.query("SELECT * FROM weekly_replies WHERE week = '2026-W47'")
    }
    ours, them = rows[1], rows[2]
    assert (ours["reviews"], ours["replies"], ours["reply_rate"]) == (10, 5, 0.5)
    assert ours["rate_low"] < 0.5 < ours["rate_high"]
    assert (ours["templated_replies"], ours["templated_share"]) == (0, 0.0)
    assert them["templated_replies"] == 6
    assert them["templated_share"] == round(6 / 7, 4)
    assert (them["negative_reviews"], them["negative_replies"]) == (4, 0)
    assert them["negative_reply_rate"] == 0.0
    assert them["negative_rate_low"] == 0.0 < them["negative_rate_high"] < 1.0
    assert ours["negative_rate_low"] is None  # no negative reviews: no interval
    assert them["median_latency_hours"] == 6.0
