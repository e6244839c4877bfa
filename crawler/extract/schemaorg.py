"""schema.org ``Review`` and ``AggregateRating`` from JSON-LD and microdata.

JSON-LD is found with a regular expression and ``json.loads`` (the cheap path: a review listing page
is parsed in well under a millisecond); microdata is read (:mod:`crawler.extract.microdata`, on
lxml) only when the page declares a schema.org ``Review`` or ``AggregateRating`` item. Reviews may
sit anywhere: in a ``LocalBusiness``, ``Organization`` or ``Product``, in an ``@graph``, or
referenced by ``@id``. A broken JSON-LD block is reported as a problem and skipped; the rest of the
page is still read.

An owner's reply is read from the review's ``comment`` (a schema.org ``Comment``): the one written by
an organisation, or else the first.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

import lxml.etree

from crawler.extract import microdata
from crawler.extract.urls import join_url
from crawler.items import ExtractedPage, RawAggregate, RawReview

_JSONLD = re.compile(
    rb"<script[^>]*?type\s*=\s*[\"']?application/ld\+json[\"']?[^>]*>(.*?)</script\s*>",
    re.IGNORECASE | re.DOTALL,
)
_MICRODATA = re.compile(
    rb"itemtype\s*=\s*[\"']?https?://schema\.org/(?:Review|AggregateRating)\b", re.I
)
_NEXT_TAG = re.compile(rb"<(?:link|a)\b[^>]*\brel\s*=\s*[\"']?next\b[^>]*>", re.IGNORECASE)
_HREF = re.compile(rb"\bhref\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.IGNORECASE)
_ORGANISATIONS = frozenset(
    {"Organization", "LocalBusiness", "Corporation", "Restaurant", "Store", "OnlineStore"}
)


def extract_page(body: bytes, url: str, *, next_selector: str | None = None) -> ExtractedPage:
    """Every review and the aggregate rating on one page, and the next page's URL."""
    page = ExtractedPage()
    nodes = list(_jsonld_nodes(body, page.problems))
    if _MICRODATA.search(body):
        nodes.extend(_microdata_nodes(body, url, page.problems))
    seen_ids: set[str] = set()
    aggregates: list[dict[str, Any]] = []
    for node in _walk(nodes):
        types = _types(node)
        if "Review" in types:
            node_id = node.get("@id")
            if isinstance(node_id, str):
                if node_id in seen_ids:
                    continue
                seen_ids.add(node_id)
            review = _review(node, url)
            if review is not None:
                page.reviews.append(review)
        elif "AggregateRating" in types:
            aggregates.append(node)
    if aggregates:
        page.aggregate = _aggregate(max(aggregates, key=_aggregate_count))
    page.next_url = _next_url(body, url, next_selector)
    return page


def _jsonld_nodes(body: bytes, problems: list[str]) -> Iterator[Any]:
    for number, match in enumerate(_JSONLD.finditer(body), 1):
        try:
            yield json.loads(match.group(1))
        except (ValueError, RecursionError) as error:
            problems.append(f"broken JSON-LD block #{number}: {str(error)[:120]}")


def _microdata_nodes(body: bytes, url: str, problems: list[str]) -> list[dict[str, Any]]:
    try:
        return microdata.read_items(body, url)
    except (ValueError, lxml.etree.LxmlError) as error:
        problems.append(f"unreadable microdata: {str(error)[:120]}")
        return []


def _walk(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every dict in a JSON tree, outermost first; a review's own children are not searched."""
    if depth > 40:
        return
    if isinstance(value, list):
        for item in value:
            yield from _walk(item, depth + 1)
    elif isinstance(value, dict):
        yield value
        if "Review" in _types(value):
            return
        for child in value.values():
            if isinstance(child, dict | list):
                yield from _walk(child, depth + 1)


def _types(node: dict[str, Any]) -> list[str]:
    value = node.get("@type")
    if isinstance(value, str):
        return [value.rsplit("/", 1)[-1]]
    if isinstance(value, list):
        return [v.rsplit("/", 1)[-1] for v in value if isinstance(v, str)]
    return []


def _first(value: Any) -> Any:
    while isinstance(value, list):
        if not value:
            return None
        value = value[0]
    return value


def _text(value: Any) -> Any:
    """A name or text from a string, a number or a node with ``name``/``text``/``@value``."""
    value = _first(value)
    if isinstance(value, dict):
        for key in ("@value", "name", "text", "value"):
            if key in value:
                return _text(value[key])
        return None
    return value


def _review(node: dict[str, Any], page_url: str) -> RawReview | None:
    rating = _first(node.get("reviewRating"))
    if not isinstance(rating, dict):
        rating = {"ratingValue": rating} if rating is not None else {}
    native_id = node.get("@id") or _text(node.get("identifier"))
    reply = _reply(node.get("comment"))
    url = _text(node.get("url"))
    return RawReview(
        native_id=str(native_id) if native_id not in (None, "") else None,
        rating=_text(rating.get("ratingValue")),
        best_rating=_text(rating.get("bestRating")),
        worst_rating=_text(rating.get("worstRating")),
        title=_text(node.get("headline") or node.get("name")),
        body=_text(node.get("reviewBody") or node.get("description") or node.get("text")),
        lang=_text(node.get("inLanguage")),
        published=_text(node.get("datePublished") or node.get("dateCreated")),
        author=_text(node.get("author")),
        reply_body=_text(reply.get("text") or reply.get("reviewBody")) if reply else None,
        replied=_text(reply.get("dateCreated") or reply.get("datePublished")) if reply else None,
        url=(join_url(page_url, url) if isinstance(url, str) else None) or page_url,
    )


def _reply(value: Any) -> dict[str, Any] | None:
    comments = [c for c in (value if isinstance(value, list) else [value]) if isinstance(c, dict)]
    for comment in comments:
        author = _first(comment.get("author"))
        if isinstance(author, dict) and _ORGANISATIONS.intersection(_types(author)):
            return comment
    return comments[0] if comments else None


def _aggregate(node: dict[str, Any]) -> RawAggregate:
    return RawAggregate(
        rating=_text(node.get("ratingValue")),
        best_rating=_text(node.get("bestRating")),
        worst_rating=_text(node.get("worstRating")),
        count=_text(node.get("reviewCount") or node.get("ratingCount")),
    )


def _aggregate_count(node: dict[str, Any]) -> float:
    try:
        return float(_text(node.get("reviewCount") or node.get("ratingCount")) or 0)
    except (TypeError, ValueError, OverflowError):
        return 0.0


def _next_url(body: bytes, url: str, selector: str | None) -> str | None:
    if selector:
        from parsel import Selector

        if not body.strip():  # parsel refuses an empty document
            return None

        found = Selector(body=body, type="html").css(selector)
        target = found.attrib.get("href") if found and "::" not in selector else found.get()
        return join_url(url, target.strip()) if target else None
    for tag in _NEXT_TAG.finditer(body):
        match = _HREF.search(tag.group(0))
        if match:
            raw = next(g for g in match.groups() if g is not None)
            return join_url(url, html.unescape(raw.decode("utf-8", "replace")).strip())
    return None
