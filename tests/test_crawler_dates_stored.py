"""What a crawl does with dates (issue 21): a review with no readable date is stored, dated when
first seen and marked estimated, counted in the crawl's health and kept out of velocity; a page
whose dates prove both day-first and month-first is counted; month- and year-only dates keep their
precision; `ladder extract` reads dates in the configured zone (--timezone to override); the
migration on a database of the previous version."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from analysis.settings import AnalysisSettings
from analysis.weekly import WeekInput, WeekWalker
from db import open_db
from db.migrations import migrations
from db.rows import Business, RungCount
from scheduler.cli import cli
from scheduler.config import load_config
from scheduler.crawl.local import run_crawl
from scheduler.crawl.targets import CrawlOutcome, select_targets
from scheduler.demo.server import FixtureServer
from tests.conftest import FROZEN_NOW, review, review_page, write_config


def crawl(tmp_path: Path, server: FixtureServer) -> CrawlOutcome:
    path = write_config(tmp_path, {"Test Shop": [server.url + "/shop/reviews"]})
    (target,) = select_targets(load_config(path))
    return run_crawl(load_config(path), target)


def stored(tmp_path: Path) -> dict[str, dict[str, object]]:
    """The stored reviews by body."""
    with contextlib.closing(open_db(tmp_path / "ladder.db")) as db:
        return {str(row["body"]): row for row in db["reviews"].rows}


def undated(number: int, date_text: str | None) -> dict[str, object]:
    """A review with no native id (its key is its day and text) showing ``date_text``."""
    node = review(number, body=f"Review {number}: the staff were kind and quick.")
    del node["identifier"]
    if date_text is None:
        del node["datePublished"]
    else:
        node["datePublished"] = date_text
    return node


def test_a_review_without_a_readable_date_is_stored_estimated_and_found_again(
    tmp_path: Path, server: FixtureServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    nodes = [review(1), undated(2, "chưa rõ"), undated(3, None), undated(4, "2026-11-20")]
    server.add("/shop/reviews", review_page(nodes))
    run = crawl(tmp_path, server).run
    assert run is not None
    assert run.ok, run.health
    assert (run.reviews_parsed, run.reviews_new, run.dropped) == (4, 4, 0)
    assert "2 of 4 reviews had no readable date" in str(run.health)
    rows = stored(tmp_path)
    first_seen = FROZEN_NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    for body in (
        "Review 2: the staff were kind and quick.",
        "Review 3: the staff were kind and quick.",
    ):
        assert rows[body]["published_at"] == first_seen
        assert rows[body]["date_precision"] == "estimated"
    assert rows["Review 4: the staff were kind and quick."]["date_precision"] is None

    # a week later the same page: nothing new, and the estimated date stays the first-seen one
    later = FROZEN_NOW + timedelta(days=7)
    monkeypatch.setenv("LADDER_NOW", later.strftime("%Y-%m-%dT%H:%M:%SZ"))
    again = crawl(tmp_path, server).run
    assert again is not None
    assert again.ok, again.health
    assert (again.reviews_new, again.reviews_changed) == (0, 0)
    rows = stored(tmp_path)
    assert len(rows) == 4
    assert rows["Review 2: the staff were kind and quick."]["published_at"] == first_seen


def test_a_crawl_where_no_review_has_a_readable_date_is_unhealthy(
    tmp_path: Path, server: FixtureServer
) -> None:
    server.add("/shop/reviews", review_page([undated(1, "soon"), undated(2, None)]))
    run = crawl(tmp_path, server).run
    assert run is not None
    assert not run.ok
    assert "none of the 2 reviews had a readable date" in str(run.health)
    assert len(stored(tmp_path)) == 2  # still stored


def test_month_and_year_only_dates_keep_their_precision(
    tmp_path: Path, server: FixtureServer
) -> None:
    nodes = [undated(1, "tháng 10, 2026"), undated(2, "2025"), undated(3, "2026-10-02")]
    server.add("/shop/reviews", review_page(nodes))
    run = crawl(tmp_path, server).run
    assert run is not None
    assert run.ok, run.health
    precision = {body[:8]: row["date_precision"] for body, row in stored(tmp_path).items()}
    assert precision == {"Review 1": "month", "Review 2": "year", "Review 3": None}


def test_a_page_whose_dates_prove_both_orders_is_counted(
    tmp_path: Path, server: FixtureServer
) -> None:
    nodes = [undated(1, "13/05/2024"), undated(2, "05/14/2024"), undated(3, "05/06/2024")]
    server.add("/shop/reviews", review_page(nodes))
    run = crawl(tmp_path, server).run
    assert run is not None
    assert run.ok, run.health  # kept: each date was read; the page's order is the problem
    assert "1 page(s) mix day-first and month-first dates" in str(run.health)
    assert len(stored(tmp_path)) == 3


def test_a_page_proving_the_other_order_is_read_that_way_and_named(
    tmp_path: Path, server: FixtureServer
) -> None:
    """An American page on a source left day-first: "05/14/2024" proves month-first, so the
    page's "05/06/2024" is 6 May, not 5 June; the health says so."""
    server.add("/shop/reviews", review_page([undated(1, "05/14/2024"), undated(2, "05/06/2024")]))
    run = crawl(tmp_path, server).run
    assert run is not None
    assert run.ok, run.health
    assert "1 page(s) read in the day/month order their dates prove" in str(run.health)
    days = sorted(row["published_at"][:10] for row in stored(tmp_path).values())
    assert days == ["2024-05-05", "2024-05-13"]  # the local midnights (+07) of 6 and 14 May


# Velocity leaves estimated dates out; positions keep them


def _weeks(estimated: bool) -> list[WeekInput]:
    """Eight weeks of two businesses: steady 4★ dated reviews; in the last three weeks, with
    ``estimated``, twenty 1★ reviews a week of business 1 that had no readable date (first crawls
    of new sources)."""
    first = date(2026, 9, 7)
    weeks = []
    for week in range(8):
        counts = [
            RungCount(business, "overall", day, 4, False, "schemaorg", 2, 2.0, 2.0, 0)
            for business in (1, 2)
            for day in range(7)
        ]
        if estimated and week >= 5:
            counts.append(
                RungCount(1, "overall", 6, 1, False, "schemaorg", 20, 20.0, 20.0, 0, True)
            )
        weeks.append(WeekInput(first + timedelta(weeks=week), counts, [], []))
    return weeks


def _walk(weeks: list[WeekInput]) -> dict[int, dict[str, object]]:
    businesses = [Business(1, "Ours", True), Business(2, "Them", False)]
    walker = WeekWalker(
        businesses, ["schemaorg"], AnalysisSettings(), computed_at="x", version="test"
    )
    rows: list[dict[str, object]] = []
    for week in weeks:
        rows = walker.week(week)["weekly_positions"]
    return {
        int(row["business_id"]): row
        for row in rows
        if row["segment"] == "all" and row["dimension"] == "overall"
    }


def test_velocity_leaves_out_reviews_of_estimated_date_positions_keep_them() -> None:
    dated_only = _walk(_weeks(estimated=False))
    with_estimated = _walk(_weeks(estimated=True))
    ours = with_estimated[1]
    assert float(str(ours["score"])) < float(str(dated_only[1]["score"]))  # in the position
    assert ours["reviews"] == dated_only[1]["reviews"] + 20
    assert ours["velocity"] is not None
    assert ours["velocity"] == dated_only[1]["velocity"]  # not in the velocity


# ladder extract reads dates as the crawl does


PAGE = """<html><body><script type="application/ld+json">
{"@context": "https://schema.org", "@type": "LocalBusiness", "name": "X", "review": [
 {"@type": "Review", "datePublished": "12/03/2024 14:05", "reviewBody": "Phục vụ rất tốt",
  "reviewRating": {"@type": "Rating", "ratingValue": 5}}]}
</script></body></html>"""


def test_extract_reads_dates_in_the_configured_zone_or_the_one_given(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    config = write_config(
        tmp_path,
        {"Ours": ["https://ours.example/r"]},
        extra='[schedule]\ntimezone = "Asia/Ho_Chi_Minh"',
    )

    def published(*extra: str) -> object:
        args = ["--config", str(config), "extract", "--source", "schemaorg", *extra, str(page)]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        (item,) = [json.loads(line) for line in result.output.splitlines()]
        return item["published_at"]

    assert published() == "2024-03-12T07:05:00Z"
    assert published("--timezone", "UTC") == "2024-03-12T14:05:00Z"
    assert published("--timezone", "Europe/Paris") == "2024-03-12T13:05:00Z"
    bad = CliRunner().invoke(
        cli,
        [
            "--config",
            str(config),
            "extract",
            "--source",
            "schemaorg",
            "--timezone",
            "Mars/X",
            str(page),
        ],
    )
    assert bad.exit_code == 2
    assert "'Mars/X' is not a time zone" in bad.output


# The migration, on a database file the previous version wrote


def test_the_migration_adds_date_precision_to_a_database_of_the_previous_version(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ladder.db"
    with contextlib.closing(Database(path)) as old:
        migrations.apply(old, stop_before="m012_date_precision")
        assert "date_precision" not in old["reviews"].columns_dict
        old.execute("INSERT INTO businesses (name, is_self, created_at) VALUES ('Quán', 1, 'x')")
        old.execute(
            "INSERT INTO sources (business_id, kind, url, created_at) "
            "VALUES (1, 'schemaorg', 'https://q.example/r', 'x')"
        )
        old.execute(
            "INSERT INTO reviews (review_key, business_id, source_id, rating, body, published_at, "
            "content_hash, first_seen_at, last_seen_at) "
            "VALUES ('k1', 1, 1, 4.0, 'Ngon', '2026-11-01T00:00:00Z', 'h', 'x', 'x')"
        )
        old.conn.commit()
    with contextlib.closing(open_db(path)) as db:
        (row,) = db["reviews"].rows
        assert row["date_precision"] is None  # stored before: its date as given
        db.execute("UPDATE reviews SET date_precision = 'estimated' WHERE review_key = 'k1'")
        with pytest.raises(sqlite3.IntegrityError):
            db.execute("UPDATE reviews SET date_precision = 'week' WHERE review_key = 'k1'")
