from __future__ import annotations

from crawler.source_spider import ReviewSpider


class CssSpider(ReviewSpider):
    """Reviews of one source of the `css` kind (:mod:`crawler.extract.css`)."""

    name = "css"
