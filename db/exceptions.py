"""Every exception Service Ladder raises on purpose, in one module (as Scrapy keeps its own in
``scrapy/exceptions.py``).

They all derive from :class:`LadderError`, so the ``ladder`` command turns any of them into
``Error: …`` (exit 1) in one place; anything else that escapes is a bug and shows its traceback.
Each message names what failed and what to do about it.

The module lives in ``db``, the bottom layer that every other package may import (``db`` imports
nothing else of ours): the crawler, the analysis and the scheduler raise from here, and the
Scrapyd egg, which ships ``crawler`` and ``db`` only, carries it.
"""

from __future__ import annotations


class LadderError(Exception):
    """The base of every error Service Ladder reports to its user."""


# The database ----------------------------------------------------------------------------------


class DatabaseError(LadderError):
    """The database file cannot be used, or a write to it failed; the message says why and what
    to do."""


# Configuration -----------------------------------------------------------------------------------


class ConfigError(LadderError):
    """ladder.toml cannot be used; the message names the file, the key and the fix."""


class NotFound(LadderError):
    """A business, job, week or table named on the command line is not there."""


# Crawling ----------------------------------------------------------------------------------------


class CrawlError(LadderError):
    """A crawl could not be started (unknown business, no sources); the message says what to do."""


class Dropped(LadderError):
    """A review that validation refused, with the reason it is counted under
    (``ladder/dropped/<reason>``). Caught by the pipelines and the importer; never reaches the
    user as an error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FeedError(LadderError):
    """A Scrapyd item feed or its result line cannot be read; the message says which and why."""


class FetchError(LadderError):
    """The page given to ``ladder extract`` could not be read; the message says why."""


class ImportFailed(LadderError):
    """The file given to ``ladder import`` cannot be imported; the message says why and what to
    do."""


class ScrapydError(LadderError):
    """A Scrapyd node refused or failed a request; the message names the node and what to do."""


class NodeDown(ScrapydError):
    """The node did not answer (down, unreachable, or too slow)."""


# The analysis and the report -------------------------------------------------------------------


class AnalysisError(LadderError):
    """The analysis cannot answer the question asked (no such week, segment or business); the
    message says what to ask instead."""


class ReportError(AnalysisError):
    """The report cannot be built for the week asked; the message says why and what to do."""


class LabelError(LadderError):
    """A labels file (``ladder evaluate``) cannot be read; the message names the line."""


class CatalogueError(LadderError, ValueError):
    """A translation catalogue (``.po``) that cannot be read; the message names the file and
    line. Shipped catalogues are tested, so this is a bug in an edited catalogue."""


# Delivery and the web --------------------------------------------------------------------------


class MailError(LadderError):
    """Why a message could not be delivered by SMTP, and what to do about it.

    ``permanent`` is True when trying again will not help (a refused login or recipient, a 5xx
    answer, a certificate that does not verify), False for what may pass later (no connection, a
    timeout, a 4xx answer).
    """

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class ReportNotDelivered(LadderError):
    """The weekly job could not deliver its report; the report waits in the outbox."""


class ServeError(LadderError):
    """Datasette cannot be started, or a table cannot be exported; the message says what to
    install or change."""
