"""The scheduler service, cron parity and crawl health: real job stores, real processes."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from crawler.health import BROKEN, DEGRADED, OK, STALE, source_health
from db import open_db
from db.rows import CrawlRun
from scheduler.cli import cli
from scheduler.config import load_config
from scheduler.crawl.targets import source_lock, sync_config
from scheduler.crontab import cron_trigger, translate_weekdays
from scheduler.demo.server import FixtureServer
from scheduler.service.jobs import scheduled_crawl
from scheduler.service.runner import build_scheduler, register
from scheduler.service.timetable import planned_job, planned_jobs
from tests.conftest import review, review_page, write_config

SAIGON = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY = datetime(2026, 11, 23, 12, tzinfo=SAIGON)  # a Monday noon


@pytest.mark.parametrize(
    ("field", "names"),
    [
        ("0", "sun"),
        ("7", "sun"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("mon-fri", "mon,tue,wed,thu,fri"),
        ("sun", "sun"),
        ("0,6", "sun,sat"),
        ("*/2", "sun,tue,thu,sat"),
        ("fri-mon", "sun,mon,fri,sat"),
        ("*", "*"),
    ],
)
def test_weekdays_are_read_the_cron_way(field: str, names: str) -> None:
    assert translate_weekdays(field) == names


@pytest.mark.parametrize(
    ("expression", "first"),
    [
        ("0 7 * * 0", datetime(2026, 11, 29, 7, tzinfo=SAIGON)),  # Sunday, not Monday
        ("0 7 * * 7", datetime(2026, 11, 29, 7, tzinfo=SAIGON)),
        ("0 7 * * sun", datetime(2026, 11, 29, 7, tzinfo=SAIGON)),
        ("30 8 * * mon-fri", datetime(2026, 11, 24, 8, 30, tzinfo=SAIGON)),
        ("0 3 * * *", datetime(2026, 11, 24, 3, tzinfo=SAIGON)),
    ],
)
def test_next_fire_times_in_the_configured_zone(expression: str, first: datetime) -> None:
    assert cron_trigger(expression, SAIGON).get_next_fire_time(None, MONDAY) == first


def test_job_ids_and_next_runs_from_a_config(tmp_path: Path) -> None:
    path = write_config(
        tmp_path,
        {"Mộc Café": ["https://moc.example/r"], "Rival": ["https://rival.example/r"]},
        extra='[schedule]\ncrawl = "0 3 * * 1-5"\nreport = "0 7 * * 0"\n',
    )
    jobs = {job.id: job for job in planned_jobs(load_config(path))}
    assert set(jobs) == {
        "crawl:moc-cafe-all-" + jobs_suffix(jobs, "moc-cafe"),
        "crawl:rival-all-" + jobs_suffix(jobs, "rival"),
        "full-crawl",
        "weekly",
    }
    weekly = jobs["weekly"]
    assert weekly.next_run(SAIGON, MONDAY) == datetime(2026, 11, 29, 7, tzinfo=SAIGON)
    assert weekly.function == "scheduler.service.jobs:scheduled_weekly"


def jobs_suffix(jobs: dict[str, object], slug: str) -> str:
    (found,) = [job_id for job_id in jobs if job_id.startswith(f"crawl:{slug}-all-")]
    return found.rsplit("-", 1)[-1]


def test_registration_is_idempotent_and_removes_stale_jobs(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"A": ["https://a.example/r"], "B": ["https://b.example/r"]})
    config = load_config(path)
    first = build_scheduler(config)
    first.start(paused=True)
    register(first, config)
    before = {job.id: job.next_run_time for job in first.get_jobs()}
    first.shutdown()

    again = build_scheduler(config)  # a restart: the same store on disk
    again.start(paused=True)
    assert register(again, config) == []
    assert {job.id: job.next_run_time for job in again.get_jobs()} == before
    again.shutdown()

    path = write_config(tmp_path, {"A": ["https://a.example/r"]})  # B removed from the config
    smaller = load_config(path)
    third = build_scheduler(smaller)
    third.start(paused=True)
    removed = register(third, smaller)
    assert len(removed) == 1
    assert removed[0].startswith("crawl:b-all-")
    assert len(third.get_jobs()) == len(before) - 1
    third.shutdown()


def job_runs(config_path: Path) -> list[dict[str, object]]:
    with contextlib.closing(open_db(config_path.parent / "ladder.db")) as db:
        return list(db["job_runs"].rows_where(order_by="id"))


def test_a_run_missed_during_downtime_runs_once(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, {"A": []}, extra='[schedule]\nreport = "0 * * * *"\njitter = 0.0\n'
    )
    config = load_config(path)
    scheduler = build_scheduler(config)
    scheduler.start(paused=True)
    register(scheduler, config)
    # the service was down for three hours: three hourly runs were missed
    scheduler.modify_job("weekly", next_run_time=datetime.now(UTC) - timedelta(hours=3))
    scheduler.shutdown()

    restarted = build_scheduler(config)
    restarted.start(paused=True)
    register(restarted, config)
    restarted.resume()
    deadline = time.monotonic() + 20
    while not job_runs(path) or job_runs(path)[-1]["finished_at"] is None:
        assert time.monotonic() < deadline, "the missed run never ran"
        time.sleep(0.2)
    time.sleep(1)
    restarted.shutdown(wait=True)
    runs = job_runs(path)
    assert [run["job_id"] for run in runs] == ["weekly"]  # once, not three times
    assert runs[0]["ok"] == 1


def test_a_failing_job_is_recorded_and_the_next_still_runs(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"A": ["https://a.example/r"]})
    config = load_config(path)
    scheduler = build_scheduler(config)
    scheduler.start()
    now = datetime.now(UTC)
    scheduler.add_job(
        "scheduler.service.jobs:scheduled_crawl",
        args=[str(path), "Nobody", None, None, False],
        id="bad",
        next_run_time=now,
    )
    scheduler.add_job(
        "scheduler.service.jobs:scheduled_weekly",
        args=[str(path), False],
        id="good",
        next_run_time=now + timedelta(seconds=1),
    )
    deadline = time.monotonic() + 20
    while len([r for r in job_runs(path) if r["finished_at"]]) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    scheduler.shutdown(wait=True)
    runs = {run["job_id"]: run for run in job_runs(path)}
    bad = next(run for job_id, run in runs.items() if job_id.startswith("crawl:nobody"))
    assert bad["ok"] == 0
    assert "no business named 'Nobody'" in str(bad["message"])
    assert runs["weekly"]["ok"] == 1


def test_a_locked_source_is_skipped_and_the_job_says_why(
    tmp_path: Path, server: FixtureServer
) -> None:
    server.add("/r", review_page([review(1)]))
    path = write_config(tmp_path, {"A": [server.url + "/r"]})
    config = load_config(path)
    (source_id,) = sync_config(config).values()
    with source_lock(config, source_id):  # another crawl (from cron, say) holds the source
        result = scheduled_crawl(str(path), "A", None, None, False)
    assert "skipped (another crawl of this source is running)" in result.message
    assert result.state == "busy"
    (run,) = job_runs(path)
    assert run["ok"] == 1
    assert "skipped" in str(run["message"])
    assert server.hits("/r") == 0


def _run(
    number: int,
    *,
    ok: bool = True,
    pages: int = 3,
    parsed: int = 60,
    days_ago: float = 0,
    coverage: dict[str, float] | None = None,
    health: str = "",
) -> CrawlRun:
    finished = (datetime(2026, 11, 24, 12, tzinfo=UTC) - timedelta(days=days_ago)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    return CrawlRun(
        id=number, source_id=1, spider="schemaorg", started_at=finished, finished_at=finished, pid=1,
        pages=pages, pages_empty=0, reviews_parsed=parsed, reviews_new=0, reviews_changed=0,
        dropped=0, dropped_reasons={}, errors=0, http_statuses={}, finish_reason="finished",
        ok=ok, health=health or ("read" if ok else "failed"), log_path=None,
        coverage=coverage or {"body": 0.95, "rating": 1.0},
    )  # fmt: skip


NOW = datetime(2026, 11, 24, 13, tzinfo=UTC)
DAY = timedelta(hours=48)


@pytest.mark.parametrize(
    ("history", "state", "reason"),
    [
        ([_run(5), _run(4), _run(3), _run(2)], OK, "read"),
        ([], STALE, "never crawled"),
        ([_run(5, days_ago=4), _run(4, days_ago=5)], STALE, "no successful crawl since"),
        # a redesign: pages fetched with 200, nothing read
        (
            [_run(5, parsed=0, ok=False, pages=200), _run(4), _run(3)],
            BROKEN,
            "fetched 200 page(s) but read no review",
        ),
        (
            [_run(5, ok=False), _run(4, ok=False), _run(3, ok=False), _run(2)],
            BROKEN,
            "the last 3 crawls failed",
        ),
        (
            [_run(5, ok=False, health="HTTP 503"), _run(4)],
            DEGRADED,
            "the last crawl failed: HTTP 503",
        ),
        # a source that has never worked is broken, not merely degraded
        (
            [_run(5, ok=False, health="no page could be fetched: connection refused")],
            BROKEN,
            "never crawled successfully (the only crawl failed): no page could be fetched",
        ),
        ([_run(5, ok=False), _run(4, ok=False)], BROKEN, "all 2 crawls failed"),
        (
            [_run(5, parsed=12), _run(4), _run(3), _run(2)],
            DEGRADED,
            "read 4.0 reviews a page against a usual 20.0",
        ),
        (
            [_run(5, coverage={"body": 0.1, "rating": 1.0}), _run(4), _run(3), _run(2)],
            DEGRADED,
            "found the body on 10% of reviews against a usual 95%",
        ),
        ([_run(5, parsed=12), _run(4)], OK, "read"),  # too little history to compare
    ],
)
def test_health_states_from_crawl_histories(
    history: list[CrawlRun], state: str, reason: str
) -> None:
    health = source_health(history, now=NOW, stale_after=DAY)
    assert health.state == state
    assert reason in health.reason


def test_ladder_status_and_cron(tmp_path: Path) -> None:
    with FixtureServer({"/good": review_page([review(1)]), "/empty": review_page([])}) as server:
        path = write_config(
            tmp_path, {"Ours": [server.url + "/good"], "Them": [server.url + "/empty"]}
        )
        CliRunner().invoke(cli, ["--config", str(path), "crawl"])
    status = CliRunner().invoke(cli, ["--config", str(path), "status"])
    assert status.exit_code == 3, status.output  # a page without reviews and nothing read: broken
    assert "broken" in status.output
    assert "ok" in status.output
    assert "(+07)" in status.output  # times in the configured zone, labelled as the report does
    assert "log:" in status.output  # where to look for the broken source
    cron = CliRunner().invoke(cli, ["--config", str(path), "cron"])
    assert cron.exit_code == 0
    lines = [line for line in cron.output.splitlines() if not line.startswith(("#", "CRON_TZ"))]
    assert len(lines) == 4  # two businesses, the full pass, the weekly analysis and report
    assert lines[0].startswith("0 3 * * *  ")
    assert "-m scheduler --config" in lines[0]
    assert " job crawl:ours-all-" in lines[0]
    listing = CliRunner().invoke(cli, ["--config", str(path), "schedule", "--list"])
    assert listing.exit_code == 0
    assert "weekly" in listing.output


def cron_entries(output: str) -> dict[str, tuple[str, list[str]]]:
    """``ladder cron``'s lines by job id: (the five cron fields, the command's arguments)."""
    entries = {}
    for line in output.splitlines():
        if line.startswith(("#", "CRON_TZ")) or not line.strip():
            continue
        fields = line.split()
        command, _, job_id = line.partition("  # ")
        entries[job_id] = (" ".join(fields[:5]), shlex.split(command.split(None, 5)[5]))
    return entries


@pytest.mark.parametrize("send", [False, True])
def test_cron_and_the_service_run_the_same_jobs(tmp_path: Path, send: bool) -> None:
    extra = '[schedule]\nfull_crawl = "0 4 * * 0"\nreport = "0 7 * * 1"\n'
    path = write_config(
        tmp_path, {"Mộc Café": ["https://moc.example/r"], "Rival": ["https://rival.example/r"]},
        extra=extra,
    )  # fmt: skip
    config = load_config(path)
    printed = CliRunner().invoke(cli, ["--config", str(path), "cron", *["--send"] * send])
    assert printed.exit_code == 0, printed.output
    assert f"CRON_TZ={config.schedule.timezone}" in printed.output
    lines = cron_entries(printed.output)
    scheduler = build_scheduler(config)
    scheduler.start(paused=True)
    try:
        register(scheduler, config, send=send)
        registered = {job.id: job for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown()
    assert set(lines) == set(registered)
    assert len(lines) == 4
    for job_id, (expression, command) in lines.items():
        sends = send and job_id == "weekly"  # --send means something to the weekly job only
        assert command[command.index("job") :] == ["job", job_id, *["--send"] * sends]
        # the same times: the cron expression read as cron reads it, in the configured zone
        service = registered[job_id].trigger
        assert str(cron_trigger(expression, config.timezone)) == str(service)
        # the same work: `ladder job ID` runs the registered function with its arguments
        planned = planned_job(config, job_id, send=send)
        assert planned.function == registered[job_id].func_ref
        assert list(planned.args) == list(registered[job_id].args)
    assert registered["weekly"].args[-1] is send


def test_the_weekly_cron_line_writes_the_report(tmp_path: Path, demo_output: Path) -> None:
    """cron used to run only `ladder analyze`: no report was ever written or sent."""
    shutil.copytree(demo_output, tmp_path / "demo", ignore=shutil.ignore_patterns("report*"))
    config = tmp_path / "demo" / "ladder.toml"
    printed = CliRunner().invoke(cli, ["--config", str(config), "cron"])
    _, command = cron_entries(printed.output)["weekly"]
    done = subprocess.run(
        [sys.executable, *command[command.index("-m") :]],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "weekly: " in done.stdout
    assert "report 2026-W48 written to" in done.stdout
    folder = tmp_path / "demo" / "reports" / "2026-W48"
    assert (folder / "report.html").is_file()
    assert (folder / "report.eml").is_file()
    (run,) = [r for r in job_runs(config) if r["job_id"] == "weekly"]
    assert run["ok"] == 1


def test_ladder_job_names_the_jobs_when_the_id_is_unknown(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"Ours": ["https://ours.example/r"]})
    result = CliRunner().invoke(cli, ["--config", str(path), "job", "nightly"])
    assert result.exit_code == 1
    assert "no job 'nightly'" in result.output
    assert "weekly" in result.output


def test_the_service_runs_a_due_crawl_and_stops_cleanly_on_sigterm(
    tmp_path: Path, server: FixtureServer
) -> None:
    server.add("/r", review_page([review(n) for n in range(1, 6)]))
    path = write_config(tmp_path, {"Ours": [server.url + "/r"]}, extra="[schedule]\njitter = 0.0\n")
    config = load_config(path)
    scheduler = build_scheduler(config)  # the jobs as a previous run of the service left them …
    scheduler.start(paused=True)
    register(scheduler, config)
    (crawl_job,) = [job for job in scheduler.get_jobs() if job.id.startswith("crawl:ours")]
    scheduler.modify_job(
        crawl_job.id, next_run_time=datetime.now(UTC) + timedelta(seconds=3)
    )  # … with a crawl due
    scheduler.shutdown()

    process = subprocess.Popen(
        [sys.executable, "-m", "scheduler", "--config", str(path), "schedule"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not [r for r in job_runs(path) if r["finished_at"]]:
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the due crawl did not run"
            time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert b"stopping after the running job" in output
    assert b"scheduler stopped" in output
    with contextlib.closing(open_db(tmp_path / "ladder.db")) as db:
        assert db["reviews"].count == 5
    assert server.hits("/r") == 1
