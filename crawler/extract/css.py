"""Any other site, read with selectors from ``ladder.toml``: the review block, then within it the
rating, title, body, date, author, native id, owner reply and reply date, and the next-page link.

A selector is CSS (with parsel's ``::text`` and ``::attr(name)``), or XPath when it starts with
``/``, ``./`` or ``(``. Without ``::`` the element's whole text is read. The rating is read as
``rating_from`` says: ``text`` (the first number, or the count of ★), ``width`` (a star bar's
``style="width: 80%"``), ``class`` (a class such as ``star-4`` or ``rating-45``) or ``attr:NAME``;
on a scale of ``rating_scale`` (default 5).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from parsel import Selector, SelectorList

from crawler.extract.urls import join_url
from crawler.items import ExtractedPage, RawReview

FIELDS = ("title", "body", "date", "author", "id", "reply", "reply_date")
#: Fields read from every element the selector matches (paragraphs); the others from the first.
JOINED = frozenset({"body", "reply"})
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_WIDTH = re.compile(r"width\s*:\s*(\d+(?:\.\d+)?)\s*%", re.IGNORECASE)
_CLASS_NUMBER = re.compile(r"(?:^|[-_])(\d{1,2})(?:[-_](\d))?$")


def _select(node: Selector, selector: str) -> SelectorList[Selector]:
    if selector.startswith(("/", "./", "(")):
        return node.xpath(selector)
    return node.css(selector)


def _text(node: Selector, selector: str | None, *, joined: bool = True) -> str | None:
    if not selector:
        return None
    found = _select(node, selector)
    if not found:
        return None
    if not joined:
        found = found[:1]
    if "::" in selector or (selector.startswith(("/", "./", "(")) and "@" in selector):
        parts = found.getall()
    else:
        parts = [element.xpath("string()").get() or "" for element in found]
    text = " ".join(part.strip() for part in parts if part and part.strip())
    return text or None


def _rating(node: Selector, options: Mapping[str, Any]) -> str | None:
    selector = options.get("rating")
    if not selector:
        return None
    how = str(options.get("rating_from") or "text")
    found = _select(node, selector)
    if not found:
        return None
    element = found[0]
    scale = float(options.get("rating_scale") or 5)
    if how == "width":
        match = _WIDTH.search(element.attrib.get("style", ""))
        return f"{float(match.group(1)) / 100 * scale:g}" if match else None
    if how == "class":
        for name in element.attrib.get("class", "").split():
            match = _CLASS_NUMBER.search(name)
            if match:
                whole, tenth = int(match.group(1)), match.group(2)
                value = whole + int(tenth) / 10 if tenth else whole
                return f"{value / 10 if value > scale else value:g}"  # "rating-45" is 4.5
        return None
    if how.startswith("attr:"):
        return element.attrib.get(how.removeprefix("attr:"))
    text = _text(node, selector) or ""
    number = _NUMBER.search(text)
    if number:
        return number.group()
    stars = text.count("★")
    return str(stars) if stars else None


def extract_page(body: bytes, url: str, options: Mapping[str, Any]) -> ExtractedPage:
    page = ExtractedPage()
    try:
        document = Selector(body=body, type="html", base_url=url)
        blocks = _select(document, str(options["review"]))
    except (ValueError, KeyError) as error:
        page.problems.append(f"cannot apply the selectors: {error}")
        return page
    scale = options.get("rating_scale") or 5
    for block in blocks:
        values = {name: _text(block, options.get(name), joined=name in JOINED) for name in FIELDS}
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
    next_selector = options.get("next")
    if next_selector:
        found = _select(document, str(next_selector))
        try:
            href = found.attrib.get("href") if found and "::" not in next_selector else found.get()
        except ValueError as error:  # lxml cannot serialise a broken tag (a control character)
            page.problems.append(f"cannot read the next link: {error}")
            href = None
        if href:
            page.next_url = join_url(url, href.strip())
    return page
