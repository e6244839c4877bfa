"""One table of exit codes, followed by every command, and the same table in the docs.

Each case runs a real command against real files (a config, a database, a local HTTP server, an
SMTP port where nothing listens) and checks the code it exits with. A command without a case
fails the test: a new command has to say how it fails.
"""

from __future__ import annotations

import logging
import re
import shutil
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from scheduler.cli import Exit, cli
from scheduler.config import load_config
from scheduler.crawl.targets import source_lock, sync_config
from scheduler.demo.server import FixtureServer
from tests.conftest import review, review_page, write_config

ROOT = Path(__file__).parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Setup:
    """A folder with a config of two businesses whose sources point at a local server that
    serves one good page (ours) and answers 500 (theirs)."""

    def __init__(self, folder: Path, server: FixtureServer, demo: Path) -> None:
        self.folder, self.server, self.demo_output = folder, server, demo
        server.add("/good", review_page([review(1)]))
        self.config = write_config(
            folder, {"Mộc Café": [server.url + "/good"], "Rival": [server.url + "/missing"]}
        )

    def run(self, *args: str, config: Path | None = None, stdin: str | None = None) -> Result:
        return CliRunner().invoke(cli, ["--config", str(config or self.config), *args], input=stdin)

    def file(self, name: str, text: str) -> str:
        path = self.folder / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    def demo(self) -> Path:
        """A private copy of the demo, with its mail going to a port where nothing listens."""
        folder = self.folder / "demo"
        folder.mkdir(exist_ok=True)
        shutil.copy(self.demo_output / "ladder.db", folder / "ladder.db")
        text = (self.demo_output / "ladder.toml").read_text(encoding="utf-8")
        head, _, _ = text.partition("[report.smtp]")
        smtp = f'[report.smtp]\nhost = "127.0.0.1"\nport = {free_port()}\nsecurity = "none"\n'
        (folder / "ladder.toml").write_text(head + smtp, encoding="utf-8")
        return folder / "ladder.toml"


def _busy(setup: Setup) -> Result:
    config = load_config(setup.config)
    ours = [sid for (name, _, _), sid in sync_config(config).items() if name == "Mộc Café"]
    with source_lock(config, ours[0]):  # another crawl (from cron, say) holds our only source
        return setup.run("crawl", "moc cafe")


def _undelivered(setup: Setup) -> Result:
    return setup.run("report", "--send", "--to", "boss@example.com", config=setup.demo())


def _flush_undelivered(setup: Setup) -> Result:
    config = setup.demo()
    setup.run("report", "--send", "--to", "boss@example.com", config=config)
    return setup.run("outbox", "--flush", config=config)


def _never_crawled_well(setup: Setup) -> Result:
    setup.run("crawl", "Rival")
    return setup.run("status")


def _no_such_config(setup: Setup) -> Result:
    return setup.run("config", config=setup.folder / "elsewhere.toml")


CASES: dict[str, list[tuple[str, Exit, Callable[[Setup], Result]]]] = {
    "init": [("an existing config", Exit.ERROR, lambda s: s.run("init"))],
    "config": [("no config file", Exit.ERROR, _no_such_config)],
    "crawl": [
        ("our page, by a name typed without marks", Exit.OK, lambda s: s.run("crawl", "moc cafe")),
        ("a competitor whose page answers 404", Exit.UNHEALTHY, lambda s: s.run("crawl", "Rival")),
        ("a source another crawl holds", Exit.BUSY, _busy),
        ("an unknown business", Exit.ERROR, lambda s: s.run("crawl", "Nobody")),
        ("an unknown option", Exit.USAGE, lambda s: s.run("crawl", "--fast")),
    ],
    "status": [("a source that never worked", Exit.UNHEALTHY, _never_crawled_well)],
    "signals": [("an unknown business", Exit.ERROR, lambda s: s.run("signals", "Nobody"))],
    "extract": [
        ("a missing file", Exit.USAGE, lambda s: s.run("extract", "--source", "css", "nope.html")),
        (
            "an option of the wrong form",
            Exit.USAGE,
            lambda s: s.run("extract", "--source", "schemaorg", "--option", "x", "nope.html"),
        ),
    ],
    "import": [
        ("a missing file", Exit.USAGE, lambda s: s.run("import", "nope.csv", "--business", "Rival", "--source", "x")),
        (
            "an unknown business",
            Exit.ERROR,
            lambda s: s.run("import", s.file("r.csv", "text,rating\nNgon,5\n"), "--business", "Nobody", "--source", "x"),
        ),
    ],
    "classify": [
        ("a line that is not JSON", Exit.ERROR, lambda s: s.run("classify", stdin='{"text": "ok"}\nnot json\n')),
        ("good lines", Exit.OK, lambda s: s.run("classify", stdin='{"text": "Rất ngon", "rating": 5}\n')),
    ],
    "evaluate": [("a missing file", Exit.USAGE, lambda s: s.run("evaluate", "nope.jsonl"))],
    "train": [("a missing file", Exit.USAGE, lambda s: s.run("train", "nope.jsonl"))],
    "analyze": [("an empty database", Exit.OK, lambda s: s.run("analyze"))],
    "rank": [
        ("a week of the wrong form", Exit.USAGE, lambda s: s.run("rank", "--week", "nonsense")),
        ("a week the year does not have", Exit.USAGE, lambda s: s.run("rank", "--week", "2025-W53")),
        ("nothing analysed yet", Exit.ERROR, lambda s: s.run("rank")),
    ],
    "explain": [
        ("an unknown business", Exit.ERROR, lambda s: s.run("explain", "Nobody", config=s.demo())),
        ("a week of the wrong form", Exit.USAGE, lambda s: s.run("explain", "Rival", "--week", "W47")),
    ],
    "export": [
        ("a week of the wrong form", Exit.USAGE, lambda s: s.run("export", "gaps", "--week", "nonsense")),
        ("an unknown table", Exit.ERROR, lambda s: s.run("export", "nothing_here")),
    ],
    "report": [
        ("a week of the wrong form", Exit.USAGE, lambda s: s.run("report", "--week", "nonsense")),
        ("the mail server is down", Exit.UNDELIVERED, _undelivered),
    ],
    "outbox": [("the mail server is still down", Exit.UNDELIVERED, _flush_undelivered)],
    "schedule": [("--list", Exit.OK, lambda s: s.run("schedule", "--list"))],
    "cron": [("the lines", Exit.OK, lambda s: s.run("cron"))],
    "job": [("an unknown job", Exit.ERROR, lambda s: s.run("job", "nightly"))],
    "deploy": [("no Scrapyd node configured", Exit.ERROR, lambda s: s.run("deploy"))],
    "serve": [("a port that is not a number", Exit.USAGE, lambda s: s.run("serve", "--port", "abc"))],
    "demo": [("an unknown option", Exit.USAGE, lambda s: s.run("demo", "--fast"))],
}  # fmt: skip


def test_every_command_has_its_failures_listed() -> None:
    assert set(CASES) == set(cli.commands)


@pytest.mark.parametrize(
    ("command", "what", "code", "act"),
    [(command, *case) for command, cases in CASES.items() for case in cases],
    ids=[f"{command}: {case[0]}" for command, cases in CASES.items() for case in cases],
)
def test_each_command_exits_by_the_table(
    tmp_path: Path,
    server: FixtureServer,
    demo_output: Path,
    command: str,
    what: str,
    code: Exit,
    act: Callable[[Setup], Result],
) -> None:
    result = act(Setup(tmp_path, server, demo_output))
    assert result.exit_code == code, f"{command}, {what}: {result.output}"
    if code in (Exit.ERROR, Exit.USAGE):
        assert "Error" in result.output  # the message says what went wrong
    assert "Traceback" not in result.output


def test_the_docs_give_the_same_table() -> None:
    cli_md = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d) \| (.+?) \|$", cli_md, flags=re.MULTILINE)
    assert [int(code) for code, _ in rows] == [int(code) for code in Exit]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"Exit codes: ([^.]+)\.", readme.replace("\n", " "))
    assert listed is not None
    assert [int(n) for n in re.findall(r"\b(\d) [a-z]", listed.group(1))] == [int(c) for c in Exit]


def test_an_undelivered_report_says_why_once(
    tmp_path: Path, server: FixtureServer, demo_output: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The error is said once, by the command; the log (a terminal shows its warnings) says only
    that an attempt failed and when the next comes."""
    (tmp_path / "report").mkdir()
    (tmp_path / "flush").mkdir()
    for act, folder in ((_undelivered, "report"), (_flush_undelivered, "flush")):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            result = act(Setup(tmp_path / folder, server, demo_output))
        assert result.output.count("nothing accepts connections") == 1, result.output
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert warnings, "the retries show progress"
        assert all("attempt" in w and "nothing accepts" not in w for w in warnings), warnings
