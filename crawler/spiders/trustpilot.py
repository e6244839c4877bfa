from __future__ import annotations

from crawler.source_spider import ReviewSpider


class TrustpilotSpider(ReviewSpider):
    """Reviews of one source of the `trustpilot` kind (:mod:`crawler.extract.trustpilot`)."""

    name = "trustpilot"
