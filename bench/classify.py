"""Classify speed: reviews per second of the ladder on one core, mixed Vietnamese and English.

Texts: the demo world's reviews (composed from phrase banks) and the project's rubric examples,
repeated to 100,000 (``--reviews``), classified as ``ladder classify`` and ``ladder analyze`` do:
:func:`analysis.ladder.classify_many`, 256 at a time (CPU time of this process). Also one at a
time (:func:`analysis.ladder.classify`), for reference. Writes bench/results/classify.json.

The machine's speed moves by tens of percent within an hour, so each run also times a floor on
the same texts: the least a classifier that reads every word can do in Python (each text lower-cased,
split on spaces, each word's weight looked up and summed: a bag-of-words linear score). The ratio
of the two rates moves less than either, but it drifts too (the floor is a tight loop, classify is
not): compare two versions of the code only in runs alternated in the same hour.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, datetime

from common import ROOT, write_result

from analysis.ladder import classify, classify_many
from scheduler.demo.world import build_world


def corpus(size: int) -> list[tuple[str, float | None]]:
    texts: list[tuple[str, float | None]] = []
    for business in build_world(datetime.now(UTC)):
        texts += [(f"{r.title or ''}. {r.body}", float(r.rating)) for r in business.reviews]
    for line in (ROOT / "analysis" / "lexicon" / "examples.jsonl").read_text().splitlines():
        item = json.loads(line)
        texts.append((item["text"], item.get("rating")))
    return [texts[i % len(texts)] for i in range(size)]


def floor(texts: list[str], weights: dict[str, float]) -> float:
    """A bag-of-words score of each text: the floor's work."""
    get = weights.get
    total = 0.0
    for text in texts:
        total += sum([get(word, 0.0) for word in text.lower().split()])
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    items = corpus(args.reviews)
    classify("warm up the lexicon")
    classify("and the model, in both languages: chào")
    batch = [(text, rating, None) for text, rating in items]
    texts = [text for text, _ in items]
    weights = {word: len(word) % 7 - 3.0 for text in set(texts) for word in text.lower().split()}
    rates, single, floors = [], [], []
    for _ in range(args.runs):
        started = time.process_time()
        for start in range(0, len(batch), 256):
            classify_many(batch[start : start + 256])
        rates.append(len(items) / (time.process_time() - started))
        started = time.process_time()
        floor(texts, weights)
        floors.append(len(items) / (time.process_time() - started))
        started = time.process_time()
        for text, rating in items[: len(items) // 5]:
            classify(text, rating)
        single.append(len(items) // 5 / (time.process_time() - started))
    chars = statistics.mean(len(text) for text, _ in items)
    ratios = list(zip(rates, floors, strict=True))
    result = {
        "reviews": len(items),
        "mean_characters": round(chars),
        "runs": args.runs,
        "reviews_per_second_median": round(statistics.median(rates)),
        "reviews_per_second_runs": [round(r) for r in rates],
        "one_at_a_time_per_second_median": round(statistics.median(single)),
        "floor_per_second_median": round(statistics.median(floors)),
        "of_floor_runs": [round(r / f, 4) for r, f in ratios],
        "of_floor_median": round(statistics.median(r / f for r, f in ratios), 4),
        "target": 10000,
    }
    print(
        f"classify: {result['reviews_per_second_median']:,} reviews/s of CPU, 256 at a time "
        f"(median of {args.runs}; {len(items):,} reviews of {chars:.0f} characters; target "
        f"≥ 10,000); one at a time {result['one_at_a_time_per_second_median']:,}/s; floor "
        f"(a bag-of-words sum) {result['floor_per_second_median']:,}/s, classify "
        f"{result['of_floor_median']:.4f} of it"
    )
    write_result("classify", result)


if __name__ == "__main__":
    main()
