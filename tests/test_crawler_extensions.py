"""Crawl health, judged from a crawl's stats: every way a run can go wrong has its reason."""

from __future__ import annotations

from typing import Any

import pytest

from crawler.extensions import assess_run, run_figures

HEALTHY = {
    "ladder/pages": 3,
    "ladder/reviews_parsed": 60,
    "ladder/reviews_new": 60,
    "downloader/response_status_count/200": 4,
}


def judge(finish_reason: str = "finished", **changes: Any) -> tuple[bool, str]:
    stats = {**HEALTHY, **{key.replace("__", "/"): value for key, value in changes.items()}}
    return assess_run(run_figures(stats), finish_reason, stats)


def test_a_clean_run_is_ok() -> None:
    assert judge() == (True, "read 60 reviews on 3 pages")


def test_figures_from_stats() -> None:
    stats = {**HEALTHY, "ladder/dropped/bad_date": 2, "downloader/response_status_count/500": 1}
    figures = run_figures(stats)
    assert figures["dropped"] == 2
    assert figures["dropped_reasons"] == {"bad_date": 2}
    assert figures["http_statuses"] == {"200": 4, "500": 1}


@pytest.mark.parametrize(
    ("finish_reason", "changes", "reason"),
    [
        ("shutdown", {}, "stopped before the end (shutdown)"),
        ("finished", {"ladder__pages": 0, "robotstxt__forbidden": 1}, "robots.txt forbids"),
        (
            "finished",
            {"ladder__pages": 0, "ladder__failed_requests": 1},
            "no page could be fetched",
        ),
        ("finished", {"ladder__reviews_parsed": 0}, "found no reviews; has the site changed?"),
        ("finished", {"ladder__pages_empty": 1}, "1 of 3 pages had no reviews"),
        ("finished", {"ladder__dropped__bad_date": 31}, "dropped 31 of 60 reviews as invalid"),
        ("finished", {"ladder__failed_requests": 2}, "2 request(s) failed after retries"),
        ("finished", {"ladder__reviews_unsaved": 60}, "could not store 60 reviews"),
        ("finished", {"log_count__ERROR": 1}, "1 error(s) in the log"),
    ],
)
def test_each_problem_makes_the_run_unhealthy(
    finish_reason: str, changes: dict[str, Any], reason: str
) -> None:
    ok, why = judge(finish_reason, **changes)
    assert not ok
    assert reason in why


@pytest.mark.parametrize(
    ("stats", "cause"),
    [
        (
            {"downloader/exception_type_count/twisted.internet.error.ConnectionRefusedError": 3},
            "connection refused (is the site up, the port right?) ×3",
        ),
        (
            {"downloader/exception_type_count/twisted.internet.error.DNSLookupError": 1},
            "host not found (DNS)",
        ),
        ({"downloader/response_status_count/403": 2}, "HTTP 403 Forbidden"),
        (
            {
                "downloader/exception_type_count/twisted.internet.error.TimeoutError": 1,
                "downloader/response_status_count/503": 4,
            },
            "HTTP 503 Unavailable ×4; timed out ×1",
        ),
    ],
)
def test_a_run_that_fetched_nothing_says_why(stats: dict[str, Any], cause: str) -> None:
    stats = {**stats, "ladder/pages": 0, "ladder/reviews_parsed": 0, "ladder/failed_requests": 1}
    ok, why = assess_run(run_figures(stats), "finished", stats)
    assert not ok
    assert why.startswith("no page could be fetched: ")
    assert cause in why


def test_a_few_invalid_reviews_are_tolerated() -> None:
    assert judge(ladder__dropped__bad_date=5)[0]
