"""ladder.toml: found where documented, validated with messages that name the file, key and fix."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis.settings import AnalysisSettings
from crawler.sources import SOURCE_KINDS, Range, source_options
from db.exceptions import ConfigError
from scheduler.cli import cli
from scheduler.config import (
    RANGES,
    Config,
    CrawlConfig,
    ScheduleConfig,
    SmtpConfig,
    dump_config,
    find_config,
    load_config,
)
from tests.conftest import write_config

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "ladder.example.toml"

VALID = """
[business]
name = "Mộc"
[[business.sources]]
kind = "schemaorg"
url = "https://moc.example/reviews"

[[competitors]]
name = "A"
[[competitors]]
name = "B"
[[competitors]]
name = "C"
[[competitors.sources]]
kind = "schemaorg"
url = "https://c.example/reviews"

[crawl]
contact = "ops@moc.example"
"""


def load(tmp_path: Path, text: str, **environ: str) -> Config:
    path = tmp_path / "ladder.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, environ=environ)


def error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    return str(caught.value)


def test_a_valid_file_is_resolved_with_defaults(tmp_path: Path) -> None:
    config = load(tmp_path, VALID)
    assert config.business.name == "Mộc"
    assert config.business.is_self
    assert [c.name for c in config.competitors] == ["A", "B", "C"]
    assert config.competitors[2].sources[0].url == "https://c.example/reviews"
    assert config.database == tmp_path / "ladder.db"  # relative to the file, not the cwd
    assert config.crawl.delay == 2.0
    assert config.schedule.timezone == "Asia/Ho_Chi_Minh"
    assert config.report.language == "vi"


@pytest.mark.parametrize(
    ("change", "where", "fix"),
    [
        (
            ('url = "https://c.example/reviews"', 'url = "htp://c.example"'),
            "[competitors][2].sources[0].url",
            'e.g. "https://example.com/reviews"',
        ),
        (
            ('kind = "schemaorg"', 'kind = "yelp"'),
            "[business].sources[0].kind",
            "use one of: schemaorg",
        ),
        (('contact = "ops@moc.example"', 'contact = "me"'), "[crawl].contact", "email address"),
        (
            ('contact = "ops@moc.example"', 'contact = "a@b.co"\ndelya = 3'),
            "[crawl].delya",
            "did you mean 'delay'",
        ),
        (
            ('contact = "ops@moc.example"', 'contact = "a@b.co"\ndelay = -1'),
            "[crawl].delay",
            "-1.0 must be from 0 to 3600",
        ),
        (
            ('contact = "ops@moc.example"', 'contact = "a@b.co"\nparallel = 0'),
            "[crawl].parallel",
            "0 must be a whole number from 1 to 64",
        ),
        (
            ('contact = "ops@moc.example"', 'contact = "a@b.co"\nretries = "3"'),
            "[crawl].retries",
            "whole number",
        ),
        (('name = "B"', 'name = "A"'), "[competitors][1].name", "names must differ"),
        (('name = "Mộc"', 'name = "  "'), "[business].name", "must not be empty"),
        (
            ('url = "https://moc.example/reviews"', 'url = "https://moc.example/r"\nnext = 3'),
            "[business].sources[0].next",
            "is not a string",
        ),
    ],
)
def test_errors_name_the_file_the_key_and_the_fix(
    tmp_path: Path, change: tuple[str, str], where: str, fix: str
) -> None:
    message = error(tmp_path, VALID.replace(*change, 1))
    assert message.startswith(f"{tmp_path / 'ladder.toml'}: {where}: ")
    assert fix in message


@pytest.mark.parametrize(
    ("extra", "where", "fix"),
    [
        ('[schedule]\ntimezone = "Saigon"', "[schedule].timezone", "Asia/Ho_Chi_Minh"),
        ('[schedule]\ncrawl = "every day"', "[schedule].crawl", "minute hour day month weekday"),
        ('[report]\nlanguage = "fr"', "[report].language", '"vi" or "en"'),
        ('[report]\nrecipients = ["boss"]', "[report].recipients[0]", "not an email address"),
        ('[report.smtp]\nsecurity = "tls"', "[report.smtp].security", "starttls, ssl, none"),
        (
            "[report.smtp]\nport = 70000",
            "[report.smtp].port",
            "70000 must be a whole number from 1 to 65535",
        ),
        ('[report.smtp]\npassword = "hunter2"', "[report.smtp].password", "LADDER_SMTP_PASSWORD"),
        ("[analysis]\ngap_probability = 1.5", "[analysis].gap_probability", "less than 1"),
        ("[analysis]\nhalf_life = 30.0", "[analysis].half_life", "did you mean 'half_life_days'"),
        (
            "[analysis]\nvelocity_weeks = 0",
            "[analysis].velocity_weeks",
            "0 must be a whole number from 1 to 520",
        ),
    ],
)
def test_errors_in_later_tables(tmp_path: Path, extra: str, where: str, fix: str) -> None:
    message = error(tmp_path, VALID + "\n" + extra + "\n")
    assert f": {where}: " in message
    assert fix in message


def test_missing_required_tables(tmp_path: Path) -> None:
    assert "[business]: required" in error(tmp_path, '[crawl]\ncontact = "a@b.co"\n')
    assert "[crawl]: required" in error(tmp_path, '[business]\nname = "x"\n')


def test_broken_toml_and_missing_files(tmp_path: Path) -> None:
    assert "not valid TOML" in error(tmp_path, "[business\nname = 1")
    with pytest.raises(ConfigError, match="run `ladder init`"):
        load_config(tmp_path / "nowhere.toml", environ={})


def test_where_the_config_is_found(tmp_path: Path) -> None:
    assert find_config(None, environ={}) == Path("ladder.toml")
    assert find_config(None, environ={"LADDER_CONFIG": "/etc/ladder.toml"}) == Path(
        "/etc/ladder.toml"
    )
    assert find_config("mine.toml", environ={"LADDER_CONFIG": "/etc/ladder.toml"}) == Path(
        "mine.toml"
    )


def test_the_password_comes_only_from_the_environment_and_is_never_shown(tmp_path: Path) -> None:
    config = load(tmp_path, VALID, LADDER_SMTP_PASSWORD="s3cret-value")
    assert config.report.smtp.password == "s3cret-value"
    assert "s3cret-value" not in repr(config)
    dumped = dump_config(config)
    assert "s3cret-value" not in dumped
    assert "from LADDER_SMTP_PASSWORD" in dumped


def test_the_dump_is_a_config_that_loads_to_the_same_values(tmp_path: Path) -> None:
    config = load(tmp_path, VALID)
    again = load(tmp_path, dump_config(config).replace('password = "(not set)"\n', ""))
    assert dataclasses.replace(again, path=config.path) == config


def test_the_example_config_loads(tmp_path: Path) -> None:
    config = load_config(EXAMPLE, environ={})
    assert config.business.sources
    assert config.competitors


@pytest.mark.parametrize("settings", [CrawlConfig, ScheduleConfig, SmtpConfig, AnalysisSettings])
def test_the_example_documents_every_key(settings: type) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    for field in dataclasses.fields(settings):
        if field.name in ("draws", "seed"):  # internal, not configuration
            continue
        if field.name == "password":
            assert "LADDER_SMTP_PASSWORD" in text
            continue
        assert f"\n{field.name} = " in text, (
            f"{settings.__name__}.{field.name} missing from the example"
        )


@pytest.mark.parametrize("settings", [CrawlConfig, ScheduleConfig, SmtpConfig, AnalysisSettings])
def test_the_configuration_page_documents_every_key(settings: type) -> None:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for field in dataclasses.fields(settings):
        name = "smtp.user" if field.name == "user" else field.name
        if field.name == "password":
            assert "LADDER_SMTP_PASSWORD" in text
            continue
        if field.name in ("draws", "seed"):  # internal, not configuration
            continue
        if settings is SmtpConfig:
            name = f"smtp.{field.name}"
        assert f"| `{name}` |" in text, f"docs/configuration.md lacks {name}"


def _numbers(settings: type) -> list[str]:
    """The fields of ``settings`` that hold a number (bools are not numbers here)."""
    return [
        field.name
        for field in dataclasses.fields(settings)
        if field.type in ("int", "float") and field.name not in ("draws", "seed")
    ]


#: Every number of the file, as (the table it is in, the key, its range), source options included.
NUMBERS = [
    (table, key, bounds) for table, ranges in RANGES.items() for key, bounds in ranges.items()
] + sorted(
    {
        ("source", name, option.range)
        for kind in SOURCE_KINDS
        for name, option in source_options(kind).items()
        if option.range is not None
    },
    key=lambda number: number[1],
)


@pytest.mark.parametrize(
    ("table", "settings"),
    [
        ("[crawl]", CrawlConfig),
        ("[schedule]", ScheduleConfig),
        ("[analysis]", AnalysisSettings),
        ("[report.smtp]", SmtpConfig),
    ],
)
def test_every_number_has_a_range(table: str, settings: type) -> None:
    assert sorted(RANGES[table]) == sorted(_numbers(settings))
    for kind in SOURCE_KINDS:
        for name, option in source_options(kind).items():
            if option.type in (int, float):
                assert option.range is not None, f"{kind} option {name} has no range"


def _with_number(table: str, key: str, value: str) -> str:
    """VALID with ``key = value`` in ``table`` (for "source": on a css source of ours)."""
    if table == "source":
        source = 'kind = "schemaorg"\nurl = "https://moc.example/reviews"'
        css = f'kind = "css"\nurl = "https://moc.example/reviews"\nreview = ".r"\n{key} = {value}'
        return VALID.replace(source, css, 1)
    if table == "[crawl]":
        return VALID + f"{key} = {value}\n"
    return VALID + f"\n{table}\n{key} = {value}\n"


#: The whole-number keys (the rest are numbers that may have a fraction).
WHOLE = {
    field.name
    for settings in (CrawlConfig, ScheduleConfig, AnalysisSettings, SmtpConfig)
    for field in dataclasses.fields(settings)
    if field.type == "int"
} | {
    name
    for kind in SOURCE_KINDS
    for name, option in source_options(kind).items()
    if option.type is int
}


def _inside(bounds: Range, whole: bool) -> list[str]:
    """The lowest and the highest value ``bounds`` allows, as TOML."""
    if whole:
        return [str(int(bounds.low)), str(int(bounds.high))]
    low = bounds.low if bounds.low_included else bounds.low + 0.001
    high = bounds.high if bounds.high_included else bounds.high - 0.001
    return [repr(float(low)), repr(float(high))]


def _too_large(bounds: Range) -> str:
    return str(int(bounds.high) + 1) if bounds.high_included else str(int(bounds.high))


@pytest.mark.parametrize(("table", "key", "bounds"), NUMBERS, ids=str)
def test_every_number_outside_its_range_names_the_file_key_value_and_range(
    tmp_path: Path, table: str, key: str, bounds: Range
) -> None:
    """NaN, infinities, negatives and values too large are refused when the config loads, never
    stored or met later in a crawl or an analysis; both ends of the range are accepted."""
    where = "[business].sources[0]" if table == "source" else table
    whole = key in WHOLE
    for value in ("nan", "inf", "-inf", "-1", "-1.5", _too_large(bounds)):
        message = error(tmp_path, _with_number(table, key, value))
        assert message.startswith(f"{tmp_path / 'ladder.toml'}: {where}.{key}: {value}"), message
        if whole and not value.lstrip("-").isdigit():
            assert "is not a whole number" in message
        else:
            assert f" must be {'a whole number ' if whole else ''}{bounds}" in (message)
    for value in _inside(bounds, whole):
        config = load(tmp_path, _with_number(table, key, value))
        section = {
            "[crawl]": config.crawl,
            "[schedule]": config.schedule,
            "[analysis]": config.analysis,
            "[report.smtp]": config.report.smtp,
        }
        stored = (
            config.business.sources[0].options[key]
            if table == "source"
            else getattr(section[table], key)
        )
        assert stored == (int(value) if whole else float(value))


def test_nan_half_life_and_negative_page_limits_are_refused(tmp_path: Path) -> None:
    """The cases that crashed an analysis or silently cut a crawl short."""
    assert "[analysis].half_life_days: nan must be more than 0, up to 3650" in (
        error(tmp_path, VALID + "\n[analysis]\nhalf_life_days = nan\n")
    )
    assert "[crawl].max_pages: -5 must be a whole number from 1 to 1000000" in error(
        tmp_path, VALID + "max_pages = -5\n"
    )
    assert "[crawl].timeout: inf must be more than 0, up to 3600" in error(
        tmp_path, VALID + "timeout = inf\n"
    )


@pytest.mark.parametrize(("table", "key", "bounds"), NUMBERS, ids=str)
def test_the_configuration_page_states_every_range(table: str, key: str, bounds: Range) -> None:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    where = "a source" if table == "source" else f"`{table}`"
    assert f"| {where} | `{key}` | {bounds} |" in text


def test_ladder_config_hides_the_password_of_a_source_address(tmp_path: Path) -> None:
    path = write_config(tmp_path, {"Ours": ["https://shop:s3cr%40t@reviews.example/r?page=1"]})
    shown = CliRunner().invoke(cli, ["--config", str(path), "config"])
    assert shown.exit_code == 0, shown.output
    assert 'url = "https://shop:***@reviews.example/r?page=1"' in shown.output
    assert "s3cr" not in shown.output
    assert load_config(path).businesses[0].sources[0].url.startswith("https://shop:s3cr")  # kept
