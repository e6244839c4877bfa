"""Opening hours: ``hours.per_week`` (float, "hours/week") and ``hours.open_24_7`` (True).

Detects:

- schema.org ``openingHoursSpecification`` (``dayOfWeek``/``opens``/``closes``; specs with
  ``validThrough`` are seasonal exceptions and skipped) and ``openingHours`` ("Mo-Fr 09:00-17:00"),
  in JSON-LD or microdata, one figure per business node;
- text, Vietnamese or English: "Giờ mở cửa: 8:00 – 22:00" (every day), "Mở cửa 7h - 21h30",
  "Thứ 2 - Thứ 7: 8h-17h, Chủ nhật: nghỉ", "Mon–Fri 9am–5pm, Sat 10am–2pm", "8:00-17:00 (T2-T6)",
  "Open 24/7", "mở cửa 24/24"; a range past midnight ("18:00 – 02:00") counts 8 hours. A range with
  no days counts for every day only after an hours word ("giờ mở cửa", "open", "hours"...).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from typing import Any

from crawler.extract.signals import Page, Signal

Schedule = dict[int, list[tuple[float, float]]]  # weekday (0 = Monday) → opening intervals

_EN_DAYS = "mon tue wed thu fri sat sun".split()
_VI_NUMBERS = {"hai": 2, "ba": 3, "tu": 4, "nam": 5, "sau": 6, "bay": 7}
_DAY = (
    r"(?:thu\s*(?:[2-7](?!\d|\s*(?:[:.h]\d|h\b|am|pm))|hai|ba|tu|nam|sau|bay)(?![a-z])"
    r"|t[2-7](?![a-z0-9])|chu nhat|cn(?![a-z])"
    r"|(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?"
    r"|sat(?:urday)?|sun(?:day)?)(?:\.|'s)?(?![a-z]))"
)
_TO = r"\s*(?:-|–|—|~|to|through|thru|den|toi)\s*"
_AND = r"\s*(?:,|&|and|va|/|\+)\s*"
_SPAN = rf"(?:(?<![a-z]){_DAY}(?:{_TO}{_DAY})?(?:{_AND}{_DAY}(?:{_TO}{_DAY})?)*)"
_EVERY_DAY = (
    r"hang ngay|moi ngay|ca tuan|(?:tat ca )?cac ngay trong tuan|tat ca cac ngay|7 ngay ?/ ?tuan"
    r"|7 ngay trong tuan|daily|every ?day|7 days(?: a week)?|all week"
)
_WEEKDAYS = r"week ?days|ngay thuong|(?<![a-z])m\s*[-–]\s*f(?![a-z])"  # "M-F"
_DAYS = rf"(?:{_SPAN}|(?P<every>{_EVERY_DAY})|(?P<weekdays>{_WEEKDAYS})"
_DAYS += r"|(?P<weekend>weekends?|cuoi tuan))"
_GAP = r"[\s:,(|]*(?:(?:tu|from|mo cua|open|lam viec|luc)\s*)?[\s:,]*"
_GAP_RE = re.compile(_GAP)
_BEFORE = re.compile(_DAYS + _GAP + r"\Z")
_AFTER = re.compile(r"\s*(?:\(|,|tu|from)?\s*" + _DAYS)
_CLOSED = re.compile(r"[\s,;.]*" + _DAYS + r"\s*[:,-]?\s*(?:closed|nghi|dong cua|khong lam viec)")
_DAY_TOKEN = re.compile(_DAY)


def _time(p: str) -> str:
    return (
        rf"(?P<{p}h>\d{{1,2}})(?:\s*(?P<{p}colon>[:.])\s*(?P<{p}m>[0-5]\d)"
        rf"|\s*(?P<{p}unit>h|g|gio)(?:\s*(?P<{p}mm>[0-5]\d))?)?"
        rf"(?:\s*(?P<{p}ap>a\.?m\.?|p\.?m\.?|sang|chieu|toi|trua|dem))?(?![a-z0-9])"
    )


_RANGE = re.compile(
    r"(?<![\d:./])" + _time("a") + r"\s*(?:-|–|—|~|to|until|till|den|toi)\s*" + _time("b")
)
_CONTEXT = re.compile(
    r"gio mo cua|gio lam viec|thoi gian (?:lam viec|mo cua|phuc vu)|mo cua|lam viec|phuc vu"
    r"|hoat dong|(?<![a-z])(?:open(?:ing)?|hours|we're open|we are open)(?![a-z])"
)
_NOT_HOURS = re.compile(
    r"(?<![a-z])(?:giao hang|delivery|shipping|happy hour|khuyen mai|sale|events?|su kien)(?![a-z])"
)
_ALWAYS = re.compile(
    r"(?:open|mo cua|phuc vu|hoat dong|lam viec|available|we're here)"
    r"[^.\n\d]{0,25}(?<![\d/])(?:24\s*/\s*7|24\s*/\s*24|24 hours a day|24 gio moi ngay)(?![\d/])"
)
_SCHEMA_DAYS = {d: i for i, d in enumerate("mo tu we th fr sa su".split())}


def extract(page: Page) -> list[Signal]:
    # Structured data is the business's own statement: the text is read only when there is none.
    figures = list(_from_schema(page.nodes)) or list(_from_text(page))
    signals = [page.signal("hours.per_week", total, "hours/week", seen) for total, seen in figures]
    always = [seen for total, seen in figures if total >= 168]
    match = _ALWAYS.search(page.folded)
    if match is not None:
        seen = page.snippet(*match.span())
        signals.append(page.signal("hours.per_week", 168.0, "hours/week", seen))
        always.append(seen)
    if always:
        signals.append(page.signal("hours.open_24_7", True, None, always[0]))
    return signals


def weekly_hours(schedule: Schedule) -> float:
    """Hours open in a week: each day's intervals merged, at most 24 a day."""
    total = 0.0
    for intervals in schedule.values():
        day, end = 0.0, -1.0
        for start, stop in sorted(intervals):
            if start >= end:
                day += stop - start
            elif stop > end:
                day += stop - end
            end = max(end, stop)
        total += min(day, 24.0)
    return round(total, 2)


def _add(schedule: Schedule, days: Iterable[int], opens: float, closes: float) -> None:
    if closes <= opens:
        closes += 24.0  # past midnight ("18:00 – 02:00"), or the whole day ("00:00 - 00:00")
    for day in days:
        schedule.setdefault(day, []).append((opens, closes))


def _from_schema(nodes: Iterable[dict[str, Any]]) -> Iterator[tuple[float, str]]:
    for node in nodes:
        schedule: Schedule = {}
        specs = node.get("openingHoursSpecification")
        for spec in specs if isinstance(specs, list) else [specs]:
            if not isinstance(spec, dict) or spec.get("validThrough"):
                continue
            opens, closes = _clock(spec.get("opens")), _clock(spec.get("closes"))
            if opens is not None and closes is not None:
                _add(schedule, _schema_days(spec.get("dayOfWeek")), opens, closes)
        texts = node.get("openingHours")
        for text in texts if isinstance(texts, list) else [texts]:
            if isinstance(text, str):
                for days, opens, closes in _opening_hours(text):
                    _add(schedule, days, opens, closes)
        if schedule:
            kind = "openingHoursSpecification" if specs else f"openingHours {texts}"
            yield weekly_hours(schedule), f"schema.org {kind}"


def _schema_days(value: Any) -> list[int]:
    days = value if isinstance(value, list) else [value]
    names = [d.rsplit("/", 1)[-1].lower()[:2] for d in days if isinstance(d, str)]
    return [_SCHEMA_DAYS[name] for name in names if name in _SCHEMA_DAYS]


def _opening_hours(text: str) -> Iterator[tuple[list[int], float, float]]:
    """schema.org ``openingHours``: "Mo-Fr 09:00-17:00", "Mo,We 10:00-14:00", "Mo-Su 00:00-24:00"."""
    for match in re.finditer(r"([A-Za-z,\- ]+?)\s+(\d{1,2}:\d\d)\s*-\s*(\d{1,2}:\d\d)", text):
        days: list[int] = []
        for part in match.group(1).replace(" ", "").lower().split(","):
            ends = [_SCHEMA_DAYS.get(end[:2]) for end in part.split("-")]
            if len(ends) == 2 and ends[0] is not None and ends[1] is not None:
                days.extend(_day_range(ends[0], ends[1]))
            elif len(ends) == 1 and ends[0] is not None:
                days.append(ends[0])
        opens, closes = _clock(match.group(2)), _clock(match.group(3))
        if days and opens is not None and closes is not None:
            yield days, opens, closes


def _clock(value: Any) -> float | None:
    match = re.match(r"\s*(\d{1,2}):(\d\d)", value) if isinstance(value, str) else None
    if match is None or int(match.group(1)) > 24:
        return None
    return int(match.group(1)) + int(match.group(2)) / 60


def _from_text(page: Page) -> Iterator[tuple[float, str]]:
    text = _spelled_out_times(page.folded)
    contexts = [m.end() for m in _CONTEXT.finditer(text)]
    schedule: Schedule = {}
    closed: set[int] = set()
    block_start = block_end = -1
    for match in _RANGE.finditer(text):
        hours = _hours(match)
        if hours is None or _NOT_HOURS.search(text, max(0, match.start() - 40), match.start()):
            continue
        days = _days_before(text, match.start(), block_end) or _days_after(text, match.end())
        nearest = bisect_right(contexts, match.start()) - 1  # the last hours word before
        if days is None and nearest >= 0 and match.start() - contexts[nearest] <= 80:
            days = list(range(7))
        if days is None:
            continue
        if schedule and match.start() - block_end > 80:
            yield _finish(page, schedule, closed, block_start, block_end)
            schedule, closed = {}, set()
        if not schedule:
            block_start = match.start()
        _add(schedule, days, *hours)
        block_end = match.end()
        closed |= _closed_after(text, block_end)
    if schedule:
        yield _finish(page, schedule, closed, block_start, block_end)


def _spelled_out_times(text: str) -> str:
    """Spelled-out times ("noon", "midnight", "nửa đêm") as clock times of the same length, so
    that spans stay aligned with the page text."""
    text = re.sub(r"(?<![a-z])noon(?![a-z])", "12pm", text)
    text = re.sub(r"(?<![a-z])midnight(?![a-z])", "12:00 am", text)
    return re.sub(r"(?<![a-z])nua dem(?![a-z])", "24h    ", text)


def _finish(
    page: Page, schedule: Schedule, closed: set[int], start: int, end: int
) -> tuple[float, str]:
    for day in closed:
        schedule.pop(day, None)
    line_start = page.text.rfind("\n", 0, start) + 1
    return weekly_hours(schedule), page.snippet(max(line_start, start - 60), end)


def _hours(match: re.Match[str]) -> tuple[float, float] | None:
    marked = [
        bool(match.group(p + "colon") or match.group(p + "unit") or match.group(p + "ap"))
        for p in "ab"
    ]
    if not marked[1]:
        return None
    opens, closes = _hour(match, "a"), _hour(match, "b")
    if opens is None or closes is None:
        return None
    pm_only = not match.group("aap") and (match.group("bap") or "").startswith("p")
    if pm_only and int(match.group("ah")) < int(match.group("bh")):
        opens += 12  # "1-5pm"
    return opens, closes


def _hour(match: re.Match[str], p: str) -> float | None:
    hour = int(match.group(p + "h"))
    minutes = int(match.group(p + "m") or match.group(p + "mm") or 0)
    suffix = (match.group(p + "ap") or "").replace(".", "")
    if hour > 24 or (hour == 24 and minutes):
        return None
    if suffix in ("am", "sang") and hour == 12:
        hour = 0
    elif (
        (suffix in ("pm", "chieu", "toi") and hour < 12)
        or (suffix == "trua" and hour < 6)
        or (suffix == "dem" and 6 <= hour < 12)
    ):
        hour += 12
    return hour + minutes / 60


def _days_before(text: str, start: int, previous_end: int) -> list[int] | None:
    segment = text[max(previous_end, start - 60, 0) : start]
    match = _BEFORE.search(segment)
    return None if match is None else _day_list(match)


def _days_after(text: str, end: int) -> list[int] | None:
    match = _AFTER.match(text, end, end + 60)
    if match is None:
        return None
    gap = _GAP_RE.match(text, match.end())
    if _RANGE.match(text, gap.end() if gap else match.end()):
        return None  # those days open the next entry: "9am–5pm, Sat 10am–2pm"
    return _day_list(match)


def _closed_after(text: str, end: int) -> set[int]:
    match = _CLOSED.match(text, end, end + 60)
    return set() if match is None else set(_day_list(match))


def _day_list(match: re.Match[str]) -> list[int]:
    if match.group("every"):
        return list(range(7))
    if match.group("weekdays"):
        return list(range(5))
    if match.group("weekend"):
        return [5, 6]
    spans = re.split(r"\s*(?:,|&|and|va|/|\+)\s*", match.group().strip(" :,(|"))
    days: list[int] = []
    for span in spans:
        ends = [_day_index(token.group()) for token in _DAY_TOKEN.finditer(span)]
        if len(ends) >= 2:
            days.extend(_day_range(ends[0], ends[-1]))
        elif ends:
            days.append(ends[0])
    return days


def _day_index(token: str) -> int:
    token = re.sub(r"[\s.]", "", token)
    rest = token[3:]
    if token.startswith(("chunhat", "cn")):
        return 6
    if token.startswith("thu") and (rest.isdigit() or rest in _VI_NUMBERS):
        return (int(rest) if rest.isdigit() else _VI_NUMBERS[rest]) - 2
    if re.fullmatch(r"t[2-7]", token):
        return int(token[1]) - 2
    return _EN_DAYS.index(token[:3])


def _day_range(first: int, last: int) -> list[int]:
    return [(first + i) % 7 for i in range((last - first) % 7 + 1)]
