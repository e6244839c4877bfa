"""A page's encoding is decided from its bytes, not its header: real crawls against the fixture
server store the text as served, however the page's bytes are labelled; a byte that is not UTF-8
costs one character, not the page's reviews; and text that still reads as mojibake is named in the
crawl's health."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest

from crawler.extract.encoding import decode_page, looks_garbled
from db import open_db
from db.rows import CrawlRun
from scheduler.config import load_config
from scheduler.crawl.local import run_crawl
from scheduler.crawl.targets import select_targets
from scheduler.demo.server import FixtureServer, Page
from tests.conftest import review, write_config

VIETNAMESE = [f"Đánh giá số {n}: phục vụ nhanh, sẽ quay lại. Cà phê ngon!" for n in range(1, 6)]
FRENCH = [f"Avis n°{n} : café crème très bon, accueil soigné à midi." for n in range(1, 6)]


def listing_html(texts: list[str], *, meta: str | None) -> str:
    """A one-page listing of reviews ``r1…`` with ``texts`` in JSON-LD; ``meta`` its declared
    charset, or none."""
    nodes = [review(number, body=text) for number, text in enumerate(texts, 1)]
    data = {"@context": "https://schema.org", "@type": "LocalBusiness", "review": nodes}
    head = f"<meta charset='{meta}'>" if meta else ""
    return (
        f"<!doctype html><html><head>{head}<script type='application/ld+json'>"
        f"{json.dumps(data, ensure_ascii=False)}</script></head><body></body></html>"
    )


def crawl(tmp_path: Path, page: Page) -> tuple[CrawlRun, dict[str, str]]:
    """Crawl a one-page site serving ``page``: the run and the stored text by review id."""
    tmp_path.mkdir(exist_ok=True)
    with FixtureServer({"/shop/reviews": page}) as server:
        config = load_config(write_config(tmp_path, {"Quán Thử": [server.url + "/shop/reviews"]}))
        (target,) = select_targets(config)
        run = run_crawl(config, target).run
    assert run is not None
    with contextlib.closing(open_db(tmp_path / "ladder.db")) as db:
        rows = db.execute("SELECT native_id, body FROM reviews").fetchall()
    return run, dict(rows)


def served(texts: list[str]) -> dict[str, str]:
    return {f"r{number}": text for number, text in enumerate(texts, 1)}


@pytest.mark.parametrize(
    ("content_type", "texts", "encoding", "meta"),
    [
        # The header lies: the bytes are UTF-8 (with and without the page's own <meta>).
        ("text/html; charset=iso-8859-1", VIETNAMESE, "utf-8", "utf-8"),
        ("text/html; charset=iso-8859-1", VIETNAMESE, "utf-8", None),
        ("text/html; charset=shift_jis", VIETNAMESE, "utf-8", None),
        # The page's <meta> is right where the header is wrong, and where there is no header.
        ("text/html; charset=utf-8", FRENCH, "latin-1", "iso-8859-1"),
        ("text/html", FRENCH, "latin-1", "iso-8859-1"),
        ("text/html", VIETNAMESE, "utf-8", "utf-8"),
        # Real Latin-1 bytes with a header that says so are still read as Latin-1.
        ("text/html; charset=iso-8859-1", FRENCH, "latin-1", None),
    ],
    ids=[
        "header-latin1-utf8-bytes",
        "header-latin1-utf8-bytes-no-meta",
        "header-shift-jis-utf8-bytes",
        "header-utf8-latin1-bytes-meta-latin1",
        "no-header-charset-meta-latin1",
        "no-header-charset-meta-utf8",
        "latin1-bytes-header-latin1",
    ],
)
def test_the_stored_text_is_the_text_as_served(
    tmp_path: Path, content_type: str, texts: list[str], encoding: str, meta: str | None
) -> None:
    page = Page(listing_html(texts, meta=meta).encode(encoding), content_type=content_type)
    run, stored = crawl(tmp_path, page)
    assert run.ok, run.health
    assert stored == served(texts)
    assert "garbled" not in (run.health or "")
    assert "U+FFFD" not in (run.health or "")


def test_a_utf8_byte_order_mark_wins_over_the_header(tmp_path: Path) -> None:
    body = b"\xef\xbb\xbf" + listing_html(VIETNAMESE, meta=None).encode()
    run, stored = crawl(tmp_path, Page(body, content_type="text/html; charset=windows-1252"))
    assert run.ok, run.health
    assert stored == served(VIETNAMESE)


def test_an_invalid_byte_in_json_ld_keeps_every_review_and_the_health_says_so(
    tmp_path: Path,
) -> None:
    body = listing_html(VIETNAMESE, meta="utf-8").encode()
    # The one invalid byte, inside the JSON-LD block, in the third review's text.
    body = body.replace("số 3: phục".encode(), "số 3: ph".encode() + b"\xff" + "ục".encode())
    assert body.count(b"\xff") == 1
    run, stored = crawl(tmp_path, Page(body))
    expected = served(VIETNAMESE)
    expected["r3"] = expected["r3"].replace("số 3: phục", "số 3: ph\ufffdục")
    assert stored == expected
    assert run.ok, run.health
    assert "1 invalid byte(s) in the pages read as U+FFFD" in (run.health or "")


def test_text_that_looks_garbled_is_counted_in_the_health(tmp_path: Path) -> None:
    """Mojibake the site serves itself (UTF-8 read as Latin-1 before it was published) is kept
    as it is, and said: a warning for a few reviews, unhealthy when most are garbled."""
    garbled = [text.encode().decode("cp1252", "replace") for text in VIETNAMESE]
    run, stored = crawl(
        tmp_path / "few", Page(listing_html(garbled[:2] + VIETNAMESE[2:], meta="utf-8"))
    )
    assert len(stored) == 5  # kept as they are (bar the spaces cleaning evens out)
    assert stored["r3"] == VIETNAMESE[2]
    assert run.ok, run.health
    assert "2 of 5 reviews look garbled (mojibake)" in (run.health or "")
    run, _ = crawl(tmp_path / "most", Page(listing_html(garbled, meta="utf-8")))
    assert not run.ok
    assert "5 of 5 reviews look garbled" in (run.health or "")


@pytest.mark.parametrize(
    "text",
    [*VIETNAMESE, *FRENCH, "Ça coûte 5 € à l'entrée, ½ prix le lundi", "naïve Æsir «ok»", None, 4],
)
def test_real_text_does_not_look_garbled(text: Any) -> None:
    assert not looks_garbled(text)


@pytest.mark.parametrize("text", [*VIETNAMESE, *FRENCH, "5 € — “quoted”"])
def test_utf8_read_as_latin1_or_cp1252_looks_garbled(text: str) -> None:
    assert looks_garbled(text.encode().decode("latin-1"))
    assert looks_garbled(text.encode().decode("cp1252", "replace"))


def test_an_ascii_only_page_is_read_as_it_declares() -> None:
    """A 7-bit page is valid UTF-8 too, but ISO-2022-JP is 7-bit: the declaration decides."""
    text = "<p>日本語</p>"
    page = decode_page(text.encode("iso2022_jp"), "text/html; charset=iso-2022-jp")
    assert page.text == text
    assert page.utf8 == text.encode()


def test_a_utf8_page_with_a_stray_byte_stays_utf8_whatever_its_header() -> None:
    text = listing_html(VIETNAMESE, meta=None)
    page = decode_page(
        text.encode().replace(b"<body>", b"<body>\xff"), "text/html; charset=latin-1"
    )
    assert page.encoding == "utf-8"
    assert page.replaced == 1
    assert page.text == text.replace("<body>", "<body>\ufffd")


def test_a_utf8_declaration_the_bytes_disprove_yields_to_another_one() -> None:
    """A template's stock ``<meta charset='utf-8'>`` above Latin-1 bytes the header names."""
    text = listing_html(FRENCH, meta="utf-8")
    page = decode_page(text.encode("latin-1"), "text/html; charset=iso-8859-1")
    assert (page.text, page.replaced) == (text, 0)
    alone = decode_page(text.encode("latin-1"), "text/html")  # the only word: UTF-8, damaged
    assert alone.encoding == "utf-8"
    assert alone.replaced > 0
