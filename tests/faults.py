"""Fault injection: a review site on the fixture server that misbehaves one way per case, crawled
for real (``scrapy crawl`` in a subprocess, into a real SQLite file), then crawled again once the
site is healthy. Each case says what the first crawl must do (recover, drop with a counted reason,
or be marked unhealthy with the reason) and how many reviews must be stored in the end: nothing is
ever lost. The text stored must be the text served (column ``text``: reviews whose stored text
differs), however the page's bytes were labelled.

``python -m tests.faults`` runs every case and prints the table (``make reliability``);
``tests/test_reliability.py`` runs the fast ones in ``make test``.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from db import open_db
from scheduler.config import load_config
from scheduler.crawl.local import run_crawl
from scheduler.crawl.targets import select_targets
from scheduler.demo.server import FixtureServer, Page

PER_PAGE = 20
PAGES = 3
PATH = "/shop/reviews"
#: Crawl settings for fault cases: quick retries, a short download timeout.
SETTINGS = {
    "contact": "tests@example.com",
    "delay": 0.0,
    "backoff": 0.1,
    "retries": 2,
    "timeout": 2.0,
    "max_page_bytes": 2 * 1024 * 1024,
    "source_timeout": 120.0,
    "allow_loopback": True,  # the fixture server is on 127.0.0.1
}

Pages = dict[str, Page | list[Page]]


def review(number: int, **changes: Any) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@type": "Review",
        "identifier": f"r{number}",
        "author": {"@type": "Person", "name": f"Khách {number}"},
        "datePublished": f"2026-10-{number % 28 + 1:02d}T10:00:00+07:00",
        "reviewRating": {"@type": "Rating", "ratingValue": 1 + number % 5},
        "reviewBody": f"Đánh giá số {number}: phục vụ nhanh, sẽ quay lại.",
    }
    node.update(changes)
    return node


def listing(nodes: list[dict[str, Any]], number: int, *, last: bool = False) -> str:
    data = {"@context": "https://schema.org", "@type": "LocalBusiness", "name": "Quán Thử"}
    data["review"] = nodes
    link = "" if last else f'<link rel="next" href="{PATH}?page={number + 1}">'
    return (
        f"<!doctype html><html><head><meta charset='utf-8'>{link}"
        f"<script type='application/ld+json'>{json.dumps(data, ensure_ascii=False)}</script>"
        "</head><body><h1>Quán Thử</h1></body></html>"
    )


def page_path(number: int) -> str:
    return PATH if number == 1 else f"{PATH}?page={number}"


def healthy_site(pages: int = PAGES) -> Pages:
    """``pages`` listing pages of ``PER_PAGE`` reviews, newest first."""
    total = pages * PER_PAGE
    site: Pages = {}
    for number in range(1, pages + 1):
        first = total - (number - 1) * PER_PAGE
        nodes = [review(n) for n in range(first, first - PER_PAGE, -1)]
        site[page_path(number)] = Page(listing(nodes, number, last=number == pages))
    return site


def with_page(number: int, *faulty: Page, then_ok: bool = True) -> Callable[[str], Pages]:
    """The healthy site with page ``number`` answering ``faulty`` first (then, with ``then_ok``,
    its healthy self)."""

    def build(base: str) -> Pages:
        site = healthy_site()
        good = site[page_path(number)]
        assert isinstance(good, Page)
        site[page_path(number)] = [*faulty, good] if then_ok else list(faulty)
        return site

    return build


def replaced(number: int, body: bytes | str, **page: Any) -> Callable[[str], Pages]:
    def build(base: str) -> Pages:
        site = healthy_site()
        site[page_path(number)] = Page(body, **page)
        return site

    return build


def gzipped(text: str) -> bytes:
    return gzip.compress(text.encode())


def _page_text(number: int) -> str:
    page = healthy_site()[page_path(number)]
    assert isinstance(page, Page)
    return page.payload().decode()


@dataclass(frozen=True)
class Case:
    name: str
    fault: str  # what is injected, for the table
    site: Callable[[str], Pages]  # base URL → pages of the faulty site
    expect: str  # the first crawl: "recovered", "dropped" or "unhealthy"
    stored_first: int  # reviews stored by the first crawl
    reason: str = ""  # in the run's health (unhealthy) or drop reasons (dropped)
    expected_total: int = PAGES * PER_PAGE  # stored after a crawl of the healthy site
    fast: bool = True
    recovery: Callable[[str], Pages] | None = None  # the site for the second crawl: healthy
    settings: dict[str, Any] = field(default_factory=dict)  # [crawl] overrides
    #: Reviews the first crawl stores with a text other than the one served (a byte replaced).
    damaged_texts: int = 0


def _bad_ratings(base: str) -> Pages:
    site = healthy_site()
    nodes = [review(n) for n in range(PER_PAGE, 0, -1)]
    nodes[0]["reviewRating"] = {"ratingValue": 6, "bestRating": 5}
    nodes[1]["reviewRating"] = {"ratingValue": -1}
    nodes[2]["reviewRating"] = {"ratingValue": "abc"}
    for node in nodes[:3]:
        node["reviewBody"] = None  # a bad rating and no text: nothing to keep
    site[page_path(PAGES)] = Page(listing(nodes, PAGES, last=True))
    return site


def _bad_dates(base: str) -> Pages:
    site = healthy_site()
    nodes = [review(n) for n in range(PER_PAGE, 0, -1)]
    nodes[0]["datePublished"] = "2099-01-01T10:00:00+07:00"
    nodes[1]["datePublished"] = "1900-05-01"
    nodes[2]["datePublished"] = "hôm kia năm ngoái tháng 13"
    site[page_path(PAGES)] = Page(listing(nodes, PAGES, last=True))
    return site


def _duplicates(base: str) -> Pages:
    site = healthy_site()
    nodes = [review(n) for n in range(PER_PAGE, 0, -1)]
    nodes += [review(n) for n in range(PER_PAGE, PER_PAGE - 5, -1)]  # five repeated ids
    site[page_path(PAGES)] = Page(listing(nodes, PAGES, last=True))
    return site


def _huge_json_ld(count: int) -> Callable[[str], Pages]:
    def build(base: str) -> Pages:
        site = healthy_site()
        nodes = [review(n) for n in range(1_000_000 + count, 1_000_000, -1)]  # ids of its own
        site[page_path(PAGES)] = Page(listing(nodes, PAGES, last=True))
        return site

    return build


def _deep_nesting(base: str) -> Pages:
    site = healthy_site()
    text = _page_text(2).replace("<h1>", "<div>" * 100_000 + "<h1>")
    site[page_path(2)] = Page(text)
    return site


def _charset(content_type: str, encoding: str, *, meta: bool) -> Callable[[str], Pages]:
    def build(base: str) -> Pages:
        site = healthy_site()
        text = _page_text(2)
        if not meta:
            text = text.replace("<meta charset='utf-8'>", "")
        site[page_path(2)] = Page(text.encode(encoding), content_type=content_type)
        return site

    return build


def _invalid_utf8(base: str) -> Pages:
    site = healthy_site()
    raw = _page_text(2).encode().replace(b"<h1>", b"<h1>\xff\xfe\xc3(")
    site[page_path(2)] = Page(raw)
    return site


def _invalid_byte_in_json_ld(base: str) -> Pages:
    """One 0xff byte inside the first review's text on page 2, in its JSON-LD block."""
    site = healthy_site()
    raw = _page_text(2).encode().replace(b": ph", b": \xffph", 1)
    site[page_path(2)] = Page(raw)
    return site


def served_text(native_id: str | None) -> str | None:
    """A review's text as the healthy site serves it, by its id (``r12``); None for another id."""
    if not native_id or not native_id.removeprefix("r").isdigit():
        return None
    return str(review(int(native_id.removeprefix("r")))["reviewBody"])


def _other_host(base: str) -> Pages:
    site = healthy_site()
    other = base.replace("127.0.0.1", "localhost")
    site[page_path(2)] = Page("", status=302, headers={"Location": f"{other}{page_path(2)}"})
    return site


def _next_to_other_host(base: str) -> Pages:
    site = healthy_site()
    other = base.replace("127.0.0.1", "localhost")
    text = _page_text(1).replace(f'href="{PATH}?page=2"', f'href="{other}{PATH}?page=2"')
    site[page_path(1)] = Page(text)
    return site


def _link_back_to_page_1(base: str) -> Pages:
    """The last page's next link leads back to page 1, as some themes' pagers do."""
    site = healthy_site()
    text = _page_text(PAGES).replace("</head>", f'<link rel="next" href="{PATH}"></head>')
    site[page_path(PAGES)] = Page(text)
    return site


def _endless_recycled(base: str) -> Pages:
    """Next links that go on for ever: past the last page, 50 more pages of its own reviews."""
    site = healthy_site()
    last = _page_text(PAGES)
    for number in range(PAGES, PAGES + 50):
        text = last.replace("</head>", f'<link rel="next" href="{PATH}?page={number + 1}"></head>')
        site[page_path(number)] = Page(text)
    return site


CASES = [
    Case("http_500", "500, 500, then the page", with_page(2, Page("oops", status=500), Page("oops", status=500)), "recovered", 60),
    Case("http_502_503", "502, 503, then the page", with_page(2, Page("", status=502), Page("", status=503)), "recovered", 60),
    Case("http_429_retry_after", "429 with Retry-After: 1", with_page(2, Page("slow down", status=429, headers={"Retry-After": "1"})), "recovered", 60),
    Case("http_503_retry_after_date", "503 with Retry-After as a date", with_page(2, Page("", status=503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})), "recovered", 60),
    Case("http_500_persistent", "500 on every try", with_page(2, Page("oops", status=500), then_ok=False), "unhealthy", 20, "failed"),
    Case("http_403", "403 Forbidden", with_page(2, Page("no", status=403), then_ok=False), "unhealthy", 20, "failed"),
    Case("slow_then_fast", "answer after the download timeout, then in time", with_page(2, Page("late", delay=3.0)), "recovered", 60),
    Case("reset_mid_body", "connection reset mid-body, then the page", with_page(2, Page(_page_text(2), reset_after=300)), "recovered", 60),
    Case("corrupt_gzip", "Content-Encoding: gzip with corrupt bytes", replaced(2, b"\x1f\x8b\x08\x00garbage", headers={"Content-Encoding": "gzip"}), "unhealthy", 20, "failed"),
    Case("truncated_gzip", "gzip cut short (the next link survives)", replaced(2, gzipped(_page_text(2))[:200], headers={"Content-Encoding": "gzip"}), "unhealthy", 40, "no reviews"),
    Case("huge_body", "a 50 MB page (limit 2 MB)", replaced(2, b"", stream_bytes=50 * 1024 * 1024), "unhealthy", 20, "failed"),
    Case("redirect_loop", "a redirect to itself", replaced(2, "", status=302, headers={"Location": page_path(2)}), "unhealthy", 20, "never answered"),
    Case("redirect_other_host", "a redirect to another host", _other_host, "unhealthy", 20, "led off the source's address"),
    Case("next_to_other_host", "the next-page link points at another host", _next_to_other_host, "unhealthy", 20, "led off the source's address", expected_total=20, recovery=_next_to_other_host),
    Case("link_back_to_page_1", "the last page's next link leads back to page 1", _link_back_to_page_1, "recovered", 60),
    Case("endless_recycled", "next links for ever over the last page's reviews", _endless_recycled, "recovered", 60, "brought no review not already read"),
    Case("missing_charset", "no charset anywhere (UTF-8 bytes)", _charset("text/html", "utf-8", meta=False), "recovered", 60),
    Case("meta_charset_only", "no header charset, <meta> says UTF-8", _charset("text/html", "utf-8", meta=True), "recovered", 60),
    Case("wrong_charset", "header says latin-1, bytes are UTF-8", _charset("text/html; charset=iso-8859-1", "utf-8", meta=True), "recovered", 60),
    Case("wrong_charset_no_meta", "header says latin-1, UTF-8 bytes, no <meta>", _charset("text/html; charset=iso-8859-1", "utf-8", meta=False), "recovered", 60),
    Case("wrong_charset_shift_jis", "header says shift_jis, bytes are UTF-8", _charset("text/html; charset=shift_jis", "utf-8", meta=False), "recovered", 60),
    Case("invalid_utf8", "invalid UTF-8 bytes in the page", _invalid_utf8, "recovered", 60, "U+FFFD"),
    Case("invalid_byte_in_json_ld", "a 0xff byte inside a JSON-LD review", _invalid_byte_in_json_ld, "recovered", 60, "1 invalid byte", damaged_texts=1),
    Case("deep_nesting", "100,000 nested <div>s", _deep_nesting, "recovered", 60),
    Case("empty_body", "200 with an empty body", replaced(2, ""), "unhealthy", 20, "no review"),
    Case("ratings_out_of_range", "ratings 6/5, −1, \"abc\" without text", _bad_ratings, "dropped", 57, "rating", 57, recovery=_bad_ratings),
    Case("dates_out_of_range", "dates in 2099, 1900 and unreadable (kept, estimated)", _bad_dates, "dropped", 58, "date", 58, recovery=_bad_dates),
    Case("duplicate_ids", "five review ids repeated on a page", _duplicates, "dropped", 60, "duplicate_on_page", recovery=_duplicates),
    # Over max_page_bytes the page is refused and the run says so; raising the limit reads it.
    Case("json_ld_100k_over_limit", "100,000 reviews in JSON-LD, over the page limit", _huge_json_ld(100_000), "unhealthy", 40, "failed", expected_total=40, fast=False, recovery=_huge_json_ld(100_000)),
    Case("json_ld_100k", "100,000 reviews in one JSON-LD block (64 MB limit)", _huge_json_ld(100_000), "recovered", 100_040, expected_total=100_040, fast=False, recovery=_huge_json_ld(100_000), settings={"max_page_bytes": 64 * 1024 * 1024}),
]  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    case: Case
    ok: bool
    health: str
    dropped: dict[str, int]
    stored_first: int
    stored_final: int
    invalid_rows: int
    other_hosts: list[str]
    integrity: str
    seconds: float
    #: Reviews the first crawl stored with a text other than the one the site served.
    text_mismatches: int = 0

    @property
    def lost(self) -> int:
        return max(0, self.case.expected_total - self.stored_final)

    @property
    def as_expected(self) -> bool:
        case = self.case
        if self.stored_first != case.stored_first or self.lost or self.invalid_rows:
            return False
        if self.other_hosts or self.integrity != "ok":
            return False
        if self.text_mismatches != case.damaged_texts:
            return False
        if case.expect == "recovered":
            return self.ok and case.reason in self.health
        if case.expect == "dropped":
            return self.ok and any(case.reason in reason for reason in self.dropped)
        return not self.ok and case.reason in self.health


INVALID_ROWS = """
SELECT count(*) FROM reviews
WHERE (rating IS NOT NULL AND (rating < 1 OR rating > 5))
   OR published_at NOT GLOB '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T*Z'
   OR published_at > strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '+1 day')
   OR published_at < '1990'
   OR (rating IS NULL AND coalesce(title, body) IS NULL)
   OR review_key IS NULL OR length(review_key) = 0
"""


def _config(folder: Path, url: str, overrides: dict[str, Any] | None = None) -> Path:
    lines = [
        '[database]\npath = "ladder.db"\n',
        '[business]\nname = "Quán Thử"',
        "[[business.sources]]",
        'kind = "schemaorg"',
        f'url = "{url}"',
        "",
        "[crawl]",
        *(
            f"{key} = {json.dumps(value)}"
            for key, value in {**SETTINGS, **(overrides or {})}.items()
        ),
    ]
    path = folder / "ladder.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def run_case(case: Case, folder: Path) -> Outcome:
    """Crawl the faulty site, then the healthy one; what happened and what was stored."""
    started = time.perf_counter()
    with FixtureServer() as server:
        for path, pages in case.site(server.url).items():
            server.add(path, pages)
        config = load_config(_config(folder, server.url + PATH, case.settings))
        (target,) = select_targets(config)
        first = run_crawl(config, target).run
        assert first is not None
        with contextlib.closing(open_db(config.database)) as db:
            stored_first = db.execute("SELECT count(*) FROM reviews").fetchone()[0]
            mismatches = sum(
                1
                for native_id, body in db.execute("SELECT native_id, body FROM reviews")
                if served_text(native_id) not in (None, body)
            )
        recovered = case.recovery(server.url) if case.recovery else healthy_site()
        for path, pages in recovered.items():
            server.add(path, pages)
        run_crawl(config, target)
        other = sorted({host for host in server.hosts if not host.startswith("127.0.0.1")})
    with contextlib.closing(open_db(config.database)) as db:
        stored_final = db.execute("SELECT count(*) FROM reviews").fetchone()[0]
        invalid = db.execute(INVALID_ROWS).fetchone()[0]
        (integrity,) = db.execute("PRAGMA integrity_check").fetchone()
        db.execute("INSERT INTO reviews_fts (reviews_fts) VALUES ('integrity-check')")
    return Outcome(
        case,
        bool(first.ok),
        first.health or "",
        first.dropped_reasons,
        stored_first,
        stored_final,
        invalid,
        other,
        integrity,
        time.perf_counter() - started,
        mismatches,
    )


def main() -> int:
    """Every case, as a table; exit 1 unless every case behaved and nothing was lost."""
    width = max(len(case.fault) for case in CASES)
    header = (
        f"{'fault':<{width}} {'first crawl':<12} {'stored':>7} {'final':>7} {'expected':>8} "
        f"{'lost':>4} {'text':>4} {'ok':>3} {'s':>5}"
    )
    print(header)
    print("-" * len(header))
    outcomes = []
    for case in CASES:
        with tempfile.TemporaryDirectory() as folder:
            outcome = run_case(case, Path(folder))
        outcomes.append(outcome)
        first = (
            "recovered"
            if outcome.ok and not outcome.dropped
            else ("dropped" if outcome.ok else "unhealthy")
        )
        print(
            f"{case.fault:<{width}} {first:<12} {outcome.stored_first:>7} "
            f"{outcome.stored_final:>7} {case.expected_total:>8} {outcome.lost:>4} "
            f"{outcome.text_mismatches:>4} "
            f"{'yes' if outcome.as_expected else 'NO':>3} {outcome.seconds:>5.1f}"
        )
        if not outcome.as_expected:
            print(f"    health: {outcome.health!r}; dropped: {outcome.dropped}")
    lost = sum(o.lost for o in outcomes)
    bad = [o.case.name for o in outcomes if not o.as_expected]
    print("-" * len(header))
    print(f"{len(outcomes)} faults injected; reviews lost: {lost}; unexpected outcomes: {bad or 0}")
    return 1 if lost or bad else 0


if __name__ == "__main__":
    sys.exit(main())
