"""Addresses a crawl may not reach: sources on cloud metadata, link-local, loopback and private
addresses, in every form a browser reads (refused when ``ladder.toml`` is loaded), and redirects
or next links that leave a source's origin or its http(s) scheme (refused during the crawl)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawler.addresses import LOOPBACK, METADATA, PRIVATE, host_class, same_origin
from db import open_db
from db.exceptions import ConfigError
from db.rows import CrawlRun
from scheduler.config import load_config
from scheduler.crawl.local import run_crawl
from scheduler.crawl.targets import select_targets
from scheduler.demo.server import FixtureServer, Page
from tests.conftest import review, review_page, write_config


def load(tmp_path: Path, url: str, **crawl: object) -> None:
    """Load a config whose competitor's source is ``url`` (loopback off unless ``crawl`` says)."""
    sources = {"Us": ["https://example.com/reviews"], "Them": [url]}
    load_config(write_config(tmp_path, sources, crawl={"allow_loopback": False, **crawl}))


#: Sources no setting allows: what answers there is the machine's cloud credentials, or nothing.
NEVER = [
    "http://169.254.169.254/latest/meta-data/",
    "http://2852039166/",  # 169.254.169.254 as one number
    "http://0xA9.254.169.254/",  # hex
    "http://0251.0376.0251.0376/",  # octal
    "http://169.254.43518/",  # the last part fills the bytes left
    "http://[fd00:ec2::254]/",  # AWS metadata over IPv6
    "http://[::ffff:169.254.169.254]/",  # IPv4-mapped IPv6
    "http://[::ffff:a9fe:a9fe]/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://METADATA.google.internal./",
    "http://169.254.1.1/",  # link-local
    "http://[fe80::1]/",
    "http://0.0.0.0:8080/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
]
LOOPBACKS = [
    "http://localhost:22/",
    "http://127.0.0.1/",
    "http://127.1/",
    "http://2130706433/",  # 127.0.0.1 as one number
    "http://[::1]:8080/",
    "http://[::ffff:127.0.0.1]/",
    "http://shop.localhost/",
]
PRIVATES = [
    "http://10.0.0.5/reviews",
    "http://172.16.0.1/",
    "http://172.31.255.255/",
    "http://192.168.1.10:8080/",
    "http://100.64.0.1/",  # carrier-grade NAT
    "http://[fd12:3456::1]/",
    "http://0x0a.0.0.5/",
]


@pytest.mark.parametrize("url", NEVER)
def test_a_metadata_or_link_local_source_is_refused_whatever_the_settings(
    tmp_path: Path, url: str
) -> None:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, url, allow_loopback=True, allow_private=True)
    message = str(error.value)
    assert "[competitors][0].sources[0].url" in message
    assert repr(url) in message
    assert "no setting allows it" in message


@pytest.mark.parametrize("url", LOOPBACKS)
def test_a_source_on_this_machine_needs_allow_loopback(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, url, allow_private=True)
    message = str(error.value)
    assert "[competitors][0].sources[0].url" in message
    assert repr(url) in message
    assert "set allow_loopback = true in [crawl]" in message
    load(tmp_path, url, allow_loopback=True)


@pytest.mark.parametrize("url", PRIVATES)
def test_a_source_on_a_private_network_needs_allow_private(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, url, allow_loopback=True)
    assert repr(url) in str(error.value)
    assert "set allow_private = true in [crawl]" in str(error.value)
    load(tmp_path, url, allow_private=True)


def test_public_addresses_and_names_are_accepted(tmp_path: Path) -> None:
    for url in (
        "https://example.com/reviews",
        "http://93.184.216.34/",
        "http://[2606:4700::6810:84e5]/",
        "https://localhost.example.com/",  # a name that only starts like localhost
        "http://1.2.3.4.nip.io/",
    ):
        load(tmp_path, url)


def test_a_config_says_which_source_and_the_business_first(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"Us": ["http://[fd00:ec2::254]/"]})
    with pytest.raises(ConfigError, match=r"\[business\]\.sources\[0\]\.url: .*cloud metadata"):
        load_config(path)


def test_hosts_are_read_as_written_without_a_lookup() -> None:
    assert host_class("2852039166") == METADATA
    assert host_class("[64:ff9b::a9fe:a9fe]") == METADATA  # NAT64 carries 169.254.169.254
    assert host_class("%31%32%37.0.0.1") == LOOPBACK
    assert host_class("[fc00::1]") == PRIVATE
    assert host_class("example.com") is None
    assert host_class("1.2.3.4.5") is None


def test_same_origin_is_scheme_host_and_port() -> None:
    assert same_origin("http://a.vn/r", "http://a.vn:80/r?page=2")
    assert same_origin("http://a.vn/r", "https://a.vn/r")  # the one upgrade allowed
    assert not same_origin("https://a.vn/r", "http://a.vn/r")
    assert not same_origin("http://a.vn:8080/r", "https://a.vn:8443/r")
    assert not same_origin("http://127.0.0.1:8080/r", "http://127.0.0.1:8081/r")
    assert not same_origin("http://a.vn/r", "http://www.a.vn/r")
    assert not same_origin("http://a.vn/r", "ftp://a.vn/r")


def test_the_demo_and_the_example_configs_load() -> None:
    from scheduler.demo.launch import demo_config_text

    text = demo_config_text("http://127.0.0.1:1", [])
    assert "allow_loopback = true" in text
    example = load_config(Path(__file__).resolve().parent.parent / "ladder.example.toml")
    assert (example.crawl.allow_loopback, example.crawl.allow_private) == (False, False)


# During a crawl -------------------------------------------------------------------------------


def crawl(tmp_path: Path, url: str) -> CrawlRun:
    config = load_config(write_config(tmp_path, {"Test Shop": [url]}))
    (target,) = select_targets(config)
    run = run_crawl(config, target).run
    assert run is not None
    return run


def stored_ids(tmp_path: Path) -> set[str]:
    with contextlib.closing(open_db(tmp_path / "ladder.db")) as db:
        return {str(row["native_id"]) for row in db["reviews"].rows}


def test_a_redirect_to_another_port_of_the_same_host_is_not_followed(
    tmp_path: Path, server: FixtureServer
) -> None:
    with FixtureServer() as other:
        other.add("/shop/reviews?page=2", review_page([review(900), review(901)]))
        server.add("/shop/reviews", review_page([review(1)], next_path="/shop/reviews?page=2"))
        server.add(
            "/shop/reviews?page=2",
            Page("", status=302, headers={"Location": f"{other.url}/shop/reviews?page=2"}),
        )
        run = crawl(tmp_path, server.url + "/shop/reviews")
        assert other.hits("/shop/reviews?page=2") == 0
        assert other.hits("/robots.txt") == 0
    assert server.hits("/shop/reviews?page=2") == 1
    assert stored_ids(tmp_path) == {"r1"}  # nothing of the other port stored under this source
    assert not run.ok
    assert "led off the source's address and were not followed" in str(run.health)
    assert f"(first: {other.url}/shop/reviews?page=2)" in str(run.health)
    log = Path(str(run.log_path)).read_text(encoding="utf-8")
    assert f"{other.url}/shop/reviews?page=2: not followed: another site" in log
    assert "'ladder/offsite/origin': 1" in log


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP port on 127.0.0.1 that nothing serves: a connection to it stays in its backlog."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.setblocking(False)
        yield sock


def connections(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def test_a_next_link_to_ftp_is_not_fetched(
    tmp_path: Path, server: FixtureServer, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    ftp = f"ftp://127.0.0.1:{port}/shop/reviews?page=2"
    server.add("/shop/reviews", review_page([review(1), review(2)], next_path=ftp))
    run = crawl(tmp_path, server.url + "/shop/reviews")
    assert connections(listener) == 0  # never connected to
    assert stored_ids(tmp_path) == {"r1", "r2"}
    assert not run.ok
    log = Path(str(run.log_path)).read_text(encoding="utf-8")
    assert f"{ftp}: not fetched: only http and https" in log
    assert "'ladder/offsite/scheme': 1" in log


def test_a_redirect_from_http_to_https_on_the_same_host_is_the_one_allowed() -> None:
    from crawler.middlewares import SameOriginMiddleware

    refusal = SameOriginMiddleware.refusal
    assert refusal("http://a.vn/r", "https://a.vn/r?page=2", listing=True) is None
    assert refusal("http://a.vn/r", "https://a.vn:8443/r", listing=True) == "origin"
    assert refusal("http://a.vn/r", "file:///etc/passwd", listing=True) == "scheme"
    # A business's own site: its subdomains and both schemes, on its port only.
    assert refusal("https://a.vn/", "http://www.a.vn/lien-he", listing=False) is None
    assert refusal("http://a.vn:8080/", "http://a.vn:8081/faq", listing=False) == "origin"
    assert refusal("https://a.vn/", "https://b.vn/faq", listing=False) == "origin"
