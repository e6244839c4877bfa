"""Incremental crawls against the full crawl: what a re-crawl fetches when little or nothing is new.

The site of bench/crawl.py (bench/review_site.py): ``--businesses`` (50) × ``--pages`` (40)
listing pages × 20 reviews, newest first, served by the fast bench server. Each run, from a fresh
database, with the project's real crawl (:func:`scheduler.crawl.engine.crawl_sources` on a generated
ladder.toml: delay 0, AutoThrottle off, robots.txt obeyed, two sources at a time):

1. the **full** first crawl: every listing page (the floor every ratio below is taken against);
2. a **re-crawl with nothing new**: listing pages fetched per source (target ≤ 1), requests per
   source with robots.txt (target ≤ 2), CPU seconds of the crawl processes in all (target ≤ 5 s)
   and wall time;
3. **1% new** reviews added at the top of every listing (``--new-share``; the older reviews move
   down the pages), then a re-crawl: listing pages fetched, as a share of the full crawl's
   (target ≤ 5%), and wall time as a share of the full crawl's.

Then **many sources**: ``--many`` (500) businesses × ``--many-pages`` (2) pages, crawled once, then
again with nothing new: CPU seconds in all (target < 30 s) and the crawl processes' peak RSS
(target < 300 MB), from the runner's rusage of its children.

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
MAX_REQUESTS_NOTHING_NEW = 2
MAX_CPU_NOTHING_NEW = 5.0
MAX_SHARE_ONE_PERCENT = 0.05
MAX_CPU_MANY = 30.0
MAX_RSS_MANY = 300.0


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
            "peak_rss_mb": figures["peak_rss_mb"],
        }
    return steps


def many_sources(businesses: int, pages: int, runs: int) -> dict[str, Any]:
    """A first crawl of ``businesses`` × ``pages``, then a re-crawl with nothing new: medians."""
    spec = SiteSpec(businesses, pages)
    found: dict[str, list[dict[str, Any]]] = {"first": [], "nothing_new": []}
    with SiteServer([build_site(spec)]) as server:
        for number in range(runs):
            config = prepare(DATA / "crawl-run" / "many", server.url, spec)
            for step in found:
                figures = run_crawl(server, config, "full")
                if figures["healthy"] != businesses:
                    raise RuntimeError(f"many, {step}: unhealthy: {figures['unhealthy']}")
                requests = figures["pages"] + figures["robots_requests"]
                found[step].append(
                    {
                        "pages": figures["pages"],
                        "requests": requests,
                        "requests_per_source": requests / businesses,
                        "seconds": figures["seconds"],
                        "cpu_seconds": figures["cpu_seconds"],
                        "peak_rss_mb": figures["peak_rss_mb"],
                    }
                )
            print(f"  many run {number + 1}: " + ", ".join(
                f"{step} {f[-1]['cpu_seconds']:.1f} CPU s {f[-1]['peak_rss_mb']:.0f} MB"
                for step, f in found.items()
            ), flush=True)  # fmt: skip
    return {
        step: {
            key: (max if key.endswith("rss_mb") else statistics.median)(r[key] for r in rows)
            for key in rows[0]
        }
        for step, rows in found.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--businesses", type=int, default=50)
    parser.add_argument("--pages", type=int, default=40, help="listing pages per business")
    parser.add_argument("--new-share", type=float, default=0.01)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--many", type=int, default=500, help="businesses of the many-sources site")
    parser.add_argument("--many-pages", type=int, default=2, help="pages of each of them")
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
    many = many_sources(args.many, args.many_pages, args.runs)
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
        "nothing_new_requests_per_source": round(none["requests"] / args.businesses, 3),
        "many": {"businesses": args.many, "pages_per_business": args.many_pages, **many},
        "target_max_pages_per_source_nothing_new": MAX_PAGES_NOTHING_NEW,
        "target_max_requests_per_source_nothing_new": MAX_REQUESTS_NOTHING_NEW,
        "target_max_cpu_seconds_nothing_new": MAX_CPU_NOTHING_NEW,
        "target_max_pages_ratio_one_percent": MAX_SHARE_ONE_PERCENT,
        "target_max_cpu_seconds_many": MAX_CPU_MANY,
        "target_max_peak_rss_mb_many": MAX_RSS_MANY,
    }
    print(
        f"incremental: {args.businesses} businesses × {args.pages} pages × 20 reviews, "
        f"{fresh} new per business in the 1% step, medians of {args.runs}\n"
        f"{'':18} {'pages':>6} {'requests':>9} {'req/source':>11} {'max/source':>11} {'new':>6} "
        f"{'CPU s':>6} {'wall s':>7} {'pages ratio':>12} {'wall ratio':>11}"
    )
    for label, step in (("full crawl", full), ("nothing new", none), ("1% new", some)):
        print(
            f"{label:18} {step['pages']:6.0f} {step['requests']:9.0f} "
            f"{step['requests'] / args.businesses:11.2f} "
            f"{step['max_pages_per_source']:11.0f} {step['reviews_new']:6.0f} "
            f"{step['cpu_seconds']:6.1f} {step['seconds']:7.1f} "
            f"{step['pages'] / full['pages']:12.3f} {step['seconds'] / full['seconds']:11.2f}"
        )

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    none_ok = none["max_pages_per_source"] <= MAX_PAGES_NOTHING_NEW
    requests_ok = none["requests"] / args.businesses <= MAX_REQUESTS_NOTHING_NEW
    cpu_ok = none["cpu_seconds"] <= MAX_CPU_NOTHING_NEW
    some_ok = some["pages"] / full["pages"] <= MAX_SHARE_ONE_PERCENT
    print(
        f"nothing new: ≤ {MAX_PAGES_NOTHING_NEW} listing page per source: {verdict(none_ok)}; "
        f"≤ {MAX_REQUESTS_NOTHING_NEW} requests per source: {verdict(requests_ok)}; "
        f"≤ {MAX_CPU_NOTHING_NEW:g} s CPU in all: {verdict(cpu_ok)}. 1% new: "
        f"{some['pages'] / full['pages']:.1%} of the full crawl's listing pages (target ≤ "
        f"{MAX_SHARE_ONE_PERCENT:.0%}: {verdict(some_ok)}; with robots.txt "
        f"{result['one_percent_requests_ratio']:.1%})"
    )
    first, again = many["first"], many["nothing_new"]
    print(
        f"many sources: {args.many} × {args.many_pages} pages: first crawl "
        f"{first['cpu_seconds']:.1f} CPU s, {first['seconds']:.1f} s, {first['peak_rss_mb']:.0f} MB; "
        f"nothing new {again['cpu_seconds']:.1f} CPU s (target < {MAX_CPU_MANY:g}: "
        f"{verdict(again['cpu_seconds'] < MAX_CPU_MANY)}), peak RSS {again['peak_rss_mb']:.0f} MB "
        f"(target < {MAX_RSS_MANY:g}: {verdict(again['peak_rss_mb'] < MAX_RSS_MANY)}), "
        f"{again['requests_per_source']:.2f} requests per source, {again['seconds']:.1f} s"
    )
    write_result("incremental", result)


if __name__ == "__main__":
    main()
