"""``ladder demo``: serve the demo world on 127.0.0.1, write a ladder.toml pointing at it, crawl.

The server reuses the port of the previous run when it is free, so the sources keep their URLs; the
world only changes from one ISO week to the next (its dates move a week), and a crawl knows a
review whose shown date moved (``db.identity``), so a rerun adds nothing on any day.
"""

from __future__ import annotations

import contextlib
import json
import tomllib
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

from scheduler import clock
from scheduler.demo.server import FixtureServer, Page
from scheduler.demo.signal_sites import signal_pages, site_path
from scheduler.demo.sites import DemoSite, demo_sites, render_index, render_site
from scheduler.demo.world import DEMO_ZONE, DemoBusiness, build_world

CONFIG_NAME = "ladder.toml"


def demo_pages(sites: Sequence[DemoSite], now: datetime) -> dict[str, Page | list[Page]]:
    """Every page of the demo world: review listings, platforms, and the businesses' own sites."""
    pages: dict[str, Page | list[Page]] = {"/": render_index(sites)}
    for site in sites:
        pages.update(render_site(site, now))
    businesses = list(dict.fromkeys(site.business for site in sites))
    for index, business in enumerate(businesses):
        pages.update(signal_pages(index, business))
    return pages


def _previous_port(config_path: Path) -> int:
    """The port the last demo served on, or 0 (any free port)."""
    try:
        data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        url = data["business"]["sources"][0]["url"]
        return urlparse(url).port or 0
    except (OSError, KeyError, IndexError, TypeError, ValueError):
        return 0


@contextlib.contextmanager
def serve_demo(
    now: datetime | None = None, *, port: int = 0
) -> Iterator[tuple[FixtureServer, list[DemoSite]]]:
    """Serve the demo world; yields the running server and its sites."""
    now = now or clock.now()
    sites = demo_sites(build_world(now))
    pages = demo_pages(sites, now)
    try:
        server = FixtureServer(pages, port=port)
    except OSError:  # the previous port is taken now
        server = FixtureServer(pages)
    with server:
        yield server, sites


def _quote(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def demo_config_text(server_url: str, sites: Sequence[DemoSite]) -> str:
    """A ladder.toml for the demo: our business and the competitors on the local server."""
    lines = [
        "# Written by `ladder demo`: the demo world served on 127.0.0.1 by the fixture server.",
        "# It is rewritten on every run; copy ladder.example.toml to start your own.",
        "",
        "[database]",
        'path = "ladder.db"',
    ]
    seen: set[str] = set()
    for site in sites:
        header = "business" if site.business.is_self else "competitors"
        if site.business.name not in seen:
            seen.add(site.business.name)
            lines += ["", f"[{header}]" if site.business.is_self else f"[[{header}]]"]
            lines += [f"name = {_quote(site.business.name)}"]
        lines += ["", f"[[{header}.sources]]"]
        lines += [f"kind = {_quote(site.kind)}", f"url = {_quote(server_url + site.path)}"]
        lines += [f"{name} = {_quote(value)}" for name, value in site.options.items()]
        if site is _first_site_of(sites, site.business):
            lines += ["", f"[[{header}.sources]]", 'kind = "signals"']
            lines += [f"url = {_quote(server_url + site_path(site.business))}"]
    lines += [
        "",
        "[crawl]",
        'contact = "demo@localhost"',
        "# The demo server is local and fast: no need to wait between requests.",
        "delay = 0.0",
        "parallel = 2",
        "# The demo's sites are served on this machine (127.0.0.1), which a real config refuses.",
        "allow_loopback = true",
        "",
        "[schedule]",
        f"timezone = {_quote(DEMO_ZONE.key)}",
        "",
        "[report]",
        'language = "vi"',
        'recipients = ["manager@localhost"]',
        "",
        "[report.smtp]",
        'host = "127.0.0.1"',
        "port = 8025",
        'security = "none"',
    ]
    return "\n".join(lines) + "\n"


def _first_site_of(sites: Sequence[DemoSite], business: DemoBusiness) -> DemoSite:
    return next(site for site in sites if site.business is business)


def write_demo_config(out: Path, server_url: str, sites: Sequence[DemoSite]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / CONFIG_NAME
    path.write_text(demo_config_text(server_url, sites), encoding="utf-8")
    return path


def demo_port(out: Path) -> int:
    return _previous_port(out / CONFIG_NAME)
