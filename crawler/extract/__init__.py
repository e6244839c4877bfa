"""Pure extractors: a page or JSON document in, review and aggregate dicts out. No Scrapy here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from crawler.extract import schemaorg
from crawler.items import ExtractedPage

Extractor = Callable[[bytes, str, Mapping[str, Any]], ExtractedPage]

#: Each source kind's page reader: ``(body, url, options) → ExtractedPage``.
EXTRACTORS: dict[str, Extractor] = {
    "schemaorg": lambda body, url, options: schemaorg.extract_page(
        body, url, next_selector=options.get("next")
    ),
}


def extract(kind: str, body: bytes, url: str, options: Mapping[str, Any]) -> ExtractedPage:
    """Run the ``kind`` extractor on one page (``KeyError`` for an unknown kind)."""
    return EXTRACTORS[kind](body, url, options)
