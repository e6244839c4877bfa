"""schema.org ``Review`` and ``AggregateRating`` from JSON-LD and microdata.

JSON-LD is found with a regular expression and ``json.loads`` (the cheap path: a review listing page
is parsed in well under a millisecond); microdata is read (:mod:`crawler.extract.microdata`, on
lxml) only when the page declares a schema.org ``Review`` or ``AggregateRating`` item. Reviews may
sit anywhere: in a ``LocalBusiness``, ``Organization`` or ``Product``, in an ``@graph``, or
referenced by ``@id``. A byte that is not UTF-8 in a JSON-LD block is read as U+FFFD (the crawl
decodes pages first, :mod:`crawler.extract.encoding`, and counts such bytes); a broken JSON-LD block
is reported as a problem and skipped; the rest of the page is still read.

An owner's reply is read from the review's ``comment`` (a schema.org ``Comment``): the one written by
an organisation, or else the first.

A page may mark up the same reviews twice (a theme's microdata without ratings beside an SEO
plugin's JSON-LD with them). A review found in several blocks is one review with the fields of all
of them (:func:`merge_reviews`).
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import lxml.etree

from crawler.extract import microdata
from crawler.extract.cleaning import clean_text
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
_WORD = re.compile(r"\w+")
_ISO_DAY = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
#: What a merged review takes from another block's copy where it has none (besides the rating with
#: its scale, the reply with its date, and a URL of its own).
_FILLED = ("native_id", "title", "body", "lang", "published", "author", "verified", "answers")
_ORGANISATIONS = frozenset(
    {"Organization", "LocalBusiness", "Corporation", "Restaurant", "Store", "OnlineStore"}
)


def extract_page(body: bytes, url: str, *, next_selector: str | None = None) -> ExtractedPage:
    """Every review and the aggregate rating on one page, and the next page's URL."""
    page = ExtractedPage()
    # Each JSON-LD block, and the page's microdata, is a block: merge_reviews joins their reviews.
    blocks: list[Any] = list(_jsonld_nodes(body, page.problems))
    if _MICRODATA.search(body):
        blocks.append(_microdata_nodes(body, url, page.problems))
    aggregates: list[dict[str, Any]] = []
    found: list[tuple[int, RawReview]] = []
    for block, nodes in enumerate(blocks):
        seen_ids: set[str] = set()  # a review placed twice in one block's graph
        for node in _walk(nodes):
            types = _types(node)
            if "Review" in types:
                node_id = node.get("@id")
                if isinstance(node_id, str):
                    if node_id in seen_ids:
                        continue
                    seen_ids.add(node_id)
                found.append((block, _review(node, url)))
            elif "AggregateRating" in types:
                aggregates.append(node)
    page.reviews = merge_reviews(found, url)
    if aggregates:
        page.aggregate = _aggregate(max(aggregates, key=_aggregate_count))
    page.next_url = _next_url(body, url, next_selector)
    return page


def _jsonld_nodes(body: bytes, problems: list[str]) -> Iterator[Any]:
    for number, match in enumerate(_JSONLD.finditer(body), 1):
        try:
            # An invalid byte costs one character (U+FFFD), not every review in the block.
            yield json.loads(match.group(1).decode("utf-8", "replace"))
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


def _review(node: dict[str, Any], page_url: str) -> RawReview:
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


@dataclass(eq=False)  # each one is itself: two reviews may read alike
class _Merged:
    """One review of the page, as merged so far, with what identifies it."""

    order: int
    review: RawReview
    blocks: set[int]
    native_id: str | None
    url: str | None
    text: tuple[str, str] | None
    author: str | None
    day: date | None


def merge_reviews(found: Sequence[tuple[int, RawReview]], page_url: str) -> list[RawReview]:
    """The page's reviews, each once. ``found`` holds ``(block, review)`` in page order; a review
    of one block that is also a review of another becomes one review with the fields of both (the
    first block's value where both have one; a rating with its scale, a reply with its date).

    Reviews of two blocks are the same review when they have the same native id or the same URL of
    their own (an id or URL shared by several reviews of one block names none of them), or the
    same text (words compared: case, markup, punctuation and the encoding of marks aside) with
    authors that agree and days at most one apart (a time zone) wherever both sides state them.
    Different ids or URLs do not keep reviews apart: one plugin writes an absolute permalink where
    the theme writes ``#review-1812``. Reviews of one block are never merged with each other, and
    a review takes at most one of each other block's: "Ngon" by Minh and "Ngon" by Hà stay two.
    """
    if len({block for block, _ in found}) < 2:
        return [review for _, review in found]
    ids = _identifying(found, [review.native_id for _, review in found])
    urls = _identifying(found, [r.url if r.url != page_url else None for _, r in found])
    merged: list[_Merged] = []
    index: dict[object, list[_Merged]] = {}
    for (block, review), native_id, url in zip(found, ids, urls, strict=True):
        seen = _Merged(
            len(merged),
            review,
            {block},
            native_id,
            url,
            _text_key(review),
            _words(review.author),
            _day(review.published),
        )
        keys = [("id", native_id), ("url", url), ("text", seen.text)]
        candidates = {m for key in keys if key[1] for m in index.get(key, ())}
        scored = [
            (score, -group.order, group)
            for group in candidates
            if block not in group.blocks and (score := _likeness(group, seen)) > 0
        ]
        if scored:
            _, _, group = max(scored, key=lambda candidate: candidate[:2])
            _fill(group, seen, page_url)
        else:
            group = seen
            merged.append(group)
        for key in (("id", group.native_id), ("url", group.url), ("text", group.text)):
            if key[1] and group not in index.setdefault(key, []):
                index[key].append(group)
    return [group.review for group in merged]


def _identifying(found: Sequence[tuple[int, RawReview]], values: list[str | None]) -> list[Any]:
    """Each value where it names one review of its block, else None."""
    counts = Counter((block, value) for (block, _), value in zip(found, values, strict=True))
    return [
        value if value and counts[block, value] == 1 else None
        for (block, _), value in zip(found, values, strict=True)
    ]


def _likeness(group: _Merged, seen: _Merged) -> int:
    """0 for two different reviews; more the more surely they are one."""
    if (group.native_id and group.native_id == seen.native_id) or (
        group.url and group.url == seen.url
    ):
        return 4
    if group.text is None or group.text != seen.text:
        return 0
    score = 1
    if group.author and seen.author:
        if group.author != seen.author:
            return 0
        score += 1
    if group.day and seen.day:
        if abs((group.day - seen.day).days) > 1:
            return 0
        score += group.day == seen.day
    return score


def _fill(group: _Merged, seen: _Merged, page_url: str) -> None:
    into, other = group.review, seen.review
    if _empty(into.rating) and not _empty(other.rating):
        into.rating, into.best_rating, into.worst_rating = (
            other.rating,
            other.best_rating,
            other.worst_rating,
        )
    if _empty(into.reply_body) and not _empty(other.reply_body):
        into.reply_body, into.replied = other.reply_body, other.replied
    for name in _FILLED:
        if _empty(getattr(into, name)) and not _empty(getattr(other, name)):
            setattr(into, name, getattr(other, name))
    if into.url == page_url and other.url:
        into.url = other.url
    group.blocks |= seen.blocks
    group.native_id = group.native_id or seen.native_id
    group.url = group.url or seen.url
    group.text = group.text or seen.text
    group.author = group.author or seen.author
    group.day = group.day or seen.day


def _empty(value: object) -> bool:
    return value is None or value == "" or value == []


def _words(value: object) -> str | None:
    """Text as its words alone: casefolded, NFKC, without markup or punctuation."""
    text = clean_text(value) if isinstance(value, str | int | float) else None
    if not text:
        return None
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text).casefold())) or None


def _text_key(review: RawReview) -> tuple[str, str] | None:
    body = _words(review.body)
    if body:
        return ("body", body)
    title = _words(review.title)
    return ("title", title) if title else None


def _day(value: object) -> date | None:
    match = _ISO_DAY.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        return None


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
