"""Pure extractors: a page or JSON document in, review and aggregate dicts out. No Scrapy here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from crawler.extract import css, foody, schemaorg, tiki, trustpilot
from crawler.extract.encoding import as_utf8
from crawler.items import ExtractedPage

__all__ = ["EXTRACTORS", "Extractor", "as_utf8", "extract"]

Extractor = Callable[[bytes, str, Mapping[str, Any]], ExtractedPage]

#: Each source kind's page reader: ``(body, url, options) → ExtractedPage``.
EXTRACTORS: dict[str, Extractor] = {
    "schemaorg": lambda body, url, options: schemaorg.extract_page(
        body, url, next_selector=options.get("next")
    ),
    "trustpilot": lambda body, url, options: trustpilot.extract_page(body, url),
    "tiki": lambda body, url, options: tiki.extract_page(body, url),
    "foody": lambda body, url, options: foody.extract_page(body, url),
    "css": css.extract_page,
}


def extract(
    kind: str, body: bytes, url: str, options: Mapping[str, Any], content_type: str | None = None
) -> ExtractedPage:
    """Run the ``kind`` extractor on one page (``KeyError`` for an unknown kind). The page is
    first re-encoded as UTF-8 from whatever it was served in (:mod:`crawler.extract.encoding`)."""
    return EXTRACTORS[kind](as_utf8(body, content_type), url, options)
