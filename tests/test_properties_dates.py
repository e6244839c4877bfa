"""Properties of date parsing: ``parse_date`` never raises and answers None or an aware UTC
datetime; relative dates are never after now; numeric dates are read as written or refused.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

from hypothesis import example, given
from hypothesis import strategies as st

from crawler.extract.dates import parse_date
from tests.conftest import budget
from tests.strategies import NOW, NOWS, RELATIVE_PHRASES, ZONES, date_values


def assert_utc(moment: datetime | None) -> None:
    assert moment is None or (
        isinstance(moment, datetime) and moment.utcoffset() == timedelta(0)
    ), moment


@budget(500)
@given(value=date_values(safe=True), now=NOWS, tz=ZONES, day_first=st.booleans())
def test_parse_date_answers_none_or_aware_utc(
    value: object, now: datetime, tz: tzinfo, day_first: bool
) -> None:
    assert_utc(parse_date(value, now=now, tz=tz, day_first=day_first))


@budget(300)
@given(value=date_values(safe=False), now=NOWS, tz=ZONES, day_first=st.booleans())
@example(value=10**400, now=NOW, tz=UTC, day_first=True)
@example(
    value=datetime.min.replace(tzinfo=timezone(timedelta(hours=1))), now=NOW, tz=UTC, day_first=True
)
def test_parse_date_never_raises_on_huge_numbers_or_edge_datetimes(
    value: object, now: datetime, tz: tzinfo, day_first: bool
) -> None:
    assert_utc(parse_date(value, now=now, tz=tz, day_first=day_first))


@budget(300)
@given(phrase=RELATIVE_PHRASES, now=NOWS, tz=ZONES)
def test_relative_dates_are_never_after_now(phrase: str, now: datetime, tz: tzinfo) -> None:
    moment = parse_date(phrase, now=now, tz=tz)
    assert_utc(moment)
    assert moment is None or moment <= now


@budget(300)
@given(
    day=st.integers(0, 40),
    month=st.integers(0, 40),
    year=st.integers(1995, 2100),
    separator=st.sampled_from("/.-"),
    tz=ZONES,
    day_first=st.booleans(),
)
def test_numeric_dates_are_read_as_written_or_refused(
    day: int, month: int, year: int, separator: str, tz: tzinfo, day_first: bool
) -> None:
    """``31/02/2024`` is refused, never rolled over; "05/13/2024" is read the only way it can."""
    first, second = (day, month) if day_first else (month, day)
    moment = parse_date(
        f"{first:02d}{separator}{second:02d}{separator}{year}", now=NOW, tz=tz, day_first=day_first
    )

    def valid(d: int, m: int) -> date | None:
        try:
            return date(year, m, d)
        except ValueError:
            return None

    expected = valid(day, month) if month <= 12 else valid(month, day) if day <= 12 else None
    if expected is None:
        assert moment is None
    else:
        assert moment is not None
        assert moment.astimezone(tz).date() == expected
