from __future__ import annotations

from crawler.source_spider import ReviewSpider


class FoodySpider(ReviewSpider):
    """Reviews of one source of the `foody` kind (:mod:`crawler.extract.foody`)."""

    name = "foody"
