"""The local crawl engine: each source crawled as its own ``python -m crawler crawl`` subprocess.

:func:`run_crawl` crawls one source in a subprocess (a second in-process crawl would hit
``ReactorNotRestartable``), in a new session so a timeout kills its whole process group, under the
source's lock file (:func:`scheduler.crawl.targets.source_lock`, inherited by the crawl process,
so a crawl whose parent was killed still holds it) so two crawls of one source never overlap,
with its log kept beside the database. The ``crawl_runs`` row is created here and
completed by the crawl; when the crawl dies before completing it, it is completed here with the
reason.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from db import open_db
from db.queries import crawl_run
from db.rows import utc_iso
from db.store import (
    start_crawl_run,
    update_crawl_run,
)
from scheduler import clock
from scheduler.config import Config
from scheduler.crawl.targets import (
    CrawlOutcome,
    CrawlTarget,
    crawl_log_path,
    crawl_settings,
    source_lock,
    spider_options,
    sync_config,
)

logger = logging.getLogger(__name__)

#: Seconds a crawl gets to stop after each of two SIGTERMs (the first asks Scrapy to close
#: cleanly, the second to stop at once) before SIGKILL.
KILL_GRACE_SECONDS = 5.0


def crawl_command(
    config: Config, target: CrawlTarget, run_id: int, *, full: bool = False
) -> list[str]:
    """The ``python -m crawler crawl`` command line for one source (``full``: every page, not only
    until the first page of known reviews)."""
    source = target.source
    settings = {"LADDER_DB": str(config.database.resolve()), **crawl_settings(config, target)}
    command = [sys.executable, "-m", "crawler", "crawl", source.kind]
    arguments = {
        "url": source.url,
        "business": target.business.name,
        "run_id": run_id,
        "options": json.dumps(spider_options(target), ensure_ascii=False),
        "full": int(full),
    }
    if (frozen := clock.frozen()) is not None:  # relative dates read from the same instant
        arguments["now"] = frozen.isoformat()
    for name, value in arguments.items():
        command += ["-a", f"{name}={value}"]
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    return command


def run_crawl(
    config: Config,
    target: CrawlTarget,
    *,
    source_id: int | None = None,
    on_start: Callable[[CrawlTarget, int], None] | None = None,
    cancel: threading.Event | None = None,
    full: bool = False,
) -> CrawlOutcome:
    """Crawl one source in a subprocess and return its ``crawl_runs`` row.

    Never raises for a crawl that fails: the failure is recorded in the row (``ok = 0`` and
    ``health`` saying why) and the outcome says so. Setting ``cancel`` stops the crawl.
    """
    if source_id is None:
        source_id = sync_config(config)[target.business.name, target.source.kind, target.source.url]
    with source_lock(config, source_id) as lock:
        if not lock:
            return CrawlOutcome(target, None, skipped="another crawl of this source is running")
        started = clock.now()
        log_path = crawl_log_path(config, target, started)
        with contextlib.closing(open_db(config.database)) as db:
            run_id = start_crawl_run(
                db, source_id, target.source.kind, log_path=str(log_path), now=started
            )
        if on_start is not None:
            on_start(target, run_id)
        if target.source.options.get("ignore_robots"):
            logger.warning(
                "%s: robots.txt ignored (ignore_robots = true in %s)", target.label, config.path
            )
        command = crawl_command(config, target, run_id, full=full)
        returncode, stopped = _run_subprocess(config, command, log_path, cancel, lock.fd)
        with contextlib.closing(open_db(config.database)) as db:
            run = crawl_run(db, run_id)
            if stopped or run.finished_at is None:  # killed, or died before recording its end
                reason = stopped or f"exit code {returncode}"
                health = {
                    "timeout": f"stopped after {config.crawl.source_timeout:g} s "
                    "([crawl].source_timeout)",
                    "interrupted": "stopped before the end: the crawl was interrupted",
                }.get(reason, f"the crawl process failed ({reason}); see {log_path}")
                update_crawl_run(
                    db, run_id, finished_at=utc_iso(), finish_reason=reason, ok=0, health=health
                )
                run = crawl_run(db, run_id)
    return CrawlOutcome(target, run)


def _run_subprocess(
    config: Config,
    command: list[str],
    log_path: Path,
    cancel: threading.Event | None,
    lock_fd: int | None = None,
) -> tuple[int, str | None]:
    """``(exit code, None)``, or ``(exit code, "timeout" | "interrupted")`` when it was stopped.
    The crawl process inherits ``lock_fd``, the source's locked file: it holds the lock as long
    as it lives, even if this process is killed."""
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings", "PYTHONUNBUFFERED": "1"}
    deadline = time.monotonic() + config.crawl.source_timeout
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter, no shell
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=env,
            start_new_session=True,
            pass_fds=() if lock_fd is None else (lock_fd,),
        )
        try:
            while True:
                try:
                    return process.wait(timeout=0.5), None
                except subprocess.TimeoutExpired:
                    if cancel is not None and cancel.is_set():
                        stopped = "interrupted"
                    elif time.monotonic() >= deadline:
                        stopped = "timeout"
                    else:
                        continue
                    _kill_group(process)
                    return process.returncode, stopped
        except BaseException:  # KeyboardInterrupt in this thread: do not leave the crawl running
            _kill_group(process)
            raise


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the crawl's process group twice (Scrapy closes cleanly, then at once), then SIGKILL
    whatever is left of the group."""
    for _ in range(2):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=KILL_GRACE_SECONDS)
            break
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
