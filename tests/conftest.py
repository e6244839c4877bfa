"""Shared fixtures: real SQLite files, the project's fixture server, configs that point at it;
the hypothesis profiles of the property tests."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir
from sqlite_utils import Database

from db import open_db
from scheduler import clock
from scheduler.cli import cli
from scheduler.demo.server import FixtureServer, Page

FIXTURES = Path(__file__).parent / "fixtures"

# Hypothesis keeps its example database and caches outside the repository (it would otherwise
# create .hypothesis/ in the working directory); failures still replay on the next run here.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "service-ladder-hypothesis")
# The property tests' profiles, chosen by HYPOTHESIS_PROFILE. "default" (`make test`): each
# property's own budget of examples, the same ones on every run (derandomised: CI must not find a
# new counterexample by chance). "reliability" (`make reliability`): 2,000 fresh examples of each,
# which is where new counterexamples are looked for. No deadline: the first example of a run loads
# lexicons and lxml, and CI machines vary. Both build on the profile Hypothesis chose for this
# machine (its own "ci" profile where a CI variable is set).
_machine_profile = settings.get_profile(settings.get_current_profile_name())
settings.register_profile("default", _machine_profile, deadline=None, derandomize=True)
settings.register_profile("reliability", _machine_profile, max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or "default")


#: The instant every command of the test session sees (``LADDER_NOW``): tests never depend on the
#: hour they run at. It is a boundary on purpose: Monday 00:00 in Hồ Chí Minh City (the demo's
#: zone), still Sunday in UTC; tests/test_scheduler_week_boundaries.py walks the others.
FROZEN_NOW = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)


@pytest.fixture(scope="session", autouse=True)
def frozen_clock() -> Iterator[datetime]:
    with clock.held(FROZEN_NOW) as now:
        yield now


def budget(count: int) -> settings:
    """A property's settings: ``count`` examples (a few hundred for a cheap property, a few dozen
    for a database one), or the profile's 2,000 under ``reliability``."""
    if settings.get_current_profile_name() == "reliability":
        return settings()
    return settings(max_examples=count)


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
    "allow_loopback": True,  # the fixture servers are on 127.0.0.1
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
