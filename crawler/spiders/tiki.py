from __future__ import annotations

from crawler.source_spider import ReviewSpider


class TikiSpider(ReviewSpider):
    """Reviews of one source of the `tiki` kind (:mod:`crawler.extract.tiki`)."""

    name = "tiki"
