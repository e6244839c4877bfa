"""The composition root's one clock.

Every "now" of a command, a job or the demo comes from :func:`now`, once, and is handed down:
the analysis, the report and the crawl processes all see the same instant, and "this week" is
always the week of the configured time zone (``[schedule] timezone``). ``LADDER_NOW`` (an ISO-8601
instant with its zone) freezes it: for tests at a week's boundaries, and for re-running a day
exactly as it was.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime

from db.exceptions import ConfigError

VARIABLE = "LADDER_NOW"


def now() -> datetime:
    """The current instant in UTC, or the one ``LADDER_NOW`` names."""
    return frozen() or datetime.now(UTC)


def frozen() -> datetime | None:
    """The instant ``LADDER_NOW`` names (in UTC), or ``None`` when the clock runs."""
    frozen = os.environ.get(VARIABLE, "").strip()
    if not frozen:
        return None
    try:
        moment = datetime.fromisoformat(frozen.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"{VARIABLE}={frozen!r} is not an ISO-8601 instant; write e.g. 2026-11-29T17:30:00Z"
        ) from None
    if moment.tzinfo is None:
        raise ConfigError(f"{VARIABLE}={frozen!r} has no time zone; end it with Z or +07:00")
    return moment.astimezone(UTC)


@contextlib.contextmanager
def held(moment: datetime) -> Iterator[datetime]:
    """Freeze the clock at ``moment`` for the block, for this process and the crawl processes it
    starts (they inherit ``LADDER_NOW``): one command, one instant."""
    if moment.tzinfo is None:
        raise ValueError("held() needs a timezone-aware instant")
    old = os.environ.get(VARIABLE)
    os.environ[VARIABLE] = moment.astimezone(UTC).isoformat()
    try:
        yield moment.astimezone(UTC)
    finally:
        if old is None:
            os.environ.pop(VARIABLE, None)
        else:
            os.environ[VARIABLE] = old
