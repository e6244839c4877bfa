"""Cue lexicons as data (``vi.toml``, ``en.toml``), compiled once into one phrase matcher.

The matcher scans a review's tokens once. At each position it looks up the phrases starting with
that word (by its unmarked form) and keeps, per layer, the longest phrase that matches; phrases of
one layer never overlap. Layers are independent: "phục vụ nhanh" is both a rung-4 cue and a
Responsiveness cue.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any, NamedTuple

from analysis.tokens import Token, phrase_keys

LANGUAGES = ("vi", "en")

# Layers. A cue's ``value`` is a rung (1–6) for RUNG, WEAK and EFFORT, a dimension for DIMENSION,
# a family (:data:`analysis.features.FAMILIES`) for FAMILY. Its ``polarity`` is +1/−1 for
# DIMENSION, SENTIMENT (±2 for strong words), PRAISE and COMPLAINT; for NEGATOR, 1 is a negator
# and 0 a phrase that only looks like one ("không gian", a noun).
RUNG, WEAK, EFFORT, DIMENSION, SENTIMENT, NEGATOR, PRAISE, COMPLAINT, FAMILY = range(9)
LAYER_NAMES = (
    "rung",
    "weak",
    "effort",
    "dimension",
    "sentiment",
    "negator",
    "praise",
    "complaint",
    "family",
)


@dataclass(frozen=True, slots=True)
class Cue:
    layer: int
    value: int | str
    polarity: int
    phrase: str
    canon: tuple[str, ...]
    folded: tuple[str, ...]
    marked_only: bool  # match only when typed with its marks


class Match(NamedTuple):
    """A cue found in a review's tokens (a tuple: made about ten times a review)."""

    cue: Cue
    first: int  # token index
    last: int  # token index, inclusive
    start: int  # character offsets in the text
    end: int


def _matches(tokens: Sequence[Token], at: int, cue: Cue, unaccented: bool) -> bool:
    """In text typed with marks every word must match as written ("gian" is not "gián"); in text
    typed without them, unmarked words match any cue word with the same letters."""
    if at + len(cue.folded) > len(tokens):
        return False
    for offset, folded in enumerate(cue.folded):
        token = tokens[at + offset]
        if not unaccented or token.marked:
            if token.canon != cue.canon[offset]:
                return False
        elif cue.marked_only or token.folded != folded:
            return False
    return True


class Lexicon:
    """The compiled cues of one or more languages."""

    def __init__(self, cues: Sequence[Cue]) -> None:
        self.cues = tuple(cues)
        # Phrases by their first word, then (two words or more) by their second: a position only
        # tries the few phrases that can start there. Longer phrases first.
        singles: dict[str, list[Cue]] = {}
        pairs: dict[str, dict[str, list[Cue]]] = {}
        for cue in sorted(cues, key=lambda c: -len(c.folded)):
            if len(cue.folded) > 1:
                pairs.setdefault(cue.folded[0], {}).setdefault(cue.folded[1], []).append(cue)
            else:
                singles.setdefault(cue.folded[0], []).append(cue)
        self.starting: dict[str, tuple[dict[str, tuple[Cue, ...]], tuple[Cue, ...]]] = {
            word: (
                {second: tuple(found) for second, found in pairs.get(word, {}).items()},
                tuple(singles.get(word, ())),
            )
            for word in {*singles, *pairs}
        }

    def find(self, tokens: Sequence[Token], *, unaccented: bool = False) -> list[Match]:
        """Every layer's longest non-overlapping phrase matches, left to right.

        ``unaccented``: the text was typed without Vietnamese marks (see :func:`is_unaccented`).
        """
        found: list[Match] = []
        free_from = [0] * len(LAYER_NAMES)  # per layer: the first token not yet consumed
        starting = self.starting
        none: tuple[Cue, ...] = ()
        count = len(tokens)
        for at, token in enumerate(tokens):
            here = starting.get(token.folded)
            if here is None:
                continue
            longer, single = here
            taken = 0  # layers already matched at this position (bit set)
            if longer and at + 1 < count:
                for cue in longer.get(tokens[at + 1].folded, none):
                    bit = 1 << cue.layer
                    if taken & bit or at < free_from[cue.layer]:
                        continue
                    if not _matches(tokens, at, cue, unaccented):
                        continue
                    taken |= bit
                    last = at + len(cue.folded) - 1
                    free_from[cue.layer] = last + 1
                    found.append(Match(cue, at, last, token.start, tokens[last].end))
            as_written = not unaccented or token.marked
            for cue in single:  # one word: its unmarked form is the token's already
                bit = 1 << cue.layer
                if taken & bit or at < free_from[cue.layer]:
                    continue
                if (token.canon != cue.canon[0]) if as_written else cue.marked_only:
                    continue
                taken |= bit
                free_from[cue.layer] = at + 1
                found.append(Match(cue, at, at, token.start, token.end))
        return found


def is_unaccented(tokens: Sequence[Token]) -> bool:
    """Whether Vietnamese text was typed without marks: fewer than one word in ten has any."""
    return sum(t.marked for t in tokens) < 0.1 * len(tokens)


def _cue(layer: int, value: int | str, polarity: int, phrase: str) -> Cue | None:
    marked_only = phrase.startswith("=")
    text = phrase.removeprefix("=")
    canon, folded = phrase_keys(text)
    if not folded:
        return None
    return Cue(layer, value, polarity, text, canon, folded, marked_only)


def _read(language: str) -> tuple[dict[str, Any], bytes]:
    raw = files("analysis.lexicon").joinpath(f"{language}.toml").read_bytes()
    return tomllib.loads(raw.decode("utf-8")), raw


def _cues(data: dict[str, Any]) -> list[Cue]:
    entries: list[tuple[int, int | str, int, str]] = []
    for rung, phrases in data.get("rungs", {}).items():
        entries += [(RUNG, int(rung), 0, p) for p in phrases]
    for rung, phrases in data.get("boilerplate", {}).items():
        entries += [(WEAK, int(rung), 0, p) for p in phrases]
    entries += [(EFFORT, 2, -1, p) for p in data.get("effort", {}).get("phrases", [])]
    for dimension, sides in data.get("dimensions", {}).items():
        entries += [(DIMENSION, dimension, +1, p) for p in sides.get("positive", [])]
        entries += [(DIMENSION, dimension, -1, p) for p in sides.get("negative", [])]
    sentiment = data.get("sentiment", {})
    strong = set(sentiment.get("strong", []))
    for sign, key in ((+1, "positive"), (-1, "negative")):
        entries += [
            (SENTIMENT, "", sign * (2 if p in strong else 1), p) for p in sentiment.get(key, [])
        ]
    negators = data.get("negators", {})
    entries += [(NEGATOR, "", 1, p) for p in negators.get("words", [])]
    entries += [(NEGATOR, "", 0, p) for p in negators.get("not", [])]  # "không gian": a noun
    sarcasm = data.get("sarcasm", {})
    entries += [(PRAISE, "", +1, p) for p in sarcasm.get("praise", [])]
    entries += [(COMPLAINT, "", -1, p) for p in sarcasm.get("complaint", [])]
    for family, phrases in data.get("families", {}).items():
        entries += [(FAMILY, family, 0, p) for p in phrases]
    cues = (_cue(*entry) for entry in entries)
    return [cue for cue in cues if cue is not None]


@cache
def load_lexicon(*languages: str) -> Lexicon:
    """The compiled lexicon of ``languages`` (cached: compiled once per process)."""
    cues: list[Cue] = []
    for language in languages:
        data, _ = _read(language)
        cues += _cues(data)
    return Lexicon(cues)


@cache
def lexicon_digest() -> str:
    """A digest of every lexicon file: part of the analysis version."""
    digest = hashlib.sha256()
    for language in LANGUAGES:
        digest.update(_read(language)[1])
    return digest.hexdigest()[:8]
