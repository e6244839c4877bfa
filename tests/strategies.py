"""Inputs shared by the property modules (``tests/test_properties_*.py``): hypothesis strategies
for JSON, URLs, dates and review text, and the fixed moments and patterns their properties check
against. A strategy used by one module only lives in that module.

Many strategies come in twins: ``safe=True`` draws realistic input, ``safe=False`` adds the shapes
that once broke a promise (integers beyond a float's range, lone surrogates, hrefs no URL parser
accepts, a field of the wrong type).
"""

from __future__ import annotations

import json
import re
import tomllib
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
SAIGON = ZoneInfo("Asia/Ho_Chi_Minh")
PAGE_URL = "https://reviews.example/shop/pho-hanh?page=1"
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)

# JSON, URLs and markup ----------------------------------------------------------------------

# Characters that make ``urlsplit`` raise when they sit in a URL's host: brackets (an unclosed
# IPv6 literal) and those whose NFKC form is one of ``/?#@:`` (computed once over all of Unicode).
URL_BREAKERS = (
    "[]\u2047\u2048\u2049\u2100\u2101\u2105\u2106\u2a74\ufe13\ufe16\ufe47\ufe48\ufe55\ufe56"
    "\ufe5f\ufe6b\uff03\uff0f\uff1a\uff1f\uff20\uff3b\uff3d"
)
#: Text that is safe in a URL field: everything but the host breakers and lone surrogates.
safe_text = st.text(st.characters(exclude_characters=URL_BREAKERS), max_size=24)
#: Any text at all, lone surrogates included (JSON's "\ud83d" escape yields one: a platform that
#: cuts a review at a UTF-16 boundary splits an emoji).
any_text = st.text(
    st.characters() | st.characters(categories=["Cs"]) | st.sampled_from(URL_BREAKERS),
    max_size=24,
)
#: Strings a review page really carries, so the extractors get past their first checks.
REALISTIC = (
    "4", "4.5", "4,5", "4/5", "9.2", "10", "0", "-1", "★★★★", "5 sao", "", " ", "\u00a0",
    "3 ngày trước", "hôm qua", "2 weeks ago", "2024-05-12", "2024-05-12T10:00:00+07:00",
    "12/05/2024", "31/02/2024", "1700000000", "1700000000000", "tháng 13 năm 99999",
    "Phở ngon, phục vụ nhanh!", "Nhân viên thờ ơ, sẽ không quay lại", "Great service",
    "<b>bold</b><br>line", "&amp;&lt;&#7903;&bogus;", "Review", "AggregateRating", "Comment",
    "Organization", "seller", "en", "vi", "true", "false",
)  # fmt: skip
BAD_URLS = ("//[", "http://[::1", "https://a\uff03b/", "http://x:99999999999/")


def json_values(*, safe: bool) -> st.SearchStrategy[Any]:
    """Any JSON value. ``safe`` leaves out integers beyond a float's range, lone surrogates and
    the URL host breakers, each once the trigger of a bug."""
    integers = st.integers(-(2**64), 2**64)
    if not safe:
        integers |= st.integers(-(10**400), 10**400)
    text = (safe_text if safe else any_text) | st.sampled_from(REALISTIC)
    if not safe:
        text |= st.sampled_from(BAD_URLS)
    scalars = st.none() | st.booleans() | integers | st.floats() | text
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.text(max_size=8) | st.sampled_from(REALISTIC), children, max_size=4
            )
        ),
        max_leaves=10,
    )


SAFE_JSON = json_values(safe=True)
ANY_JSON = json_values(safe=False)


def either(shaped: st.SearchStrategy[Any], junk: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The value the API really sends, or anything else in its place."""
    return shaped | junk


def dumps(value: Any) -> str:
    return json.dumps(value, allow_nan=True)


ENTITIES = st.sampled_from(
    ["&amp;", "&lt;", "&gt;", "&#7903;", "&#x1F600;", "&#0;", "&#99999999;", "&bogus;", "&", "&#"]
)
TAG_NAMES = st.sampled_from(
    ["a", "link", "div", "span", "p", "br", "li", "script", "meta", "base", "title", "i", "ul"]
)

# Dates ---------------------------------------------------------------------------------------

VI_UNITS = ("ngày", "giờ", "tiếng", "tuần", "tháng", "năm", "phút", "giây")
EN_UNITS = ("day", "days", "hour", "hours", "week", "month", "year", "min", "sec", "weeks")
RELATIVE_PHRASES = st.builds(
    "{} {} {}".format,
    st.integers(0, 10**40) | st.sampled_from(["một", "a", "an", "one", "Mot"]),
    st.sampled_from(VI_UNITS + EN_UNITS),
    st.sampled_from(["trước", "truoc", "ago", "TRƯỚC"]),
)
SMALL = st.integers(0, 99)
DATE_TEXTS = st.one_of(
    st.text(max_size=40),
    RELATIVE_PHRASES,
    st.builds(
        "{}{}{}{}{}".format,
        SMALL,
        st.sampled_from("/.-"),
        SMALL,
        st.sampled_from("/.-"),
        st.integers(0, 99999),
    ),
    st.builds("ngày {} tháng {} năm {}".format, SMALL, SMALL, st.integers(0, 99999)),
    st.builds("{} tháng {}, {}".format, SMALL, SMALL, st.integers(0, 99999)),
    st.builds("Tháng {} {}, {}".format, SMALL, SMALL, st.integers(0, 9999)),
    st.builds(
        "{}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}{}".format,
        st.integers(0, 9999),
        SMALL,
        SMALL,
        SMALL,
        SMALL,
        SMALL,
        st.sampled_from(["", "Z", "+07:00", "-1200", "+99:99", ".123Z"]),
    ),
    st.builds("{}:{} {}".format, SMALL, SMALL, st.sampled_from(["12/05/2024", "hôm qua", "x"])),
    st.builds(
        "{} {}, {}".format,
        st.sampled_from(["May", "Sept.", "Foo", "december"]),
        SMALL,
        st.integers(0, 99999),
    ),
    st.integers(0, 10**15).map(str),
    st.sampled_from(
        [
            "hôm qua",
            "Hôm nay",
            "hôm kia",
            "vừa xong",
            "just now",
            "today",
            "yesterday",
            "31/02/2024",
            "tháng 13 năm 99999",
            "3 ngày trước",
            "05/13/2024",
            "2024/02/30",
            "  ",
        ]
    ),
)
ZONES = st.sampled_from([UTC, SAIGON, ZoneInfo("America/New_York"), ZoneInfo("Pacific/Kiritimati")])
ZONES |= st.integers(-23 * 60, 23 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
NOWS = st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1), timezones=ZONES)


def date_values(*, safe: bool) -> st.SearchStrategy[Any]:
    # Safe: numbers within a float's range, datetimes a day away from the ends of time.
    numbers = st.integers(-(10**300), 10**300) | st.floats()
    moments = st.datetimes(datetime(1, 1, 2), datetime(9999, 12, 30), timezones=st.none() | ZONES)
    if not safe:
        numbers |= st.integers(-(10**400), 10**400)
        moments |= st.datetimes(timezones=st.none() | ZONES)
    return st.one_of(DATE_TEXTS, numbers, moments, st.none(), st.booleans(), SAFE_JSON)


# Review text ---------------------------------------------------------------------------------

MARKS = "\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b"  # Vietnamese tones and vowel marks
ODD = (
    "\u200d", "\u200c", "\u200e", "\u200f", "\u202e", "\x00", "\u00a0", "\u200b", "\u2028", "\x85",
    "\ufeff", "\u0958", "\u2126", "ǅ", "İ", "ß", "ﬁ", "đ", "Đ", "’", "'", "_",
)  # fmt: skip
TEENCODE = ("ko", "k", "dc", "đc", "bt", "sp", "nv", "r", "j", "vs", "wa", "ntn", "ok", "oke")
LEXICON_DIR = Path(__file__).parent.parent / "analysis" / "lexicon"


def lexicon_phrases() -> list[str]:
    """Every cue phrase of both lexicons, so generated reviews hit the ladder's rules."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.append(value.removeprefix("="))
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    for path in sorted(LEXICON_DIR.glob("*.toml")):
        walk(tomllib.loads(path.read_text(encoding="utf-8")))
    return sorted(set(found))


PHRASES = lexicon_phrases()
#: Words of a review: lexicon phrases, teencode, odd characters and combining marks anywhere.
REVIEW_PIECES = st.one_of(
    st.sampled_from(PHRASES),
    st.sampled_from(TEENCODE),
    st.sampled_from(ODD),
    st.sampled_from(MARKS),
    st.sampled_from([" ", ", ", ". ", "! ", " nhưng ", " but ", "…", "\n", "5★", "10/10", "'s"]),
    st.text(max_size=8),
    st.text(st.characters(categories=["Mn", "Mc", "Cf", "Zs", "Cc"]), max_size=3),
)
ANY_REVIEW_TEXT = st.lists(REVIEW_PIECES, max_size=12).map("".join) | st.text()
NFC_REVIEW_TEXT = ANY_REVIEW_TEXT.map(lambda text: unicodedata.normalize("NFC", text))
WITH_SURROGATES = st.text(st.characters() | st.characters(categories=["Cs"]))
#: Markup, entities and Google's translation wrapper, which clean_text takes apart.
MARKUP_PIECES = st.one_of(
    REVIEW_PIECES,
    ENTITIES,
    st.sampled_from(["<br>", "<br/>", "</p>", "<b>", "</div>", "<", ">", "<a href='x'>", "\r\n"]),
    st.sampled_from(["(Translated by Google)", "(Original)", "(Được Google dịch)", "(Bản gốc)"]),
)
MARKUP_TEXT = st.lists(MARKUP_PIECES, max_size=12).map("".join)
