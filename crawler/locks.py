"""A source's lock file: whoever crawls a source holds an ``flock`` on ``locks/source-N.lock`` for
as long as it crawls, so two crawls of one source never overlap. An ``flock`` belongs to the open
file, so it is held while any process that has the file open lives, and released when the last
one ends, even by SIGKILL.

Taken by the crawl process as each source starts (:mod:`crawler.batch`), and by the Scrapyd engine
while it watches its jobs (:func:`scheduler.crawl.targets.source_lock`).
"""

from __future__ import annotations

import contextlib
import fcntl
from pathlib import Path
from typing import IO


def try_lock(path: Path | str) -> IO[str] | None:
    """The lock file at ``path``, open and locked; None (without waiting) when another holds it."""
    handle = Path(path).open("a")  # noqa: SIM115 - held until unlock()
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def unlock(handle: IO[str]) -> None:
    """Release and close a lock :func:`try_lock` took."""
    with contextlib.suppress(OSError):
        fcntl.flock(handle, fcntl.LOCK_UN)
    handle.close()
