"""Cron expressions read the cron way, as APScheduler triggers.

APScheduler's own ``CronTrigger.from_crontab`` reads a numeric weekday 0 as Monday and rejects 7;
here numeric weekdays are translated to names first, so ``0`` and ``7`` are Sunday and ``1-5`` is
Monday to Friday, as in crontab(5).
"""

from __future__ import annotations

from datetime import tzinfo

from apscheduler.triggers.cron import CronTrigger

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


_DAY_NUMBERS = {name: number for number, name in enumerate(_DAY_NAMES)}


def _days_in(part: str) -> list[int]:
    """The cron weekdays (0 = Sunday … 6) one comma-separated part selects."""
    step = 1
    if "/" in part:
        part, step_text = part.split("/", 1)
        step = int(step_text)
    if part == "*":
        first, last = 0, 6
    elif "-" in part:
        start, end = part.split("-", 1)
        first, last = _day(start), _day(end)
    else:
        first = last = _day(part)
    if last < first:  # "fri-mon"
        last += 7
    return sorted({day % 7 for day in range(first, last + 1, step)})


def _day(text: str) -> int:
    text = text.strip().lower()
    if text.isdigit():
        number = int(text)
        if not 0 <= number <= 7:
            raise ValueError(f"weekday {number} is not 0–7")
        return number % 7
    if text[:3] in _DAY_NUMBERS:
        return _DAY_NUMBERS[text[:3]]
    raise ValueError(f"{text!r} is not a weekday")


def translate_weekdays(field: str) -> str:
    """A crontab weekday field as APScheduler reads it: ``"0"`` → ``"sun"``, ``"1-5"`` →
    ``"mon,tue,wed,thu,fri"``, ``"*"`` stays ``"*"``."""
    if field == "*":
        return field
    days: set[int] = set()
    for part in field.split(","):
        days.update(_days_in(part))
    return ",".join(_DAY_NAMES[day] for day in sorted(days))


def cron_trigger(expression: str, tz: tzinfo, *, jitter: float | None = None) -> CronTrigger:
    """The trigger of a five-field cron expression (``ValueError`` with the reason if invalid)."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"{expression!r} has {len(fields)} fields, not 5")
    minute, hour, day, month, weekday = fields
    return CronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=translate_weekdays(weekday),
        timezone=tz,
        jitter=int(jitter) if jitter else None,
    )
