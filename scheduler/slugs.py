"""Readable, stable names made from business names: for log files, lock files and job ids; and
the business a user meant when they typed its name without its marks."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

from db.exceptions import NotFound


def slug(text: str) -> str:
    """``"Phố Xưa Bistro"`` → ``"pho-xua-bistro"``, for ids and file names."""
    folded = unicodedata.normalize("NFKD", text.lower().replace("đ", "d"))
    ascii_text = folded.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:40] or "business"


def folded(text: str) -> str:
    """``"Mộc  Café"`` → ``"moc cafe"``: lower case, no marks, đ as d, single spaces."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("đ", "d"))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


def match_name(typed: str, names: Iterable[str], *, where: str, what: str = "business") -> str:
    """The one name of ``names`` that ``typed`` means: the same text, else the same letters
    whatever the case, marks and spacing ("moc cafe" for "Mộc Café"), else the only name that
    starts with them. :class:`NotFound` lists the candidates otherwise."""
    names = list(dict.fromkeys(names))
    if typed in names:
        return typed
    key = folded(typed)
    same = [name for name in names if key and folded(name) == key]
    starting = [name for name in names if key and folded(name).startswith(key)]
    for found in (same, starting):
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise NotFound(f"{typed!r} could be {_listed(found)} ({where}): write more of the name")
    raise NotFound(f"no {what} named {typed!r} ({where}); known: {_listed(names)}")


def _listed(names: list[str]) -> str:
    return ", ".join(repr(name) for name in sorted(names)) or "none"


def job_slug(business: str, kind: str, url: str) -> str:
    """A stable, readable job id part for a business's (or one source's) crawls."""
    digest = hashlib.blake2b(f"{business}\x1f{kind}\x1f{url}".encode(), digest_size=4).hexdigest()
    return f"{slug(business)}-{kind}-{digest}"
