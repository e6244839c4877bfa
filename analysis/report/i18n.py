"""The report's languages: English in the templates, other languages in gettext catalogues
(``locale/<language>.po``, the format every translation tool reads), plus numbers and dates
written the way each language writes them.

The ``.po`` files are read directly (no compiled ``.mo`` to keep in step): :func:`read_po` handles
the subset translation tools write (``msgctxt``, ``msgid``, ``msgid_plural``, ``msgstr[n]``,
continued lines, comments) and :class:`Catalogue` answers ``gettext``/``ngettext`` like
:class:`gettext.GNUTranslations`.
"""

from __future__ import annotations

import ast
import datetime as dt
import gettext
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from db.exceptions import CatalogueError

LOCALE = Path(__file__).parent / "locale"
LANGUAGES = ("vi", "en")


def read_po(path: Path) -> dict[tuple[str, int | None], str]:
    """``{(msgid, plural index or None): msgstr}`` of the translated entries of a ``.po`` file;
    plural forms are keyed by the singular msgid. Untranslated (empty) entries are left out."""
    entries: dict[tuple[str, int | None], str] = {}
    fields: dict[str, str] = {}
    current: str | None = None

    def finish() -> None:
        msgid = fields.get("msgid")
        if msgid:
            for key, value in fields.items():
                if key == "msgstr" and value:
                    entries[msgid, None] = value
                elif key.startswith("msgstr[") and value:
                    entries[msgid, int(key[7:-1])] = value
        fields.clear()

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            if not line and fields:
                finish()
                current = None
            continue
        match = re.fullmatch(r"(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(\".*\")", line)
        if match:
            if match.group(1) in ("msgid", "msgctxt") and any(
                key.startswith("msgstr") for key in fields
            ):
                finish()
            current = match.group(1)
            fields[current] = _string(match.group(2), path, number)
        elif line.startswith('"') and current is not None:
            fields[current] += _string(line, path, number)
        else:
            raise CatalogueError(f"{path}:{number}: cannot read {raw!r}")
    finish()
    return entries


def _string(literal: str, path: Path, number: int) -> str:
    try:
        value = ast.literal_eval(literal)
    except (ValueError, SyntaxError):
        raise CatalogueError(f"{path}:{number}: {literal!r} is not a quoted string") from None
    if not isinstance(value, str):
        raise CatalogueError(f"{path}:{number}: {literal!r} is not a quoted string")
    return value


class Catalogue(gettext.NullTranslations):
    """Translations from a ``.po`` file; a message it lacks is shown in English."""

    def __init__(self, entries: dict[tuple[str, int | None], str], plural: int = 1) -> None:
        super().__init__()
        self.entries = entries
        self.plural_forms = plural

    def gettext(self, message: str) -> str:
        return self.entries.get((message, None), message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        if self.plural_forms == 1:  # Vietnamese: one form for every number
            return self.entries.get((singular, 0), self.gettext(singular))
        index = 0 if n == 1 else 1
        return self.entries.get((singular, index), singular if n == 1 else plural)


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalogue of ``language`` (English is the templates' own)."""
    if language not in LANGUAGES:
        raise ValueError(f"{language!r}: the report speaks {', '.join(LANGUAGES)}")
    if language == "en":
        return gettext.NullTranslations()
    return Catalogue(read_po(LOCALE / f"{language}.po"), plural=1)


@dataclass(frozen=True)
class Formats:
    """Numbers and dates as a language writes them: 3.45 and 24 Nov 2026, or 3,45 and 24/11/2026."""

    language: str

    @property
    def decimal(self) -> str:
        return "," if self.language == "vi" else "."

    def number(self, value: float | None, digits: int = 2, *, signed: bool = False) -> str:
        if value is None:
            return "–"
        value = round(value, digits) + 0.0  # no "−0.00"
        text = f"{value:+,.{digits}f}" if signed else f"{value:,.{digits}f}"
        text = text.replace("-", "−")
        if self.language == "vi":  # 1.234,5
            text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
        return text

    def percent(self, share: float | None) -> str:
        return "–" if share is None else f"{share * 100:.0f}%"

    def date(self, day: dt.date) -> str:
        if self.language == "vi":
            return f"{day.day:02d}/{day.month:02d}/{day.year}"
        return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"

    def span(self, first: dt.date, last: dt.date) -> str:
        """A week: "16–22/11/2026" or "16–22 Nov 2026" (both ends when months differ)."""
        if (first.year, first.month) == (last.year, last.month):
            if self.language == "vi":
                return f"{first.day:02d}–{self.date(last)}"
            return f"{first.day}–{self.date(last)}"
        return f"{self.date(first)} – {self.date(last)}"

    def moment(self, when: dt.datetime) -> str:
        return f"{self.date(when.date())} {when:%H:%M} ({when.tzname() or 'UTC'})"


_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
