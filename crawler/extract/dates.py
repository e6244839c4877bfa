"""Dates as review sites write them → aware UTC datetimes.

Handles ISO 8601, day-first numeric dates (``12/05/2024``, the Vietnamese and British order; pass
``day_first=False`` for American sites), English and Vietnamese month names, relative dates
("3 ngày trước", "2 weeks ago", "hôm qua") measured from ``now``, and epoch seconds or milliseconds.
A date without a zone is read in ``tz`` (the site's zone). Anything else gives None: the caller
counts it as a drop reason; nothing here raises.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip

_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?\s*"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)
_NUMERIC = re.compile(
    r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:,?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$"
)
_YMD_SLASH = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")
_TIME_FIRST = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2})?\s+(.+)$")
# "3 tháng 5, 2024", "ngày 03 tháng 05 năm 2024", "03 Tháng 5 2024"
_VI_WORDS = re.compile(r"^(?:ngay\s+)?(\d{1,2})\s+thang\s+(\d{1,2})(?:,?\s*(?:nam\s+)?(\d{4}))?$")
# "Tháng 5 3, 2024" (Google's Vietnamese order)
_VI_MONTH_FIRST = re.compile(r"^thang\s+(\d{1,2})\s+(\d{1,2}),?\s+(\d{4})$")
_EN_MDY = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_EN_DMY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})$")
_EN_MY = re.compile(r"^([a-z]+)\.?\s+(\d{4})$")
_EPOCH = re.compile(r"^\d{9,13}(?:\.\d+)?$")
_RELATIVE = re.compile(r"^(?:(?P<n>\d+|mot|an?|one)\s+)?(?P<unit>[a-z]+?)s?\s+(?:truoc|ago)$")
_UNITS = {
    "second": timedelta(seconds=1), "sec": timedelta(seconds=1), "giay": timedelta(seconds=1),
    "minute": timedelta(minutes=1), "min": timedelta(minutes=1), "phut": timedelta(minutes=1),
    "hour": timedelta(hours=1), "hr": timedelta(hours=1), "gio": timedelta(hours=1),
    "tieng": timedelta(hours=1), "day": timedelta(days=1), "ngay": timedelta(days=1),
    "week": timedelta(weeks=1), "tuan": timedelta(weeks=1), "month": timedelta(days=30),
    "thang": timedelta(days=30), "year": timedelta(days=365), "nam": timedelta(days=365),
}  # fmt: skip
_DAYS_AGO = {"today": 0, "hom nay": 0, "yesterday": 1, "hom qua": 1, "hom kia": 2}
_JUST_NOW = frozenset({"just now", "vua xong", "vua moi", "moi day"})


def _fold(text: str) -> str:
    """Lower-case, without marks, "đ" → "d", single spaces."""
    text = unicodedata.normalize("NFD", text.strip().lower()).replace("đ", "d")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.replace("\u00a0", " ").split())


@dataclass(frozen=True)
class ReadDate:
    """A date read from a page: the instant (UTC), how precise the page was, and which order of
    day and month the text proved, if any.

    ``precision`` is ``"time"`` (a clock time was given), ``"day"``, ``"month"`` ("Tháng 11, 2026":
    ``moment`` is a day inside that month, never after ``now``) or ``"year"``. ``order`` is
    ``"day_first"`` or ``"month_first"`` when a numeric date could only be read one way
    ("13/05/2024", "05/13/2024"), else None: a page whose dates prove both orders is a problem the
    caller counts."""

    moment: datetime
    precision: str = "day"
    order: str | None = None


def read_date(
    value: object, *, now: datetime, tz: tzinfo = UTC, day_first: bool = True
) -> ReadDate | None:
    """The date in ``value`` with its precision, or None when none can be read."""
    moment = parse_date(value, now=now, tz=tz, day_first=day_first)
    return None if moment is None else ReadDate(moment)


def parse_date(
    value: object, *, now: datetime, tz: tzinfo = UTC, day_first: bool = True
) -> datetime | None:
    """An aware UTC datetime for ``value``, or None when it cannot be read.

    >>> now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    >>> parse_date("3 ngày trước", now=now).date()
    datetime.date(2026, 11, 21)
    >>> parse_date("12/05/2024", now=now).date()
    datetime.date(2024, 5, 12)
    """
    if isinstance(value, datetime):
        try:
            aware = value if value.tzinfo else value.replace(tzinfo=tz)
            return aware.astimezone(UTC)
        except (ValueError, OverflowError):  # at the edge of time: datetime.min an hour east
            return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return _from_epoch(float(value))
        except OverflowError:  # an int beyond a float's range
            return None
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        return None
    try:
        return _parse_text(value.strip(), now=now, tz=tz, day_first=day_first)
    except (ValueError, OverflowError):
        return None


def _from_epoch(seconds: float) -> datetime | None:
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _local(day: date, tz: tzinfo, clock: time = time()) -> datetime:
    return datetime.combine(day, clock).replace(tzinfo=tz).astimezone(UTC)


def _parse_text(text: str, *, now: datetime, tz: tzinfo, day_first: bool) -> datetime | None:
    match = _ISO.match(text)
    if match:
        return _from_iso(match, tz)
    if _EPOCH.match(text):
        return _from_epoch(float(text))
    folded = _fold(text)
    timed = _TIME_FIRST.match(folded)  # "14:05 12/05/2024"
    if timed:
        day = _parse_text(timed.group(3), now=now, tz=UTC, day_first=day_first)
        if day is None:
            return None
        clock = time(int(timed.group(1)), int(timed.group(2)))
        return _local(day.date(), tz, clock)
    return _parse_numeric(folded, tz, day_first) or _parse_words(folded, now=now, tz=tz)


def _from_iso(match: re.Match[str], tz: tzinfo) -> datetime:
    year, month, day, hour, minute, second, zone = match.groups()
    moment = datetime(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
    )
    if zone is None:
        return moment.replace(tzinfo=tz).astimezone(UTC)
    if zone == "Z":
        return moment.replace(tzinfo=UTC)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return (moment - sign * offset).replace(tzinfo=UTC)


def _parse_numeric(text: str, tz: tzinfo, day_first: bool) -> datetime | None:
    match = _NUMERIC.match(text)
    if match:
        first, second, year = int(match.group(1)), int(match.group(2)), int(match.group(3))
        day, month = (first, second) if day_first else (second, first)
        if month > 12 >= day:  # unambiguous the other way round: "05/13/2024"
            day, month = month, day
        clock = time(int(match.group(4) or 0), int(match.group(5) or 0), int(match.group(6) or 0))
        return _local(date(year, month, day), tz, clock)
    match = _YMD_SLASH.match(text)
    if match:
        return _local(date(*(int(g) for g in match.groups())), tz)
    return None


def _parse_words(text: str, *, now: datetime, tz: tzinfo) -> datetime | None:
    if text in _JUST_NOW:
        return now.astimezone(UTC)
    if text in _DAYS_AGO:
        today = now.astimezone(tz).date()
        return _local(today - timedelta(days=_DAYS_AGO[text]), tz)
    match = _RELATIVE.match(text)
    if match and match.group("unit") in _UNITS:
        count = match.group("n")
        amount = int(count) if count and count.isdigit() else 1
        step = _UNITS[match.group("unit")]
        moment = (now - amount * step).astimezone(tz)
        # as precise as the phrase: "3 ngày trước" is a day, "5 giờ trước" an hour
        if step >= timedelta(days=1):
            return _local(moment.date(), tz)
        if step >= timedelta(hours=1):
            moment = moment.replace(minute=0, second=0, microsecond=0)
        return moment.astimezone(UTC)
    match = _VI_WORDS.match(text)
    if match:
        year = int(match.group(3)) if match.group(3) else now.astimezone(tz).year
        return _local(date(year, int(match.group(2)), int(match.group(1))), tz)
    match = _VI_MONTH_FIRST.match(text)
    if match:
        month, day, year = (int(g) for g in match.groups())
        return _local(date(year, month, day), tz)
    for pattern, order in ((_EN_MDY, "mdy"), (_EN_DMY, "dmy")):
        match = pattern.match(text)
        if match:
            parts = dict(zip(order, match.groups(), strict=True))
            month_number = _MONTHS.get(parts["m"])
            if month_number is None:
                return None
            return _local(date(int(parts["y"]), month_number, int(parts["d"])), tz)
    match = _EN_MY.match(text)
    if match and match.group(1) in _MONTHS:
        return _local(date(int(match.group(2)), _MONTHS[match.group(1)], 1), tz)
    return None
