"""The kinds of review source and the options each accepts in ``ladder.toml``.

Importing this module does not import Scrapy: config validation and ``--help`` stay fast. A test
checks that every kind here has a spider of the same name and back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Range:
    """The values a number in ``ladder.toml`` may take: finite, between ``low`` and ``high``, each
    end allowed or not. NaN and infinities are never in a range."""

    low: float
    high: float
    low_included: bool = True
    high_included: bool = True

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, int | float) or isinstance(value, bool):
            return False
        if not math.isfinite(value):
            return False
        above = value >= self.low if self.low_included else value > self.low
        below = value <= self.high if self.high_included else value < self.high
        return above and below

    def __str__(self) -> str:
        """As messages and docs/configuration.md say it: "from 1 to 1000000", "more than 0, up
        to 3600", "more than 0, less than 1"."""
        low = f"from {_number(self.low)}" if self.low_included else f"more than {_number(self.low)}"
        if self.high_included:
            high = (
                f"to {_number(self.high)}" if self.low_included else f"up to {_number(self.high)}"
            )
        else:
            high = f"less than {_number(self.high)}"
        return (
            f"{low}, {high}" if not (self.low_included and self.high_included) else f"{low} {high}"
        )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


#: The longest crawl a source may ask for, and the longest wait between two of its requests.
PAGES = Range(1, 1_000_000)
DELAY = Range(0, 3600)


@dataclass(frozen=True)
class Option:
    type: type
    help: str
    default: object = None
    required: bool = False
    choices: tuple[str, ...] = ()
    #: For a number: the values it may take (checked when the config loads).
    range: Range | None = None


@dataclass(frozen=True)
class SourceKind:
    name: str
    summary: str
    options: dict[str, Option] = field(default_factory=dict)


#: Options every source accepts.
COMMON_OPTIONS = {
    "max_pages": Option(
        int, "stop after this many pages (default: [crawl].max_pages)", range=PAGES
    ),
    "delay": Option(
        float, "seconds between requests to this site (default: [crawl].delay)", range=DELAY
    ),
    "day_first": Option(bool, "read 03/05/2024 as 3 May (set false for American sites)", True),
    "schedule": Option(str, "cron expression for this source's crawls (default: [schedule].crawl)"),
    "ignore_robots": Option(
        bool,
        "ignore this site's robots.txt (only for a site you own; logged at every crawl)",
        False,
    ),
}

_CSS_OPTIONS = {
    "review": Option(str, "selector of each review's block", required=True),
    "rating": Option(str, "selector of the rating, within the block"),
    "rating_from": Option(
        str,
        "how the rating is written: text, width (a star bar's width %), class or attr:NAME",
        "text",
    ),
    "rating_scale": Option(
        float, "the best rating on this site's scale", 5.0, range=Range(0, 1000, False)
    ),
    "title": Option(str, "selector of the title"),
    "body": Option(str, "selector of the review text"),
    "date": Option(str, 'selector of the date, e.g. "time::attr(datetime)"'),
    "author": Option(str, "selector of the reviewer's name (stored only as a salted hash)"),
    "id": Option(str, 'selector of the review\'s own id, e.g. "::attr(data-review-id)"'),
    "reply": Option(str, "selector of the owner's reply"),
    "reply_date": Option(str, "selector of the reply's date"),
    "next": Option(str, "selector of the next-page link"),
}

#: Kinds that read something other than reviews.
SIGNAL_KINDS = frozenset({"signals"})

SOURCE_KINDS = {
    kind.name: kind
    for kind in (
        SourceKind(
            "schemaorg",
            "schema.org Review and AggregateRating in JSON-LD or microdata, on any site",
            {"next": Option(str, "CSS selector of the next-page link, where there is no rel=next")},
        ),
        SourceKind(
            "trustpilot",
            "Trustpilot-style company pages: reviews in the page's __NEXT_DATA__ JSON, ?page=N",
        ),
        SourceKind(
            "tiki",
            "Tiki-style marketplace review API: JSON with data and paging, page and limit",
        ),
        SourceKind(
            "foody",
            "Foody-style review feed: JSON Items paged with a LastId cursor, ratings out of 10",
        ),
        SourceKind("css", "any other site, read with CSS or XPath selectors", _CSS_OPTIONS),
        SourceKind(
            "signals",
            "a business's own site: channels, chat, hours, returns and other service signals",
        ),
    )
}


def source_options(kind: str) -> dict[str, Option]:
    """Every option ``kind`` accepts (``KeyError`` for an unknown kind)."""
    return {**COMMON_OPTIONS, **SOURCE_KINDS[kind].options}


def with_defaults(kind: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """Every option of ``kind``: the value given, else the option's default."""
    return {name: given.get(name, option.default) for name, option in source_options(kind).items()}
