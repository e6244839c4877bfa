"""ISO weeks in a time zone: labels (``2026-W47``), Mondays, the last complete week, and a week's
bounds as stored timestamps.

Positions are computed per ISO week in the configured time zone (``[schedule] timezone``): a week
runs from Monday 00:00 to the next Monday 00:00 *local* time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, tzinfo

from db.rows import utc_iso


def week_label(monday: date) -> str:
    """``2026-W47``."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(label: str) -> date:
    """The Monday of ``2026-W47`` (``ValueError`` when it is not such a label, or names a week
    the year does not have, like 2025-W53)."""
    monday = datetime.strptime(label.strip() + "-1", "%G-W%V-%u").date()
    year, week = (int(part) for part in label.strip().upper().split("-W"))
    if monday.isocalendar()[:2] != (year, week):
        raise ValueError(f"{year} has no ISO week {week}")
    return monday


def monday_of(moment: datetime, tz: tzinfo) -> date:
    day = moment.astimezone(tz).date()
    return day - timedelta(days=day.weekday())


def last_complete_week(now: datetime, tz: tzinfo) -> date:
    """The Monday of the last ISO week that has ended (in ``tz``)."""
    return monday_of(now, tz) - timedelta(days=7)


def week_bounds(monday: date, tz: tzinfo) -> tuple[str, str]:
    """The week's start and end as UTC ISO timestamps (local midnights)."""
    start = datetime.combine(monday, time(), tzinfo=tz)
    end = datetime.combine(monday + timedelta(days=7), time(), tzinfo=tz)
    return utc_iso(start), utc_iso(end)


def mondays(first: date, last: date) -> Iterator[date]:
    """Every Monday from ``first`` to ``last``, both included."""
    monday = first
    while monday <= last:
        yield monday
        monday += timedelta(days=7)


def week_of(moment: datetime, tz: tzinfo) -> str:
    """The label of the week ``moment`` falls in (in ``tz``)."""
    return week_label(monday_of(moment, tz))
