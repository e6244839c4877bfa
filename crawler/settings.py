"""Scrapy settings for Service Ladder: politeness, pipelines, extensions.

Scrapy concerns only. Project values (database, contact, delays, timezone) arrive from ``ladder
crawl`` as ``-s NAME=VALUE``; the defaults below are polite enough for a crawl started by hand.
"""

import os

BOT_NAME = "service-ladder"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Identify honestly; `ladder crawl` appends the contact from ladder.toml.
USER_AGENT = "ServiceLadder/0.1 (+https://github.com/service-ladder/service-ladder)"
ROBOTSTXT_OBEY = True

# One request at a time per site, spaced out and slowed further when the site slows down.
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 2.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_BACKOFF_BASE = 2.0
RETRY_BACKOFF_MAX = 120.0
DOWNLOADER_MIDDLEWARES = {
    # A listing stays on its source's origin (scheme, host and port), not just its host name.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.middlewares.SameOriginMiddleware": 50,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.RobotsRfc9309Middleware": 100,  # closed where RFC 9309 says closed
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    # Never used by a crawl of public pages: each middleware is a call per request and response.
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
}
SPIDER_MIDDLEWARES = {
    # The walk limits its own pages (max_pages), sends no Referer (a crawl has no need to say
    # where it came from), and copies no meta between requests: three calls less per page.
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.referer.RefererMiddleware": None,
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}

ITEM_PIPELINES = {
    "crawler.pipelines.NormalizePipeline": 100,
    "crawler.pipelines.StorePipeline": 900,
    "crawler.pipelines.SignalStorePipeline": 910,
}
EXTENSIONS = {
    "crawler.extensions.CrawlRunRecorder": 500,
    # Scrapy 2.19 starts in every crawl an HTTP server on localhost that runs the Python code it is
    # sent (for Scrapy's MCP server), its token in a file under ~/.local/state that a killed crawl
    # leaves behind. An unattended crawl wants neither; it also saves importing aiohttp.
    "scrapy.extensions.remote_control.RemoteControl": None,
}

# What a callback returns is processed by CONCURRENT_ITEMS asyncio tasks per response (Scrapy makes
# them all, whatever it returns); ours return a page's item and its next request, handled one after
# the other (the pipelines do not wait), so the default 100 tasks a page were a fifth of its CPU.
CONCURRENT_ITEMS = 1

# Scrapy reads a generator callback's source (inspect, ast) on every response to warn about a
# `return value` in it; our callbacks are tested, and the check was a third of a page's CPU.
WARN_ON_GENERATOR_RETURN_VALUE = False

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"

# Service Ladder's own settings.
LADDER_DB = None  # path of the SQLite database (required)
LADDER_MAX_PAGES = 200  # per source and run, unless the source sets max_pages
LADDER_TIMEZONE = "UTC"  # the zone dates without one are read in
LADDER_SALT = os.environ.get("LADDER_SALT")  # reviewer-hash salt; else the database's own
