"""The kinds of review source and the options each accepts in ``ladder.toml``.

Importing this module does not import Scrapy: config validation and ``--help`` stay fast. A test
checks that every kind here has a spider of the same name and back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Option:
    type: type
    help: str
    default: object = None
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceKind:
    name: str
    summary: str
    options: dict[str, Option] = field(default_factory=dict)


#: Options every source accepts.
COMMON_OPTIONS = {
    "max_pages": Option(int, "stop after this many pages (default: [crawl].max_pages)"),
    "delay": Option(float, "seconds between requests to this site (default: [crawl].delay)"),
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
    "rating_scale": Option(float, "the best rating on this site's scale", 5.0),
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
