"""Dates as review sites write them → aware UTC datetimes, with how precise the page was.

Two passes. The fast one reads a text that is a date and nothing else: ISO 8601, epoch seconds or
milliseconds, numeric dates (``12/05/2024`` day first, the Vietnamese and British order; pass
``day_first=False`` for American sites), English and Vietnamese month names, relative dates
("3 ngày trước", "2 weeks ago", "hôm qua") measured from ``now``. Only when it fails does the second
pass search inside the text for the same shapes, since real pages wrap their dates in sentences:
"Reviewed in the United States on July 1, 2024", "Đã đánh giá vào 3 tuần trước", "Được đăng ngày
05/11", "il y a 2 jours". A full date with its year wins over a month, a month over a day without
its year, that over a relative phrase; among equals the earliest. A bare number in a sentence is
never read as a year ("Ordered 2024 units").

Relative phrases are read in English, Vietnamese (with or without marks), French, Spanish,
Portuguese, German, Italian, Dutch and Indonesian by our own patterns. dateparser's
``search_dates`` knows more languages but was measured too slow and too eager for a crawl: 2.5 s
for its first call, then 14–55 ms a text across its locales (0.4–0.8 ms when told the languages),
and it reads "Ordered 2024 units of the thing" as 29 Nov 2024 (bench/dates.py, bench/README.md).

A date without a zone is read in ``tz`` (the site's zone). Anything else gives None: the caller
counts it; nothing here raises.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
# Month names of the other languages, searched only in sentences ("2 novembre 2026", "2 de
# noviembre de 2026", "2. November 2026"), folded (no marks: "février" → "fevrier").
_FOREIGN_MONTHS = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
    "janeiro": 1, "fevereiro": 2, "marco": 3, "maio": 5, "junho": 6, "julho": 7, "setembro": 9,
    "outubro": 10, "novembro": 11, "dezembro": 12,
    "januar": 1, "februar": 2, "marz": 3, "juni": 6, "juli": 7, "oktober": 10, "dezember": 12,
    "gennaio": 1, "febbraio": 2, "aprile": 4, "maggio": 5, "giugno": 6, "luglio": 7,
    "settembre": 9, "ottobre": 10, "dicembre": 12,
}  # fmt: skip
_ALL_MONTHS = {**_MONTHS, **_FOREIGN_MONTHS}

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
# Whole texts the search would not trust in a sentence: "2024", "năm 2024", "11/2026", "05/11".
_YEAR_ONLY = re.compile(r"^(?:(?:nam|year|in)\s+)?(\d{4})$")
_MONTH_YEAR_NUMERIC = re.compile(r"^(?:thang\s+)?(\d{1,2})[/.-](\d{4})$")
_DAY_MONTH_NUMERIC = re.compile(r"^(?:ngay\s+)?(\d{1,2})[/.-](\d{1,2})$")

_UNITS = {
    "second": timedelta(seconds=1), "sec": timedelta(seconds=1), "giay": timedelta(seconds=1),
    "minute": timedelta(minutes=1), "min": timedelta(minutes=1), "phut": timedelta(minutes=1),
    "hour": timedelta(hours=1), "hr": timedelta(hours=1), "gio": timedelta(hours=1),
    "tieng": timedelta(hours=1), "day": timedelta(days=1), "ngay": timedelta(days=1),
    "week": timedelta(weeks=1), "tuan": timedelta(weeks=1), "month": timedelta(days=30),
    "thang": timedelta(days=30), "year": timedelta(days=365), "nam": timedelta(days=365),
}  # fmt: skip
# The same units in the other languages, every written form (plurals included), folded.
_FOREIGN_UNITS = {
    **dict.fromkeys(("seconde", "secondes", "segundo", "segundos", "sekunde", "sekunden",
                     "secondo", "secondi", "seconden", "detik"), timedelta(seconds=1)),
    **dict.fromkeys(("minutes", "minuto", "minutos", "minuten", "minuti", "minuut", "menit"),
                    timedelta(minutes=1)),
    **dict.fromkeys(("heure", "heures", "hora", "horas", "stunde", "stunden", "ora", "ore",
                     "uur", "jam"), timedelta(hours=1)),
    **dict.fromkeys(("jour", "jours", "dia", "dias", "tag", "tage", "tagen", "giorno", "giorni",
                     "dag", "dagen", "hari"), timedelta(days=1)),
    **dict.fromkeys(("semaine", "semaines", "semana", "semanas", "woche", "wochen", "settimana",
                     "settimane", "weken", "minggu"), timedelta(weeks=1)),
    **dict.fromkeys(("mois", "mes", "meses", "monat", "monate", "monaten", "mese", "mesi",
                     "maand", "maanden", "bulan"), timedelta(days=30)),
    **dict.fromkeys(("an", "ans", "annee", "annees", "ano", "anos", "jahr", "jahre", "jahren",
                     "anno", "anni", "jaar", "tahun"), timedelta(days=365)),
}  # fmt: skip
_ALL_UNITS = {**_UNITS, **_FOREIGN_UNITS}
_RELATIVE = re.compile(r"^(?:(?P<n>\d+|mot|an?|one)\s+)?(?P<unit>[a-z]+?)s?\s+(?:truoc|ago)$")
_DAYS_AGO = {"today": 0, "hom nay": 0, "yesterday": 1, "hom qua": 1, "hom kia": 2}
# Single words for today and yesterday in the other languages: only as the whole text.
_FOREIGN_DAYS_AGO = {
    "aujourd'hui": 0, "hier": 1, "hoy": 0, "ayer": 1, "hoje": 0, "ontem": 1, "heute": 0,
    "gestern": 1, "oggi": 0, "ieri": 1, "vandaag": 0, "gisteren": 1, "hari ini": 0, "kemarin": 1,
}  # fmt: skip
_JUST_NOW = frozenset({"just now", "vua xong", "vua moi", "moi day"})


def _alternatives(words: Iterable[str]) -> str:
    """A regex alternation of ``words``, longest first (so "september" wins over "sep")."""
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


_EN_MONTH = _alternatives(_MONTHS)
_ANY_MONTH = _alternatives(_ALL_MONTHS)
# "May 5" in a sentence is too often the verb: English yearless dates leave it out.
_EN_MONTH_NOT_MAY = _alternatives(m for m in _MONTHS if m != "may")
_COUNT = r"(?P<n>\d{1,6}|mot|an?|one|un|une|una|uno|um|uma|ein|eine|einem|einer|een|satu|se)"
_UNIT = rf"(?P<unit>{_alternatives(_ALL_UNITS)})(?:s|es)?"
_TIME_AFTER = r"(?:,?\s+(?:at\s+|luc\s+|a\s+|um\s+|alle\s+)?(\d{1,2})[:h](\d{2})(?::(\d{2}))?)?"
_NO_DIGIT_BEFORE = r"(?<![\d.,/:-])"

# The search pass: each pattern with its tier (lower wins) and how it is read.
_S_ISO = re.compile(
    r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?\s*"
    r"(Z|[+-]\d{2}:?\d{2})?(?![\d:])",
    re.IGNORECASE,
)
_S_NUMERIC = re.compile(
    _NO_DIGIT_BEFORE + r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?!\d|[/.-]\d)" + _TIME_AFTER
)
_S_YMD = re.compile(_NO_DIGIT_BEFORE + r"(\d{4})([/.])(\d{1,2})\2(\d{1,2})(?!\d|[/.-]\d)")
_S_VI_WORDS = re.compile(r"(?<!\d)(\d{1,2})\s+thang\s+(\d{1,2}),?\s*(?:nam\s+)?(\d{4})(?!\d)")
_S_VI_MONTH_FIRST = re.compile(r"\bthang\s+(\d{1,2})\s+(\d{1,2}),\s*(\d{4})(?!\d)")
_S_EN_MDY = re.compile(rf"\b({_EN_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})(?!\d)")
_S_DMY = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th|er)?\.?\s+(?:of\s+|de\s+)?({_ANY_MONTH})\.?,?\s+"
    rf"(?:de\s+)?(\d{{4}})(?!\d)"
)
_S_VI_MONTH = re.compile(r"\bthang\s+(\d{1,2})(?:\s*[,/.-]\s*|\s+nam\s+|\s+)(\d{4})(?!\d)")
_S_MONTH_YEAR = re.compile(rf"\b({_ANY_MONTH})\.?,?\s+(?:de\s+)?(\d{{4}})(?!\d)")
_S_VI_DAY = re.compile(r"(?<!\d)(\d{1,2})\s+thang\s+(\d{1,2})(?!\d)")
_S_DAY_MONTH_NUMERIC = re.compile(
    r"\b(?:ngay|on|le|el|am|il|posted|dang)\s+(\d{1,2})[/.-](\d{1,2})(?!\d|[/.-]\d)"
)
_S_EN_MD = re.compile(rf"\b({_EN_MONTH_NOT_MAY})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!,?\s*\d)")
_S_EN_DM = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_EN_MONTH})\b(?!\.?,?\s*\d)"
)
_S_RELATIVE_AFTER = re.compile(
    rf"(?:\b{_COUNT}\s+)?\b{_UNIT}\s+(?:truoc|ago|fa|atras|(?:yang\s+)?lalu|geleden)\b"
)
_S_RELATIVE_BEFORE = re.compile(rf"\b(?:il y a|hace|ha|vor|faz)\s+{_COUNT}\s+{_UNIT}\b")
_S_DAY_WORDS = re.compile(
    r"\b(?P<word>today|yesterday|hom nay|hom qua|hom kia|just now|vua xong|vua moi|moi day)\b"
)
_MAX_SEARCHED = 300


def _fold(text: str) -> str:
    """Lower-case, without marks, "đ" → "d", one kind of apostrophe, single spaces."""
    text = unicodedata.normalize("NFD", text.strip().lower()).replace("đ", "d")
    text = "".join(c for c in text if not unicodedata.combining(c)).replace("\u2019", "'")
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
    """The date in ``value`` with its precision, or None when none can be read.

    >>> now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    >>> read_date("Reviewed in the United States on July 1, 2024", now=now).moment.date()
    datetime.date(2024, 7, 1)
    >>> read_date("Tháng 11, 2026", now=now).precision
    'month'
    """
    if isinstance(value, datetime):
        try:
            aware = value if value.tzinfo else value.replace(tzinfo=tz)
            return ReadDate(aware.astimezone(UTC), "time")
        except (ValueError, OverflowError):  # at the edge of time: datetime.min an hour east
            return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return _from_epoch(float(value))
        except OverflowError:  # an int beyond a float's range
            return None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) <= 100:
            whole = _read_whole(text, now=now, tz=tz, day_first=day_first)
            if whole is not None:
                return whole
    except (ValueError, OverflowError):  # a date and nothing else, but no such day: "31/02/2024"
        return None
    return _search(text[:_MAX_SEARCHED], now=now, tz=tz, day_first=day_first)


def parse_date(
    value: object, *, now: datetime, tz: tzinfo = UTC, day_first: bool = True
) -> datetime | None:
    """An aware UTC datetime for ``value`` (``read_date``'s moment), or None when it cannot be read.

    >>> now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    >>> parse_date("3 ngày trước", now=now).date()
    datetime.date(2026, 11, 21)
    >>> parse_date("12/05/2024", now=now).date()
    datetime.date(2024, 5, 12)
    """
    read = read_date(value, now=now, tz=tz, day_first=day_first)
    return None if read is None else read.moment


def _from_epoch(seconds: float) -> ReadDate | None:
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    try:
        return ReadDate(datetime.fromtimestamp(seconds, UTC), "time")
    except (ValueError, OverflowError, OSError):
        return None


def _local(day: date, tz: tzinfo, clock: time = time()) -> datetime:
    return datetime.combine(day, clock).replace(tzinfo=tz).astimezone(UTC)


def _day(day: date, tz: tzinfo, order: str | None = None) -> ReadDate:
    return ReadDate(_local(day, tz), "day", order)


def _in_period(start: date, middle: date, precision: str, *, now: datetime, tz: tzinfo) -> ReadDate:
    """A month or a year the page gave without a day: noon of a day inside it, or ``now`` when the
    period is the current one and that day is still to come. Never an invented day the caller could
    mistake for the page's."""
    moment = _local(middle, tz, time(12))
    if _local(start, tz) <= now < moment:
        moment = now.astimezone(UTC)
    return ReadDate(moment, precision)


def _month(year: int, month: int, *, now: datetime, tz: tzinfo) -> ReadDate:
    return _in_period(date(year, month, 1), date(year, month, 15), "month", now=now, tz=tz)


def _year(year: int, *, now: datetime, tz: tzinfo) -> ReadDate:
    return _in_period(date(year, 1, 1), date(year, 7, 1), "year", now=now, tz=tz)


def _day_month(first: int, second: int, day_first: bool) -> tuple[int, int, str | None]:
    """(day, month, the order proved) of a numeric date's first two parts: a part over 12 can only
    be the day, whatever the site's order; else the site's order, which proves nothing."""
    if first > 12 >= second:
        return first, second, "day_first"
    if second > 12 >= first:
        return second, first, "month_first"
    return (first, second, None) if day_first else (second, first, None)


def _recent(month: int, day: int, *, now: datetime, tz: tzinfo) -> date:
    """The day and month of a date written without its year, in this year, or last year when this
    year's would be after today ("05/11" read on 29 Nov 2026 is 5 Nov 2026; "05/12" is 2025's)."""
    today = now.astimezone(tz).date()
    for year in (today.year, today.year - 1):
        try:
            candidate = date(year, month, day)
        except ValueError:  # 29 February of a year without one
            continue
        if candidate <= today:
            return candidate
    raise ValueError(f"no recent {day}/{month}")


def _read_whole(text: str, *, now: datetime, tz: tzinfo, day_first: bool) -> ReadDate | None:
    """The fast pass: ``text`` is a date and nothing else."""
    match = _ISO.match(text)
    if match:
        return _from_iso(match.groups(), tz)
    if _EPOCH.match(text):
        return _from_epoch(float(text))
    folded = _fold(text)
    timed = _TIME_FIRST.match(folded)  # "14:05 12/05/2024"
    if timed:
        day = _read_whole(timed.group(3), now=now, tz=UTC, day_first=day_first)
        if day is None or day.precision != "day":
            return None
        clock = time(int(timed.group(1)), int(timed.group(2)))
        return ReadDate(_local(day.moment.date(), tz, clock), "time", day.order)
    return _read_numeric(folded, now, tz, day_first) or _read_words(folded, now=now, tz=tz)


def _from_iso(groups: tuple[str | None, ...], tz: tzinfo) -> ReadDate:
    year, month, day, hour, minute, second, zone = groups
    moment = datetime(
        int(year or 0), int(month or 0), int(day or 0), int(hour or 0), int(minute or 0),
        int(second or 0),
    )  # fmt: skip
    precision = "day" if hour is None else "time"
    if zone is None:
        return ReadDate(moment.replace(tzinfo=tz).astimezone(UTC), precision)
    if zone.upper() == "Z":
        return ReadDate(moment.replace(tzinfo=UTC), precision)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return ReadDate((moment - sign * offset).replace(tzinfo=UTC), precision)


def _numeric(
    first: str, second: str, year: str, clock: tuple[str | None, ...], tz: tzinfo, day_first: bool
) -> ReadDate:
    day, month, order = _day_month(int(first), int(second), day_first)
    when = date(int(year), month, day)
    if clock[0] is None:
        return _day(when, tz, order)
    hour, minute, second_ = (int(part or 0) for part in clock)
    return ReadDate(_local(when, tz, time(hour, minute, second_)), "time", order)


def _read_numeric(text: str, now: datetime, tz: tzinfo, day_first: bool) -> ReadDate | None:
    match = _NUMERIC.match(text)
    if match:
        first, second, year, *clock = match.groups()
        return _numeric(first, second, year, tuple(clock), tz, day_first)
    match = _YMD_SLASH.match(text)
    if match:
        return _day(date(*(int(g) for g in match.groups())), tz)
    match = _MONTH_YEAR_NUMERIC.match(text)  # "11/2026", "tháng 11/2026"
    if match:
        return _month(int(match.group(2)), int(match.group(1)), now=now, tz=tz)
    match = _DAY_MONTH_NUMERIC.match(text)  # "05/11", "ngày 05/11"
    if match:
        day, month, order = _day_month(int(match.group(1)), int(match.group(2)), day_first)
        return _day(_recent(month, day, now=now, tz=tz), tz, order)
    match = _YEAR_ONLY.match(text)  # "2024", "năm 2024": the text is about a year
    if match:
        return _year(int(match.group(1)), now=now, tz=tz)
    return None


def _relative(count: str | None, step: timedelta, *, now: datetime, tz: tzinfo) -> ReadDate:
    """``count`` units of ``step`` before ``now``, as precise as the phrase: "3 ngày trước" is a
    day (the local day), "5 giờ trước" an hour, "2 tháng trước" a month."""
    amount = int(count) if count and count.isdigit() else 1
    moment = (now - amount * step).astimezone(tz)
    if step >= timedelta(days=365):
        return ReadDate(_local(moment.date(), tz), "year")
    if step >= timedelta(days=30):
        return ReadDate(_local(moment.date(), tz), "month")
    if step >= timedelta(days=1):
        return _day(moment.date(), tz)
    if step >= timedelta(hours=1):
        moment = moment.replace(minute=0, second=0, microsecond=0)
    return ReadDate(moment.astimezone(UTC), "time")


def _days_ago(days: int, *, now: datetime, tz: tzinfo) -> ReadDate:
    return _day(now.astimezone(tz).date() - timedelta(days=days), tz)


def _read_words(text: str, *, now: datetime, tz: tzinfo) -> ReadDate | None:
    if text in _JUST_NOW:
        return ReadDate(now.astimezone(UTC), "time")
    days = _DAYS_AGO.get(text, _FOREIGN_DAYS_AGO.get(text))
    if days is not None:
        return _days_ago(days, now=now, tz=tz)
    match = _RELATIVE.match(text)
    if match and match.group("unit") in _UNITS:
        return _relative(match.group("n"), _UNITS[match.group("unit")], now=now, tz=tz)
    match = _VI_WORDS.match(text)
    if match:
        month, day = int(match.group(2)), int(match.group(1))
        if match.group(3):
            return _day(date(int(match.group(3)), month, day), tz)
        return _day(_recent(month, day, now=now, tz=tz), tz)
    match = _VI_MONTH_FIRST.match(text)
    if match:
        month, day, year = (int(g) for g in match.groups())
        return _day(date(year, month, day), tz)
    for pattern, order in ((_EN_MDY, "mdy"), (_EN_DMY, "dmy")):
        match = pattern.match(text)
        if match:
            parts = dict(zip(order, match.groups(), strict=True))
            month_number = _MONTHS.get(parts["m"])
            if month_number is None:
                return None
            return _day(date(int(parts["y"]), month_number, int(parts["d"])), tz)
    match = _EN_MY.match(text)
    if match and match.group(1) in _MONTHS:
        return _month(int(match.group(2)), _MONTHS[match.group(1)], now=now, tz=tz)
    return None


def _ymd(year: int, month: int, day: int, tz: tzinfo) -> ReadDate:
    return _day(date(year, month, day), tz)


def _recent_day(
    month: int, day: int, order: str | None = None, *, now: datetime, tz: tzinfo
) -> ReadDate:
    return _day(_recent(month, day, now=now, tz=tz), tz, order)


def _search(text: str, *, now: datetime, tz: tzinfo, day_first: bool) -> ReadDate | None:
    """The date inside a sentence: every shape found, the best kept (lowest tier, then earliest).
    A candidate that names no real day ("31/02/2024") is passed over, never raised."""
    folded = _fold(text)
    found: list[tuple[int, int, ReadDate]] = []

    def keep(tier: int, match: re.Match[str], read: ReadDate | None) -> None:
        if read is not None:
            found.append((tier, match.start(), read))

    for match in _S_ISO.finditer(text):
        keep(0, match, _attempt(_from_iso, match.groups(), tz))
    for match in _S_NUMERIC.finditer(folded):
        first, _, second, year, *clock = match.groups()
        keep(0, match, _attempt(_numeric, first, second, year, tuple(clock), tz, day_first))
    for match in _S_YMD.finditer(folded):
        year, _, month, day = match.groups()
        keep(0, match, _attempt(_ymd, int(year), int(month), int(day), tz))
    for match in _S_VI_WORDS.finditer(folded):
        day, month, year = match.groups()
        keep(0, match, _attempt(_ymd, int(year), int(month), int(day), tz))
    for match in _S_VI_MONTH_FIRST.finditer(folded):
        month, day, year = match.groups()
        keep(0, match, _attempt(_ymd, int(year), int(month), int(day), tz))
    for match in _S_EN_MDY.finditer(folded):
        name, day, year = match.groups()
        keep(0, match, _attempt(_ymd, int(year), _MONTHS[name], int(day), tz))
    for match in _S_DMY.finditer(folded):
        day, name, year = match.groups()
        keep(0, match, _attempt(_ymd, int(year), _ALL_MONTHS[name], int(day), tz))
    if found:  # a full date: nothing less precise can win
        return min(found, key=lambda item: item[:2])[2]

    for match in _S_VI_MONTH.finditer(folded):
        keep(1, match, _attempt(_month, int(match[2]), int(match[1]), now=now, tz=tz))
    for match in _S_MONTH_YEAR.finditer(folded):
        keep(1, match, _attempt(_month, int(match[2]), _ALL_MONTHS[match[1]], now=now, tz=tz))
    for match in _S_VI_DAY.finditer(folded):
        keep(2, match, _attempt(_recent_day, int(match[2]), int(match[1]), now=now, tz=tz))
    for match in _S_DAY_MONTH_NUMERIC.finditer(folded):
        day, month, order = _day_month(int(match[1]), int(match[2]), day_first)
        keep(2, match, _attempt(_recent_day, month, day, order, now=now, tz=tz))
    for match in _S_EN_MD.finditer(folded):
        keep(2, match, _attempt(_recent_day, _MONTHS[match[1]], int(match[2]), now=now, tz=tz))
    for match in _S_EN_DM.finditer(folded):
        keep(2, match, _attempt(_recent_day, _MONTHS[match[2]], int(match[1]), now=now, tz=tz))
    for pattern in (_S_RELATIVE_AFTER, _S_RELATIVE_BEFORE):
        for match in pattern.finditer(folded):
            step = _ALL_UNITS[match["unit"]]
            keep(3, match, _attempt(_relative, match["n"], step, now=now, tz=tz))
    for match in _S_DAY_WORDS.finditer(folded):
        if match["word"] in _JUST_NOW:
            keep(3, match, ReadDate(now.astimezone(UTC), "time"))
        else:
            keep(3, match, _attempt(_days_ago, _DAYS_AGO[match["word"]], now=now, tz=tz))
    return min(found, key=lambda item: item[:2])[2] if found else None


def _attempt(read: Callable[..., ReadDate | None], *args: Any, **kwargs: Any) -> ReadDate | None:
    """``read(*args, **kwargs)``, or None when the text named no real day or an instant out of
    range."""
    try:
        return read(*args, **kwargs)
    except (ValueError, OverflowError):
        return None
