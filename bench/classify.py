"""Classify speed: reviews per second of the ladder on one core, mixed Vietnamese and English.

Texts: the demo world's reviews (composed from phrase banks) and the labelled development set,
repeated to 100,000 (``--reviews``). Prints a table and writes bench/results/classify.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, datetime

from common import ROOT, write_result

from analysis.ladder import classify
from scheduler.demo.world import build_world


def corpus(size: int) -> list[tuple[str, float | None]]:
    texts: list[tuple[str, float | None]] = []
    for business in build_world(datetime.now(UTC)):
        texts += [(f"{r.title or ''}. {r.body}", float(r.rating)) for r in business.reviews]
    for line in (ROOT / "tests" / "fixtures" / "ladder" / "dev.jsonl").read_text().splitlines():
        item = json.loads(line)
        texts.append((item["text"], item.get("rating")))
    return [texts[i % len(texts)] for i in range(size)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    items = corpus(args.reviews)
    classify("warm up the lexicon")
    rates = []
    for _ in range(args.runs):
        started = time.perf_counter()
        for text, rating in items:
            classify(text, rating)
        rates.append(len(items) / (time.perf_counter() - started))
    chars = statistics.mean(len(text) for text, _ in items)
    result = {
        "reviews": len(items),
        "mean_characters": round(chars),
        "runs": args.runs,
        "reviews_per_second_median": round(statistics.median(rates)),
        "reviews_per_second_runs": [round(r) for r in rates],
        "target": 5000,
    }
    print(
        f"classify: {result['reviews_per_second_median']:,} reviews/s (median of {args.runs}; "
        f"{len(items):,} reviews of {chars:.0f} characters; target ≥ 5,000)"
    )
    write_result("classify", result)


if __name__ == "__main__":
    main()
