"""The demo world's data: the phrase banks (``phrases/*.toml``) and the five businesses
(``businesses.toml``), read once per process into the shapes the generator
(:mod:`scheduler.demo.world`) draws from.

To add a phrase, add a string to its list; each file's header says which banks fill slots such
as ``{dish}``. A missing or malformed bank, or a missing or stray business field, raises
ValueError naming the file and the key.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any, NoReturn

TANGIBLES = "tangibles"
RELIABILITY = "reliability"
RESPONSIVENESS = "responsiveness"
ASSURANCE = "assurance"
EMPATHY = "empathy"
DIMENSIONS = (TANGIBLES, RELIABILITY, RESPONSIVENESS, ASSURANCE, EMPATHY)
LANGUAGES = ("vi", "en")


Span = tuple[float, float]  # (value in the oldest week, value in the newest week)


Rungs = tuple[float, float, float, float, float, float]  # weights of rungs 1..6


Bank = tuple[str, ...]  # phrases, one drawn at random


ByRemark = Mapping[tuple[str, str, bool], Bank]  # (language, dimension, positive)


@dataclass(frozen=True)
class Profile:
    """A business of ``businesses.toml`` (its header explains each field)."""

    slug: str
    name: str
    story: str
    id_prefix: str
    is_self: bool
    rungs_start: Rungs
    rungs_end: Rungs
    weekly_reviews: Span
    vi_share: float
    mentions: Mapping[str, float]  # how often each dimension is remarked on (default 1)
    tilts: Mapping[str, Span]  # added to the chance a remark is positive (default 0)
    reply_rate: Span
    reply_rate_negative: float  # for 1-2★ reviews
    reply_hours: Span  # median latency
    reply_spread: float  # sigma of the log-normal latency
    reply_min_hours: float
    reply_voice: int  # +1: customers praise how fast it answers; -1: they complain; 0: silent
    menu: Mapping[str, Bank]  # by language
    drinks: Mapping[str, Bank]


# Names of the tables in the phrase files, and the keys they stand for.
MOODS = {"positive": 1, "neutral": 0, "negative": -1}


POLARITIES = {"positive": True, "negative": False}


RUNGS = {str(rung): rung for rung in range(1, 7)}


_BY_DIMENSION = {dimension: dimension for dimension in DIMENSIONS}


def _at(
    key: str, *keyed_by: Mapping[str, object], every: bool = True, file: str = ""
) -> dict[str, Any]:
    """Where a field of :class:`Phrases` is read: the lists at ``key`` in each language's file (or
    in ``file``), keyed by language, then by what ``keyed_by`` maps nested tables' names to.
    ``every``: each name of the first table must be there."""
    return {"at": (key, keyed_by, every, file)}


@dataclass(frozen=True)
class Phrases:
    """The phrase banks, keyed as the generator looks them up: ``remarks["vi", TANGIBLES, True]``."""

    teencode: tuple[tuple[re.Pattern[str], Bank], ...]  # vi.toml [teencode], in order
    groups: Mapping[str, Bank] = field(metadata=_at("groups"))
    openings: Mapping[str, Bank] = field(metadata=_at("openings"))
    food: Mapping[tuple[str, int], Bank] = field(metadata=_at("food", MOODS))
    long_asides: Mapping[str, Bank] = field(metadata=_at("long_asides"))
    fillers: Mapping[str, Bank] = field(metadata=_at("fillers"))
    reply_voice: Mapping[tuple[str, bool], Bank] = field(metadata=_at("reply_voice", POLARITIES))
    remarks: ByRemark = field(metadata=_at("remarks", _BY_DIMENSION, POLARITIES))
    intents: Mapping[tuple[str, int], Bank] = field(metadata=_at("intents", RUNGS))
    stories: Mapping[tuple[str, int], Bank] = field(metadata=_at("stories", RUNGS, every=False))
    sarcasm: Mapping[str, Bank] = field(metadata=_at("sarcasm"))
    short: Mapping[tuple[str, int], Bank] = field(metadata=_at("short", RUNGS, every=False))
    titles_by_rung: Mapping[tuple[str, int], Bank] = field(metadata=_at("titles.rungs", RUNGS))
    titles_by_remark: ByRemark = field(metadata=_at("titles.remarks", _BY_DIMENSION, POLARITIES))
    sarcasm_titles: Mapping[str, Bank] = field(metadata=_at("titles.sarcasm"))
    emoji: Mapping[int, Bank] = field(metadata=_at("emoji", MOODS, file="common"))
    reply_greetings: Mapping[str, Bank] = field(metadata=_at("replies.greetings"))
    reply_thanks: Mapping[tuple[str, int], Bank] = field(metadata=_at("replies.thanks", MOODS))
    reply_remark_lines: ByRemark = field(metadata=_at("replies.remarks", _BY_DIMENSION, POLARITIES))
    reply_generic: Mapping[tuple[str, int], Bank] = field(metadata=_at("replies.generic", MOODS))
    reply_signoffs: Mapping[str, Bank] = field(metadata=_at("replies.signoffs"))
    vi_family: Bank = field(metadata=_at("names.family", file="vi"))
    vi_middle: Bank = field(metadata=_at("names.middle", file="vi"))
    vi_given: Bank = field(metadata=_at("names.given", file="vi"))
    vi_double: Bank = field(metadata=_at("names.double", file="vi"))
    en_given: Bank = field(metadata=_at("names.given", file="en"))


@cache
def load_phrases() -> Phrases:
    """The bundled phrase banks (``phrases/*.toml``), read once per process."""
    return read_phrases(files("scheduler.demo") / "phrases")


@cache
def load_profiles() -> tuple[Profile, ...]:
    """The bundled businesses (``businesses.toml``), read once per process."""
    return read_profiles(files("scheduler.demo") / "businesses.toml")


def read_phrases(folder: Traversable) -> Phrases:
    """The phrase banks of ``vi.toml``, ``en.toml`` and ``common.toml`` in ``folder``."""
    sources = {name: _Source(folder / f"{name}.toml") for name in (*LANGUAGES, "common")}
    banks: dict[str, Any] = {}
    for spec in fields(Phrases):
        if not spec.metadata:
            continue
        key, keyed_by, every, file = spec.metadata["at"]
        found = {
            (parts if file else (name, *parts)): bank
            for name in ((file,) if file else LANGUAGES)
            for parts, bank in sources[name].keyed(key, keyed_by, every=every).items()
        }
        # One list is the bank itself; a key of one part is that part.
        banks[spec.name] = found.get(()) or {
            p[0] if len(p) == 1 else p: b for p, b in found.items()
        }
    return Phrases(teencode=sources["vi"].rules("teencode"), **banks)


def read_profiles(path: Traversable) -> tuple[Profile, ...]:
    """The ``[[business]]`` tables of ``path``, in order: ours first, then the competitors."""
    source = _Source(path)
    names = [spec.name for spec in fields(Profile)]
    entries = source.get("business")
    if not isinstance(entries, list) or not entries:
        source.fail("business", "must be one or more tables: [[business]]")
    profiles = []
    for i, entry in enumerate(entries):
        where = f"business[{i}]"
        if not isinstance(entry, dict):
            source.fail(where, "must be a table: [[business]]")
        for name in sorted({*names} ^ {*entry}):
            problem = "is missing" if name in names else "is not a field of a business"
            source.fail(f"{where}.{name}", problem)
        profiles.append(Profile(**{name: _frozen(entry[name]) for name in names}))
    return tuple(profiles)


def _frozen(value: Any) -> Any:
    """TOML's lists as tuples, at any depth."""
    if isinstance(value, dict):
        return {key: _frozen(item) for key, item in value.items()}
    return tuple(_frozen(item) for item in value) if isinstance(value, list) else value


class _Source:
    """One TOML data file; its getters raise ValueError naming the file and the key at fault."""

    def __init__(self, path: Traversable) -> None:
        self.path = path
        try:
            self.data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise ValueError(f"{path}: cannot read the demo world's data ({error})") from error

    def fail(self, key: str, problem: str) -> NoReturn:
        raise ValueError(f"{self.path}: {key} {problem}")

    def get(self, key: str) -> Any:
        value: Any = self.data
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            self.fail(key, "is missing")
        return value

    def strings(self, key: str, value: Any) -> Bank:
        if not isinstance(value, list) or not all(isinstance(s, str) and s.strip() for s in value):
            self.fail(key, "must be a list of non-blank strings")
        if not value:
            self.fail(key, "is empty")
        return tuple(value)

    def keyed(
        self, key: str, keyed_by: Sequence[Mapping[str, object]], *, every: bool = True
    ) -> dict[tuple[object, ...], Bank]:
        """The lists under ``key``, in the file's order; the names of the tables they are in,
        nested as ``keyed_by`` says, give the parts of their keys."""
        if not keyed_by:
            return {(): self.strings(key, self.get(key))}
        names, table = keyed_by[0], self.get(key)
        if not isinstance(table, dict) or not table:
            self.fail(key, f"must be a table of {', '.join(names)}")
        for name in (*table, *names):
            if name not in names or (name not in table and every):
                problem = "is missing" if name in names else f"is not one of {', '.join(names)}"
                self.fail(f"{key}.{name}", problem)
        return {
            (names[name], *parts): bank
            for name in table
            for parts, bank in self.keyed(f"{key}.{name}", keyed_by[1:]).items()
        }

    def rules(self, key: str) -> tuple[tuple[re.Pattern[str], Bank], ...]:
        """``'regular expression' = [replacements]`` entries, in the file's order."""
        table = self.get(key)
        if not isinstance(table, dict) or not table:
            self.fail(key, "must be a table of 'regular expression' = [replacements]")
        rules = []
        for pattern, replacements in table.items():
            try:
                rules.append(
                    (re.compile(pattern), self.strings(f"{key}.'{pattern}'", replacements))
                )
            except re.error as error:
                self.fail(f"{key}.'{pattern}'", f"is not a regular expression ({error})")
        return tuple(rules)
