"""`ladder demo`: the demo world served on 127.0.0.1, crawled into a real database, idempotent."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from db import open_db
from scheduler.cli import cli
from scheduler.demo.launch import demo_pages, demo_port
from scheduler.demo.server import Page
from scheduler.demo.sites import STYLES, demo_sites
from scheduler.demo.world import build_world


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
    assert "(0 new in this run)" in second.output, second.output
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
    assert "Phố Xưa Bistro: added live chat (Tawk.to)" in second.output


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
