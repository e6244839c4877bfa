"""Incremental crawls against the full crawl: what a re-crawl fetches when little or nothing is new.

The site of bench/crawl.py (bench/review_site.py), smaller: ``--businesses`` (20) × ``--pages`` (40)
listing pages × 20 reviews, newest first, served by the fast bench server. Each run, from a fresh
database, with the project's real crawl (:func:`scheduler.crawl.engine.crawl_sources` on a generated
ladder.toml: delay 0, AutoThrottle off, robots.txt obeyed, two sources at a time):

1. the **full** first crawl: every listing page (the floor every ratio below is taken against);
2. a **re-crawl with nothing new**: listing pages fetched per source (target ≤ 1) and wall time;
3. **1% new** reviews added at the top of every listing (``--new-share``; the older reviews move
   down the pages), then a re-crawl: listing pages fetched, as a share of the full crawl's
   (target ≤ 5%), and wall time as a share of the full crawl's.

Requests are counted by the server (listing pages; robots.txt separately) and checked against
``crawl_runs.pages``. Medians of ``--runs``; writes bench/results/incremental.json.
"""

from __future__ import annotations

import argparse
import statistics
from collections import Counter
from typing import Any

from common import DATA, write_result
from crawl import prepare, run_crawl, warm_up
from review_site import SiteServer, SiteSpec, build_site

MAX_PAGES_NOTHING_NEW = 1
MAX_SHARE_ONE_PERCENT = 0.05


def per_source(requests: Counter[str]) -> Counter[str]:
    """Listing pages fetched per business (the first path segment)."""
    counts: Counter[str] = Counter()
    for path, n in requests.items():
        if path != "/robots.txt":
            counts[path.split("/")[1]] += n
    return counts


def one_run(server: SiteServer, spec: SiteSpec) -> dict[str, Any]:
    config = prepare(DATA / "crawl-run" / "incremental", server.url, spec)
    steps = {}
    for step, page_set in (("full", 0), ("nothing_new", 0), ("one_percent_new", 1)):
        server.use(page_set)
        figures = run_crawl(server, config, "full")
        sources = per_source(figures.pop("requests"))
        if figures["healthy"] != spec.businesses:
            raise RuntimeError(f"{step}: unhealthy sources: {figures['unhealthy']}")
        if figures["pages"] != figures["pages_recorded"]:
            raise RuntimeError(f"{step}: {figures['pages']} pages served, crawl_runs says "
                               f"{figures['pages_recorded']}")  # fmt: skip
        steps[step] = {
            "pages": figures["pages"],
            "requests": figures["pages"] + figures["robots_requests"],
            "max_pages_per_source": max(sources.values()),
            "mean_pages_per_source": figures["pages"] / spec.businesses,
            "reviews_new": figures["reviews_new"],
            "seconds": figures["seconds"],
            "cpu_seconds": figures["cpu_seconds"],
        }
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--businesses", type=int, default=20)
    parser.add_argument("--pages", type=int, default=40, help="listing pages per business")
    parser.add_argument("--new-share", type=float, default=0.01)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    fresh = max(1, round(args.pages * 20 * args.new_share))
    base = build_site(SiteSpec(args.businesses, args.pages))
    later = build_site(SiteSpec(args.businesses, args.pages, fresh), like=base)
    spec = SiteSpec(args.businesses, args.pages)
    with SiteServer([base, later]) as server:
        warm_up(server)
        runs = []
        for number in range(args.runs):
            runs.append(one_run(server, spec))
            print(f"  run {number + 1}: " + ", ".join(
                f"{step} {s['pages']} pages {s['seconds']:.1f} s" for step, s in runs[-1].items()
            ), flush=True)  # fmt: skip
    steps = {
        step: {key: statistics.median(run[step][key] for run in runs) for key in runs[0][step]}
        for step in runs[0]
    }
    full, none, some = steps["full"], steps["nothing_new"], steps["one_percent_new"]
    result = {
        "businesses": args.businesses,
        "pages_per_business": args.pages,
        "new_reviews_per_business": fresh,
        "runs": args.runs,
        **steps,
        "nothing_new_requests_ratio": round(none["requests"] / full["requests"], 4),
        "nothing_new_seconds_ratio": round(none["seconds"] / full["seconds"], 3),
        "one_percent_pages_ratio": round(some["pages"] / full["pages"], 4),
        "one_percent_requests_ratio": round(some["requests"] / full["requests"], 4),
        "one_percent_seconds_ratio": round(some["seconds"] / full["seconds"], 3),
        "target_max_pages_per_source_nothing_new": MAX_PAGES_NOTHING_NEW,
        "target_max_pages_ratio_one_percent": MAX_SHARE_ONE_PERCENT,
    }
    print(
        f"incremental: {args.businesses} businesses × {args.pages} pages × 20 reviews, "
        f"{fresh} new per business in the 1% step, medians of {args.runs}\n"
        f"{'':18} {'pages':>6} {'requests':>9} {'max/source':>11} {'new':>6} {'wall s':>7} "
        f"{'pages ratio':>12} {'wall ratio':>11}"
    )
    for label, step in (("full crawl", full), ("nothing new", none), ("1% new", some)):
        print(
            f"{label:18} {step['pages']:6.0f} {step['requests']:9.0f} "
            f"{step['max_pages_per_source']:11.0f} {step['reviews_new']:6.0f} "
            f"{step['seconds']:7.1f} {step['pages'] / full['pages']:12.3f} "
            f"{step['seconds'] / full['seconds']:11.2f}"
        )
    none_ok = none["max_pages_per_source"] <= MAX_PAGES_NOTHING_NEW
    some_ok = some["pages"] / full["pages"] <= MAX_SHARE_ONE_PERCENT
    print(
        f"nothing new: ≤ {MAX_PAGES_NOTHING_NEW} listing page per source: "
        f"{'met' if none_ok else 'NOT met'}; 1% new: {some['pages'] / full['pages']:.1%} of the "
        f"full crawl's listing pages (target ≤ {MAX_SHARE_ONE_PERCENT:.0%}: "
        f"{'met' if some_ok else 'NOT met'}; with robots.txt "
        f"{result['one_percent_requests_ratio']:.1%})"
    )
    write_result("incremental", result)


if __name__ == "__main__":
    main()
