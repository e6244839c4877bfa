"""`ladder demo`: the demo world served on 127.0.0.1, crawled into a real database, idempotent."""

from __future__ import annotations

import contextlib
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from db import open_db
from scheduler.cli import cli
from scheduler.demo.launch import demo_pages, demo_port
from scheduler.demo.server import Page
from scheduler.demo.sites import STYLES, demo_sites
from scheduler.demo.world import build_world
from tests.conftest import FROZEN_NOW


def test_demo_crawls_every_business_and_a_rerun_adds_nothing(demo_output: Path) -> None:
    out = demo_output
    with contextlib.closing(open_db(out / "ladder.db")) as db:
        businesses = db.execute("SELECT count(*), sum(is_self) FROM businesses").fetchone()
        languages = dict(db.execute("SELECT lang, count(*) FROM reviews GROUP BY lang").fetchall())
        total = db["reviews"].count
        replies = db.execute(
            "SELECT count(*) FROM reviews WHERE reply_body IS NOT NULL"
        ).fetchone()[0]
        unhealthy = db.execute("SELECT count(*) FROM crawl_runs WHERE ok = 0").fetchone()[0]
    assert businesses == (5, 1)
    assert total >= 1000
    assert languages.get("vi", 0) >= 300
    assert languages.get("en", 0) >= 300
    assert replies > 0
    assert unhealthy == 0
    port = demo_port(out)
    assert port > 0

    second = CliRunner().invoke(cli, ["demo", "--out", str(out)], catch_exceptions=False)
    assert second.exit_code == 0, second.output
    assert "(0 mới trong lần chạy này)" in second.output, second.output  # the config says "vi"
    with contextlib.closing(open_db(out / "ladder.db")) as db:
        assert db["reviews"].count == total
        first = 8 + 5 + 5  # the review sources, then the businesses' sites read twice
        runs = db.execute(
            "SELECT s.kind, r.pages, r.reviews_new, r.reviews_changed, r.ok FROM crawl_runs r "
            "JOIN sources s ON s.id = r.source_id WHERE r.id > ? ORDER BY r.id",
            [first],
        ).fetchall()
        sources = [row["url"] for row in db["sources"].rows]
        kinds = sorted(row["kind"] for row in db["sources"].rows)
        changes = db.execute(
            "SELECT b.name, c.change, c.name, c.after FROM signal_changes c "
            "JOIN businesses b ON b.id = c.business_id"
        ).fetchall()
    reviews = [run[1:4] for run in runs if run[0] != "signals"]
    assert reviews == [(1, 0, 0)] * 8  # one listing page per source, nothing new
    assert [run[1] for run in runs if run[0] == "signals"] == [3] * 10  # home, contact, policy
    assert all(run[4] for run in runs)
    assert len(sources) == 13, sources  # the same port, so the same source URLs
    assert kinds == [
        "css",
        "foody",
        "schemaorg",
        "schemaorg",
        "schemaorg",
        "schemaorg",
        *["signals"] * 5,
        "tiki",
        "trustpilot",
    ]
    # One competitor adds live chat between the two reads of its site; `ladder demo` says so.
    assert changes == [("Phố Xưa Bistro", "new", "chat.vendor", '"tawk.to"')]
    assert "Phố Xưa Bistro: thêm chat trực tuyến (Tawk.to) (từ 2026-11-" in second.output
    # The console follows the configured language throughout: no English table or label.
    for english in (
        "Businesses",
        "(all)",
        "mean rating",
        "reviews in",
        " of 2",
        " h/week",
        "added",
    ):
        assert english not in second.output, english
    assert "-0,00" not in second.output  # a change that rounds to nothing has no sign


def test_a_rerun_a_week_later_adds_nothing(
    demo_output: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo world moves its reviews' dates a week forward each week, as sites that show "2 ngày
    trước" do: the reviews are known by what they say, not by the day shown."""
    out = tmp_path / "demo"
    shutil.copytree(demo_output, out)
    with contextlib.closing(open_db(out / "ladder.db")) as db:
        before = db.execute("SELECT id, published_at, first_seen_at FROM reviews").fetchall()
    monkeypatch.setenv("LADDER_NOW", (FROZEN_NOW + timedelta(weeks=1)).isoformat())
    again = CliRunner().invoke(cli, ["demo", "--out", str(out)], catch_exceptions=False)
    assert again.exit_code == 0, again.output
    assert "(0 mới trong lần chạy này)" in again.output, again.output
    assert "2026-W49" in again.output  # a week later, the week after is reported
    with contextlib.closing(open_db(out / "ladder.db")) as db:
        after = db.execute("SELECT id, published_at, first_seen_at FROM reviews").fetchall()
        seen, new = db.execute(
            "SELECT sum(reviews_parsed), sum(reviews_new) FROM crawl_runs "
            "WHERE started_at >= '2026-12-06'"
        ).fetchone()
        again_seen = db.execute(
            "SELECT count(*) FROM reviews WHERE last_seen_at >= '2026-12-06'"
        ).fetchone()[0]
    assert [tuple(row) for row in after] == [tuple(row) for row in before]  # dates as first seen
    # what was read again (every page of the sites that show other dates now, whose reviews have
    # no ids; the first page of the others) is stored reviews seen again, none is added
    assert new == 0
    assert 0 < again_seen <= seen


def test_demo_sites_use_every_markup_style_and_paginate() -> None:
    now = datetime(2026, 11, 24, tzinfo=UTC)
    world = build_world(now)
    sites = demo_sites(world)
    assert {site.style for site in sites} >= set(STYLES)
    assert {site.kind for site in sites} == {"schemaorg", "css", "trustpilot", "tiki", "foody"}
    for business in world:  # every review is served once, on one of the business's sites
        served = [r for site in sites if site.business is business for r in site.reviews]
        assert sorted(r.native_id for r in served) == sorted(r.native_id for r in business.reviews)
    pages = demo_pages(sites, now)
    for site in sites:
        prefix = site.path.split("?")[0]
        count = sum(1 for path in pages if path.split("?")[0] == prefix)
        assert count * 20 >= len(site.reviews) > (count - 1) * 20
    texts = [
        page.payload().decode()
        for path, page in pages.items()
        if isinstance(page, Page)  # the businesses' own sites have their chat widgets
        and not path.startswith("/site/")
    ]
    assert all(
        "<script>" not in text.replace('<script type="application/ld+json">', "") for text in texts
    )
