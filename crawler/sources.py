"""The kinds of review source and the options each accepts in ``ladder.toml``.

Importing this module does not import Scrapy: config validation and ``--help`` stay fast. A test
checks that every kind here has a spider of the same name and back.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Option:
    type: type
    help: str
    default: object = None


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
}

SOURCE_KINDS = {
    kind.name: kind
    for kind in (
        SourceKind(
            "schemaorg",
            "schema.org Review and AggregateRating in JSON-LD or microdata, on any site",
            {"next": Option(str, "CSS selector of the next-page link, where there is no rel=next")},
        ),
    )
}


def source_options(kind: str) -> dict[str, Option]:
    """Every option ``kind`` accepts (``KeyError`` for an unknown kind)."""
    return {**COMMON_OPTIONS, **SOURCE_KINDS[kind].options}
