"""The local crawl engine: every source of a crawl in one ``python -m crawler batch`` process.

:func:`run_crawls` hands the sources to one crawl process (:mod:`crawler.batch`): Python, Scrapy
and the project are loaded once, whatever the number of sources, and the process crawls
``[crawl].parallel`` sources at once, at most ``[crawl].concurrency_per_site`` of them on one site.
The process takes each source's lock (:func:`scheduler.crawl.targets.source_lock`'s file) itself,
as that source's crawl starts, and creates its ``crawl_runs`` row; the crawl completes the row.
A source whose crawl dies before completing its row is completed here with the reason: a crawl
over ``[crawl].source_timeout`` is stopped by the process itself, a process that stops saying it is
alive is killed with its process group, and so is the process when ``ladder crawl`` is
interrupted. Its own log, and every source's, is kept beside the database.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from crawler.addresses import origin
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
    BUSY,
    CrawlOutcome,
    CrawlTarget,
    crawl_log_path,
    crawl_settings,
    lock_path,
    log_path,
    spider_options,
    sync_config,
)

logger = logging.getLogger(__name__)

#: Seconds a crawl gets to stop after each of two SIGTERMs (the first asks Scrapy to close
#: cleanly, the second to stop at once) before SIGKILL.
KILL_GRACE_SECONDS = 5.0
#: A crawl process that has not said it is alive for this long is stuck, and killed (it says so
#: every :data:`crawler.batch.ALIVE_SECONDS`).
STALL_SECONDS = 120.0


def site(url: str) -> str:
    """The site a source's pages come from, for politeness: its origin (scheme, host, port)."""
    return "{}://{}:{}".format(*origin(url))


def crawl_command(
    config: Config, target: CrawlTarget, run_id: int | None = None, *, full: bool = False
) -> list[str]:
    """The ``python -m crawler crawl`` command line that crawls one source by itself, with the
    spider arguments and Scrapy settings a batch gives it (to run one source by hand, or to
    profile it)."""
    (source,) = batch_job(config, [target], {_key(target): 0}, full=full)["sources"]
    command = [sys.executable, "-m", "crawler", "crawl", target.source.kind]
    arguments = dict(source["arguments"], **({"run_id": run_id} if run_id is not None else {}))
    for name, value in arguments.items():
        command += ["-a", f"{name}={value}"]
    for name, value in source["settings"].items():
        command += ["-s", f"{name}={value}"]
    return command


def _key(target: CrawlTarget) -> tuple[str, str, str]:
    return target.business.name, target.source.kind, target.source.url


def batch_job(
    config: Config,
    targets: Sequence[CrawlTarget],
    ids: dict[tuple[str, str, str], int],
    *,
    full: bool = False,
) -> dict[str, Any]:
    """The job :mod:`crawler.batch` reads: the database, ``parallel``, and each source's spider
    arguments, Scrapy settings, site, log file and lock file."""
    started = clock.now()
    frozen = clock.frozen()
    sources = []
    for index, target in enumerate(targets):
        source = target.source
        source_id = ids[_key(target)]
        arguments: dict[str, Any] = {
            "url": source.url,
            "business": target.business.name,
            "options": json.dumps(spider_options(target), ensure_ascii=False),
            "full": str(int(full)),
        }
        if frozen is not None:  # relative dates read from the same instant
            arguments["now"] = frozen.isoformat()
        settings = {
            "LADDER_DB": str(config.database.resolve()),
            **crawl_settings(config, target),
            "CLOSESPIDER_TIMEOUT": config.crawl.source_timeout,
        }
        sources.append(
            {
                "index": index,
                "kind": source.kind,
                "source_id": source_id,
                "site": site(source.url),
                "site_limit": config.crawl.concurrency_per_site,
                "arguments": arguments,
                "settings": settings,
                "log": str(crawl_log_path(config, target, started)),
                "lock": str(lock_path(config, source_id)),
            }
        )
    return {
        "database": str(config.database.resolve()),
        "parallel": config.crawl.parallel,
        "now": frozen.isoformat() if frozen is not None else None,
        "sources": sources,
    }


def split_job(job: dict[str, Any], processes: int) -> list[dict[str, Any]]:
    """``job`` shared among at most ``processes`` crawl processes, each with a share of
    ``parallel`` (at least one source at a time each). Politeness holds across them: a site's
    sources are dealt among at most ``site_limit`` processes, and its limit is divided among
    them, so the site never has more of its sources crawled at once than ``site_limit``. Each
    process gets about as many sources as the others; the order within a process is the job's."""
    sources = job["sources"]
    count = max(1, min(processes, job["parallel"], len(sources)))
    shares = [{**job, "sources": []} for _ in range(count)]
    for number, share in enumerate(shares):
        share["parallel"] = job["parallel"] // count + (number < job["parallel"] % count)
    sites: dict[str, list[dict[str, Any]]] = {}
    for source in sources:
        sites.setdefault(source["site"], []).append(source)
    for group in sorted(sites.values(), key=len, reverse=True):
        limit = group[0]["site_limit"]
        parts = max(1, min(limit, count, len(group)))
        targets = sorted(range(count), key=lambda n: len(shares[n]["sources"]))[:parts]
        for part, number in enumerate(targets):
            part_limit = limit // parts + (part < limit % parts)
            shares[number]["sources"] += [
                {**source, "site_limit": part_limit} for source in group[part::parts]
            ]
    for share in shares:
        share["sources"].sort(key=lambda source: source["index"])
    return [share for share in shares if share["sources"]]


def process_count(config: Config) -> int:
    """How many crawl processes a crawl may use: ``[crawl].processes``, or one per CPU core."""
    return config.crawl.processes or os.cpu_count() or 1


def run_crawls(
    config: Config,
    targets: Sequence[CrawlTarget],
    *,
    ids: dict[tuple[str, str, str], int] | None = None,
    on_start: Callable[[CrawlTarget, int], None] | None = None,
    full: bool = False,
) -> list[CrawlOutcome]:
    """Crawl ``targets`` in the crawl processes (:func:`split_job`); their outcomes in the same
    order.

    Never raises for a crawl that fails: the failure is recorded in its row (``ok = 0`` and
    ``health`` saying why). Ctrl-C (KeyboardInterrupt) stops the processes and their crawls,
    records them as interrupted, and is raised again."""
    if ids is None:
        ids = sync_config(config)
    job = batch_job(config, targets, ids, full=full)
    for target in targets:
        if target.source.options.get("ignore_robots"):
            logger.warning(
                "%s: robots.txt ignored (ignore_robots = true in %s)", target.label, config.path
            )
    batches = [
        _Batch(share, batch_log_path(config), targets, on_start)
        for share in split_job(job, process_count(config))
    ]
    for batch in batches:
        threading.Thread(target=batch.run, daemon=True).start()
    # Waited for on events, not Thread.join: a Ctrl-C that interrupts Python 3.11's join marks
    # the thread as ended while it still runs (the next join returns at once).
    try:
        for batch in batches:
            while not batch.done.wait(0.5):
                pass
    except BaseException:  # Ctrl-C: stop every process and its crawls
        for batch in batches:
            batch.cancel.set()
        for batch in batches:
            batch.done.wait()
        for batch in batches:
            _complete_unfinished(config, targets, batch, "interrupted")
        raise
    outcomes: dict[int, CrawlOutcome] = {}
    for batch in batches:
        _complete_unfinished(config, targets, batch, batch.reason or "exit code ?")
    with contextlib.closing(open_db(config.database)) as db:
        for batch in batches:
            for index in batch.indexes:
                if index in batch.skipped:
                    outcomes[index] = CrawlOutcome(targets[index], None, skipped=BUSY)
                else:
                    outcomes[index] = CrawlOutcome(
                        targets[index], crawl_run(db, batch.run_ids[index])
                    )
    return [outcomes[index] for index in range(len(targets))]


def run_crawl(
    config: Config,
    target: CrawlTarget,
    *,
    on_start: Callable[[CrawlTarget, int], None] | None = None,
    full: bool = False,
) -> CrawlOutcome:
    """Crawl one source (:func:`run_crawls` of one) and return its outcome."""
    return run_crawls(config, [target], on_start=on_start, full=full)[0]


def batch_log_path(config: Config) -> Path:
    """The crawl process's own log (what is not one source's): ``logs/…-crawl-….log``."""
    return log_path(config, clock.now(), "crawl")


class _Batch:
    """One crawl process and what it said: the run id of every source it started, the sources
    it skipped, and how it ended (``reason``: ``"exit code N"``, ``"stalled"`` or
    ``"interrupted"``). :meth:`run` runs it to its end, on a thread of its own; setting
    ``cancel`` stops it."""

    def __init__(
        self,
        job: dict[str, Any],
        log_path: Path,
        targets: Sequence[CrawlTarget],
        on_start: Callable[[CrawlTarget, int], None] | None,
    ) -> None:
        self.job = job
        self.log_path = log_path
        self.targets = targets
        self.on_start = on_start
        self.indexes = [source["index"] for source in job["sources"]]
        self.run_ids: dict[int, int] = {}
        self.skipped: set[int] = set()
        self.reason: str | None = None
        self.cancel = threading.Event()
        self.done = threading.Event()

    def run(self) -> None:
        try:
            self.reason = self._run()
        except BaseException as error:
            self.reason = f"could not run the crawl process ({error})"
        finally:
            self.done.set()

    def _run(self) -> str:
        env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings", "PYTHONUNBUFFERED": "1"}
        with self.log_path.open("ab") as log:
            process = subprocess.Popen(  # our own interpreter, no shell
                [sys.executable, "-m", "crawler", "batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                start_new_session=True,
                text=True,
                encoding="utf-8",
            )
            assert process.stdin is not None
            assert process.stdout is not None
            try:
                process.stdin.write(json.dumps(self.job, ensure_ascii=False))
                process.stdin.close()
                events: queue.Queue[dict[str, Any] | None] = queue.Queue()
                reader = threading.Thread(target=_read_events, args=(process.stdout, events))
                reader.daemon = True
                reader.start()
                heard = time.monotonic()
                while True:
                    if self.cancel.is_set():
                        _kill_group(process)
                        return "interrupted"
                    try:
                        event = events.get(timeout=0.5)
                    except queue.Empty:
                        if time.monotonic() - heard > STALL_SECONDS:
                            _kill_group(process)
                            return "stalled"
                        continue
                    heard = time.monotonic()
                    if event is None:  # the process closed its output: it is ending
                        return f"exit code {process.wait()}"
                    self.heard(event)
            except BaseException:
                _kill_group(process)
                raise
            finally:
                process.stdout.close()

    def heard(self, event: dict[str, Any]) -> None:
        index = event.get("index")
        if not isinstance(index, int) or index not in self.indexes:
            return
        if event["event"] == "started":
            self.run_ids[index] = int(event["run_id"])
            if self.on_start is not None:
                try:  # the progress shown must never stop the crawl it shows
                    self.on_start(self.targets[index], self.run_ids[index])
                except Exception:
                    logger.exception(
                        "%s: could not show the crawl's start", self.targets[index].label
                    )
        elif event["event"] == "skipped":
            self.skipped.add(index)


def _complete_unfinished(
    config: Config, targets: Sequence[CrawlTarget], batch: _Batch, reason: str
) -> None:
    """Complete the rows a crawl process left open (it died or was killed), and give a row to
    every source of its share it never started, when it ended before its job did."""
    health = {
        "interrupted": "stopped before the end: the crawl was interrupted",
        "stalled": f"the crawl process stopped answering for {STALL_SECONDS:g} s and was killed; "
        f"see {batch.log_path}",
    }.get(reason, f"the crawl process failed ({reason}); see {batch.log_path}")
    with contextlib.closing(open_db(config.database)) as db:
        for run_id in batch.run_ids.values():
            if crawl_run(db, run_id).finished_at is None:
                update_crawl_run(
                    db, run_id, finished_at=utc_iso(), finish_reason=reason, ok=0, health=health
                )
        if reason == "interrupted":
            return  # the sources not started are not crawled: nothing to record
        for source in batch.job["sources"]:
            index = source["index"]
            if index in batch.run_ids or index in batch.skipped:
                continue
            batch.run_ids[index] = start_crawl_run(
                db,
                source["source_id"],
                targets[index].source.kind,
                log_path=str(batch.log_path),
                now=clock.now(),
            )
            update_crawl_run(
                db,
                batch.run_ids[index],
                finished_at=utc_iso(),
                finish_reason=reason,
                ok=0,
                health=f"not crawled: {health}",
            )


def _read_events(stream: IO[str], events: queue.Queue[dict[str, Any] | None]) -> None:
    """Put each JSON line the crawl process writes in ``events``, then ``None`` at its end."""
    try:
        for line in stream:
            with contextlib.suppress(ValueError):
                event = json.loads(line)
                if isinstance(event, dict) and "event" in event:
                    events.put(event)
    finally:
        events.put(None)


def _kill_group(process: subprocess.Popen[str]) -> None:
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
