"""Crawl throughput against its anchor: the project's real crawl vs one plain Scrapy process.

The site (bench/review_site.py): ``--businesses`` (50) × ``--pages`` (40) listing pages × 20 reviews,
in the demo's five markup styles in turn (JSON-LD, ``@graph``, microdata, 0–10 JSON-LD with a CSS
next link, and a CSS-selector source), about 50 KB a page, served by an asyncio keep-alive server
from pre-rendered bytes in its own process. The project's FixtureServer is measured first with a
concurrent client and reported beside it: it answers a keep-alive client at a few dozen pages per
second (each response waits on a delayed ACK), far below a crawl, so it cannot serve this benchmark.

Compared, in the same run and against the same server (``--runs`` times each, medians):

* **full**: the project's crawl, exactly as ``ladder crawl`` runs it:
  :func:`scheduler.crawl.engine.crawl_sources` on a generated ladder.toml (delay 0, AutoThrottle off,
  robots.txt obeyed, ``parallel`` = 2 sources at once, ``concurrency_per_site`` = 2, ``processes``
  = 0: one crawl process per core, here 2), parsing, validating and storing into a fresh database.
* **anchor**: one plain Scrapy process (``scrapy runspider bench/pager_spider.py``, a spider that
  only follows the pagination, no item pipeline; Scrapy's default settings, not the project's)
  over every start URL, with the same ``-s`` settings as a source's crawl and the same two
  requests in flight to the site. It finds each next link as a Scrapy spider is usually written,
  with ``response.css(…)``. It does none of the project's work, and pays none of its layout.
* **floor** (a second line): the same process finding the next link with a regular expression
  over the bytes, the cheapest way there is (no HTML parsed at all).

The figures to read are the ratios to the anchor: **pages per CPU-second** (full/anchor, target
≥ 0.5) and **wall time** (full/anchor, target ≤ 1.5); the same ratios to the floor are printed
beside them. Also: CPU ms per page (the crawl processes'
rusage, start-up included), the marginal CPU ms per page (the difference between the two sizes,
start-up excluded), and the peak RSS of the crawl processes at ``--small-pages`` and ``--pages``
per business (it must not grow with pages). Children are started from a small runner process,
whose own peak RSS is printed as the floor of the RSS figures (a child's ``ru_maxrss`` starts
from its parent's at exec). Children cache bytecode (:func:`common.child_env`) and one small crawl
in each mode warms up before measuring.

Writes bench/results/crawl.json. ``--profile`` instead runs one source's real crawl under cProfile
and prints the top functions.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from common import DATA, ROOT, child_env, run_child, write_result
from review_site import STYLES, SiteServer, SiteSpec, build_site, measure_rate, source_plans

SPIDER = ROOT / "bench" / "pager_spider.py"
PARALLEL = 2
REVIEWS_PER_PAGE = 20
#: Targets: the full crawl's pages per CPU-second at least this share of the anchor's, its wall
#: time at most this multiple of the anchor's.
CPU_RATIO = 0.5
WALL_RATIO = 1.5

#: The [crawl] table of the generated ladder.toml: CPU-bound, no politeness waits.
CRAWL = {
    "contact": "bench@localhost",
    "delay": 0.0,
    "autothrottle": False,
    "concurrency_per_site": PARALLEL,
    "parallel": PARALLEL,
    "max_pages": 10_000,
    "source_timeout": 3600.0,
    "allow_loopback": True,  # the bench site is served on this machine
}


def config_text(url: str, spec: SiteSpec) -> str:
    """A ladder.toml with every business of the site, each one source."""

    def quote(value: object) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = ["[database]", 'path = "ladder.db"']
    for source in source_plans(spec.businesses):
        header = "business" if source.is_self else "competitors"
        lines += ["", f"[{header}]" if source.is_self else f"[[{header}]]"]
        lines += [f"name = {quote(source.name)}", "", f"[[{header}.sources]]"]
        lines += [f"kind = {quote(source.kind)}", f"url = {quote(url + source.path)}"]
        lines += [f"{name} = {quote(value)}" for name, value in source.options.items()]
    lines += ["", "[crawl]", *(f"{key} = {quote(value)}" for key, value in CRAWL.items())]
    return "\n".join(lines) + "\n"


def prepare(folder: Path, url: str, spec: SiteSpec) -> Path:
    """A fresh folder with a ladder.toml pointing at ``url`` (no database yet)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    path = folder / "ladder.toml"
    path.write_text(config_text(url, spec), encoding="utf-8")
    return path


#: The runner: a small process that starts the crawl processes and reports their rusage.
RUNNER = """
import json, os, resource, subprocess, sys, tempfile, time
from scheduler.config import load_config
from scheduler.crawl.engine import crawl_sources
from scheduler.crawl.local import crawl_command
from scheduler.crawl.targets import select_targets
from crawler.settings import EXTENSIONS
config = load_config(sys.argv[1])
mode, spider = sys.argv[2], sys.argv[3]
targets = select_targets(config)
env = {**os.environ, "SCRAPY_SETTINGS_MODULE": "crawler.settings", "PYTHONUNBUFFERED": "1"}
logs = config.database.parent / "logs"
logs.mkdir(parents=True, exist_ok=True)

# Scrapy's remote control switched off, as the project does (it starts a server and imports
# aiohttp); the project's other settings are not the anchor's.
BUILT_IN = {name: order for name, order in EXTENSIONS.items() if name.startswith("scrapy.")}

def pager(target, urls, extra=()):
    # Plain Scrapy (its defaults, outside the project: no project settings module, no
    # scrapy.cfg above the working folder) with the -s settings of a source: the same politeness,
    # User-Agent, timeouts and robots.txt, logging at INFO as the project does.
    settings = []
    command = crawl_command(config, target, 0)
    for flag, value in zip(command, command[1:]):
        if flag == "-s":
            settings += ["-s", value]
    return [sys.executable, "-m", "scrapy", "runspider", spider, "-a", "url=" + urls, *settings,
            "-s", "LOG_LEVEL=INFO", "-s", "EXTENSIONS=" + json.dumps(BUILT_IN), *extra]

def run(command, log):
    plain = {k: v for k, v in env.items() if k != "SCRAPY_SETTINGS_MODULE"}
    with log.open("ab") as out:
        subprocess.run(command, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=plain,
                       cwd=tempfile.gettempdir(), start_new_session=True, check=True)

started = time.perf_counter()
figures = {}
if mode == "full":
    outcomes = crawl_sources(config, targets)
    runs = [o.run for o in outcomes if o.run is not None]
    figures["healthy"] = sum(o.ok for o in outcomes)
    figures["unhealthy"] = [o.run.health if o.run else o.skipped for o in outcomes if not o.ok][:3]
    figures["pages_recorded"] = sum(r.pages for r in runs)
    figures["reviews_parsed"] = sum(r.reviews_parsed for r in runs)
    figures["reviews_new"] = sum(r.reviews_new for r in runs)
    figures["pages_per_source"] = [r.pages for r in runs]
    figures["processes"] = len({r.pid for r in runs})
else:  # the anchor or the floor: one plain Scrapy process over every start URL
    urls = " ".join(t.source.url for t in targets)
    extra = ["-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={config.crawl.parallel}"]
    if mode == "anchor":
        extra += ["-a", "selectors=1"]
    run(pager(targets[0], urls, extra), logs / f"{mode}.log")
    figures["processes"] = 1
figures["seconds"] = time.perf_counter() - started
children = resource.getrusage(resource.RUSAGE_CHILDREN)
figures["cpu_seconds"] = children.ru_utime + children.ru_stime
figures["peak_rss_mb"] = children.ru_maxrss / 1024
status = open("/proc/self/status").read()
figures["runner_rss_mb"] = int(status.split("VmHWM:")[1].split()[0]) / 1024
if mode == "full":
    from db import open_db
    db = open_db(config.database)
    figures["reviews_stored"] = db.execute("SELECT count(*) FROM reviews").fetchone()[0]
print(json.dumps(figures))
"""


def crawl_once(server: SiteServer, spec: SiteSpec, mode: str) -> dict[str, Any]:
    """One crawl of the whole site in ``mode`` (full, anchor) from a fresh folder."""
    config = prepare(DATA / "crawl-run" / mode, server.url, spec)
    figures = run_crawl(server, config, mode)
    del figures["requests"]
    figures.pop("pages_per_source", None)
    expected = spec.businesses * spec.pages
    if figures["pages"] != expected:
        raise RuntimeError(f"{mode}: fetched {figures['pages']} listing pages, not {expected}")
    return figures


def run_crawl(server: SiteServer, config: Path, mode: str) -> dict[str, Any]:
    """Crawl every source of ``config`` in ``mode``; figures from the runner and the server."""
    server.requests(reset=True)
    figures = run_child(f"{mode} crawl", RUNNER, str(config), mode, str(SPIDER))
    requests = server.requests()
    figures["pages"] = sum(n for path, n in requests.items() if path != "/robots.txt")
    figures["robots_requests"] = requests.get("/robots.txt", 0)
    figures["pages_per_second"] = figures["pages"] / figures["seconds"]
    figures["reviews_per_second"] = figures["pages"] * REVIEWS_PER_PAGE / figures["seconds"]
    figures["cpu_ms_per_page"] = 1000 * figures["cpu_seconds"] / max(1, figures["pages"])
    figures["requests"] = requests
    return figures


def warm_up(server: SiteServer) -> None:
    """One small crawl in each mode first: bytecode compiled and cached, files in the page cache."""
    for mode in ("anchor", "floor", "full"):
        run_crawl(server, prepare(DATA / "crawl-run" / "warm-up", server.url, SiteSpec(2, 1)), mode)


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of the numeric figures (peak RSS: the largest), the rest from the first run."""
    out = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            values = [run[key] for run in runs]
            out[key] = max(values) if key.endswith("rss_mb") else statistics.median(values)
    return out


def profile(spec: SiteSpec, top: int) -> None:
    """Each source's real crawl (``scrapy crawl``, one per markup style) under cProfile, one after
    the other; prints the top functions of all of them together."""
    import pstats

    site = build_site(spec)
    folder = DATA / "crawl-run" / "profile"
    with SiteServer([site]) as server:
        config_path = prepare(folder, server.url, spec)
        code = f"""
from scheduler.config import load_config
from db import open_db
from db.store import start_crawl_run
from scheduler.crawl.local import crawl_command
from scheduler.crawl.targets import select_targets, sync_config
config = load_config({str(config_path)!r})
ids = sync_config(config)
for target in select_targets(config):
    source_id = ids[target.business.name, target.source.kind, target.source.url]
    run_id = start_crawl_run(open_db(config.database), source_id, target.source.kind)
    print("\\0".join(crawl_command(config, target, run_id)[3:]))
"""
        commands = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout.splitlines()
        outputs = []
        for number, command in enumerate(commands):
            outputs.append(str(folder / f"crawl-{number}.prof"))
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "cProfile",
                    "-o",
                    outputs[-1],
                    "-m",
                    "crawler",  # as crawl_command starts it
                    *command.split("\0"),
                ],
                cwd=ROOT,
                env={**child_env(), "SCRAPY_SETTINGS_MODULE": "crawler.settings"},
                capture_output=True,
                check=True,
            )
    stats = pstats.Stats(*outputs)
    print(f"{len(outputs)} sources × {spec.pages} pages, one process each, under cProfile")
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--businesses", type=int, default=50)
    parser.add_argument("--pages", type=int, default=40, help="listing pages per business")
    parser.add_argument("--small-pages", type=int, default=10, help="the smaller size, for RSS")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="profile one source's crawl")
    args = parser.parse_args()
    if args.profile:
        profile(SiteSpec(len(STYLES), args.pages), 40)
        return
    sizes = {"small": SiteSpec(args.businesses, args.small_pages)}
    sizes["large"] = SiteSpec(args.businesses, args.pages)
    files = {size: build_site(spec) for size, spec in sizes.items()}
    result: dict[str, Any] = {
        "businesses": args.businesses,
        "runs": args.runs,
        "parallel": PARALLEL,
    }
    with SiteServer([files["large"]], fixture=True) as fixture:
        fixture_rate = measure_rate(fixture, files["large"], PARALLEL, 200)
    modes = ("anchor", "floor", "full")
    for size, spec in sizes.items():
        with SiteServer([files[size]]) as server:
            if size == "large":
                server_rate = measure_rate(server, files[size], PARALLEL, 4000)
            if size == "small":
                warm_up(server)
            runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in modes}
            for number in range(args.runs):
                for mode in modes:
                    runs[mode].append(crawl_once(server, spec, mode))
                    figures = runs[mode][-1]
                    print(
                        f"  {size} {mode} run {number + 1}: {figures['pages_per_second']:.0f} "
                        f"pages/s, {figures['cpu_ms_per_page']:.1f} CPU ms/page, "
                        f"{figures['seconds']:.1f} s",
                        flush=True,
                    )
            result[size] = {"pages_per_business": spec.pages}
            result[size].update({mode: median_of(found) for mode, found in runs.items()})
    large, small = result["large"], result["small"]
    extra_pages = args.businesses * (args.pages - args.small_pages)
    for mode in modes:
        marginal = large[mode]["cpu_seconds"] - small[mode]["cpu_seconds"]
        large[mode]["marginal_cpu_ms_per_page"] = 1000 * marginal / extra_pages
        startup = large[mode]["cpu_seconds"] - marginal / extra_pages * large[mode]["pages"]
        large[mode]["startup_cpu_seconds_per_process"] = startup / large[mode]["processes"]
        large[mode]["pages_per_cpu_second"] = large[mode]["pages"] / large[mode]["cpu_seconds"]
    full, anchor, floor = large["full"], large["anchor"], large["floor"]
    result.update(
        {
            "fixture_server_pages_per_second": round(fixture_rate),
            "bench_server_pages_per_second": round(server_rate),
            "server_headroom": round(server_rate / anchor["pages_per_second"], 1),
            "cpu_ratio_full_to_anchor": round(
                full["pages_per_cpu_second"] / anchor["pages_per_cpu_second"], 3
            ),
            "wall_ratio_full_to_anchor": round(full["seconds"] / anchor["seconds"], 3),
            "cpu_ratio_full_to_floor": round(
                full["pages_per_cpu_second"] / floor["pages_per_cpu_second"], 3
            ),
            "wall_ratio_full_to_floor": round(full["seconds"] / floor["seconds"], 3),
            "target_cpu_ratio": CPU_RATIO,
            "target_wall_ratio": WALL_RATIO,
        }
    )
    print_table(result, args)
    write_result("crawl", result)


def print_table(result: dict[str, Any], args: argparse.Namespace) -> None:
    large, small = result["large"], result["small"]
    print(
        f"crawl: {args.businesses} businesses × {args.pages} pages × 20 reviews, {PARALLEL} sources"
        f" at a time, medians of {args.runs}; servers: fixture "
        f"{result['fixture_server_pages_per_second']:,} pages/s, bench "
        f"{result['bench_server_pages_per_second']:,} pages/s "
        f"({result['server_headroom']}× the anchor)"
    )
    print(
        f"{'':22} {'pages/s':>8} {'pages/CPU-s':>12} {'CPU ms/page':>12} {'marginal':>9} "
        f"{'startup':>8} {'processes':>10} {'peak RSS MB':>12} "
        f"{'RSS @' + str(args.small_pages) + 'p':>10} {'wall s':>7}"
    )
    rows = (
        ("anchor", "anchor (plain Scrapy)"),
        ("floor", "floor (regex pager)"),
        ("full", "full (ladder crawl)"),
    )
    for mode, label in rows:
        row = large[mode]
        print(
            f"{label:22} {row['pages_per_second']:8.0f} {row['pages_per_cpu_second']:12.0f} "
            f"{row['cpu_ms_per_page']:12.1f} {row['marginal_cpu_ms_per_page']:9.1f} "
            f"{row['startup_cpu_seconds_per_process']:7.2f}s {row['processes']:10.0f} "
            f"{row['peak_rss_mb']:12.0f} {small[mode]['peak_rss_mb']:10.0f} {row['seconds']:7.1f}"
        )
    cpu, wall = result["cpu_ratio_full_to_anchor"], result["wall_ratio_full_to_anchor"]
    print(
        f"pages per CPU-second full/anchor {cpu:.2f} (target ≥ {CPU_RATIO}: "
        f"{'met' if cpu >= CPU_RATIO else 'NOT met'}); wall full/anchor {wall:.2f} (target ≤ "
        f"{WALL_RATIO}: {'met' if wall <= WALL_RATIO else 'NOT met'}); runner RSS floor "
        f"{large['full']['runner_rss_mb']:.0f} MB; stored {large['full']['reviews_stored']:,} "
        f"reviews, {large['full']['healthy']}/{args.businesses} sources healthy"
    )
    print(
        "against the floor (next links found by a regular expression, no HTML parsed): pages per "
        f"CPU-second {result['cpu_ratio_full_to_floor']:.2f}, wall "
        f"{result['wall_ratio_full_to_floor']:.2f}"
    )


if __name__ == "__main__":
    main()
