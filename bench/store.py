"""Storing reviews against its floor: 1,000,000 reviews through the project's store vs a raw INSERT.

The rows are what the normaliser produces (:class:`crawler.items.Review` plus the business and
source ids, as :class:`crawler.pipelines.StorePipeline` hands them on): the demo world's titles,
bodies, languages and owner replies (:func:`scheduler.demo.world.build_world`), salted author hashes,
unique review keys and native ids, ISO dates, ratings with their raw value and scale, the page URL;
50 businesses with one source each, 20,000 reviews per source.

Measured in fresh processes, on fresh databases created with :func:`db.open_db` (so the same schema,
indexes and full-text triggers, WAL, ``synchronous=NORMAL``):

* **store**: per source a :class:`db.store.ReviewWriter` (its known keys loaded once), then
  ``write()`` in batches of ``BATCH_ROWS`` (500) rows as the pipeline does, one transaction each;
* **re-ingest**: the same 1,000,000 unchanged rows again through new writers (a re-crawl that finds
  nothing new: only ``last_seen_at`` moves);
* **raw** (the floor): one ``executemany`` INSERT per batch of the same rows as tuples, all in one
  transaction.

Building the batches (the rows as dicts, or as tuples for the floor) is not timed. Prints rows/s,
the ratio store/raw (target ≥ 0.5), the re-ingest's rows/s against the first ingest's (target ≥ 1),
peak RSS and file sizes, medians of ``--runs``; writes bench/results/store.json.
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any

from common import DATA, run_child, write_result

TARGET_RATIO = 0.5

CHILD = r"""
import hashlib, json, resource, sys, time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from db import open_db
from db.reviews import REVIEW_FIELDS, ReviewWriter, content_hash
from db.store import sync_business, sync_source
from crawler.normalize import author_hash
from crawler.extract.cleaning import clean_text
from crawler.pipelines import BATCH_ROWS
from scheduler.demo.world import build_world

mode, path, total, businesses = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
    stale.unlink(missing_ok=True)
db = open_db(path)
salt = "bench-salt"
corpus = [
    (clean_text(r.title), clean_text(r.body), r.lang, author_hash(r.author, salt), float(r.rating),
     str(r.rating), clean_text(r.reply_body), r.replied_at - r.published_at if r.replied_at else None)
    for business in build_world(datetime(2026, 11, 25, tzinfo=UTC)) for r in business.reviews
]
sources = []
for b in range(businesses):
    business_id = sync_business(db, f"Business {b:03d}", is_self=b == 0)
    sources.append((business_id, sync_source(db, business_id, "schemaorg", f"https://b{b}.example/reviews")))
newest = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
per_source = total // businesses

def row(i):
    business_id, source_id = sources[i // per_source]
    title, body, lang, author, rating, raw, reply, delay = corpus[i % len(corpus)]
    published = newest - timedelta(minutes=17 * (i % per_source))
    return {
        "review_key": hashlib.blake2b(f"bench{i}".encode(), digest_size=12).hexdigest(),
        "native_id": f"r{i:07d}",
        "rating": rating, "rating_raw": raw, "rating_scale": 5.0,
        "title": title, "body": body, "lang": lang,
        "published_at": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "reply_body": reply,
        "replied_at": (published + delay).strftime("%Y-%m-%dT%H:%M:%SZ") if reply else None,
        "url": f"https://b{business_id}.example/reviews?page={(i % per_source) // 20 + 1}",
        "author_hash": author, "verified": None, "answers": None,
        "business_id": business_id, "source_id": source_id,
    }

def batches(source_index):
    first = source_index * per_source
    for start in range(first, first + per_source, BATCH_ROWS):
        yield [row(i) for i in range(start, min(start + BATCH_ROWS, first + per_source))]

def ingest():
    elapsed, counts = 0.0, {"new": 0, "changed": 0, "unchanged": 0, "rejected": 0}
    for index, (_, source_id) in enumerate(sources):
        started = time.perf_counter()
        writer = ReviewWriter(db, source_id)
        elapsed += time.perf_counter() - started
        for batch in batches(index):
            started = time.perf_counter()
            written = writer.write(batch)
            elapsed += time.perf_counter() - started
            for key in counts:
                counts[key] += getattr(written, key)
    return elapsed, counts

figures = {}
if mode == "store":
    figures["seconds"], figures["counts"] = ingest()
    figures["bytes"] = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    figures["reingest_seconds"], figures["reingest_counts"] = ingest()
else:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    columns = (*REVIEW_FIELDS, "content_hash", "first_seen_at", "last_seen_at")
    insert = f"INSERT INTO reviews ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    elapsed = 0.0
    started = time.perf_counter()
    db.conn.execute("BEGIN")
    elapsed += time.perf_counter() - started
    for index in range(len(sources)):
        for batch in batches(index):
            values = [(*(r[f] for f in REVIEW_FIELDS), content_hash(r), stamp, stamp) for r in batch]
            started = time.perf_counter()
            db.conn.executemany(insert, values)
            elapsed += time.perf_counter() - started
    started = time.perf_counter()
    db.conn.commit()
    figures["seconds"] = elapsed + time.perf_counter() - started
    figures["bytes"] = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
figures["rows"] = db.execute("SELECT count(*) FROM reviews").fetchone()[0]
figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(figures))
"""


def measure(mode: str, reviews: int, businesses: int) -> dict[str, Any]:
    path = DATA / f"store-{mode}.db"
    figures = run_child(mode, CHILD, mode, str(path), str(reviews), str(businesses))
    if figures["rows"] != reviews:
        raise RuntimeError(f"{mode}: {figures['rows']} rows stored, not {reviews}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--businesses", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.reviews % args.businesses:
        parser.error("--reviews must be a multiple of --businesses")
    DATA.mkdir(parents=True, exist_ok=True)
    store, raw = [], []
    for _ in range(args.runs):
        raw.append(measure("raw", args.reviews, args.businesses))
        store.append(measure("store", args.reviews, args.businesses))
    for mode in ("raw", "store"):
        (DATA / f"store-{mode}.db").unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            (DATA / f"store-{mode}.db{suffix}").unlink(missing_ok=True)
    counts, again = store[0]["counts"], store[0]["reingest_counts"]
    if counts["new"] != args.reviews or again["unchanged"] != args.reviews:
        raise RuntimeError(f"unexpected write counts: {counts}, then {again}")
    seconds = statistics.median(s["seconds"] for s in store)
    again_seconds = statistics.median(s["reingest_seconds"] for s in store)
    raw_seconds = statistics.median(r["seconds"] for r in raw)
    rate, again_rate, raw_rate = (args.reviews / s for s in (seconds, again_seconds, raw_seconds))
    result = {
        "reviews": args.reviews,
        "businesses": args.businesses,
        "runs": args.runs,
        "store_rows_per_second": round(rate),
        "store_seconds_runs": [round(s["seconds"], 2) for s in store],
        "store_peak_rss_mb": round(max(s["peak_rss_mb"] for s in store), 1),
        "store_file_mb": round(store[0]["bytes"] / 1e6, 1),
        "raw_rows_per_second": round(raw_rate),
        "raw_seconds_runs": [round(r["seconds"], 2) for r in raw],
        "raw_peak_rss_mb": round(max(r["peak_rss_mb"] for r in raw), 1),
        "raw_file_mb": round(raw[0]["bytes"] / 1e6, 1),
        "ratio_store_to_raw": round(rate / raw_rate, 3),
        "reingest_rows_per_second": round(again_rate),
        "reingest_seconds_runs": [round(s["reingest_seconds"], 2) for s in store],
        "ratio_reingest_to_first_ingest": round(again_rate / rate, 3),
        "target_ratio_store_to_raw": TARGET_RATIO,
        "target_ratio_reingest_to_first_ingest": 1.0,
    }
    print(
        f"store: {args.reviews:,} reviews, {args.businesses} sources, medians of {args.runs}\n"
        f"{'':22} {'rows/s':>9} {'seconds':>8} {'peak RSS MB':>12} {'file MB':>8}\n"
        f"{'raw INSERT (floor)':22} {raw_rate:9,.0f} {raw_seconds:8.1f} "
        f"{result['raw_peak_rss_mb']:12.0f} {result['raw_file_mb']:8.0f}\n"
        f"{'ReviewWriter':22} {rate:9,.0f} {seconds:8.1f} "
        f"{result['store_peak_rss_mb']:12.0f} {result['store_file_mb']:8.0f}\n"
        f"{'re-ingest, unchanged':22} {again_rate:9,.0f} {again_seconds:8.1f}\n"
        f"ratio store/raw {result['ratio_store_to_raw']:.2f} (target ≥ {TARGET_RATIO}: "
        f"{'met' if rate / raw_rate >= TARGET_RATIO else 'NOT met'}); re-ingest/first "
        f"{result['ratio_reingest_to_first_ingest']:.2f} (target ≥ 1: "
        f"{'met' if again_rate >= rate else 'NOT met'})"
    )
    write_result("store", result)


if __name__ == "__main__":
    main()
