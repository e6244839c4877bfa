"""The signals kind end to end: a real `scrapy crawl` of a site on the fixture server, two crawls a
change apart, `ladder signals` and `ladder extract --source signals` on the result."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from click.testing import CliRunner

from db import open_db
from scheduler.cli import cli
from scheduler.config import load_config
from scheduler.crawl.local import run_crawl
from scheduler.crawl.targets import CrawlOutcome, select_targets
from scheduler.demo.server import FixtureServer, Page
from tests.conftest import CRAWL_SETTINGS

TAWK = (
    "<script>var Tawk_API=Tawk_API||{};(function(){var s1=document.createElement('script');"
    "s1.src='https://embed.tawk.to/5f1a/default';document.body.appendChild(s1);})();</script>"
)

#: A chat whose vendor is on no list: its loader, its container and its button.
OTHER_CHAT = (
    "<script>(function(d){var s=d.createElement('script');s.async=1;"
    "s.src='https://cdn.hotrokhach.example/v3/livechat.js';d.head.appendChild(s)})(document);"
    "</script><div id='chat-container'></div>"
    "<a href='#' class='chat-float' onclick='hk.open()'>Chat với chúng tôi</a>"
)


def home(*, chat: bool = False, widget: str = TAWK) -> Page:
    return Page(
        "<!doctype html><html><head><meta charset='utf-8'><title>Quán Nhỏ</title></head><body>"
        "<nav><a href='/lien-he'>Liên hệ</a> <a href='/chinh-sach-doi-tra'>Chính sách đổi trả</a>"
        " <a href='/thuc-don'>Thực đơn</a> <a href='https://facebook.com/quannho'>Facebook</a></nav>"
        "<p>Giờ mở cửa: 8:00 – 22:00 hằng ngày</p>"
        f"{widget if chat else ''}</body></html>"
    )


def returns(days: int) -> Page:
    return Page(
        "<!doctype html><html><head><meta charset='utf-8'></head><body><h1>Chính sách đổi trả</h1>"
        f"<p>Quý khách được đổi trả trong {days} ngày kể từ ngày nhận hàng.</p></body></html>"
    )


CONTACT = Page(
    "<!doctype html><html><head><meta charset='utf-8'></head><body><h1>Liên hệ</h1>"
    "<p>Hotline: <a href='tel:0909123456'>0909 123 456</a></p>"
    "<p>Email: <a href='mailto:hi@quannho.vn'>hi@quannho.vn</a></p></body></html>"
)


def write_config(tmp_path: Path, url: str, language: str = "en") -> Path:
    lines = [
        '[database]\npath = "ladder.db"\n',
        '[business]\nname = "Quán Nhỏ"',
        "[[business.sources]]",
        'kind = "signals"',
        f'url = "{url}"',
        "",
        "[crawl]",
        *(f"{k} = {json.dumps(v)}" for k, v in CRAWL_SETTINGS.items()),
        f'[report]\nlanguage = "{language}"',
    ]
    path = tmp_path / "ladder.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def crawl(config_path: Path) -> CrawlOutcome:
    config = load_config(config_path)
    (target,) = select_targets(config)
    return run_crawl(config, target)


def observations(tmp_path: Path) -> dict[str, dict[str, object]]:
    """``{observed_at: {name: value}}`` as stored (several values of a name as a sorted list)."""
    found: dict[str, dict[str, list[object]]] = {}
    with contextlib.closing(open_db(tmp_path / "ladder.db")) as db:
        for observed_at, name, value in db.execute(
            "SELECT observed_at, name, value FROM service_signals ORDER BY id"
        ):
            found.setdefault(observed_at, {}).setdefault(name, []).append(json.loads(value))
    return {
        at: {n: v[0] if len(v) == 1 else sorted(v) for n, v in names.items()}
        for at, names in found.items()
    }


def test_two_crawls_store_two_observations_and_ladder_signals_shows_the_change(
    tmp_path: Path, server: FixtureServer
) -> None:
    server.add("/", [home(), home(chat=True)])
    server.add("/chinh-sach-doi-tra", [returns(7), returns(30)])
    server.add("/lien-he", CONTACT)
    server.add("/thuc-don", Page("<html><body><p>Phở bò 65.000đ</p></body></html>"))
    config = write_config(tmp_path, server.url + "/")

    first = crawl(config)
    assert first.run is not None
    assert first.run.ok, first.run.health
    assert (server.hits("/lien-he"), server.hits("/chinh-sach-doi-tra")) == (1, 1)
    (observed,) = observations(tmp_path).values()
    assert observed["returns.window_days"] == 7.0
    assert observed["hours.per_week"] == 98.0
    assert observed["channel.email"] == "hi@quannho.vn"
    assert "chat.vendor" not in observed

    second = crawl(config)
    assert second.run is not None
    assert second.run.ok, second.run.health
    latest = list(observations(tmp_path).values())[-1]
    assert latest["chat.vendor"] == "tawk.to"
    assert latest["returns.window_days"] == 30.0

    with contextlib.closing(open_db(tmp_path / "ladder.db")) as db:
        changes = {
            (change, name): (before, after)
            for change, name, before, after in db.execute(
                "SELECT change, name, before, after FROM signal_changes"
            )
        }
    assert changes == {
        ("new", "chat.vendor"): (None, '"tawk.to"'),
        ("changed", "returns.window_days"): ("7.0", "30.0"),
    }

    result = CliRunner().invoke(cli, ["--config", str(config), "signals"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Quán Nhỏ: added live chat (Tawk.to)" in result.output
    assert "Quán Nhỏ: return window: 7 days → 30 days" in result.output
    assert "98 h/week" in result.output
    write_config(tmp_path, server.url + "/", language="vi")  # the terminal follows the language
    result = CliRunner().invoke(cli, ["--config", str(config), "signals"], terminal_width=200)
    assert "Quán Nhỏ: thêm chat trực tuyến (Tawk.to)" in result.output
    assert "Quán Nhỏ: thời hạn đổi trả: 7 ngày → 30 ngày" in result.output
    assert "98 giờ/tuần" in result.output


def test_a_chat_of_a_vendor_on_no_list_is_stored_and_shown_as_an_unknown_vendor(
    tmp_path: Path, server: FixtureServer
) -> None:
    server.add("/", [home(), home(chat=True, widget=OTHER_CHAT)])
    server.add("/chinh-sach-doi-tra", returns(7))
    server.add("/lien-he", CONTACT)
    config = write_config(tmp_path, server.url + "/")
    for _ in range(2):
        outcome = crawl(config)
        assert outcome.run is not None
        assert outcome.run.ok, outcome.run.health
    with contextlib.closing(open_db(tmp_path / "ladder.db")) as db:
        ((value, evidence),) = db.execute(
            "SELECT value, evidence FROM service_signals WHERE name = 'chat.vendor'"
        ).fetchall()
    assert json.loads(value) == "unknown"
    assert evidence == "inline script: https://cdn.hotrokhach.example/v3/livechat.js"
    result = CliRunner().invoke(cli, ["--config", str(config), "signals"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Quán Nhỏ: added live chat (unknown vendor)" in result.output
    assert "chat-container" not in result.output


def test_a_page_that_fails_keeps_the_previous_observation(
    tmp_path: Path, server: FixtureServer
) -> None:
    server.add("/", home())
    server.add("/chinh-sach-doi-tra", [returns(7), Page("oops", status=500)])
    server.add("/lien-he", CONTACT)
    config = write_config(tmp_path, server.url + "/")
    assert crawl(config).run is not None

    second = crawl(config)  # the returns page fails: its signals would look gone
    assert second.run is not None
    assert len(observations(tmp_path)) == 1
    with contextlib.closing(open_db(tmp_path / "ladder.db")) as db:
        assert db.execute("SELECT count(*) FROM signal_changes").fetchone() == (0,)
    assert second.run.log_path is not None
    assert not second.run.ok
    assert second.run.health is not None
    assert "signals were not stored (the previous observation stands)" in second.run.health
    log = Path(second.run.log_path).read_text(encoding="utf-8")
    assert "signals of Quán Nhỏ not stored" in log
    assert "/chinh-sach-doi-tra" in log


def test_ladder_signals_without_any_says_what_to_do(tmp_path: Path, server: FixtureServer) -> None:
    config = write_config(tmp_path, server.url + "/")
    result = CliRunner().invoke(cli, ["--config", str(config), "signals"])
    assert result.exit_code != 0
    assert "ladder crawl --source signals" in result.output


def test_extract_prints_the_signals_and_the_pages_to_follow(
    tmp_path: Path, server: FixtureServer
) -> None:
    server.add("/", home(chat=True))
    config = write_config(tmp_path, server.url + "/")
    result = CliRunner().invoke(
        cli, ["--config", str(config), "extract", "--source", "signals", server.url + "/"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    signals = {line["name"]: line for line in lines if line["type"] == "signal"}
    assert signals["chat.vendor"]["value"] == "tawk.to"
    assert "embed.tawk.to" in signals["chat.vendor"]["evidence"]
    assert set(signals["chat.vendor"]) == {"type", "name", "value", "unit", "url", "evidence"}
    follow = [line["url"] for line in lines if line["type"] == "follow"]
    assert follow[:2] == [server.url + "/lien-he", server.url + "/chinh-sach-doi-tra"]
    assert not any("facebook.com" in url for url in follow)
