"""Shared fixtures: real SQLite files, the project's fixture server, configs that point at it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from db import open_db
from scheduler.cli import cli
from scheduler.demo.server import FixtureServer, Page

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_db(tmp_path / "ladder.db")
    yield database
    database.close()


@pytest.fixture(scope="session")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder where `ladder demo` has run once (config, database, logs); shared by the tests
    that only read it."""
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(cli, ["demo", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer() as running:
        yield running


def review(
    number: int, *, rating: int = 4, body: str | None = None, **extra: Any
) -> dict[str, Any]:
    """A schema.org Review node with a native id, dated day ``number`` of October 2026."""
    node: dict[str, Any] = {
        "@type": "Review",
        "identifier": f"r{number}",
        "author": {"@type": "Person", "name": f"Reviewer {number}"},
        "datePublished": f"2026-10-{number % 28 + 1:02d}T10:00:00+07:00",
        "reviewRating": {"@type": "Rating", "ratingValue": rating},
        "reviewBody": body or f"Review number {number}: good service, will come back.",
    }
    node.update(extra)
    return node


def review_page(reviews: Sequence[dict[str, Any]], *, next_path: str | None = None) -> Page:
    """A listing page carrying ``reviews`` as JSON-LD, with a rel=next link when given."""
    data = {"@context": "https://schema.org", "@type": "LocalBusiness", "name": "Test Shop"}
    if reviews:
        data["review"] = list(reviews)
    link = f'<link rel="next" href="{next_path}">' if next_path else ""
    return Page(
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"{link}<script type='application/ld+json'>{json.dumps(data, ensure_ascii=False)}</script>"
        "</head><body></body></html>"
    )


#: Crawl settings for tests: no delay between requests, quick retries.
CRAWL_SETTINGS = {
    "contact": "tests@example.com",
    "delay": 0.0,
    "backoff": 0.1,
    "retries": 2,
    "source_timeout": 60.0,
}


def write_config(
    folder: Path,
    sources: dict[str, Sequence[str]],
    *,
    crawl: dict[str, object] | None = None,
    extra: str = "",
) -> Path:
    """A ladder.toml in ``folder``: the first business is ours; each has schemaorg sources."""
    lines = ['[database]\npath = "ladder.db"\n']
    for index, (name, urls) in enumerate(sources.items()):
        lines.append("[business]" if index == 0 else "[[competitors]]")
        lines.append(f"name = {json.dumps(name, ensure_ascii=False)}")
        table = "business" if index == 0 else "competitors"
        for url in urls:
            lines.append(f'[[{table}.sources]]\nkind = "schemaorg"\nurl = "{url}"')
        lines.append("")
    lines.append("[crawl]")
    settings = {**CRAWL_SETTINGS, **(crawl or {})}
    lines += [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    lines.append(extra)
    path = folder / "ladder.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
