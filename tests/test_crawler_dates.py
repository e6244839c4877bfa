"""Dates inside the text a selector returns (issue 21): the date, how precise the page was, the
order of day and month it proves, read in the site's zone; sentences without a date give None.

``now`` is frozen here at 2026-11-29 17:00 UTC, midnight of 30 November in Saigon.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from crawler.extract.dates import parse_date, read_date

NOW = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
SAIGON = ZoneInfo("Asia/Ho_Chi_Minh")
NEW_YORK = ZoneInfo("America/New_York")


def saigon(text: str, *, day_first: bool = True) -> tuple[str, str, str | None]:
    """The date read in Saigon as (local ISO moment, precision, order)."""
    read = read_date(text, now=NOW, tz=SAIGON, day_first=day_first)
    assert read is not None, text
    assert read.moment.utcoffset() is not None
    assert read.moment.tzinfo == UTC
    return read.moment.astimezone(SAIGON).isoformat(), read.precision, read.order


# The table, then every example the issue names, in Saigon.
@pytest.mark.parametrize(
    ("text", "local", "precision"),
    [
        ("Reviewed in the United States on July 1, 2024", "2024-07-01T00:00:00+07:00", "day"),
        ("Reviewed on March 12, 2024", "2024-03-12T00:00:00+07:00", "day"),
        ("Đánh giá vào ngày 12 tháng 3 năm 2024", "2024-03-12T00:00:00+07:00", "day"),
        ("Danh gia vao ngay 12 thang 3 nam 2024", "2024-03-12T00:00:00+07:00", "day"),
        ("2 ngày trước", "2026-11-28T00:00:00+07:00", "day"),
        ("2 ngay truoc", "2026-11-28T00:00:00+07:00", "day"),
        ("12/03/2024 14:05", "2024-03-12T14:05:00+07:00", "time"),
        ("Đã đánh giá vào 3 tuần trước", "2026-11-09T00:00:00+07:00", "day"),
        ("Da danh gia vao 3 tuan truoc", "2026-11-09T00:00:00+07:00", "day"),
        ("Được đăng ngày 05/11", "2026-11-05T00:00:00+07:00", "day"),
        ("Duoc dang ngay 05/11", "2026-11-05T00:00:00+07:00", "day"),
        # 5 December this year is still to come: the page meant last year's
        ("Được đăng ngày 05/12", "2025-12-05T00:00:00+07:00", "day"),
        ("il y a 2 jours", "2026-11-28T00:00:00+07:00", "day"),
        ("Posted 2 weeks ago", "2026-11-16T00:00:00+07:00", "day"),
        ("Dined on November 2, 2026", "2026-11-02T00:00:00+07:00", "day"),
        ("Updated yesterday", "2026-11-29T00:00:00+07:00", "day"),
        ("Đăng hôm qua", "2026-11-29T00:00:00+07:00", "day"),
        ("Posted 5 hours ago", "2026-11-29T19:00:00+07:00", "time"),
        ("Visited 3 months ago", "2026-09-01T00:00:00+07:00", "month"),
        ("Reviewed 13/05/2024", "2024-05-13T00:00:00+07:00", "day"),
        ("Posted on 2024-03-12T10:00:00Z", "2024-03-12T17:00:00+07:00", "time"),
        ("Reviewed on 12/03/2024 at 14:05", "2024-03-12T14:05:00+07:00", "time"),
        # other languages' relative phrases and month names
        ("hace 3 días", "2026-11-27T00:00:00+07:00", "day"),
        ("vor 2 Tagen", "2026-11-28T00:00:00+07:00", "day"),
        ("3 giorni fa", "2026-11-27T00:00:00+07:00", "day"),
        ("2 hari yang lalu", "2026-11-28T00:00:00+07:00", "day"),
        ("há 1 semana", "2026-11-23T00:00:00+07:00", "day"),
        ("Avis publié le 2 novembre 2026", "2026-11-02T00:00:00+07:00", "day"),
        ("2 de noviembre de 2026", "2026-11-02T00:00:00+07:00", "day"),
        ("hier", "2026-11-29T00:00:00+07:00", "day"),
    ],
)
def test_dates_inside_sentences(text: str, local: str, precision: str) -> None:
    assert saigon(text)[:2] == (local, precision)


def test_a_full_date_wins_over_a_relative_phrase_anywhere_in_the_text() -> None:
    assert saigon("Edited 2 days ago · Visited July 1, 2024")[0] == "2024-07-01T00:00:00+07:00"
    # among dates as precise, the first
    assert saigon("Visited 3 June 2024, reviewed 9 June 2024")[0] == "2024-06-03T00:00:00+07:00"


@pytest.mark.parametrize(
    ("text", "local"),
    [
        # a month in the past: noon of the 15th
        ("Tháng 10, 2026", "2026-10-15T12:00:00+07:00"),
        ("tháng 10/2026", "2026-10-15T12:00:00+07:00"),
        ("Thang 10 nam 2026", "2026-10-15T12:00:00+07:00"),
        ("October 2026", "2026-10-15T12:00:00+07:00"),
        ("Visited in October 2026", "2026-10-15T12:00:00+07:00"),
        ("10/2026", "2026-10-15T12:00:00+07:00"),
        ("Tháng 11, 2026", "2026-11-15T12:00:00+07:00"),
    ],
)
def test_month_only_dates_are_a_day_inside_the_month(text: str, local: str) -> None:
    assert saigon(text) == (local, "month", None)


def test_the_current_month_or_year_is_never_after_now() -> None:
    early = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    month = read_date("Tháng 11, 2026", now=early, tz=SAIGON)
    assert month == read_date("November 2026", now=early, tz=SAIGON)
    assert month is not None
    assert (month.moment, month.precision) == (early, "month")
    year = read_date("2026", now=datetime(2026, 3, 1, tzinfo=UTC), tz=SAIGON)
    assert year is not None
    assert (year.moment, year.precision) == (
        datetime(2026, 3, 1, tzinfo=UTC),
        "year",
    )


@pytest.mark.parametrize("text", ["2024", "năm 2024", "Năm 2024"])
def test_a_text_about_a_year_is_read_as_that_year(text: str) -> None:
    assert saigon(text) == ("2024-07-01T12:00:00+07:00", "year", None)


@pytest.mark.parametrize(
    ("text", "day_first", "local", "order"),
    [
        ("13/05/2024", True, "2024-05-13T00:00:00+07:00", "day_first"),
        ("13/05/2024", False, "2024-05-13T00:00:00+07:00", "day_first"),
        ("05/13/2024", True, "2024-05-13T00:00:00+07:00", "month_first"),
        ("Reviewed 05/13/2024", True, "2024-05-13T00:00:00+07:00", "month_first"),
        ("Được đăng ngày 13/05", True, "2026-05-13T00:00:00+07:00", "day_first"),
        # both parts 12 or under: the site's order, which proves nothing
        ("03/05/2024", True, "2024-05-03T00:00:00+07:00", None),
        ("03/05/2024", False, "2024-03-05T00:00:00+07:00", None),
        ("Reviewed 03/05/2024", False, "2024-03-05T00:00:00+07:00", None),
        ("2024-05-13", True, "2024-05-13T00:00:00+07:00", None),
    ],
)
def test_the_order_a_numeric_date_proves(
    text: str, day_first: bool, local: str, order: str | None
) -> None:
    assert saigon(text, day_first=day_first) == (local, "day", order)


def test_a_date_without_a_zone_is_in_the_sites_zone() -> None:
    for tz, expected in ((SAIGON, "2024-03-12T07:05:00+00:00"), (NEW_YORK, "2024-03-12T18:05:00+00:00")):  # fmt: skip
        assert parse_date("12/03/2024 14:05", now=NOW, tz=tz) == datetime.fromisoformat(expected)
    in_new_york = read_date("Reviewed on March 12, 2024", now=NOW, tz=NEW_YORK)
    assert in_new_york is not None
    assert in_new_york.moment == datetime(2024, 3, 12, 4, 0, tzinfo=UTC)
    # a zone in the text wins over the site's
    zoned = parse_date("Posted 2024-03-12T10:00:00+02:00", now=NOW, tz=NEW_YORK)
    assert zoned == datetime(2024, 3, 12, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "Ordered 2024 units of the thing",
        "Great food, friendly staff",
        "Món ăn ngon, phục vụ nhanh",
        "The score was 4/5 on 3 dimensions",
        "Gọi 0901 234 567",
        "Giá 25.000.000đ",
        "Phòng 2024 tầng 3",
        "We may 5 times come back",
        "31/02/2024",
        "Reviewed on 31/02/2024",
        "99 ngày sau",
        "x" * 500,
    ],
)
def test_sentences_without_a_date_give_none(text: str) -> None:
    assert read_date(text, now=NOW, tz=SAIGON) is None
    assert parse_date(text, now=NOW, tz=SAIGON) is None


def test_only_the_first_300_characters_are_searched() -> None:
    assert saigon("Reviewed on March 12, 2024 " + "y" * 400)[0] == "2024-03-12T00:00:00+07:00"
    assert read_date("y " * 200 + "Reviewed on March 12, 2024", now=NOW, tz=SAIGON) is None


def test_parse_date_is_read_dates_moment() -> None:
    for text in ("Tháng 10, 2026", "2 ngày trước", "Reviewed 13/05/2024", "1700000000"):
        read = read_date(text, now=NOW, tz=SAIGON)
        assert read is not None
        assert parse_date(text, now=NOW, tz=SAIGON) == read.moment
    assert read_date(datetime(2024, 3, 12, 10), now=NOW, tz=SAIGON) == read_date(
        "2024-03-12T10:00", now=NOW, tz=SAIGON
    )
