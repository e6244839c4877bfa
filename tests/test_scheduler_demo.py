"""`ladder demo`: the demo world served on 127.0.0.1, crawled into a real database, idempotent."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from db import open_db
from scheduler.cli import cli
from scheduler.demo.launch import demo_pages, demo_port
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
        runs = db.execute("SELECT pages, reviews_new, reviews_changed FROM crawl_runs WHERE id > 8")
        assert runs.fetchall() == [(1, 0, 0)] * 8  # one listing page per source, nothing new
        sources = [row["url"] for row in db["sources"].rows]
        kinds = sorted(row["kind"] for row in db["sources"].rows)
    assert len(sources) == 8, sources  # the same port, so the same source URLs
    assert kinds == [
        "css",
        "foody",
        "schemaorg",
        "schemaorg",
        "schemaorg",
        "schemaorg",
        "tiki",
        "trustpilot",
    ]


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
    texts = [page.payload().decode() for page in pages.values()]
    assert all(
        "<script>" not in text.replace('<script type="application/ld+json">', "") for text in texts
    )
