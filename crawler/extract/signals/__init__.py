"""Service signals from a business's own web pages: support channels, chat widgets, help centres,
opening hours and customer-service policies.

``extract_signals`` reads a page once (:func:`read_page`: decoding, visible text, schema.org nodes)
and hands the :class:`Page` to one pure extractor per family, each in its own module:

- :mod:`.channels` — phone, email, contact form, Zalo, Messenger, WhatsApp
- :mod:`.chat` — live-chat and help-desk vendors (script sources, inline loaders, globals)
- :mod:`.help` — a help centre / FAQ / knowledge base, linked to or being the page
- :mod:`.hours` — opening hours per week (schema.org or text), open 24/7
- :mod:`.policies` — return window, warranty, reply promise, free-shipping threshold, delivery
  promise, cash on delivery
- :mod:`.links` — which same-site links a crawler should follow to find the above

Text is matched on :attr:`Page.folded`: lowercase, without diacritics ("đổi trả" → "doi tra") and of
the same length as :attr:`Page.text`, so a match's span also locates its evidence in the real text.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
from bs4 import (
    BeautifulSoup,
    MarkupResemblesLocatorWarning,
    UnicodeDammit,
    XMLParsedAsHTMLWarning,
)
from bs4.element import NavigableString, Tag

from crawler.extract import microdata

logger = logging.getLogger(__name__)

#: Bodies beyond this many characters are cut: a signal page is rarely over a few hundred kB.
MAX_CHARS = 3_000_000
EVIDENCE_CHARS = 160

_BLOCKS = frozenset(
    "address article aside blockquote br div dl fieldset figcaption figure footer form h1 h2 "
    "h3 h4 h5 h6 header hr li main nav ol p pre section table tr ul option body html".split()
)
_CELLS = frozenset({"td", "th", "dt", "dd"})
_HIDDEN = frozenset({"title", "noscript", "head", "select"})
_SPACES = re.compile(r"[^\S\n]+")
_LINES = re.compile(r"\s*\n\s*")


@dataclass(frozen=True)
class Signal:
    name: str  # see the vocabulary in the module docstrings
    value: str | float | bool  # e.g. True, "tawk.to", 98.0, 7.0
    unit: str | None  # e.g. "hours/week", "days", "months", "hours", "VND", "USD", None
    url: str  # the page it was found on
    evidence: str  # a short snippet (<= 160 chars) of what was seen: text, a script src, a link


@dataclass(frozen=True)
class Anchor:
    """An ``<a href>``: the raw attribute, the absolute URL (or "") and the link's own text."""

    href: str
    url: str
    text: str


@dataclass(frozen=True)
class Page:
    """One parsed page, shared by the family extractors (which must not modify ``soup``)."""

    url: str
    base: str  # the URL links resolve against (``<base href>`` honoured)
    soup: BeautifulSoup
    text: str  # visible text, NFC, one block per line
    folded: str  # ``text`` lowercased without diacritics; same length
    nodes: tuple[dict[str, Any], ...]  # every schema.org node (JSON-LD and microdata), flattened
    anchors: tuple[Anchor, ...]

    def signal(self, name: str, value: str | float | bool, unit: str | None, seen: str) -> Signal:
        return Signal(name, value, unit, self.url, clip(seen))

    def snippet(self, start: int, end: int) -> str:
        """The text around ``text[start:end]``, within its line, at most 160 characters."""
        line_start = self.text.rfind("\n", 0, start) + 1
        line_end = self.text.find("\n", end)
        line_end = len(self.text) if line_end < 0 else line_end
        margin = max(0, (EVIDENCE_CHARS - (end - start)) // 2 - 2)
        left, right = max(line_start, start - margin), min(line_end, end + margin)
        if left > line_start:  # no half words at the edges
            left = min(start, self.text.find(" ", left) + 1 or start)
        if right < line_end:
            right = max(end, self.text.rfind(" ", end, right))
        return clip(self.text[left:right])


def extract_signals(body: bytes | str, url: str) -> list[Signal]:
    """Every signal on one page; never raises on bad HTML (returns what it could read)."""
    # Imported here: the family modules import Signal and Page from this module.
    from crawler.extract.signals import channels, chat, help, hours, policies

    page = _read_or_none(body, url)
    if page is None:
        return []
    signals: list[Signal] = []
    seen: set[tuple[str, object]] = set()
    families: list[Callable[[Page], list[Signal]]] = [
        channels.extract,
        chat.extract,
        help.extract,
        hours.extract,
        policies.extract,
    ]
    for family in families:
        for found in _guarded(family, page):
            key = (found.name, found.value)
            if key not in seen:
                seen.add(key)
                signals.append(found)
    return signals


def links_to_follow(body: bytes | str, url: str, limit: int = 8) -> list[str]:
    """Same-site (same host) links most likely to be contact, support, help, FAQ, returns, shipping,
    warranty or policy pages, in Vietnamese and English, best first, absolute URLs, no fragments,
    no duplicates, at most ``limit``."""
    from crawler.extract.signals import links

    page = _read_or_none(body, url)
    if page is None:
        return []
    return links.rank(page, limit)


def read_page(body: bytes | str, url: str) -> Page:
    """Decode (charset sniffed for bytes), parse with lxml and gather what every family reads."""
    # lxml takes UTF-8 only: lone surrogates in a ``str`` body become "?".
    markup = _decode(body)[:MAX_CHARS].encode("utf-8", "replace").decode("utf-8")
    with warnings.catch_warnings():  # an RSS feed or a body that is just a URL is still read
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(markup, "lxml")
    base = url
    base_tag = soup.find("base", href=True)
    if isinstance(base_tag, Tag):
        try:
            base = urljoin(url, str(base_tag.get("href", "")).strip())
            urlsplit(base).hostname  # noqa: B018 - raises on a malformed host ("http://[x")
        except ValueError:
            base = url
    text = _visible_text(soup)
    anchors = tuple(_anchors(soup, base))
    nodes = tuple(_schema_nodes(soup, markup, url))
    return Page(url, base, soup, text, fold(text), nodes, anchors)


def fold(text: str) -> str:
    """Lowercase without diacritics, one character for one: ``fold("Đổi trả") == "doi tra"``."""
    return "".join(map(_fold_char, text))


def clip(text: str, limit: int = EVIDENCE_CHARS) -> str:
    """Whitespace collapsed and trimmed to ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def schema_types(node: dict[str, Any]) -> list[str]:
    """A node's ``@type`` names without their ``https://schema.org/`` prefix."""
    value = node.get("@type")
    values = value if isinstance(value, list) else [value]
    return [v.rsplit("/", 1)[-1] for v in values if isinstance(v, str)]


def _read_or_none(body: bytes | str, url: str) -> Page | None:
    try:
        return read_page(body, url)
    except (RecursionError, ValueError, TypeError, LookupError):
        logger.warning("signals: unreadable page %s", url, exc_info=True)
        return None


def _guarded(family: Callable[[Page], list[Signal]], page: Page) -> list[Signal]:
    # A page must never stop the crawl: one family failing loses only its own signals.
    try:
        return family(page)
    except Exception:
        logger.warning("signals: %s failed on %s", family.__module__, page.url, exc_info=True)
        return []


def _decode(body: bytes | str) -> str:
    if isinstance(body, str):
        return body
    if not body:
        return ""
    dammit = UnicodeDammit(body, is_html=True)
    if dammit.unicode_markup is not None:
        return dammit.unicode_markup
    return body.decode("utf-8", "replace")


def _visible_text(soup: BeautifulSoup) -> str:
    parts: list[str] = []
    previous: Tag | None = None
    for node in soup.descendants:
        if isinstance(node, Tag):
            if node.name == "br":
                parts.append("\n")
            continue
        if type(node) is not NavigableString:  # scripts, styles, comments, doctypes
            continue
        boundary = _boundary(node)
        if boundary is None:
            continue
        if boundary is not previous:
            parts.append(" " if boundary.name in _CELLS else "\n")
            previous = boundary
        parts.append(str(node))
    text = unicodedata.normalize("NFC", "".join(parts))
    return _LINES.sub("\n", _SPACES.sub(" ", text)).strip()


def _boundary(node: NavigableString) -> Tag | None:
    """The nearest block or table cell holding ``node``; None inside ``<title>``/``<noscript>``."""
    parent = node.parent
    while parent is not None:
        if parent.name in _HIDDEN:
            return None
        if parent.name in _BLOCKS or parent.name in _CELLS or parent.parent is None:
            return parent
        parent = parent.parent
    return None


def _anchors(soup: BeautifulSoup, base: str) -> Iterator[Anchor]:
    for tag in soup.find_all("a", href=True):
        href = str(tag.get("href", "")).strip()
        try:
            absolute = urljoin(base, href) if not href.lower().startswith("javascript:") else ""
            urlsplit(absolute).hostname  # noqa: B018 - raises on a malformed host ("http://[x")
        except ValueError:
            absolute = ""
        text = clip(unicodedata.normalize("NFC", tag.get_text(" ")), 300)
        yield Anchor(href, absolute, text)


def _schema_nodes(soup: BeautifulSoup, markup: str, url: str) -> Iterator[dict[str, Any]]:
    for script in soup.find_all("script", type=re.compile(r"ld\+json", re.I)):
        try:
            yield from _walk(json.loads(script.get_text()))
        except (ValueError, RecursionError):
            logger.info("signals: broken JSON-LD block on %s", url)
    if soup.select_one("[itemscope]") is not None:
        try:
            items = microdata.read_items(markup.encode("utf-8", "replace"), url)
        except (ValueError, lxml.etree.LxmlError):  # the JSON-LD is kept
            logger.info("signals: unreadable microdata on %s", url, exc_info=True)
            return
        yield from _walk(items)


def _walk(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 30:
        return
    if isinstance(value, list):
        for item in value:
            yield from _walk(item, depth + 1)
    elif isinstance(value, dict):
        yield value
        for child in value.values():
            if isinstance(child, dict | list):
                yield from _walk(child, depth + 1)


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    if char in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", char)[0]
    lower = base.lower()
    return lower if len(lower) == 1 else base
