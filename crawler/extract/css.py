"""Any other site, read with selectors from ``ladder.toml``: the review block, then within it the
rating, title, body, date, author, native id, owner reply and reply date, and the next-page link.

A selector is CSS (with parsel's ``::text`` and ``::attr(name)``), or XPath when it starts with
``/``, ``./`` or ``(``. Without ``::`` the element's whole text is read. The rating is read as
``rating_from`` says: ``text`` (the first number, or the count of ★), ``width`` (a star bar's
``style="width: 80%"``), ``class`` (a class such as ``star-4`` or ``rating-45``) or ``attr:NAME``
(the first number of the attribute: ``aria-label="4.0 of 5 bubbles"``);
on a scale of ``rating_scale`` (default 5).

The page is parsed by parsel (as Scrapy parses it); each selector is compiled to an lxml XPath once
per process and run on the tree directly, since a crawl applies the same few to every block.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import lxml.etree
from cssselect import SelectorError
from parsel import Selector
from parsel.csstranslator import css2xpath

from crawler.extract.urls import join_url
from crawler.items import ExtractedPage, RawReview

FIELDS = ("title", "body", "date", "author", "id", "reply", "reply_date")
#: Fields read from every element the selector matches (paragraphs); the others from the first.
JOINED = frozenset({"body", "reply"})
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_WIDTH = re.compile(r"width\s*:\s*(\d+(?:\.\d+)?)\s*%", re.IGNORECASE)
_CLASS_NUMBER = re.compile(r"(?:^|[-_])(\d{1,2})(?:[-_](\d))?$")
#: The prefixes parsel gives XPath selectors (EXSLT regular expressions and sets).
_NAMESPACES = {"re": "http://exslt.org/regular-expressions", "set": "http://exslt.org/sets"}
_STRING_VALUE = lxml.etree.XPath("string()")


def _is_xpath(selector: str) -> bool:
    return selector.startswith(("/", "./", "("))


@lru_cache(maxsize=256)
def _query(selector: str) -> Any:
    """``selector`` translated (CSS, by parsel's translator) and compiled once per process: a
    crawl applies the same few selectors to every review block of every page."""
    try:
        path = selector if _is_xpath(selector) else css2xpath(selector)
        return lxml.etree.XPath(path, namespaces=_NAMESPACES, smart_strings=False)
    except (SelectorError, lxml.etree.XPathError) as error:
        raise ValueError(f"{selector!r}: {error}") from None


def _select(node: Any, selector: str) -> list[Any]:
    """What ``selector`` finds under ``node``: elements, or strings (``::text``, ``::attr()``)."""
    if not isinstance(node, lxml.etree._Element):  # a block selector that found text
        return []
    try:
        found = _query(selector)(node)
    except lxml.etree.XPathError as error:  # compiled, but fails on evaluation
        raise ValueError(f"{selector!r}: {error}") from None
    return found if isinstance(found, list) else [found]


def _attributes(found: Any) -> Mapping[str, str]:
    return found.attrib if isinstance(found, lxml.etree._Element) else {}


def _markup(found: Any) -> str:
    """A found value as text: a string as it is, an element as its HTML (parsel's ``get()``)."""
    if isinstance(found, lxml.etree._Element):
        return str(lxml.etree.tostring(found, method="html", encoding="unicode", with_tail=False))
    if isinstance(found, bool):
        return "1" if found else "0"
    return str(found)


def _text(node: Any, selector: str | None, *, joined: bool = True) -> str | None:
    if not selector:
        return None
    found = _select(node, selector)
    if not found:
        return None
    if not joined:
        found = found[:1]
    if "::" in selector or (_is_xpath(selector) and "@" in selector):
        parts = [_markup(value) for value in found]
    else:
        parts = [
            str(_STRING_VALUE(value)) if isinstance(value, lxml.etree._Element) else _markup(value)
            for value in found
        ]
    text = " ".join(part.strip() for part in parts if part and part.strip())
    return text or None


def _rating(node: Any, options: Mapping[str, Any]) -> str | None:
    selector = options.get("rating")
    if not selector:
        return None
    how = str(options.get("rating_from") or "text")
    found = _select(node, selector)
    if not found:
        return None
    attributes = _attributes(found[0])
    scale = float(options.get("rating_scale") or 5)
    if how == "width":
        match = _WIDTH.search(attributes.get("style", ""))
        return f"{float(match.group(1)) / 100 * scale:g}" if match else None
    if how == "class":
        for name in attributes.get("class", "").split():
            match = _CLASS_NUMBER.search(name)
            if match:
                whole, tenth = int(match.group(1)), match.group(2)
                value = whole + int(tenth) / 10 if tenth else whole
                return f"{value / 10 if value > scale else value:g}"  # "rating-45" is 4.5
        return None
    if how.startswith("attr:"):  # "4", or the first number of "4.0 of 5 bubbles"
        shown = attributes.get(how.removeprefix("attr:"))
        number = _NUMBER.search(shown or "")
        return number.group() if number else shown
    text = _text(node, selector) or ""
    number = _NUMBER.search(text)
    if number:
        return number.group()
    stars = text.count("★")
    return str(stars) if stars else None


def extract_page(body: bytes, url: str, options: Mapping[str, Any]) -> ExtractedPage:
    page = ExtractedPage()
    scale = options.get("rating_scale") or 5
    try:
        for name in ("review", "rating", *FIELDS):  # a broken selector is named before any work
            if options.get(name):
                _query(str(options[name]))
        # parsel parses as Scrapy does (encoding errors, NUL bytes, huge pages); lxml queries.
        document = Selector(body=body, type="html", base_url=url).root
        for block in _select(document, str(options["review"])):
            values = {n: _text(block, options.get(n), joined=n in JOINED) for n in FIELDS}
            page.reviews.append(
                RawReview(
                    native_id=values["id"],
                    rating=_rating(block, options),
                    best_rating=scale,
                    title=values["title"],
                    body=values["body"],
                    published=values["date"],
                    author=values["author"],
                    reply_body=values["reply"],
                    replied=values["reply_date"],
                    url=url,
                )
            )
    except (ValueError, KeyError) as error:
        page.problems.append(f"cannot apply the selectors: {error}")
        page.reviews.clear()
        return page
    next_selector = options.get("next")
    if next_selector:
        try:
            found = _select(document, str(next_selector))
            if not found:
                href = None
            elif "::" in next_selector:
                href = _markup(found[0])
            else:
                href = _attributes(found[0]).get("href")
        except ValueError as error:  # a broken selector, or a tag lxml cannot serialise
            page.problems.append(f"cannot read the next link: {error}")
            href = None
        if href:
            page.next_url = join_url(url, href.strip())
    return page
