"""The `ladder` command: help with examples, init, config, extract, crawl exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from rich.console import Console
from sqlite_utils import Database

from db import open_db
from db.queries import business_summaries
from db.reviews import ReviewWriter
from db.store import sync_business, sync_source
from scheduler.cli.app import Exit, cli
from scheduler.cli.tables import business_table
from scheduler.demo.server import FixtureServer
from tests.conftest import FIXTURES, review, review_page, write_config

COMMANDS = sorted(cli.commands)


def invoke(*args: str, **kwargs: object) -> click.testing.Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS)])
def test_every_command_has_help_with_an_example(command: list[str]) -> None:
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert "ladder" in result.output.split("Example:")[1]


def test_python_dash_m_scheduler_is_ladder() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scheduler", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("ladder, version ")


def test_init_writes_a_config_and_creates_the_database(tmp_path: Path) -> None:
    config = tmp_path / "shop" / "ladder.toml"
    result = invoke("--config", str(config), "init")
    assert result.exit_code == 0, result.output
    assert config.exists()
    with open_db(tmp_path / "shop" / "ladder.db") as db:
        assert "reviews" in db.table_names()
    again = invoke("--config", str(config), "init")
    assert again.exit_code == 1
    assert "exists already; use --force" in again.output
    assert invoke("--config", str(config), "init", "--force").exit_code == 0


def test_config_errors_exit_1_with_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "ladder.toml"
    path.write_text('[business]\nname = "x"\n[crawl]\ncontact = "nope"\n', encoding="utf-8")
    result = invoke("--config", str(path), "config")
    assert result.exit_code == 1
    assert f"Error: {path}: [crawl].contact: 'nope' is neither" in result.output


def test_config_is_found_through_the_environment(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"Ours": ["https://ours.example/r"]})
    result = invoke("config", env={"LADDER_CONFIG": str(path), "LADDER_SMTP_PASSWORD": "pw-123"})
    assert result.exit_code == 0, result.output
    assert 'name = "Ours"' in result.output
    assert "pw-123" not in result.output


def test_extract_prints_json_lines_for_a_saved_page(tmp_path: Path) -> None:
    page = FIXTURES / "schemaorg" / "localbusiness_jsonld.html"
    result = invoke(
        "--config", str(tmp_path / "none.toml"), "extract", "--source", "schemaorg", str(page)
    )
    assert result.exit_code == 0, result.output
    items = [json.loads(line) for line in result.output.splitlines()]
    assert [item["type"] for item in items] == ["review", "review", "review", "aggregate", "next"]
    assert set(items[0]) == {
        "type", "native_id", "rating", "rating_raw", "rating_scale", "title", "body", "lang",
        "published_at", "reply_body", "replied_at", "url", "verified", "answers", "date_precision",
    }  # fmt: skip
    assert items[0]["reply_body"] == "Cảm ơn chị đã ủng hộ quán ạ!"


def test_extract_takes_source_options(tmp_path: Path) -> None:
    page = str(FIXTURES / "schemaorg" / "ten_point_strings.html")
    plain = invoke("--config", str(tmp_path / "x.toml"), "extract", "--source", "schemaorg", page)
    assert '"type": "next"' not in plain.output
    with_next = invoke(
        "--config", str(tmp_path / "x.toml"), "extract", "--source", "schemaorg",
        "--option", "next=a.pager-next", page,
    )  # fmt: skip
    assert '"type": "next"' in with_next.output
    bad = CliRunner().invoke(cli, ["extract", "--source", "schemaorg", "--option", "nxt=a", page])
    assert bad.exit_code == 2
    assert "NAME one of" in bad.output


def test_extract_fetches_a_url_politely(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"Ours": ["https://ours.example/r"]})
    with FixtureServer({"/r": review_page([review(1)])}) as server:
        result = invoke(
            "--config", str(config), "extract", "--source", "schemaorg", server.url + "/r"
        )
        forbidden = invoke(
            "--config", str(config), "extract", "--source", "schemaorg", server.url + "/private/x"
        )
        missing = invoke(
            "--config", str(config), "extract", "--source", "schemaorg", server.url + "/gone"
        )
        assert server.hits("/private/x") == 0
        assert any("tests@example.com" in agent for agent in server.user_agents)
    assert json.loads(result.output.splitlines()[0])["native_id"] == "r1"
    assert forbidden.exit_code == 1
    assert "robots.txt forbids" in forbidden.output
    assert missing.exit_code == 1
    assert "HTTP 404" in missing.output


def test_extract_of_a_missing_file_is_an_error(tmp_path: Path) -> None:
    result = invoke(
        "--config", str(tmp_path / "x.toml"), "extract", "--source", "schemaorg", "nope.html"
    )
    assert result.exit_code == 2  # a usage error, like every missing file argument
    assert "'nope.html' is neither an http(s) URL nor a file" in result.output


@pytest.mark.parametrize(
    ("language", "unhealthy", "header"), [("en", "UNHEALTHY", "source"), ("vi", "CÓ LỖI", "nguồn")]
)
def test_crawl_exits_3_when_a_source_is_unhealthy(
    tmp_path: Path, language: str, unhealthy: str, header: str
) -> None:
    """...and says so in the configured language (the reason, from the crawl's health, in English)."""
    with FixtureServer({"/good": review_page([review(1)]), "/empty": review_page([])}) as server:
        config = write_config(
            tmp_path,
            {"Ours": [server.url + "/good"], "Them": [server.url + "/empty"]},
            extra=f'[report]\nlanguage = "{language}"',
        )
        result = invoke("--config", str(config), "crawl")
        only_ours = invoke("--config", str(config), "crawl", "Ours")
        unknown = invoke("--config", str(config), "crawl", "Nobody")
    assert result.exit_code == Exit.UNHEALTHY, result.output
    assert unhealthy in result.output
    assert f"┃ {header} " in result.output
    assert ("UNHEALTHY" in result.output) == (language == "en")
    assert "no reviews" in result.output
    assert only_ours.exit_code == 0, only_ours.output
    assert unknown.exit_code == 1
    assert "no business named 'Nobody'" in unknown.output


def test_docs_mention_every_command() -> None:
    docs = (Path(__file__).parent.parent / "docs" / "cli.md").read_text(encoding="utf-8")
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for name in COMMANDS:
        assert f"ladder {name}" in docs, f"docs/cli.md does not describe `ladder {name}`"
        assert f"ladder {name}" in readme, f"README.md's commands table lacks `ladder {name}`"


@pytest.mark.parametrize("arguments", [["--help"], ["config"], ["cron"], ["crawl", "--help"]])
def test_commands_that_read_no_reviews_start_without_the_numerical_code(
    tmp_path: Path, arguments: list[str]
) -> None:
    """The config and the CLI load neither numpy nor sqlite-utils (which imports numpy): about
    0.3 s of imports that only commands touching the database or the analysis should pay."""
    config = write_config(tmp_path, {"Ours": ["https://example.com/r"]})
    probe = (
        "import sys\n"
        "from scheduler.cli import cli\n"
        "try:\n"
        f"    cli([*{['--config', str(config)]!r}, *{arguments!r}])\n"
        "except SystemExit as stop:\n"
        "    assert not stop.code, stop.code\n"
        "loaded = sorted({'numpy', 'sqlite_utils', 'scrapy', 'matplotlib'} & set(sys.modules))\n"
        "print('LOADED', loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert "LOADED []" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize(("language", "unknown"), [("en", "unknown 1"), ("vi", "chưa rõ 1")])
def test_the_business_table_names_a_review_of_no_known_language(
    db: Database, language: str, unknown: str
) -> None:
    business_id = sync_business(db, "Quán Bà Tư", is_self=True)
    source_id = sync_source(db, business_id, "schemaorg", "https://ba-tu.example/r")
    rows = [
        {"review_key": key, "business_id": business_id, "source_id": source_id, "rating": 5.0,
         "body": body, "lang": lang, "published_at": "2026-11-20T10:00:00Z"}
        for key, body, lang in [("a", "Ngon, sẽ quay lại", "vi"), ("b", "👍👍", None)]
    ]  # fmt: skip
    ReviewWriter(db, source_id).write(rows)
    console = Console(width=200, record=True)
    console.print(business_table(business_summaries(db), language))
    shown = console.export_text()
    assert unknown in shown
    assert "? 1" not in shown
