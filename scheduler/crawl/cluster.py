"""The Scrapyd engine: each source crawled as a job on the least-loaded node, ingested here.

For every source: its lock is taken and its ``crawl_runs`` row started here, as for a local crawl;
the job is scheduled (``schedule.json``) on the node with the fewest running and waiting jobs
(``daemonstatus.json``), in feed mode (:mod:`crawler.feed`) with the crawl settings of a local crawl
and, as arguments, the source's newest settled review keys and the crawl's moment. The nodes' job
lists are polled; a finished job's item feed and log are fetched, the log kept in ``logs/`` beside
the database, and the items ingested through :func:`crawler.ingest.ingest_feed` with this
database's salt. ``crawl_runs`` records the node and the job id.

A job that fails or vanishes (the node stops answering, the job is no longer listed, its log has no
result) is run once more on another node; the first attempt's fate is kept in
``crawl_runs.retried`` and in the outcome.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from crawler.feed import MAX_SETTLED, author_public_key, encode_settled, read_items, read_result
from crawler.ingest import ingest_feed
from crawler.normalize import SourceContext
from crawler.sources import with_defaults
from db import open_db
from db.exceptions import FeedError, NodeDown, ScrapydError
from db.queries import crawl_run
from db.reviews import newest_settled_keys
from db.rows import utc_iso
from db.store import author_salt, record_remote_job, start_crawl_run, update_crawl_run
from scheduler import clock
from scheduler.config import Config
from scheduler.crawl.nodes import Node, cluster_nodes
from scheduler.crawl.targets import (
    BUSY,
    CrawlOutcome,
    CrawlTarget,
    crawl_log_path,
    crawl_settings,
    source_lock,
    spider_options,
)
from scheduler.slugs import slug

logger = logging.getLogger(__name__)

#: Attempts per source: the first, and one retry on another node.
ATTEMPTS = 2
#: Polls a job may be missing from its node's lists before it counts as vanished (a job moves
#: from the queue to the running list between two looks).
MISSING_POLLS = 3


@dataclass
class RemoteJob:
    """One source's crawl on the cluster, over its attempts."""

    target: CrawlTarget
    source_id: int
    run_id: int
    log_path: Path
    fields: list[tuple[str, str]]
    node: Node | None = None
    job_id: str = ""
    attempts: int = 0
    #: When the node started running the current attempt (``time.monotonic()``); a job waiting
    #: in a node's queue is not timed.
    running_since: float | None = None
    missing: int = 0
    tried: list[str] = field(default_factory=list)
    retried: str | None = None
    done: bool = False


def crawl_on_cluster(
    config: Config,
    targets: Sequence[CrawlTarget],
    ids: Mapping[tuple[str, str, str], int],
    *,
    on_start: Callable[[CrawlTarget, int], None] | None = None,
    full: bool = False,
    cancel: threading.Event | None = None,
) -> list[CrawlOutcome]:
    """Crawl the sources as Scrapyd jobs; outcomes in the targets' order, as a local crawl's."""
    nodes = cluster_nodes(config)
    now = clock.now()
    outcomes: dict[int, CrawlOutcome] = {}
    jobs: dict[int, RemoteJob] = {}
    with contextlib.ExitStack() as locks:
        for index, target in enumerate(targets):
            source_id = ids[target.business.name, target.source.kind, target.source.url]
            if not locks.enter_context(source_lock(config, source_id)):
                outcomes[index] = CrawlOutcome(target, None, skipped=BUSY)
                continue
            job = _prepare(config, target, source_id, now, full)
            if on_start is not None:
                on_start(target, job.run_id)
            jobs[index] = job
            _submit(config, job, nodes)
        try:
            _watch(config, list(jobs.values()), nodes, now, cancel)
        except BaseException:  # Ctrl-C: cancel what runs on the nodes
            for job in jobs.values():
                if not job.done:
                    _cancel(config, job)
                    _fail(config, job, "interrupted", "stopped before the end: interrupted")
            raise
        with contextlib.closing(open_db(config.database)) as db:
            for index, job in jobs.items():
                outcomes[index] = CrawlOutcome(
                    job.target, crawl_run(db, job.run_id), None, job.retried
                )
    return [outcomes[index] for index in range(len(targets))]


def _prepare(
    config: Config, target: CrawlTarget, source_id: int, now: datetime, full: bool
) -> RemoteJob:
    log_path = crawl_log_path(config, target, now)
    with contextlib.closing(open_db(config.database)) as db:
        run_id = start_crawl_run(db, source_id, target.source.kind, log_path=str(log_path), now=now)
        settled = [] if full else newest_settled_keys(db, source_id, MAX_SETTLED)
        salt = os.environ.get("LADDER_SALT") or author_salt(db)
    arguments = {
        "url": target.source.url,
        "business": target.business.name,
        "options": json.dumps(spider_options(target), ensure_ascii=False),
        "full": str(int(full)),
        "feed": "1",
        "settled": encode_settled(settled),
        "now": utc_iso(now),
        # the node seals reviewer names to this key; only this database's salt opens them
        "author_key": author_public_key(salt),
    }
    settings = crawl_settings(config, target)
    fields = [
        ("project", config.crawl.scrapyd_project),
        ("spider", target.source.kind),
        *arguments.items(),
        *(("setting", f"{name}={value}") for name, value in settings.items()),
    ]
    return RemoteJob(target, source_id, run_id, log_path, fields)


def _submit(config: Config, job: RemoteJob, nodes: Sequence[Node]) -> None:
    """Schedule the job's next attempt on the least-loaded node it has not failed on (any node,
    when it has failed on all of them); fail the run when no node takes it."""
    job.attempts += 1
    fresh = [node for node in nodes if node.url not in job.tried] or list(nodes)
    loads: list[tuple[int, int, Node]] = []
    problems = []
    for order, node in enumerate(fresh):
        try:
            loads.append((node.load(), order, node))
        except ScrapydError as error:
            problems.append(str(error))
    for _load, _order, node in sorted(loads, key=lambda item: item[:2]):
        job_id = (
            f"{slug(job.target.business.name)}-{job.target.source.kind}-{job.run_id}-"
            + (uuid.uuid4().hex[:8])
        )
        try:
            node.post("schedule.json", [*job.fields, ("jobid", job_id)])
        except ScrapydError as error:
            problems.append(str(error))
            continue
        job.node, job.job_id, job.running_since, job.missing = node, job_id, None, 0
        job.tried.append(node.url)
        with contextlib.closing(open_db(config.database)) as db:
            record_remote_job(db, job.run_id, node=node.url, job_id=job_id, retried=job.retried)
        logger.info("%s: job %s on %s", job.target.label, job_id, node.url)
        return
    _fail(
        config,
        job,
        "not scheduled",
        "no Scrapyd node took the job: " + "; ".join(problems or ["no nodes"]),
    )


def _watch(
    config: Config,
    jobs: list[RemoteJob],
    nodes: Sequence[Node],
    now: datetime,
    cancel: threading.Event | None,
) -> None:
    """Poll the nodes until every job is ingested, failed, or retried and then one of those."""
    while True:
        active = [job for job in jobs if not job.done]
        if not active:
            return
        if cancel is not None and cancel.is_set():
            raise KeyboardInterrupt
        listings: dict[str, dict[str, Any] | ScrapydError] = {}
        for node in {job.node.url: job.node for job in active if job.node is not None}.values():
            try:
                listings[node.url] = node.get("listjobs.json", project=config.crawl.scrapyd_project)
            except ScrapydError as error:
                listings[node.url] = error
        for job in active:
            assert job.node is not None
            _check(config, job, listings[job.node.url], nodes, now)
        if any(not job.done for job in jobs):
            time.sleep(config.crawl.scrapyd_poll)


def _check(
    config: Config,
    job: RemoteJob,
    listing: dict[str, Any] | ScrapydError,
    nodes: Sequence[Node],
    now: datetime,
) -> None:
    assert job.node is not None
    if isinstance(listing, ScrapydError):
        _retry(config, job, nodes, f"{job.node.url} stopped answering ({listing})")
        return
    state, entry = _find(listing, job.job_id)
    if state is None:
        job.missing += 1
        if job.missing >= MISSING_POLLS:
            _retry(config, job, nodes, f"job {job.job_id} vanished from {job.node.url}")
        return
    job.missing = 0
    if state == "running" and job.running_since is None:
        job.running_since = time.monotonic()
    if state != "finished":
        running = time.monotonic() - (job.running_since or time.monotonic())
        if running > config.crawl.source_timeout:
            _cancel(config, job)
            _fail(
                config,
                job,
                "timeout",
                f"stopped after {config.crawl.source_timeout:g} s ([crawl].source_timeout)",
            )
        return
    try:
        log = job.node.fetch(entry.get("log_url") or "") if entry.get("log_url") else None
        items_url = entry.get("items_url")
        if not items_url:
            raise ScrapydError(
                f"{job.node.url} keeps no item feeds: set items_dir in its scrapyd.conf "
                "(docs/scaling.md)"
            )
        feed = job.node.fetch(items_url)
    except NodeDown as error:
        _retry(config, job, nodes, str(error))
        return
    except ScrapydError as error:
        _fail(config, job, "feed not fetched", str(error))
        return
    text = (log or b"").decode("utf-8", "replace")
    result = read_result(text)
    if result is None and job.attempts < ATTEMPTS:
        _retry(
            config, job, nodes, f"job {job.job_id} on {job.node.url} died (no result in its log)"
        )
        return
    scraped = (result or {}).get("stats", {}).get("item_scraped_count", 0)
    if feed is None and scraped:
        missing = f"the item feed of job {job.job_id} is gone from {job.node.url}"
        if job.attempts < ATTEMPTS:
            _retry(config, job, nodes, f"{missing} (raise jobs_to_keep in its scrapyd.conf)")
        else:
            _fail(config, job, "feed missing", f"{missing}; raise jobs_to_keep in its scrapyd.conf")
        return
    job.log_path.write_text(text, encoding="utf-8")
    _ingest(config, job, (feed or b"").decode("utf-8"), result, now)


def _find(listing: Mapping[str, Any], job_id: str) -> tuple[str | None, dict[str, Any]]:
    for state in ("finished", "running", "pending"):
        for entry in listing.get(state) or ():
            if entry.get("id") == job_id:
                return state, entry
    return None, {}


def _ingest(
    config: Config, job: RemoteJob, feed: str, result: dict[str, Any] | None, now: datetime
) -> None:
    target = job.target
    with contextlib.closing(open_db(config.database)) as db:
        context = SourceContext(
            business=target.business.name,
            kind=target.source.kind,
            host=_host(target.source.url),
            salt=os.environ.get("LADDER_SALT") or author_salt(db),
            now=now,
            tz=ZoneInfo(config.schedule.timezone),
            day_first=bool(with_defaults(target.source.kind, target.source.options)["day_first"]),
        )
        try:
            items = list(read_items(feed.splitlines()))
        except FeedError as error:
            items, result = [], None
            logger.error("%s: %s", target.label, error)
        figures = ingest_feed(
            db,
            job.source_id,
            job.run_id,
            items,
            result,
            context,
            items_name="signals" if target.source.kind == "signals" else "reviews",
        )
    job.done = True
    log = logger.info if figures["ok"] else logger.error
    log("%s: %s", target.label, figures["health"])


def _host(url: str) -> str:
    return urlparse(url).hostname or ""


def _retry(config: Config, job: RemoteJob, nodes: Sequence[Node], reason: str) -> None:
    if job.attempts >= ATTEMPTS:
        _fail(config, job, "failed on the nodes", f"{reason}; after {job.attempts} attempts")
        return
    logger.warning("%s: %s; retrying on another node", job.target.label, reason)
    job.retried = reason
    _submit(config, job, nodes)


def _cancel(config: Config, job: RemoteJob) -> None:
    if job.node is None or not job.job_id:
        return
    with contextlib.suppress(ScrapydError):
        job.node.post(
            "cancel.json", [("project", config.crawl.scrapyd_project), ("job", job.job_id)]
        )


def _fail(config: Config, job: RemoteJob, reason: str, health: str) -> None:
    job.done = True
    with contextlib.closing(open_db(config.database)) as db:
        update_crawl_run(
            db, job.run_id, finished_at=utc_iso(), finish_reason=reason, ok=0, health=health
        )
    logger.error("%s: %s", job.target.label, health)
