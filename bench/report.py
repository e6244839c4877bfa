"""The weekly report: time to build and render one report with charts for 50 businesses.

Builds the database once (bench/data/report-v1-….db; ``--rebuild`` to redo): ``--reviews``
(200,000) reviews of ``--businesses`` (50) businesses over ``--weeks`` (16) weeks, with the demo
world's texts, stars, languages and owner replies (each business follows one of the world's five
stories, so there are climbers, fallers, gaps and fast repliers to report), then runs
:func:`scheduler.analyze.refresh.analyze` once (classification and the weekly tables; not timed).

Then, in a fresh process per run (the matplotlib and Jinja2 imports are not timed; the first chart
drawn in the process is, as in ``ladder report``), times reading the report's rows
(:func:`scheduler.analyze.readers.read_report_inputs`) and building it
(:func:`analysis.report.model.build_report`) for the last analysed week, and :func:`analysis.report.render.render_report` in Vietnamese and in
English (HTML, text and the PNG charts). Target: under 10 s in all. Medians of ``--runs``; writes
bench/results/report.json.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import DATA, run_child, write_result

NOW = datetime(2026, 11, 25, tzinfo=UTC)
TIMEZONE = "Asia/Ho_Chi_Minh"
TARGET_SECONDS = 10.0


def build(path: Path, reviews: int, businesses: int, weeks: int) -> None:
    """The database: every business's reviews copied (re-dated by up to 10 hours) from the demo
    business whose story it follows, then analysed once."""
    from zoneinfo import ZoneInfo

    from analysis.settings import AnalysisSettings
    from db import open_db
    from db.reviews import REVIEW_FIELDS, content_hash
    from db.store import sync_business, sync_source
    from scheduler.analyze.refresh import analyze
    from scheduler.demo.world import build_world

    path.unlink(missing_ok=True)
    db = open_db(path)
    world = build_world(NOW, weeks=weeks)
    sources = []
    for b in range(businesses):
        story = world[b % len(world)]
        name = story.name if b < len(world) else f"{story.name} {b // len(world) + 1}"
        business_id = sync_business(db, name, is_self=b == 0)
        sources.append(
            (business_id, sync_source(db, business_id, "schemaorg", f"https://b{b}.ex/r"))
        )
    db.execute("DROP TRIGGER reviews_ai")  # the search index is not what is measured here
    rng = random.Random(1)
    stamp = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    columns = (*REVIEW_FIELDS, "content_hash", "first_seen_at", "last_seen_at")
    insert = f"INSERT INTO reviews ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608
    rows = []
    for i in range(reviews):
        b = i % businesses
        story = world[b % len(world)].reviews
        review = story[(i // businesses) % len(story)]
        shift = timedelta(minutes=rng.randrange(600))
        published = review.published_at - shift
        row = {
            "review_key": f"k{i}",
            "business_id": sources[b][0],
            "source_id": sources[b][1],
            "native_id": f"n{i}",
            "published_at": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "rating": float(review.rating),
            "rating_raw": str(review.rating),
            "rating_scale": 5.0,
            "title": review.title,
            "body": review.body,
            "lang": review.lang,
            "author_hash": f"a{rng.randrange(10**9):09d}",
            "reply_body": review.reply_body,
            "replied_at": (review.replied_at - shift).strftime("%Y-%m-%dT%H:%M:%SZ")
            if review.replied_at
            else None,
            "verified": None,
            "answers": None,
            "url": None,
        }
        rows.append((*(row[f] for f in REVIEW_FIELDS), content_hash(row), stamp, stamp))
        if len(rows) == 50_000:
            with db.conn:
                db.conn.executemany(insert, rows)
            rows = []
    with db.conn:
        db.conn.executemany(insert, rows)
    analyze(db, AnalysisSettings(), ZoneInfo(TIMEZONE), now=NOW)
    db.execute("VACUUM")
    db.close()


CHILD = f"""
import json, resource, sys, time
from datetime import datetime, UTC
from zoneinfo import ZoneInfo
from analysis.report.model import build_report
from scheduler.analyze.readers import read_report_inputs
from analysis.report.render import render_report
from db import open_db
from db.queries import analysed_weeks
db = open_db(sys.argv[1])
now, tz = datetime({NOW.year}, {NOW.month}, {NOW.day}, tzinfo=UTC), ZoneInfo({TIMEZONE!r})
week = analysed_weeks(db, "all")[-1]
started = time.perf_counter()
report = build_report(read_report_inputs(db, week, tz=tz), now=now, tz=tz)
built = time.perf_counter()
vi = render_report(report, "vi")
rendered_vi = time.perf_counter()
en = render_report(report, "en")
done = time.perf_counter()
print(json.dumps({{
    "week": week, "businesses": len(report.standings),
    "model_seconds": built - started, "render_vi_seconds": rendered_vi - built,
    "render_en_seconds": done - rendered_vi, "seconds": done - started,
    "charts": len(vi.charts), "html_kb": len(vi.html) / 1024,
    "png_kb": sum(len(c.png) for c in vi.charts) / 1024,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}}))
"""


def measure(path: Path) -> dict[str, Any]:
    return run_child("the report", CHILD, str(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reviews", type=int, default=200_000)
    parser.add_argument("--businesses", type=int, default=50)
    parser.add_argument("--weeks", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"report-v1-{args.reviews}-{args.businesses}-{args.weeks}.db"
    if args.rebuild or not path.exists():
        started = time.perf_counter()
        build(path, args.reviews, args.businesses, args.weeks)
        print(f"built and analysed {path.name} in {time.perf_counter() - started:.0f} s")
    runs = [measure(path) for _ in range(args.runs)]
    keys = ("model_seconds", "render_vi_seconds", "render_en_seconds", "seconds")
    medians = {key: round(statistics.median(run[key] for run in runs), 3) for key in keys}
    first = runs[0]
    result = {
        "reviews": args.reviews,
        "businesses": first["businesses"],
        "weeks": args.weeks,
        "week": first["week"],
        "runs": args.runs,
        **medians,
        "seconds_runs": [round(run["seconds"], 3) for run in runs],
        "charts_per_language": first["charts"],
        "html_kb": round(first["html_kb"]),
        "charts_png_kb": round(first["png_kb"]),
        "peak_rss_mb": round(max(run["peak_rss_mb"] for run in runs), 1),
        "target_seconds": TARGET_SECONDS,
    }
    verdict = "met" if medians["seconds"] < TARGET_SECONDS else "NOT met"
    print(
        f"report: week {first['week']}, {first['businesses']} businesses, {args.reviews:,} "
        f"reviews, medians of {args.runs}: {medians['seconds']:.2f} s (target < "
        f"{TARGET_SECONDS:.0f} s: {verdict}) = model {medians['model_seconds']:.2f} + render vi "
        f"{medians['render_vi_seconds']:.2f} + en {medians['render_en_seconds']:.2f}; "
        f"{first['charts']} charts ({first['png_kb']:.0f} KB), HTML {first['html_kb']:.0f} KB, "
        f"peak RSS {result['peak_rss_mb']:.0f} MB"
    )
    write_result("report", result)


if __name__ == "__main__":
    main()
