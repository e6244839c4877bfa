"""The benchmarks' review site: synthetic businesses in the demo's markup, served fast on 127.0.0.1.

Used by bench/crawl.py and bench/incremental.py. Each business gets ``pages`` listing pages of 20
reviews, newest first, rendered by the demo renderer (:func:`scheduler.demo.sites.render_site`) in
the demo's five markup styles in turn (JSON-LD, ``@graph``, microdata, 0–10 JSON-LD with a CSS
next link, and a CSS-selector site with a broken JSON-LD block); the texts, authors and replies are
the demo world's (:func:`scheduler.demo.world.build_world`), re-dated and re-numbered per business.
Every page also carries the chrome of a real site (styles, a script, a large menu and footer), so a
page weighs about 50 KB like the listing pages of real review sites.

Pages are written once to a SQLite file under bench/data/ and served by :func:`serve`, an asyncio
HTTP/1.1 keep-alive server answering from a dict of pre-rendered bytes, in its own process. The
project's ``FixtureServer`` (a ``ThreadingHTTPServer``) can serve the same file for comparison
(``serve --fixture``); :func:`measure_rate` is a small concurrent keep-alive client.

Command line (used by the benchmarks; each prints ``port N`` once it listens)::

    python bench/review_site.py serve FILE [FILE …] [--fixture]
    python bench/review_site.py rate URL FILE --concurrency 4 --requests 4000
    python bench/review_site.py build --businesses 50 --pages 40 [--fresh 8 --like FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Self

from common import DATA

CONTROL = "/__bench/"
#: The demo's markup styles and CSS source options (scheduler.demo.sites), without importing it.
STYLES = ("jsonld", "graph", "microdata", "tenpoint", "organization")
CSS_OPTIONS = {
    "review": "article.review",
    "id": "::attr(data-review-id)",
    "rating": "span.stars",
    "rating_from": "width",
    "title": "h3.review-title",
    "body": "p.review-body",
    "date": "time::attr(datetime)",
    "reply": ".owner-reply p",
    "reply_date": ".owner-reply time",
    "next": "link[rel=next]::attr(href)",
}
ROBOTS = b"User-agent: *\nDisallow: /private/\n"


@dataclass(frozen=True)
class SiteSpec:
    businesses: int
    pages: int  # listing pages per business
    fresh: int = 0  # new reviews added at the top of every business's listing

    @property
    def name(self) -> str:
        return f"site-v1-{self.businesses}x{self.pages}+{self.fresh}"


def _corpus() -> list:
    from scheduler.demo.world import build_world

    return [review for business in build_world(datetime.now(UTC)) for review in business.reviews]


def _business_reviews(index: int, count: int, fresh: int, corpus: list, newest: datetime) -> tuple:
    """``count`` reviews of business ``index``, newest first, every 6 hours back from ``newest``,
    and ``fresh`` newer ones (2 hours apart) on top; the same ids and dates whatever ``fresh`` is."""
    made = []
    for number in range(1, count + fresh + 1):
        template = corpus[(index * 137 + number) % len(corpus)]
        if number <= count:
            published = newest - timedelta(hours=6 * (count - number))
        else:
            published = newest + timedelta(hours=2 * (number - count))
        replied = None
        if template.replied_at is not None:
            replied = published + (template.replied_at - template.published_at)
        reply_ok = replied is not None and replied < newest + timedelta(hours=24)
        made.append(
            replace(
                template,
                native_id=f"biz{index:03d}-{number:05d}",
                published_at=published,
                replied_at=replied if reply_ok else None,
                reply_body=template.reply_body if reply_ok else None,
            )
        )
    return tuple(reversed(made))


@dataclass(frozen=True)
class SourcePlan:
    """What a ladder.toml says about one business's source on the site."""

    name: str
    is_self: bool
    kind: str
    path: str
    options: dict[str, str]


def source_plans(businesses: int) -> list[SourcePlan]:
    """The site's sources, without rendering anything (cheap: the caller stays small)."""
    plans = []
    for index in range(businesses):
        style = STYLES[index % len(STYLES)]
        kind, options = "schemaorg", {"next": "a.pager-next"} if style == "tenpoint" else {}
        if style == "organization":
            kind, options = "css", dict(CSS_OPTIONS)
        path = f"/biz-{index:03d}/reviews"
        plans.append(SourcePlan(f"Quán Bench {index:03d}", index == 0, kind, path, options))
    return plans


def build_sites(spec: SiteSpec, newest: datetime) -> list:
    """The sites of ``spec``: one per business, the demo's markup styles in turn."""
    from scheduler.demo import sites as demo
    from scheduler.demo.sites import REVIEWS_PER_PAGE, DemoSite
    from scheduler.demo.world import DemoBusiness

    assert (demo.STYLES, demo.CSS_OPTIONS) == (STYLES, CSS_OPTIONS), "the demo's styles changed"
    corpus = _corpus()
    sites = []
    for index, plan in enumerate(source_plans(spec.businesses)):
        reviews = _business_reviews(
            index, spec.pages * REVIEWS_PER_PAGE, spec.fresh, corpus, newest
        )
        business = DemoBusiness(
            slug=f"biz-{index:03d}",
            name=plan.name,
            is_self=plan.is_self,
            story="benchmark",
            reviews=reviews,
        )
        style = STYLES[index % len(STYLES)]
        sites.append(DemoSite(business, style, plan.kind, reviews, plan.options))
        assert sites[-1].path == plan.path, "the demo's sites moved their listing pages"
    return sites


def _chrome() -> tuple[str, str, str]:
    """What a real site puts around its reviews: (in head, before the content, after it)."""
    rules = "".join(
        f".c{n}{{margin:{n % 7}px {n % 5}px;padding:{n % 3}px;color:#{n * 2654435761 % 0xFFFFFF:06x}}}"
        for n in range(90)
    )
    config = json.dumps(
        {"tags": [{"id": f"t{n}", "event": f"view_{n}", "rate": n / 80} for n in range(80)]}
    )
    head = f"<style>{rules}</style><script>window.siteConfig = {config};</script>"
    menu = "".join(
        f'<li class="c{n % 90}"><a href="/danh-muc/{n}">Danh mục {n}: quán ăn, cà phê</a></li>'
        for n in range(66)
    )
    footer = "".join(
        f'<li><a href="/thanh-pho/{n}/quan-an">Quán ngon ở khu vực {n}</a> · '
        f'<a href="/thanh-pho/{n}/ca-phe">Cà phê khu vực {n}</a></li>'
        for n in range(60)
    )
    before = f'<header class="site"><nav class="menu"><ul>{menu}</ul></nav></header>'
    after = (
        f'<footer class="site"><ul>{footer}</ul><p>© Review site · 12 Nguyễn Huệ, Quận 1, '
        "TP. Hồ Chí Minh · Điều khoản · Chính sách bảo mật</p></footer>"
    )
    return head, before, after


def render_pages(spec: SiteSpec, newest: datetime) -> dict[str, bytes]:
    """Every listing page of ``spec`` by path and query, and /robots.txt."""
    from scheduler.demo.sites import render_site

    head, before, after = _chrome()
    pages = {"/robots.txt": ROBOTS}
    for site in build_sites(spec, newest):
        for path, page in render_site(site, newest).items():
            text = page.payload().decode()
            text = text.replace("</head>", head + "</head>", 1)
            text = text.replace("<body>", "<body>" + before, 1)
            text = text.replace("</body>", after + "</body>", 1)
            pages[path] = text.encode()
    return pages


def site_file(spec: SiteSpec, newest: datetime | None = None) -> Path:
    """The SQLite file holding ``spec``'s pages, written when missing. ``newest`` (the newest
    review's date, default yesterday) is fixed by the first spec written without fresh reviews."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"{spec.name}.sqlite"
    if path.exists():
        return path
    pages = render_pages(spec, newest or datetime.now(UTC) - timedelta(days=1))
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    with contextlib.closing(sqlite3.connect(partial)) as conn, conn:
        conn.execute("CREATE TABLE pages (path TEXT PRIMARY KEY, body BLOB)")
        conn.executemany("INSERT INTO pages VALUES (?, ?)", pages.items())
    partial.rename(path)
    return path


def build_site(spec: SiteSpec, like: Path | None = None) -> Path:
    """:func:`site_file` in a child process, so the caller stays small (children inherit the peak
    RSS of the process that starts them)."""
    command = [sys.executable, __file__, "build", f"--businesses={spec.businesses}"]
    command += [f"--pages={spec.pages}", f"--fresh={spec.fresh}"]
    command += [f"--like={like}"] if like else []
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return Path(output.strip())


def newest_of(path: Path) -> datetime:
    """The date of the newest review in a site file (to render a later version of the same site)."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        (body,) = conn.execute("SELECT body FROM pages WHERE path = '/biz-000/reviews'").fetchone()
    text = body.decode()
    start = text.index('"datePublished": "') + len('"datePublished": "')
    return datetime.fromisoformat(text[start : text.index('"', start)]).astimezone(UTC)


def load_pages(path: Path) -> dict[str, bytes]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return dict(conn.execute("SELECT path, body FROM pages"))


def listing_paths(path: Path) -> list[str]:
    return [p for p in load_pages(path) if p != "/robots.txt"]


# --- the fast server -----------------------------------------------------------------------------


async def _serve(files: Sequence[Path], ready: asyncio.Future[int]) -> None:
    sets = [load_pages(path) for path in files]
    state = {"pages": sets[0]}
    counts: Counter[str] = Counter()
    missing = b"<h1>404 Not Found</h1>"

    def control(target: str) -> bytes:
        command = target.removeprefix(CONTROL)
        if command.startswith("use/"):
            state["pages"] = sets[int(command.removeprefix("use/"))]
            return b"ok"
        body = json.dumps(dict(counts)).encode()
        if command == "requests/reset":
            counts.clear()
        return body

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                method, target, _ = head.split(b" ", 2)
                path = target.decode("latin-1")
                if path.startswith(CONTROL):
                    status, body = b"200 OK", control(path)
                else:
                    counts[path] += 1
                    found = state["pages"].get(path)
                    status, body = (
                        (b"200 OK", found) if found is not None else (b"404 Not Found", missing)
                    )
                kind = b"text/plain" if path == "/robots.txt" else b"text/html; charset=utf-8"
                header = b"HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n" % (
                    status,
                    kind,
                    len(body),
                )
                writer.write(header if method == b"HEAD" else header + body)
                await writer.drain()
                if b"connection: close" in head.lower():
                    return
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=256)
    ready.set_result(server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


def serve(files: Sequence[Path]) -> None:
    """Serve the first page set (``GET /__bench/use/N`` switches to the Nth); ``GET
    /__bench/requests`` answers the requests per path as JSON (``…/requests/reset`` also clears)."""

    async def main() -> None:
        ready: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(_serve(files, ready))
        print(f"port {await ready}", flush=True)
        await task

    asyncio.run(main())


def serve_fixture(files: Sequence[Path]) -> None:
    """The project's FixtureServer on the first page set, for comparison."""
    from scheduler.demo.server import FixtureServer, Page

    pages = {path: Page(body) for path, body in load_pages(files[0]).items()}
    with FixtureServer(pages) as server:
        print(f"port {server.port}", flush=True)
        while True:
            time.sleep(3600)


class SiteServer:
    """A server process (``fixture``: the project's FixtureServer) on 127.0.0.1; a context manager."""

    def __init__(self, files: Sequence[Path], *, fixture: bool = False) -> None:
        command = [sys.executable, __file__, "serve", *map(str, files)]
        self.process = subprocess.Popen(
            [*command, "--fixture"] if fixture else command, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("port "):
            self.process.kill()
            raise RuntimeError(f"the site server did not start: {line!r}")
        self.port = int(line.split()[1])
        self.url = f"http://127.0.0.1:{self.port}"

    def control(self, command: str) -> bytes:
        with urllib.request.urlopen(self.url + CONTROL + command, timeout=30) as response:  # noqa: S310 - our own 127.0.0.1 server
            return bytes(response.read())

    def requests(self, *, reset: bool = False) -> Counter[str]:
        """Requests per path (with query) since the last reset."""
        counts = json.loads(self.control("requests/reset" if reset else "requests"))
        return Counter(counts)

    def use(self, index: int) -> None:
        self.control(f"use/{index}")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# --- a small concurrent keep-alive client --------------------------------------------------------


async def _fetch_all(port: int, paths: Sequence[str], concurrency: int) -> int:
    queue = iter(paths)
    fetched = 0

    async def worker() -> None:
        nonlocal fetched
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for path in queue:
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            fetched += 1
        writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return fetched


def rate(url: str, site: Path, concurrency: int, requests: int) -> None:
    """Print ``pages/s`` fetching ``requests`` listing pages with ``concurrency`` connections."""
    paths = listing_paths(site)
    work = [paths[i % len(paths)] for i in range(requests)]
    port = int(url.rsplit(":", 1)[1])
    started = time.perf_counter()
    fetched = asyncio.run(_fetch_all(port, work, concurrency))
    print(fetched / (time.perf_counter() - started))


def measure_rate(server: SiteServer, site: Path, concurrency: int, requests: int) -> float:
    """Pages per second ``server`` delivers to a concurrent keep-alive client in its own process,
    fetching the listing pages of ``site`` in turn."""
    command = [sys.executable, __file__, "rate", server.url, str(site)]
    command += ["--concurrency", str(concurrency), "--requests", str(requests)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return float(output)


def _cli(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serving = commands.add_parser("serve")
    serving.add_argument("files", nargs="+", type=Path)
    serving.add_argument("--fixture", action="store_true")
    building = commands.add_parser("build")
    building.add_argument("--businesses", type=int, required=True)
    building.add_argument("--pages", type=int, required=True)
    building.add_argument("--fresh", type=int, default=0)
    building.add_argument("--like", type=Path, help="a site file whose newest date to keep")
    rating = commands.add_parser("rate")
    rating.add_argument("url")
    rating.add_argument("site", type=Path)
    rating.add_argument("--concurrency", type=int, default=4)
    rating.add_argument("--requests", type=int, default=4000)
    args = parser.parse_args(argv)
    if args.command == "serve":
        (serve_fixture if args.fixture else serve)(args.files)
    elif args.command == "build":
        spec = SiteSpec(args.businesses, args.pages, args.fresh)
        print(site_file(spec, newest_of(args.like) if args.like else None))
    else:
        rate(args.url, args.site, args.concurrency, args.requests)


if __name__ == "__main__":
    _cli()
