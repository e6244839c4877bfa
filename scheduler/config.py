"""``ladder.toml`` → frozen dataclasses, validated on load.

The file is found at ``--config PATH``, else ``$LADDER_CONFIG``, else ``./ladder.toml``. Every problem
is a :class:`ConfigError` naming the file, the key and the fix, e.g.::

    ladder.toml: [competitors][2].sources[0].url: "htp://x" is not an http(s) address; write the
    full address of the page, e.g. "https://example.com/reviews"

Secrets come only from the environment: ``LADDER_SMTP_PASSWORD`` (and ``LADDER_SALT``, the salt of
reviewer hashes). They never appear in the file, the logs or ``ladder config``.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from analysis.settings import AnalysisSettings
from crawler.addresses import LOOPBACK, PRIVATE, host_class, url_host
from crawler.sources import DELAY, PAGES, SOURCE_KINDS, Range, source_options
from db.exceptions import ConfigError
from scheduler.crontab import cron_trigger

DEFAULT_PATH = Path("ladder.toml")
LANGUAGES = ("vi", "en")
SECURITY = ("starttls", "ssl", "none")
ENGINES = ("local", "scrapyd")
T = TypeVar("T")


@dataclass(frozen=True)
class SourceConfig:
    kind: str
    url: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BusinessConfig:
    name: str
    is_self: bool
    sources: tuple[SourceConfig, ...] = ()


@dataclass(frozen=True)
class CrawlConfig:
    contact: str
    delay: float = 2.0
    autothrottle: bool = True
    max_delay: float = 60.0
    concurrency_per_site: int = 1
    retries: int = 3
    backoff: float = 2.0
    timeout: float = 30.0
    max_page_bytes: int = 10 * 1024 * 1024
    max_pages: int = 200
    source_timeout: float = 3600.0
    parallel: int = 2
    #: Crawl processes the sources are shared among (each a Scrapy process crawling many
    #: sources); 0: one per CPU core, never more than ``parallel``.
    processes: int = 0
    #: "local": every source crawled in this machine's crawl processes; "scrapyd": jobs on
    #: Scrapyd nodes, their items ingested here (docs/scaling.md).
    engine: str = "local"
    scrapyd_nodes: tuple[str, ...] = ()
    scrapyd_project: str = "service-ladder"
    #: Seconds between two looks at the nodes' job lists.
    scrapyd_poll: float = 2.0
    #: Seconds one HTTP request to a node may take (a node that does not answer is down).
    scrapyd_http_timeout: float = 30.0
    #: Sources on this machine (127.0.0.0/8, ::1, localhost) may be crawled: the demo, tests, a
    #: site served on the same host. Off, such an address is a ConfigError.
    allow_loopback: bool = False
    #: Sources on a private network (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7) may be
    #: crawled: an intranet site. Link-local and cloud metadata addresses never may.
    allow_private: bool = False


@dataclass(frozen=True)
class ScheduleConfig:
    timezone: str = "Asia/Ho_Chi_Minh"
    crawl: str = "0 3 * * *"
    full_crawl: str = "0 4 * * sun"
    report: str = "0 7 * * mon"
    jitter: float = 300.0
    stale_after_hours: float = 48.0


@dataclass(frozen=True)
class SmtpConfig:
    host: str = "localhost"
    port: int = 587
    security: str = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ReportConfig:
    language: str = "vi"
    recipients: tuple[str, ...] = ()
    sender: str | None = None
    smtp: SmtpConfig = field(default_factory=SmtpConfig)


@dataclass(frozen=True)
class Config:
    path: Path
    database: Path
    business: BusinessConfig
    competitors: tuple[BusinessConfig, ...]
    crawl: CrawlConfig
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.schedule.timezone)

    @property
    def businesses(self) -> tuple[BusinessConfig, ...]:
        """Ours first, then the competitors, in file order."""
        return (self.business, *self.competitors)

    def business_named(self, typed: str) -> BusinessConfig:
        """The business ``typed`` names, with or without its marks (:class:`NotFound` if none)."""
        from scheduler.slugs import match_name

        names = {business.name: business for business in self.businesses}
        return names[match_name(typed, names, where=f"in {self.path}")]


def find_config(path: str | Path | None = None, environ: Mapping[str, str] = os.environ) -> Path:
    """``--config PATH`` > ``$LADDER_CONFIG`` > ``./ladder.toml``."""
    if path:
        return Path(path)
    if environ.get("LADDER_CONFIG"):
        return Path(environ["LADDER_CONFIG"])
    return DEFAULT_PATH


def load_config(path: str | Path | None = None, environ: Mapping[str, str] = os.environ) -> Config:
    """Read, validate and resolve the config (relative paths are relative to the file)."""
    path = find_config(path, environ)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: not found; run `ladder init` to write one, or pass --config PATH"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot be read ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    return _Reader(path, environ).config(data)


_SECONDS = Range(0, 3600, low_included=False)
#: The values every number in the file may take, by table (a source's options carry their own:
#: :attr:`crawler.sources.Option.range`). A value outside, NaN or an infinity is a ConfigError
#: naming the key, the value and the range.
RANGES: dict[str, dict[str, Range]] = {
    "[crawl]": {
        "delay": DELAY,
        "max_delay": Range(0, 86_400, low_included=False),
        "concurrency_per_site": Range(1, 64),
        "retries": Range(0, 100),
        "backoff": Range(0, 3600),
        "timeout": _SECONDS,
        "max_page_bytes": Range(1, 1024**3),
        "max_pages": PAGES,
        "source_timeout": Range(0, 7 * 86_400, low_included=False),
        "parallel": Range(1, 64),
        "processes": Range(0, 64),
        "scrapyd_poll": _SECONDS,
        "scrapyd_http_timeout": _SECONDS,
    },
    "[schedule]": {
        "jitter": Range(0, 86_400),
        "stale_after_hours": Range(0, 8760, low_included=False),
    },
    "[analysis]": {
        "half_life_days": Range(0, 3650, low_included=False),
        "prior_strength": Range(0, 10_000, low_included=False),
        "min_effective_reviews": Range(0, 100_000, low_included=False),
        "velocity_weeks": Range(1, 520),
        "gap_threshold": Range(0, 5, low_included=False),  # rungs 1 to 6
        "gap_probability": Range(0, 1, low_included=False, high_included=False),
        "race_probability": Range(0, 1, low_included=False, high_included=False),
        "flood_k": Range(0, 1000, low_included=False),
        "reply_window_weeks": Range(1, 520),
    },
    "[report.smtp]": {"port": Range(1, 65535)},
}
#: [crawl] keys read on their own (not numbers or flags).
_ENGINE_KEYS = frozenset({"engine", "scrapyd_nodes", "scrapyd_project"})
_PROJECT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
#: AnalysisSettings fields that are not configuration (numbers of draws, the random seed).
_INTERNAL = frozenset({"draws", "seed"})
_CONTACT = re.compile(r"^(?:[^@\s]+@[^@\s]+\.[^@\s]+|[^@\s]+@localhost|https?://\S+)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_CRON_FIELD = re.compile(r"^[\w*/,\-]+$")


class _Reader:
    """Validates one file; ``where`` strings are the key paths shown in messages."""

    def __init__(self, path: Path, environ: Mapping[str, str]) -> None:
        self.path = path
        self.environ = environ

    def fail(self, where: str, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: {where}: {message}")

    def table(self, data: Any, where: str, known: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise self.fail(where, f"must be a table, not {type(data).__name__}")
        for key in data:
            if key not in known:
                close = difflib.get_close_matches(key, known, n=1)
                hint = (
                    f"; did you mean {close[0]!r}?"
                    if close
                    else f"; known keys: {', '.join(known)}"
                )
                raise self.fail(f"{where}.{key}", f"unknown key{hint}")
        return data

    def number(
        self,
        data: dict[str, Any],
        key: str,
        where: str,
        kind: type[T],
        default: T | None,
        bounds: Range,
    ) -> T:
        """A number within ``bounds`` (NaN and infinities never are)."""
        value = self.value(data, key, where, kind, default)
        if value not in bounds:
            whole = "a whole number " if kind is int else ""
            raise self.fail(f"{where}.{key}", f"{value!r} must be {whole}{bounds}")
        return value

    def value(
        self, data: dict[str, Any], key: str, where: str, kind: type[T], default: T | None = None
    ) -> T:
        if key not in data:
            if default is None:
                raise self.fail(f"{where}.{key}", f"required; add `{key} = …` to {where}")
            return default
        value = data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(
                f"{where}.{key}", f"{value!r} is not {_KIND_NAMES.get(kind, kind.__name__)}"
            )
        return value

    def config(self, data: dict[str, Any]) -> Config:
        self.table(
            data,
            "file",
            ("database", "business", "competitors", "crawl", "schedule", "report", "analysis"),
        )
        database = self.table(data.get("database", {}), "[database]", ("path",))
        db_path = Path(self.value(database, "path", "[database]", str, "ladder.db")).expanduser()
        if "business" not in data:
            raise self.fail("[business]", "required: your own business, with name and sources")
        business = self.business(data["business"], "[business]", is_self=True)
        competitors_data = data.get("competitors", [])
        if not isinstance(competitors_data, list):
            raise self.fail("[competitors]", "write each competitor as a [[competitors]] table")
        competitors = tuple(
            self.business(item, f"[competitors][{index}]", is_self=False)
            for index, item in enumerate(competitors_data)
        )
        names = [business.name, *(c.name for c in competitors)]
        for index, name in enumerate(names[1:]):
            if name in names[: index + 1]:
                raise self.fail(
                    f"[competitors][{index}].name", f"{name!r} is used twice; names must differ"
                )
        crawl = self.crawl(data.get("crawl"))
        for where, owner in [("[business]", business)] + [
            (f"[competitors][{index}]", competitor) for index, competitor in enumerate(competitors)
        ]:
            for index, source in enumerate(owner.sources):
                self.address(source.url, f"{where}.sources[{index}].url", crawl)
        return Config(
            path=self.path,
            database=db_path if db_path.is_absolute() else self.path.parent / db_path,
            business=business,
            competitors=competitors,
            crawl=crawl,
            schedule=self.schedule(data.get("schedule", {})),
            report=self.report(data.get("report", {})),
            analysis=self.analysis(data.get("analysis", {})),
        )

    def business(self, data: Any, where: str, *, is_self: bool) -> BusinessConfig:
        self.table(data, where, ("name", "sources"))
        name = self.value(data, "name", where, str).strip()
        if not name:
            raise self.fail(f"{where}.name", "must not be empty")
        sources = data.get("sources", [])
        if not isinstance(sources, list):
            table = "business" if is_self else "competitors"
            raise self.fail(f"{where}.sources", f"write each source as a [[{table}.sources]] table")
        return BusinessConfig(
            name=name,
            is_self=is_self,
            sources=tuple(
                self.source(item, f"{where}.sources[{index}]") for index, item in enumerate(sources)
            ),
        )

    def source(self, data: Any, where: str) -> SourceConfig:
        if not isinstance(data, dict):
            raise self.fail(where, "must be a table with kind and url")
        kind = self.value(data, "kind", where, str)
        if kind not in SOURCE_KINDS:
            raise self.fail(
                f"{where}.kind",
                f"{kind!r} is not a source kind; use one of: {', '.join(SOURCE_KINDS)}",
            )
        options = source_options(kind)
        self.table(data, where, ("kind", "url", *options))
        url = self.value(data, "url", where, str)
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise self.fail(
                f"{where}.url",
                f"{url!r} is not an http(s) address; write the full address of the page, "
                'e.g. "https://example.com/reviews"',
            )
        values: dict[str, Any] = {}
        for name, option in options.items():
            if name in data and option.range is not None:
                values[name] = self.number(data, name, where, option.type, None, option.range)
            elif name in data:
                values[name] = self.value(data, name, where, option.type)
            elif option.required:
                raise self.fail(f"{where}.{name}", f"required for a {kind!r} source: {option.help}")
        if "schedule" in values:
            self.cron(values["schedule"], f"{where}.schedule", "UTC")
        rating_from = str(values.get("rating_from", "text"))
        if rating_from not in ("text", "width", "class") and not rating_from.startswith("attr:"):
            raise self.fail(
                f"{where}.rating_from",
                f"{rating_from!r}: use text, width, class or attr:NAME",
            )
        return SourceConfig(kind=kind, url=url, options=values)

    def address(self, url: str, where: str, crawl: CrawlConfig) -> None:
        """Refuse a source on an address no public site lives at, read as written (no DNS lookup,
        see :mod:`crawler.addresses`): cloud metadata, link-local and the like always; this
        machine unless ``allow_loopback``; a private network unless ``allow_private``."""
        host = url_host(url)
        kind = host_class(host)
        if kind is None or (kind == LOOPBACK and crawl.allow_loopback):
            return
        if kind == PRIVATE and crawl.allow_private:
            return
        shown = redact_url(url)
        if kind == LOOPBACK:
            fix = "to crawl a site served on this machine, set allow_loopback = true in [crawl]"
        elif kind == PRIVATE:
            fix = "to crawl a site on your own network, set allow_private = true in [crawl]"
        else:
            fix = "no setting allows it; a review source is a public web page"
        raise self.fail(where, f"{shown!r} points at {kind}: {host}; {fix}")

    def crawl(self, data: Any) -> CrawlConfig:
        where = "[crawl]"
        if data is None:
            raise self.fail(where, "required: at least `contact`, where site owners can reach you")
        if isinstance(data, dict) and "obey_robots" in data:
            raise self.fail(
                f"{where}.obey_robots",
                "robots.txt is obeyed for every site; to ignore it for a site you own, set "
                "ignore_robots = true on that source (it is logged at every crawl)",
            )
        for secret in ("scrapyd_username", "scrapyd_password", "username", "password"):
            if isinstance(data, dict) and secret in data:
                raise self.fail(
                    f"{where}.{secret}",
                    "credentials are never read from the file; remove it and set "
                    "LADDER_SCRAPYD_USERNAME and LADDER_SCRAPYD_PASSWORD",
                )
        self.table(data, where, tuple(CrawlConfig.__dataclass_fields__))
        contact = self.value(data, "contact", where, str).strip()
        if not _CONTACT.match(contact):
            raise self.fail(
                f"{where}.contact",
                f"{contact!r} is neither an email address nor an http(s) URL; it goes in the "
                "User-Agent so site owners can reach you",
            )
        defaults = CrawlConfig(contact=contact)
        values: dict[str, Any] = self.engine(data, where)
        for name in CrawlConfig.__dataclass_fields__:
            if name in _ENGINE_KEYS:
                continue
            default = getattr(defaults, name)
            if name in RANGES[where]:
                values[name] = self.number(
                    data, name, where, type(default), default, RANGES[where][name]
                )
            else:
                values[name] = self.value(data, name, where, type(default), default)
        return CrawlConfig(**values)

    def engine(self, data: dict[str, Any], where: str) -> dict[str, Any]:
        """``engine``, ``scrapyd_nodes`` and ``scrapyd_project`` (the nodes' credentials come
        only from LADDER_SCRAPYD_USERNAME and LADDER_SCRAPYD_PASSWORD, read where they are used)."""
        engine = self.value(data, "engine", where, str, "local")
        if engine not in ENGINES:
            raise self.fail(f"{where}.engine", f'{engine!r}: use "local" or "scrapyd"')
        nodes = self.value(data, "scrapyd_nodes", where, list, [])
        resolved: list[str] = []
        for index, node in enumerate(nodes):
            key = f"{where}.scrapyd_nodes[{index}]"
            parsed = urlparse(node) if isinstance(node, str) else None
            if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise self.fail(
                    key,
                    f"{node!r} is not an http(s) address; write the node's address, "
                    'e.g. "http://10.0.0.5:6800"',
                )
            if parsed.username or parsed.password:
                raise self.fail(
                    key,
                    "credentials are never read from the file; remove them from the address "
                    "and set LADDER_SCRAPYD_USERNAME and LADDER_SCRAPYD_PASSWORD",
                )
            if parsed.query or parsed.fragment:
                raise self.fail(key, f"{node!r}: give the node's base address, without ? or #")
            url = node.rstrip("/")
            if url in resolved:
                raise self.fail(key, f"{url!r} is listed twice")
            resolved.append(url)
        if engine == "scrapyd" and not resolved:
            raise self.fail(
                f"{where}.scrapyd_nodes",
                'required with engine = "scrapyd": the Scrapyd nodes, e.g. '
                'scrapyd_nodes = ["http://10.0.0.5:6800"]',
            )
        project = self.value(data, "scrapyd_project", where, str, "service-ladder")
        if not _PROJECT_NAME.match(project):
            raise self.fail(
                f"{where}.scrapyd_project",
                f"{project!r}: use letters, digits, '.', '-' and '_' only",
            )
        return {"engine": engine, "scrapyd_nodes": tuple(resolved), "scrapyd_project": project}

    def analysis(self, data: Any) -> AnalysisSettings:
        where = "[analysis]"
        keys = tuple(k for k in AnalysisSettings.__dataclass_fields__ if k not in _INTERNAL)
        self.table(data, where, keys)
        defaults = AnalysisSettings()
        values: dict[str, Any] = {}
        for name in keys:
            default = getattr(defaults, name)
            if name == "model":
                value = self.value(data, name, where, str, default)
                values[name] = self.model_path(value, f"{where}.{name}")
                continue
            values[name] = self.number(
                data, name, where, type(default), default, RANGES[where][name]
            )
        return AnalysisSettings(**values)

    def model_path(self, value: str, where: str) -> str:
        """The model file, relative to the config file; it must exist."""
        if not value.strip():
            return ""
        path = Path(value).expanduser()
        path = path if path.is_absolute() else self.path.parent / path
        if not path.is_file():
            raise self.fail(
                where,
                f"{value!r}: no such model file ({path}); write one with `ladder train`, or "
                "remove the key to use the model shipped with Service Ladder",
            )
        return str(path)

    def schedule(self, data: Any) -> ScheduleConfig:
        where = "[schedule]"
        self.table(data, where, tuple(ScheduleConfig.__dataclass_fields__))
        defaults = ScheduleConfig()
        timezone = self.value(data, "timezone", where, str, defaults.timezone)
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail(
                f"{where}.timezone", f'{timezone!r} is not a time zone; use e.g. "Asia/Ho_Chi_Minh"'
            ) from None
        values: dict[str, Any] = {"timezone": timezone}
        for key in ("crawl", "full_crawl", "report"):
            expression = self.value(data, key, where, str, getattr(defaults, key))
            if key == "full_crawl" and not expression.strip():
                values[key] = ""  # no weekly full pass
                continue
            values[key] = self.cron(expression, f"{where}.{key}", timezone)
        for key, bounds in RANGES[where].items():
            values[key] = self.number(data, key, where, float, getattr(defaults, key), bounds)
        return ScheduleConfig(**values)

    def cron(self, expression: str, where: str, timezone: str) -> str:
        fields = expression.split()
        problem = None
        if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
            problem = "not five fields"
        else:
            try:
                cron_trigger(expression, ZoneInfo(timezone))
            except ValueError as error:
                problem = str(error)
        if problem:
            raise self.fail(
                where,
                f"{expression!r} is not a cron expression ({problem}); write minute hour day "
                'month weekday, e.g. "0 7 * * mon" (weekday names are clearest; 0 and 7 are Sunday)',
            )
        return expression

    def report(self, data: Any) -> ReportConfig:
        where = "[report]"
        self.table(data, where, ("language", "recipients", "from", "smtp"))
        language = self.value(data, "language", where, str, "vi")
        if language not in LANGUAGES:
            raise self.fail(f"{where}.language", f'{language!r}: use "vi" or "en"')
        recipients = self.value(data, "recipients", where, list, [])
        for index, address in enumerate(recipients):
            if not isinstance(address, str) or not _EMAIL.match(address):
                raise self.fail(
                    f"{where}.recipients[{index}]", f"{address!r} is not an email address"
                )
        sender = data.get("from")
        if sender is not None and (not isinstance(sender, str) or not _EMAIL.match(sender)):
            raise self.fail(f"{where}.from", f"{sender!r} is not an email address")
        return ReportConfig(
            language=language,
            recipients=tuple(recipients),
            sender=sender,
            smtp=self.smtp(data.get("smtp", {})),
        )

    def smtp(self, data: Any) -> SmtpConfig:
        where = "[report.smtp]"
        if isinstance(data, dict) and "password" in data:
            raise self.fail(
                f"{where}.password",
                "passwords are never read from the file; remove it and set LADDER_SMTP_PASSWORD",
            )
        self.table(data, where, ("host", "port", "security", "user"))
        defaults = SmtpConfig()
        security = self.value(data, "security", where, str, defaults.security)
        if security not in SECURITY:
            raise self.fail(f"{where}.security", f"{security!r}: use one of {', '.join(SECURITY)}")
        port = self.number(data, "port", where, int, defaults.port, RANGES[where]["port"])
        user = data.get("user")
        if user is not None and not isinstance(user, str):
            raise self.fail(f"{where}.user", f"{user!r} is not a string")
        return SmtpConfig(
            host=self.value(data, "host", where, str, defaults.host),
            port=port,
            security=security,
            user=user,
            password=self.environ.get("LADDER_SMTP_PASSWORD") or None,
        )


_KIND_NAMES = {
    str: "a string",
    int: "a whole number",
    float: "a number",
    bool: "true or false",
    list: "a list",
}


def redact_url(url: str) -> str:
    """``url`` without the password of its user part: ``https://shop:***@host/r``."""
    parts = urlparse(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()


def dump_config(config: Config) -> str:
    """The resolved config as TOML, defaults filled in and secrets redacted (``ladder config``)."""
    smtp = config.report.smtp
    tables: list[tuple[str, dict[str, Any]]] = [
        ("database", {"path": str(config.database)}),
        ("crawl", dict(vars(config.crawl))),
        ("schedule", dict(vars(config.schedule))),
        ("analysis", {k: v for k, v in vars(config.analysis).items() if k not in _INTERNAL}),
        (
            "report",
            {
                "language": config.report.language,
                "recipients": list(config.report.recipients),
                **({"from": config.report.sender} if config.report.sender else {}),
            },
        ),
        (
            "report.smtp",
            {
                "host": smtp.host,
                "port": smtp.port,
                "security": smtp.security,
                **({"user": smtp.user} if smtp.user else {}),
                "password": "*** (from LADDER_SMTP_PASSWORD)" if smtp.password else "(not set)",
            },
        ),
    ]
    lines = [f"# {config.path}, resolved"]
    for name, values in tables[:1]:
        lines += ["", f"[{name}]", *(f"{k} = {_toml(v)}" for k, v in values.items())]
    for business in config.businesses:
        header = "business" if business.is_self else "competitors"
        lines += ["", f"[{header}]" if business.is_self else f"[[{header}]]"]
        lines.append(f"name = {_toml(business.name)}")
        for source in business.sources:
            lines += ["", f"[[{header}.sources]]", f"kind = {_toml(source.kind)}"]
            lines.append(f"url = {_toml(redact_url(source.url))}")
            lines += [f"{k} = {_toml(v)}" for k, v in source.options.items()]
    for name, values in tables[1:]:
        lines += ["", f"[{name}]", *(f"{k} = {_toml(v)}" for k, v in values.items())]
    return "\n".join(lines) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string
