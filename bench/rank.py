"""Weekly positions at scale: 1,000,000 classified reviews, 50 businesses, 52 weeks.

Builds the database once (bench/data/rank.db; ``--rebuild`` to redo), then in fresh processes
times (a) ``compute_weekly`` (positions, gaps, races, replies with templated replies, floods for
every week and segment; 40% of reviews answered, half of the replies from templates)
and (b) the physical floor: one bare ``GROUP BY business, week, rung`` over the same reviews.
Prints wall time, peak RSS and the ratio, medians of ``--runs``; writes bench/results/rank.json.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import DATA, write_result

NOW = datetime(2026, 11, 25, tzinfo=UTC)
DIMENSIONS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
TEMPLATES = (
    "Cảm ơn {who} {name} đã ủng hộ quán, hẹn gặp lại {who} lần sau nhé!",
    "Dear {name}, thank you for your kind review, we look forward to welcoming you back soon.",
    "Quán rất tiếc vì trải nghiệm chưa tốt của {who} {name}, quán đã nhắc nhở nhân viên.",
)
NAMES = ("Lan", "Minh", "Sarah", "Tom", "Hòa", "Vy", "Bảo", "Emma")
VOCABULARY = [f"từ{n}" for n in range(5000)]


def reply_text(rng: random.Random) -> str:
    """Half the replies from a template with the reviewer filled in, half written afresh."""
    if rng.random() < 0.5:
        return rng.choice(TEMPLATES).format(who=rng.choice(("anh", "chị")), name=rng.choice(NAMES))
    return " ".join(rng.choices(VOCABULARY, k=rng.randrange(8, 40)))


def build(path: Path, reviews: int, businesses: int, weeks: int) -> None:
    from analysis.replies import signatures, to_blobs
    from db import open_db
    from db.store import sync_business, sync_source

    path.unlink(missing_ok=True)
    db = open_db(path)
    sources = []
    for b in range(businesses):
        business_id = sync_business(db, f"Business {b:02d}", is_self=b == 0)
        sources.append(
            (business_id, sync_source(db, business_id, "schemaorg", f"https://b{b}.example/r"))
        )
    rng = random.Random(1)
    start = NOW - timedelta(weeks=weeks + 1)
    seconds = int(timedelta(weeks=weeks).total_seconds())
    db.execute("DROP TRIGGER reviews_ai")  # the search index is not what is measured here
    with db.conn:
        batch, rungs, dims = [], [], []
        for i in range(reviews):
            business_id, source_id = sources[i % businesses]
            quality = (i % businesses) / businesses
            rung = max(1, min(6, round(rng.gauss(2.8 + 1.5 * quality, 1.1))))
            published = (start + timedelta(seconds=rng.randrange(seconds))).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
            reply = reply_text(rng) if rng.random() < 0.4 else None
            batch.append(
                (
                    i + 1,
                    f"k{i}",
                    business_id,
                    source_id,
                    float(min(rung, 5)),
                    f"review {i}",
                    published,
                    reply,
                    published if reply else None,
                    "h",
                    published,
                    published,
                )
            )
            rungs.append([i + 1, rung, 0.8, 0, "vi", "[]", None, "h", "bench", published, reply])
            for dimension in rng.sample(DIMENSIONS, rng.choice((0, 0, 1, 1, 2))):
                dims.append((i + 1, dimension, rng.choice((-1.0, 1.0)), rung))
            if len(batch) == 50_000:
                _sign(rungs, signatures, to_blobs)
                _flush(db, batch, rungs, dims)
                batch, rungs, dims = [], [], []
        _sign(rungs, signatures, to_blobs)
        _flush(db, batch, rungs, dims)
    db.execute("VACUUM")
    db.close()


def _sign(rungs: list, signatures: Any, to_blobs: Any) -> None:
    """Replace each rung row's reply text (last) by its stored signature, as classify does."""
    replied = [row for row in rungs if row[-1]]
    for row, blob in zip(replied, to_blobs(signatures([row[-1] for row in replied])), strict=True):
        row[-1] = blob


def _flush(db: object, batch: list, rungs: list, dims: list) -> None:
    conn = db.conn  # type: ignore[attr-defined]
    conn.executemany(
        "INSERT INTO reviews (id, review_key, business_id, source_id, rating, body, published_at, reply_body, "
        "replied_at, content_hash, first_seen_at, last_seen_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        batch,
    )
    conn.executemany(
        "INSERT INTO review_rungs (review_id, rung, confidence, conflict, lang, evidence, "
        "fingerprint, content_hash, version, classified_at, reply_signature) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        rungs,
    )
    conn.executemany("INSERT INTO review_dimensions VALUES (?,?,?,?)", dims)


CHILD = {
    "weekly": """
import resource, sys, time
from zoneinfo import ZoneInfo
from datetime import datetime, UTC
from db import open_db
from analysis.settings import AnalysisSettings
from scheduler.analyze.refresh import compute_weekly
db = open_db(sys.argv[1])
started = time.perf_counter()
summary = compute_weekly(db, AnalysisSettings(), ZoneInfo("Asia/Ho_Chi_Minh"), now=datetime(2026, 11, 25, tzinfo=UTC))
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, summary.weeks)
""",
    "group_by": """
import resource, sys, time, sqlite3
db = sqlite3.connect(sys.argv[1])
started = time.perf_counter()
rows = db.execute("SELECT r.business_id, strftime('%Y-%W', r.published_at), c.rung, count(*) "
                  "FROM reviews r JOIN review_rungs c ON c.review_id = r.id GROUP BY 1, 2, 3").fetchall()
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(rows))
""",
}


def measure(kind: str, path: Path) -> tuple[float, float, int]:
    output = subprocess.run(
        [sys.executable, "-c", CHILD[kind], str(path)], capture_output=True, text=True, check=True
    ).stdout.split()
    return float(output[0]), int(output[1]) / 1024, int(output[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--businesses", type=int, default=50)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"rank-v2-{args.reviews}-{args.businesses}-{args.weeks}.db"
    if args.rebuild or not path.exists():
        started = time.perf_counter()
        build(path, args.reviews, args.businesses, args.weeks)
        print(f"built {path.name} in {time.perf_counter() - started:.0f} s")
    weekly = [measure("weekly", path) for _ in range(args.runs)]
    floor = [measure("group_by", path) for _ in range(args.runs)]
    seconds = statistics.median(w[0] for w in weekly)
    floor_seconds = statistics.median(f[0] for f in floor)
    result = {
        "reviews": args.reviews,
        "businesses": args.businesses,
        "weeks_computed": weekly[0][2],
        "weekly_seconds_median": round(seconds, 2),
        "weekly_peak_rss_mb": round(max(w[1] for w in weekly), 1),
        "group_by_seconds_median": round(floor_seconds, 2),
        "group_by_peak_rss_mb": round(max(f[1] for f in floor), 1),
        "ratio_weekly_to_group_by": round(seconds / floor_seconds, 2),
        "target_seconds": 30,
    }
    print(
        f"rank: {args.reviews:,} reviews, {args.businesses} businesses, {weekly[0][2]} weeks: "
        f"{seconds:.1f} s, peak RSS {result['weekly_peak_rss_mb']} MB (target < 30 s); bare GROUP BY "
        f"{floor_seconds:.1f} s, {result['group_by_peak_rss_mb']} MB; ratio {result['ratio_weekly_to_group_by']}"
    )
    write_result("rank", result)


if __name__ == "__main__":
    main()
