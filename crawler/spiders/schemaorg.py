from __future__ import annotations

from crawler.source_spider import ReviewSpider


class SchemaorgSpider(ReviewSpider):
    """Reviews any site publishes as schema.org ``Review`` (JSON-LD or microdata).

    Pages are read by :func:`crawler.extract.schemaorg.extract_page`; the next page is the
    ``rel=next`` link, or the link matched by the source's ``next`` CSS selector.
    """

    name = "schemaorg"
