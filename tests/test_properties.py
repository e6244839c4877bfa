"""Properties that must hold for any input (hypothesis): the extractors and the signal reader never
raise on a page, dates and text are read without raising, the ladder always answers within its
ranges, normalisation only drops with a reason, and ingest is idempotent and order-independent.

Each property states what the code promises. Properties come in twins: one draws realistic input
(``safe``), the other adds the shapes that once broke a promise (integers beyond a float's range,
lone surrogates, hrefs no URL parser accepts, a field of the wrong type); the ``@example`` of the
second is the minimal input that failed before the fix.

Not promised, on purpose: ``clean_text`` unescapes entities once per call (a review that says
"&amp;" in its text keeps it), and ``fold`` expands teencode from the word as typed ("hồng" folds
to "hong" but is not "không").

``make test`` runs a few hundred examples per cheap property and a few dozen per database one;
``HYPOTHESIS_PROFILE=reliability make test`` runs 2000 of each.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
import tempfile
import tomllib
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar
from unicodedata import combining
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from analysis import replies
from analysis.ladder import classify
from analysis.tokens import detect_language, fingerprint, fold, tokenize
from crawler.extract import css, foody, schemaorg, tiki, trustpilot
from crawler.extract.cleaning import clean_text, guess_language
from crawler.extract.dates import parse_date
from crawler.extract.signals import Signal, extract_signals, links_to_follow
from crawler.items import ExtractedPage, RawAggregate, RawReview
from crawler.normalize import (
    DROP_REASONS,
    SourceContext,
    normalize_aggregate,
    normalize_page,
    normalize_rating,
    normalize_review,
    parse_number,
)
from crawler.preview import preview_page
from db import open_db
from db.exceptions import Dropped
from db.store import REVIEW_FIELDS, ReviewWriter, sync_business, sync_source

T = TypeVar("T")

# Hypothesis keeps its example database and caches outside the repository (it would otherwise
# create .hypothesis/ in the working directory); failures still replay on the next run here.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "service-ladder-hypothesis")
settings.register_profile("reliability", max_examples=2000, deadline=None)
RELIABILITY = os.environ.get("HYPOTHESIS_PROFILE") == "reliability"
if RELIABILITY:
    settings.load_profile("reliability")


def budget(count: int) -> settings:
    """``count`` examples in ``make test``, the same ones on every run (derandomised: CI must not
    find a new counterexample by chance), and the reliability profile's 2000 fresh ones in a long
    run (``make reliability``), which is where new counterexamples are looked for. No deadline:
    the first example of a run loads lexicons and lxml, and CI machines vary."""
    if RELIABILITY:
        return settings(max_examples=settings().max_examples, deadline=None)
    return settings(max_examples=count, deadline=None, derandomize=True)


NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
SAIGON = ZoneInfo("Asia/Ho_Chi_Minh")
PAGE_URL = "https://reviews.example/shop/pho-hanh?page=1"
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)

# --------------------------------------------------------------------------------------------
# Strategies shared by the sections
# --------------------------------------------------------------------------------------------

# Characters that make ``urlsplit`` raise when they sit in a URL's host: brackets (an unclosed
# IPv6 literal) and those whose NFKC form is one of ``/?#@:`` (computed once over all of Unicode).
URL_BREAKERS = (
    "[]\u2047\u2048\u2049\u2100\u2101\u2105\u2106\u2a74\ufe13\ufe16\ufe47\ufe48\ufe55\ufe56"
    "\ufe5f\ufe6b\uff03\uff0f\uff1a\uff1f\uff20\uff3b\uff3d"
)
#: Text that is safe in a URL field: everything but the host breakers and lone surrogates.
safe_text = st.text(st.characters(exclude_characters=URL_BREAKERS), max_size=24)
#: Any text at all, lone surrogates included (JSON's "\ud83d" escape yields one: a platform that
#: cuts a review at a UTF-16 boundary splits an emoji).
any_text = st.text(
    st.characters() | st.characters(categories=["Cs"]) | st.sampled_from(URL_BREAKERS),
    max_size=24,
)
#: Strings a review page really carries, so the extractors get past their first checks.
REALISTIC = (
    "4", "4.5", "4,5", "4/5", "9.2", "10", "0", "-1", "★★★★", "5 sao", "", " ", "\u00a0",
    "3 ngày trước", "hôm qua", "2 weeks ago", "2024-05-12", "2024-05-12T10:00:00+07:00",
    "12/05/2024", "31/02/2024", "1700000000", "1700000000000", "tháng 13 năm 99999",
    "Phở ngon, phục vụ nhanh!", "Nhân viên thờ ơ, sẽ không quay lại", "Great service",
    "<b>bold</b><br>line", "&amp;&lt;&#7903;&bogus;", "Review", "AggregateRating", "Comment",
    "Organization", "seller", "en", "vi", "true", "false",
)  # fmt: skip
SAFE_URLS = ("/reviews/1", "r?x=1#top", "https://reviews.example/r/2", "", "?page=2", "javascript:")
BAD_URLS = ("//[", "http://[::1", "https://a\uff03b/", "http://x:99999999999/")


def json_values(*, safe: bool) -> st.SearchStrategy[Any]:
    """Any JSON value. ``safe`` leaves out integers beyond a float's range, lone surrogates and
    the URL host breakers, each once the trigger of a bug."""
    integers = st.integers(-(2**64), 2**64)
    if not safe:
        integers |= st.integers(-(10**400), 10**400)
    text = (safe_text if safe else any_text) | st.sampled_from(REALISTIC)
    if not safe:
        text |= st.sampled_from(BAD_URLS)
    scalars = st.none() | st.booleans() | integers | st.floats() | text
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.text(max_size=8) | st.sampled_from(REALISTIC), children, max_size=4
            )
        ),
        max_leaves=10,
    )


SAFE_JSON = json_values(safe=True)
ANY_JSON = json_values(safe=False)
#: A JSON value that can be iterated or is falsy: what ``value or []`` survives.
ITERABLE_OR_FALSY = (
    st.none()
    | st.sampled_from([0, 0.0, False, "", [], {}])
    | safe_text
    | st.lists(SAFE_JSON, max_size=3)
    | st.dictionaries(st.text(max_size=6), SAFE_JSON, max_size=3)
)


def either(shaped: st.SearchStrategy[Any], junk: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The value the API really sends, or anything else in its place."""
    return shaped | junk


def dumps(value: Any) -> str:
    return json.dumps(value, allow_nan=True)


def json_texts(data: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    """``data`` as JSON, whole or cut short by its last character."""
    return st.builds(
        lambda value, broken: dumps(value)[: -1 if broken else None], data, st.booleans()
    )


# --------------------------------------------------------------------------------------------
# 1. Extractors never raise: they return an ExtractedPage, with problems for what they could not
#    read
# --------------------------------------------------------------------------------------------


def assert_page(page: ExtractedPage) -> None:
    assert isinstance(page, ExtractedPage)
    assert all(isinstance(review, RawReview) for review in page.reviews)
    assert page.aggregate is None or isinstance(page.aggregate, RawAggregate)
    assert page.next_url is None or isinstance(page.next_url, str)
    assert all(isinstance(problem, str) for problem in page.problems)
    for review in page.reviews:
        assert review.native_id is None or isinstance(review.native_id, str)
        assert review.url is None or isinstance(review.url, str)


ENTITIES = st.sampled_from(
    ["&amp;", "&lt;", "&gt;", "&#7903;", "&#x1F600;", "&#0;", "&#99999999;", "&bogus;", "&", "&#"]
)
TAG_NAMES = st.sampled_from(
    ["a", "link", "div", "span", "p", "br", "li", "script", "meta", "base", "title", "i", "ul"]
)


def attributes(urls: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pairs = st.one_of(
        st.just('rel="next"'),
        st.just("rel=next"),
        urls.map(lambda url: f'href="{url}"'),
        urls.map(lambda url: f"href={url}"),
        st.just('itemtype="https://schema.org/Review"'),
        st.just("itemtype=http://schema.org/AggregateRating"),
        st.just("itemscope"),
        st.sampled_from(
            ["reviewRating", "ratingValue", "author", "datePublished", "reviewBody"]
        ).map(lambda name: f'itemprop="{name}"'),
        safe_text.map(lambda value: f'content="{value}"'),
        st.sampled_from(["rv", "who", "txt", "when", "more", "star-4", "rating-45"]).map(
            lambda name: f'class="{name}"'
        ),
        st.integers(-10, 300).map(lambda width: f'style="width: {width}%"'),
        st.just('type="application/ld+json"'),
        st.just('id="__NEXT_DATA__"'),
        st.just('charset="windows-1258"'),
    )
    return st.lists(pairs, max_size=3).map(lambda items: "".join(f" {item}" for item in items))


def html_fragments(
    urls: st.SearchStrategy[str], scripts: st.SearchStrategy[str]
) -> st.SearchStrategy[str]:
    """Pieces of HTML: text, entities, open/close/unclosed tags with attributes, script blocks."""
    tags = st.builds(
        lambda name, attrs, kind: {
            "open": f"<{name}{attrs}>",
            "close": f"</{name}>",
            "unclosed": f"<{name}{attrs}",
        }[kind],
        TAG_NAMES,
        attributes(urls),
        st.sampled_from(["open", "close", "unclosed"]),
    )
    return st.one_of(
        safe_text, st.sampled_from(REALISTIC), ENTITIES, tags, scripts, st.just("<!-- x -->")
    )


def html_pages(
    urls: st.SearchStrategy[str], scripts: st.SearchStrategy[str]
) -> st.SearchStrategy[bytes]:
    """An HTML-ish document, encoded as a site might serve it."""
    return st.builds(
        lambda parts, encoding: "".join(parts).encode(encoding, "replace"),
        st.lists(html_fragments(urls, scripts), max_size=16),
        st.sampled_from(["utf-8", "latin-1", "cp1258", "utf-16"]),
    )


def bodies(pages: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """Arbitrary bytes, arbitrary text in UTF-8 or Latin-1, or a shaped page."""
    return st.one_of(
        st.binary(max_size=200),
        st.text(max_size=80).map(lambda text: text.encode("utf-8")),
        st.text(st.characters(max_codepoint=255), max_size=80).map(
            lambda text: text.encode("latin-1")
        ),
        pages,
    )


# schema.org ------------------------------------------------------------------------------------


def schema_nodes(*, safe: bool) -> st.SearchStrategy[Any]:
    junk = SAFE_JSON if safe else ANY_JSON
    urls = st.sampled_from(SAFE_URLS) | safe_text
    if not safe:
        urls |= st.sampled_from(BAD_URLS) | any_text
    numbers = st.integers(-10, 10) | st.floats() | st.sampled_from(["4", "4,5", "9/10", "abc"])
    rating = st.one_of(
        st.none(),
        numbers,
        st.lists(numbers, max_size=2),
        st.fixed_dictionaries(
            {},
            optional={
                "@type": st.just("Rating"),
                "ratingValue": either(numbers, junk),
                "bestRating": either(numbers, junk),
                "worstRating": either(numbers, junk),
            },
        ),
        junk,
    )
    organisation = st.sampled_from(["Organization", "LocalBusiness", "Person"])
    comment = st.fixed_dictionaries(
        {"@type": st.just("Comment")},
        optional={
            "text": junk,
            "dateCreated": st.sampled_from(REALISTIC) | junk,
            "author": either(st.fixed_dictionaries({"@type": organisation}), junk),
        },
    )
    review = st.fixed_dictionaries(
        {"@type": st.sampled_from(["Review", "https://schema.org/Review", ["Review", "Thing"]])},
        optional={
            "@id": either(safe_text, junk),
            "identifier": junk,
            "reviewRating": rating,
            "datePublished": st.sampled_from(REALISTIC) | junk,
            "author": either(
                st.fixed_dictionaries({"@type": st.just("Person"), "name": junk}), junk
            ),
            "reviewBody": junk,
            "headline": junk,
            "inLanguage": junk,
            "comment": either(st.lists(comment, max_size=2), junk),
            "url": either(urls, st.fixed_dictionaries({"name": urls})),
        },
    )
    counts = st.integers(-5, 10**6) | st.sampled_from(["12", "1,234", "many"])
    if not safe:
        counts |= st.integers(10**309, 10**400)
    aggregate = st.fixed_dictionaries(
        {"@type": st.just("AggregateRating")},
        optional={
            "ratingValue": either(numbers, junk),
            "bestRating": junk,
            "reviewCount": either(counts, junk),
            "ratingCount": either(counts, junk),
        },
    )
    business = st.fixed_dictionaries(
        {"@type": st.sampled_from(["LocalBusiness", "Restaurant", "Product"])},
        optional={
            "review": either(st.lists(review, max_size=3), review),
            "aggregateRating": aggregate,
        },
    )
    return st.one_of(
        review,
        business,
        st.lists(review | aggregate, max_size=3),
        st.fixed_dictionaries({"@graph": st.lists(business | review | junk, max_size=3)}),
        junk,
    )


def jsonld_scripts(*, safe: bool) -> st.SearchStrategy[str]:
    return st.builds(
        lambda node, broken: (
            f'<script type="application/ld+json">{dumps(node)[: -1 if broken else None]}</script>'
        ),
        schema_nodes(safe=safe),
        st.booleans(),
    )


def microdata_blocks(*, safe: bool) -> st.SearchStrategy[str]:
    """A schema.org Review in microdata (crawler.extract.microdata), with junk where values go."""
    text = safe_text if safe else any_text
    return st.builds(
        lambda value, date, body, closed: (
            '<div itemscope itemtype="https://schema.org/Review">'
            '<div itemprop="reviewRating" itemscope itemtype="https://schema.org/Rating">'
            f'<span itemprop="ratingValue">{value}</span></div>'
            f'<meta itemprop="datePublished" content="{date}">'
            f'<p itemprop="reviewBody">{body}</p>' + ("</div>" if closed else "")
        ),
        text | st.sampled_from(REALISTIC),
        text | st.sampled_from(REALISTIC),
        text,
        st.booleans(),
    )


def schemaorg_pages(*, safe: bool) -> st.SearchStrategy[bytes]:
    urls = st.sampled_from(SAFE_URLS) | safe_text.filter(lambda url: "//" not in url)
    if not safe:
        urls |= st.sampled_from(BAD_URLS)
    scripts = jsonld_scripts(safe=safe) | microdata_blocks(safe=safe)
    return bodies(html_pages(urls, scripts))


@budget(300)
@given(body=schemaorg_pages(safe=True), selector=st.none() | st.sampled_from(["a.next", "a::text"]))
def test_schemaorg_extract_never_raises(body: bytes, selector: str | None) -> None:
    assert_page(schemaorg.extract_page(body, PAGE_URL, next_selector=selector))


@budget(300)
@given(body=schemaorg_pages(safe=False), selector=st.none() | st.sampled_from(["a.next"]))
@example(body=b"", selector="a.next")
@example(body=b'<link rel="next" href="//[">', selector=None)
@example(
    body=b'<script type="application/ld+json">{"@type": "Review", "url": "//["}</script>',
    selector=None,
)
@example(
    body=b'<script type="application/ld+json">{"@type": "AggregateRating", "reviewCount": 1'
    + b"0" * 400
    + b"}</script>",
    selector=None,
)
def test_schemaorg_extract_never_raises_on_any_url_or_count(
    body: bytes, selector: str | None
) -> None:
    assert_page(schemaorg.extract_page(body, PAGE_URL, next_selector=selector))


# Trustpilot ----------------------------------------------------------------------------------


def trustpilot_documents(junk: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    review = st.fixed_dictionaries(
        {},
        optional={
            "id": junk,
            "rating": either(st.integers(0, 6), junk),
            "title": junk,
            "text": junk,
            "language": junk,
            "dates": either(st.fixed_dictionaries({"publishedDate": junk}), junk),
            "consumer": either(st.fixed_dictionaries({"displayName": junk}), junk),
            "reply": either(
                st.fixed_dictionaries({}, optional={"message": junk, "publishedDate": junk}), junk
            ),
            "labels": either(
                st.fixed_dictionaries(
                    {"verification": st.fixed_dictionaries({"isVerified": junk})}
                ),
                junk,
            ),
        },
    )
    unit = st.fixed_dictionaries(
        {},
        optional={
            "trustScore": junk,
            "numberOfReviews": junk,
            "activity": either(
                st.fixed_dictionaries(
                    {"replyBehavior": either(st.dictionaries(st.text(max_size=8), junk), junk)}
                ),
                junk,
            ),
        },
    )
    pagination = st.fixed_dictionaries(
        {}, optional={"currentPage": either(st.integers(-1, 5), junk), "totalPages": junk}
    )
    props = st.fixed_dictionaries(
        {},
        optional={
            "reviews": either(st.lists(review, max_size=3), junk),
            "businessUnit": either(unit, junk),
            "filters": either(st.fixed_dictionaries({"pagination": pagination}), junk),
        },
    )
    return either(
        st.fixed_dictionaries({"props": st.fixed_dictionaries({"pageProps": props})}), junk
    )


def trustpilot_pages(junk: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    script = json_texts(trustpilot_documents(junk)).map(
        '<script id="__NEXT_DATA__" type="application/json">{}</script>'.format
    )
    return bodies(html_pages(st.sampled_from(SAFE_URLS), script))


@budget(300)
@given(body=trustpilot_pages(ANY_JSON))
def test_trustpilot_extract_never_raises(body: bytes) -> None:
    assert_page(trustpilot.extract_page(body, PAGE_URL))


# Tiki ------------------------------------------------------------------------------------------


def tiki_documents(*, safe: bool) -> st.SearchStrategy[bytes]:
    junk = SAFE_JSON if safe else ANY_JSON
    # A truthy non-iterable in these fields once raised.
    listish = ITERABLE_OR_FALSY if safe else junk
    epoch = st.integers(-(10**12), 10**14) | st.floats()
    comment = st.fixed_dictionaries(
        {},
        optional={
            "commentator": either(st.sampled_from(["seller", "customer"]), junk),
            "content": junk,
            "create_at": either(epoch, junk),
        },
    )
    answer = st.fixed_dictionaries({}, optional={"question": junk, "option": junk})
    tags = st.lists(either(st.sampled_from(["Giao hàng nhanh", "Đóng gói cẩn thận", " "]), junk))
    item = st.fixed_dictionaries(
        {},
        optional={
            "id": junk,
            "title": junk,
            "content": junk,
            "rating": either(st.integers(0, 6), junk),
            "created_at": either(epoch, junk),
            "created_by": either(
                st.fixed_dictionaries(
                    {}, optional={"full_name": junk, "name": junk, "purchased": junk}
                ),
                junk,
            ),
            "delivery_rating": either(st.lists(answer, max_size=2), listish),
            "comments": either(st.lists(comment, max_size=2), listish),
            "vote_attributes": either(
                st.fixed_dictionaries(
                    {}, optional={"agree": either(tags, listish), "disagree": either(tags, listish)}
                ),
                junk,
            ),
        },
    )
    document = st.fixed_dictionaries(
        {"data": either(st.lists(either(item, junk), max_size=3), junk)},
        optional={
            "rating_average": junk,
            "reviews_count": junk,
            "paging": either(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "current_page": either(st.integers(0, 3), junk),
                        "last_page": either(st.integers(0, 3), junk),
                    },
                ),
                junk,
            ),
        },
    )
    return json_texts(either(document, junk)).map(str.encode) | st.binary(max_size=100)


@budget(300)
@given(body=tiki_documents(safe=True))
def test_tiki_extract_never_raises(body: bytes) -> None:
    assert_page(tiki.extract_page(body, PAGE_URL))


@budget(300)
@given(body=tiki_documents(safe=False))
@example(body=b'{"data": [{"comments": 1}]}')
@example(body=b'{"data": [{"delivery_rating": 1}]}')
@example(body=b'{"data": [{"vote_attributes": {"agree": 1}}]}')
def test_tiki_extract_never_raises_on_any_field_type(body: bytes) -> None:
    assert_page(tiki.extract_page(body, PAGE_URL))


# Foody -----------------------------------------------------------------------------------------


def foody_documents(*, safe: bool) -> st.SearchStrategy[bytes]:
    junk = SAFE_JSON if safe else ANY_JSON
    listish = ITERABLE_OR_FALSY if safe else junk
    urls = st.sampled_from(SAFE_URLS) | safe_text
    if not safe:
        urls |= st.sampled_from(BAD_URLS)
    relative = st.builds(
        "{} {}".format,
        st.integers(0, 10**6),
        st.sampled_from(["ngày trước", "giờ trước", "phút trước", "tháng trước"]),
    ) | st.sampled_from(["hôm qua", "vừa xong"])
    reply = st.fixed_dictionaries(
        {},
        optional={
            "Content": junk,
            "CreatedOnTimeDiff": either(relative, junk),
            "IsOwner": either(st.booleans(), junk),
        },
    )
    item = st.fixed_dictionaries(
        {},
        optional={
            "Id": junk,
            "Title": junk,
            "Description": junk,
            "AvgRating": either(st.floats(0, 10), junk),
            "CreatedOnTimeDiff": either(relative, junk),
            "CreatedOn": junk,
            "Owner": either(st.fixed_dictionaries({"DisplayName": junk}), junk),
            "Url": either(urls, junk),
            "Replies": either(st.lists(reply, max_size=2), listish),
        },
    )
    document = st.fixed_dictionaries(
        {"Items": either(st.lists(either(item, junk), max_size=3), junk)},
        optional={
            "AvgRating": junk,
            "Total": junk,
            "LastId": junk,
            "IsLoadMore": either(st.booleans(), junk),
        },
    )
    return json_texts(either(document, junk)).map(str.encode) | st.binary(max_size=100)


@budget(300)
@given(body=foody_documents(safe=True))
def test_foody_extract_never_raises(body: bytes) -> None:
    assert_page(foody.extract_page(body, PAGE_URL))


@budget(300)
@given(body=foody_documents(safe=False))
@example(body=b'{"Items": [{"Replies": 1}]}')
@example(body=b'{"Items": [{"Url": "//["}]}')
def test_foody_extract_never_raises_on_any_field_type(body: bytes) -> None:
    assert_page(foody.extract_page(body, PAGE_URL))


# CSS selectors -------------------------------------------------------------------------------

CSS_OPTIONS = {
    "review": "li.rv",
    "id": "::attr(data-review-id)",
    "author": ".who",
    "title": "h4",
    "body": "p.txt",
    "date": "span.when",
    "reply": ".shop-reply p",
    "reply_date": ".shop-reply .when",
    "next": "a.more",
}
CSS_RATINGS = st.sampled_from(
    [
        {"rating": "span.bar", "rating_from": "width"},
        {"rating": "i", "rating_from": "class"},
        {"rating": "p.txt", "rating_from": "text"},
        {"rating": "i", "rating_from": "attr:content", "rating_scale": 10},
        {"rating": "./p", "rating_from": "text"},
        {},
    ]
)


def css_pages(*, safe: bool) -> st.SearchStrategy[bytes]:
    urls = st.sampled_from(SAFE_URLS) | safe_text
    if not safe:
        urls |= st.sampled_from(BAD_URLS)
    block = st.builds(
        lambda id_, inner: f'<li class="rv" data-review-id="{id_}">{inner}',
        safe_text,
        st.lists(
            st.sampled_from(
                [
                    '<p class="txt">',
                    "<h4>",
                    '<span class="when">',
                    '<span class="who">',
                    '<div class="shop-reply">',
                    '<i class="star-4">',
                    '<span class="bar" style="width: 80%">',
                    "</span>",
                    "</p>",
                    "</li>",
                ]
            )
            | st.sampled_from(REALISTIC)
            | urls.map(lambda url: f'<a class="more" href="{url}">'),
            max_size=8,
        ).map("".join),
    )
    return bodies(html_pages(urls, block))


@budget(200)
@given(body=css_pages(safe=True), rating=CSS_RATINGS)
def test_css_extract_never_raises(body: bytes, rating: dict[str, Any]) -> None:
    assert_page(css.extract_page(body, PAGE_URL, {**CSS_OPTIONS, **rating}))


@budget(200)
@given(body=css_pages(safe=False), rating=CSS_RATINGS)
@example(body=b'<a class="more" href="//[">', rating={})
@example(body=b"<a class=more \x01>", rating={})  # lxml cannot serialise the tag
def test_css_extract_never_raises_on_any_next_link(body: bytes, rating: dict[str, Any]) -> None:
    assert_page(css.extract_page(body, PAGE_URL, {**CSS_OPTIONS, **rating}))


# The whole page path, as ``ladder extract`` and the spiders run it ----------------------------

PREVIEW_ITEM_TYPES = {"review", "dropped", "aggregate", "next", "problem"}


def preview_cases(*, safe: bool) -> st.SearchStrategy[tuple[str, bytes, dict[str, Any]]]:
    return st.one_of(
        st.tuples(st.just("schemaorg"), schemaorg_pages(safe=safe), st.just({})),
        st.tuples(
            st.just("trustpilot"), trustpilot_pages(SAFE_JSON if safe else ANY_JSON), st.just({})
        ),
        st.tuples(st.just("tiki"), tiki_documents(safe=safe), st.just({})),
        st.tuples(st.just("foody"), foody_documents(safe=safe), st.just({})),
        st.tuples(
            st.just("css"), css_pages(safe=safe), CSS_RATINGS.map(lambda r: {**CSS_OPTIONS, **r})
        ),
    )


def assert_preview(items: list[dict[str, Any]]) -> None:
    for item in items:
        assert item["type"] in PREVIEW_ITEM_TYPES
        if item["type"] == "dropped":
            assert item["reason"] in DROP_REASONS
        if item["type"] == "review":
            assert ISO_UTC.match(item["published_at"])
            assert (
                EARLIEST <= datetime.fromisoformat(item["published_at"]) <= NOW + timedelta(days=1)
            )


@budget(300)
@given(case=preview_cases(safe=True), day_first=st.booleans())
def test_preview_page_never_raises(
    case: tuple[str, bytes, dict[str, Any]], day_first: bool
) -> None:
    kind, body, options = case
    found = list(
        preview_page(kind, body, PAGE_URL, {**options, "day_first": day_first}, now=NOW, tz=SAIGON)
    )
    assert_preview(found)


# Service signals -----------------------------------------------------------------------------

SIGNAL_TEMPLATES = (
    "Đổi trả trong {n} ngày", "{n} ngày đổi trả miễn phí", "{n}-day returns", "Bảo hành {n} tháng",
    "Phản hồi trong {n} giờ", "We reply within {n} hours", "Giao hàng hỏa tốc {n}h",
    "Miễn phí vận chuyển cho đơn từ {n}.000đ", "Free shipping on orders over ${n}",
    "Giờ mở cửa: {n}:00 - {n}:30", "Thứ {n} - Chủ nhật: {n}h-{n}h{n}", "Mon–Fri {n}am–{n}pm",
    "T2-T6: {n}:{n} - {n}:{n}, CN: nghỉ", "Open 24/7", "mở cửa 24/24", "Hotline: 0{n}", "Zalo {n}",
    "cskh{n}@shop.vn", "Thanh toán khi nhận hàng (COD)", "Liên hệ", "FAQ", "Câu hỏi thường gặp",
    "Trung tâm trợ giúp", "Chính sách đổi trả", "Hỗ trợ khách hàng",
)  # fmt: skip
SIGNAL_HREFS = (
    "/lien-he", "/faq#top", "https://reviews.example/chinh-sach-doi-tra",
    "https://www.reviews.example/ho-tro/", "//reviews.example/help", "https://other.example/faq",
    "mailto:cskh@shop.vn", "tel:0901234567", "javascript:void(0)", "#contact", "?page=2",
    "https://zalo.me/0901234567", "https://m.me/shop", "/files/chinh-sach.pdf", "/login",
    *BAD_URLS,
)  # fmt: skip


def signal_pages(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A business's own page: service phrases with random numbers, links, widgets, JSON-LD."""
    numbers = st.integers(0, 99) | st.integers(0, 10**30)
    phrases = st.builds(
        lambda template, n: template.replace("{n}", str(n)),
        st.sampled_from(SIGNAL_TEMPLATES),
        numbers,
    )
    hrefs = st.sampled_from(SIGNAL_HREFS) | text
    anchors = st.builds(lambda href, label: f'<a href="{href}">{label}</a>', hrefs, phrases | text)
    hours = st.fixed_dictionaries(
        {"@type": st.sampled_from(["LocalBusiness", "Store"])},
        optional={
            "openingHoursSpecification": either(
                st.lists(
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "dayOfWeek": either(st.sampled_from(["Monday", "Sunday"]), ANY_JSON),
                            "opens": either(st.sampled_from(["08:00", "25:61", "24:00"]), ANY_JSON),
                            "closes": either(st.sampled_from(["22:00", "02:00", "x"]), ANY_JSON),
                            "validThrough": ANY_JSON,
                        },
                    ),
                    max_size=3,
                ),
                ANY_JSON,
            ),
            "openingHours": either(st.sampled_from(["Mo-Fr 09:00-17:00", "Mo-Su"]), ANY_JSON),
            "telephone": ANY_JSON,
            "email": ANY_JSON,
        },
    )
    scripts = st.one_of(
        st.sampled_from(
            [
                '<script src="https://embed.tawk.to/abc/default"></script>',
                "<script>var Tawk_API = Tawk_API || {};</script>",
                '<script src="//[x"></script>',
            ]
        ),
        hours.map(lambda node: f'<script type="application/ld+json">{dumps(node)}</script>'),
        hrefs.map(lambda href: f'<base href="{href}">'),
        st.just('<div itemscope itemtype="https://schema.org/Store"><span itemprop="telephone">'),
        st.just('<form><input name="message"><textarea name="noi dung"></textarea></form>'),
    )
    return st.lists(
        st.one_of(phrases, anchors, scripts, text, ENTITIES, TAG_NAMES.map("<{}>".format)),
        max_size=14,
    ).map("".join)


SIGNAL_BODIES = st.one_of(
    signal_pages(safe_text).map(lambda page: page.encode("utf-8", "surrogatepass")),
    signal_pages(safe_text).map(lambda page: page.encode("cp1258", "replace")),
    signal_pages(any_text),  # a str body, lone surrogates included
    st.binary(max_size=200),
)


class FamilyFailures(logging.Handler):
    """Collects the warnings ``extract_signals`` logs when a signal family raised (and was
    skipped): such a failure is a bug the guard hides."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.failures: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "failed on" in record.msg:
            self.failures.append(record.getMessage() + "\n" + (self.format(record) or ""))


@budget(300)
@given(body=SIGNAL_BODIES)
def test_signals_never_raise_and_no_family_fails(body: bytes | str) -> None:
    handler = FamilyFailures()
    logger = logging.getLogger("crawler.extract.signals")
    logger.addHandler(handler)
    try:
        signals = extract_signals(body, PAGE_URL)
    finally:
        logger.removeHandler(handler)
    assert handler.failures == []
    for signal in signals:
        assert isinstance(signal, Signal)
        assert signal.url == PAGE_URL
        assert len(signal.evidence) <= 160
        assert isinstance(signal.value, str | float | bool)
    assert len({(signal.name, signal.value) for signal in signals}) == len(signals)


def host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


@budget(300)
@given(body=SIGNAL_BODIES, limit=st.integers(-2, 10))
def test_links_to_follow_are_same_site_absolute_and_unique(body: bytes | str, limit: int) -> None:
    links = links_to_follow(body, PAGE_URL, limit)
    assert len(links) <= max(limit, 0)
    assert len(set(links)) == len(links)
    for link in links:
        assert link.startswith(("http://", "https://"))
        assert "#" not in link
        assert host(link) == host(PAGE_URL)


# --------------------------------------------------------------------------------------------
# 2. Dates: parse_date never raises and answers None or an aware UTC datetime
# --------------------------------------------------------------------------------------------

VI_UNITS = ("ngày", "giờ", "tiếng", "tuần", "tháng", "năm", "phút", "giây")
EN_UNITS = ("day", "days", "hour", "hours", "week", "month", "year", "min", "sec", "weeks")
RELATIVE_PHRASES = st.builds(
    "{} {} {}".format,
    st.integers(0, 10**40) | st.sampled_from(["một", "a", "an", "one", "Mot"]),
    st.sampled_from(VI_UNITS + EN_UNITS),
    st.sampled_from(["trước", "truoc", "ago", "TRƯỚC"]),
)
SMALL = st.integers(0, 99)
DATE_TEXTS = st.one_of(
    st.text(max_size=40),
    RELATIVE_PHRASES,
    st.builds(
        "{}{}{}{}{}".format,
        SMALL,
        st.sampled_from("/.-"),
        SMALL,
        st.sampled_from("/.-"),
        st.integers(0, 99999),
    ),
    st.builds("ngày {} tháng {} năm {}".format, SMALL, SMALL, st.integers(0, 99999)),
    st.builds("{} tháng {}, {}".format, SMALL, SMALL, st.integers(0, 99999)),
    st.builds("Tháng {} {}, {}".format, SMALL, SMALL, st.integers(0, 9999)),
    st.builds(
        "{}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}{}".format,
        st.integers(0, 9999),
        SMALL,
        SMALL,
        SMALL,
        SMALL,
        SMALL,
        st.sampled_from(["", "Z", "+07:00", "-1200", "+99:99", ".123Z"]),
    ),
    st.builds("{}:{} {}".format, SMALL, SMALL, st.sampled_from(["12/05/2024", "hôm qua", "x"])),
    st.builds(
        "{} {}, {}".format,
        st.sampled_from(["May", "Sept.", "Foo", "december"]),
        SMALL,
        st.integers(0, 99999),
    ),
    st.integers(0, 10**15).map(str),
    st.sampled_from(
        [
            "hôm qua",
            "Hôm nay",
            "hôm kia",
            "vừa xong",
            "just now",
            "today",
            "yesterday",
            "31/02/2024",
            "tháng 13 năm 99999",
            "3 ngày trước",
            "05/13/2024",
            "2024/02/30",
            "  ",
        ]
    ),
)
ZONES = st.sampled_from([UTC, SAIGON, ZoneInfo("America/New_York"), ZoneInfo("Pacific/Kiritimati")])
ZONES |= st.integers(-23 * 60, 23 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
NOWS = st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1), timezones=ZONES)


def date_values(*, safe: bool) -> st.SearchStrategy[Any]:
    # Safe: numbers within a float's range, datetimes a day away from the ends of time.
    numbers = st.integers(-(10**300), 10**300) | st.floats()
    moments = st.datetimes(datetime(1, 1, 2), datetime(9999, 12, 30), timezones=st.none() | ZONES)
    if not safe:
        numbers |= st.integers(-(10**400), 10**400)
        moments |= st.datetimes(timezones=st.none() | ZONES)
    return st.one_of(DATE_TEXTS, numbers, moments, st.none(), st.booleans(), SAFE_JSON)


def assert_utc(moment: datetime | None) -> None:
    assert moment is None or (
        isinstance(moment, datetime) and moment.utcoffset() == timedelta(0)
    ), moment


@budget(500)
@given(value=date_values(safe=True), now=NOWS, tz=ZONES, day_first=st.booleans())
def test_parse_date_answers_none_or_aware_utc(
    value: object, now: datetime, tz: tzinfo, day_first: bool
) -> None:
    assert_utc(parse_date(value, now=now, tz=tz, day_first=day_first))


@budget(300)
@given(value=date_values(safe=False), now=NOWS, tz=ZONES, day_first=st.booleans())
@example(value=10**400, now=NOW, tz=UTC, day_first=True)
@example(
    value=datetime.min.replace(tzinfo=timezone(timedelta(hours=1))), now=NOW, tz=UTC, day_first=True
)
def test_parse_date_never_raises_on_huge_numbers_or_edge_datetimes(
    value: object, now: datetime, tz: tzinfo, day_first: bool
) -> None:
    assert_utc(parse_date(value, now=now, tz=tz, day_first=day_first))


@budget(300)
@given(phrase=RELATIVE_PHRASES, now=NOWS, tz=ZONES)
def test_relative_dates_are_never_after_now(phrase: str, now: datetime, tz: tzinfo) -> None:
    moment = parse_date(phrase, now=now, tz=tz)
    assert_utc(moment)
    assert moment is None or moment <= now


@budget(300)
@given(
    day=st.integers(0, 40),
    month=st.integers(0, 40),
    year=st.integers(1995, 2100),
    separator=st.sampled_from("/.-"),
    tz=ZONES,
    day_first=st.booleans(),
)
def test_numeric_dates_are_read_as_written_or_refused(
    day: int, month: int, year: int, separator: str, tz: tzinfo, day_first: bool
) -> None:
    """``31/02/2024`` is refused, never rolled over; "05/13/2024" is read the only way it can."""
    first, second = (day, month) if day_first else (month, day)
    moment = parse_date(
        f"{first:02d}{separator}{second:02d}{separator}{year}", now=NOW, tz=tz, day_first=day_first
    )

    def valid(d: int, m: int) -> date | None:
        try:
            return date(year, m, d)
        except ValueError:
            return None

    expected = valid(day, month) if month <= 12 else valid(month, day) if day <= 12 else None
    if expected is None:
        assert moment is None
    else:
        assert moment is not None
        assert moment.astimezone(tz).date() == expected


# --------------------------------------------------------------------------------------------
# 3. Text: clean_text and the analysis normalisation never raise; spans stay in the text
# --------------------------------------------------------------------------------------------

MARKS = "\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b"  # Vietnamese tones and vowel marks
ODD = (
    "\u200d", "\u200c", "\u200e", "\u200f", "\u202e", "\x00", "\u00a0", "\u200b", "\u2028", "\x85",
    "\ufeff", "\u0958", "\u2126", "ǅ", "İ", "ß", "ﬁ", "đ", "Đ", "’", "'", "_",
)  # fmt: skip
TEENCODE = ("ko", "k", "dc", "đc", "bt", "sp", "nv", "r", "j", "vs", "wa", "ntn", "ok", "oke")
LEXICON_DIR = Path(__file__).parent.parent / "analysis" / "lexicon"


def lexicon_phrases() -> list[str]:
    """Every cue phrase of both lexicons, so generated reviews hit the ladder's rules."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.append(value.removeprefix("="))
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    for path in sorted(LEXICON_DIR.glob("*.toml")):
        walk(tomllib.loads(path.read_text(encoding="utf-8")))
    return sorted(set(found))


PHRASES = lexicon_phrases()
#: Words of a review: lexicon phrases, teencode, odd characters and combining marks anywhere.
REVIEW_PIECES = st.one_of(
    st.sampled_from(PHRASES),
    st.sampled_from(TEENCODE),
    st.sampled_from(ODD),
    st.sampled_from(MARKS),
    st.sampled_from([" ", ", ", ". ", "! ", " nhưng ", " but ", "…", "\n", "5★", "10/10", "'s"]),
    st.text(max_size=8),
    st.text(st.characters(categories=["Mn", "Mc", "Cf", "Zs", "Cc"]), max_size=3),
)
ANY_REVIEW_TEXT = st.lists(REVIEW_PIECES, max_size=12).map("".join) | st.text()
NFC_REVIEW_TEXT = ANY_REVIEW_TEXT.map(lambda text: unicodedata.normalize("NFC", text))
WITH_SURROGATES = st.text(st.characters() | st.characters(categories=["Cs"]))
#: Markup, entities and Google's translation wrapper, which clean_text takes apart.
MARKUP_PIECES = st.one_of(
    REVIEW_PIECES,
    ENTITIES,
    st.sampled_from(["<br>", "<br/>", "</p>", "<b>", "</div>", "<", ">", "<a href='x'>", "\r\n"]),
    st.sampled_from(["(Translated by Google)", "(Original)", "(Được Google dịch)", "(Bản gốc)"]),
)
MARKUP_TEXT = st.lists(MARKUP_PIECES, max_size=12).map("".join)


@budget(300)
@given(value=st.one_of(MARKUP_TEXT, WITH_SURROGATES, SAFE_JSON, st.binary(max_size=20)))
def test_clean_text_answers_none_or_tidy_nfc_text(value: object) -> None:
    cleaned = clean_text(value)
    if cleaned is not None:
        assert isinstance(cleaned, str)
        assert cleaned
        assert cleaned == cleaned.strip()
        assert unicodedata.is_normalized("NFC", cleaned)
        assert "\n\n\n" not in cleaned
    assert guess_language(cleaned) in ("vi", "en", None)


@budget(300)
@given(text=MARKUP_TEXT.filter(lambda text: "&" not in text and "(" not in text) | st.text())
def test_clean_text_is_idempotent_without_entities(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once


@budget(300)
@given(text=NFC_REVIEW_TEXT)
def test_token_spans_are_words_of_nfc_text(text: str) -> None:
    for token in tokenize(text):
        assert 0 <= token.start < token.end <= len(text)
        assert re.fullmatch(r"[^\W_]+(?:['’][^\W_]+)*", text[token.start : token.end])
        assert not any(unicodedata.combining(char) for char in token.folded)
    assert detect_language(text) in ("vi", "en", "mixed")


@budget(300)
@given(text=ANY_REVIEW_TEXT | WITH_SURROGATES)
@example(text="\u0958")
@example(text="e\u0301 ok")
def test_token_spans_are_words_of_any_text(text: str) -> None:
    spans = list(dict.fromkeys((token.start, token.end) for token in tokenize(text)))  # bt → 2
    for (start, end), (next_start, _) in pairwise([*spans, (len(text), 0)]):
        assert 0 <= start < end <= next_start <= len(text)
        quoted = unicodedata.normalize("NFC", text[start:end])
        assert re.match(r"[^\W_]", quoted)
        assert not any(char.isspace() for char in quoted)


@budget(300)
@given(text=ANY_REVIEW_TEXT | WITH_SURROGATES)
def test_fold_is_unmarked_single_spaced_and_ignores_the_normal_form(text: str) -> None:
    folded = fold(text)
    assert "  " not in folded
    assert folded == folded.strip()
    assert "đ" not in folded
    assert not any(unicodedata.combining(char) for char in folded)
    assert fold(unicodedata.normalize("NFD", text)) == folded
    assert fingerprint(text) is None or re.fullmatch(r"[0-9a-f]{16}", fingerprint(text) or "")
    assert detect_language(text) in ("vi", "en", "mixed")


ASCII_WORDS = st.lists(st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8), max_size=10)


@budget(300)
@given(
    words=ASCII_WORDS,
    separators=st.lists(
        st.sampled_from([" ", ", ", "! ", " 42 ", " - ", "\n", "... "]), min_size=10, max_size=10
    ),
    upper=st.lists(st.booleans(), min_size=10, max_size=10),
)
def test_fingerprint_ignores_case_punctuation_and_numbers(
    words: list[str], separators: list[str], upper: list[bool]
) -> None:
    plain = " ".join(words)
    dressed = "".join(
        (word.upper() if big else word) + separator
        for word, separator, big in zip(words, separators, upper, strict=False)
    )
    assert fingerprint(dressed) == fingerprint(plain)
    counted = [token for token in tokenize(plain) if not token.folded.isdigit()]
    assert (fingerprint(plain) is None) == (len(counted) < 6)


# --------------------------------------------------------------------------------------------
# 4. The ladder always answers: a rung, a confidence, evidence quoted from the text
# --------------------------------------------------------------------------------------------

RATINGS = st.none() | st.floats(1, 5) | st.integers(1, 5) | st.sampled_from([math.nan, math.inf])
LANGS = st.none() | st.sampled_from(["vi", "en", "mixed", "fr", ""]) | st.text(max_size=3)


def assert_classification(text: str, rating: float | None, lang: str | None) -> None:
    result = classify(text, rating, lang)
    assert result.rung in range(1, 7)
    assert 0 <= result.confidence <= 1
    assert isinstance(result.conflict, bool)
    assert result.lang in ("vi", "en", "mixed")
    assert all(-1 <= polarity <= 1 for polarity in result.dimensions.values())
    for evidence in result.evidence:
        start, end = evidence.start, evidence.end
        assert 0 <= start <= end <= len(text)
        assert evidence.text == text[start:end]
        if start < end:  # a quote of whole words ("stars 5" quotes nothing)
            assert text[start].isalnum()
            # a word ends where letters end, or at a mark NFC cannot compose ("s" + U+0300)
            assert start == 0 or not text[start - 1].isalnum()
            assert end == len(text) or not text[end].isalnum() or combining(text[end - 1])
    json.dumps(result.as_json(), allow_nan=False)


@budget(300)
@given(text=NFC_REVIEW_TEXT, rating=RATINGS, lang=LANGS)
def test_classify_answers_within_its_ranges(
    text: str, rating: float | None, lang: str | None
) -> None:
    assert_classification(text, rating, lang)


@budget(200)
@given(text=ANY_REVIEW_TEXT, rating=RATINGS, lang=LANGS)
@example(text="nha\u0300 ha\u0300ng rất tệ", rating=1, lang=None)
def test_classify_quotes_evidence_from_any_text(
    text: str, rating: float | None, lang: str | None
) -> None:
    assert_classification(text, rating, lang)


REPLY_TEXTS = st.lists(
    ANY_REVIEW_TEXT | st.sampled_from(["", "!!!", "Cảm ơn anh Minh đã ủng hộ quán"]), max_size=12
)


@budget(200)
@given(texts=REPLY_TEXTS)
def test_reply_signatures_have_their_shape_and_survive_storage(texts: list[str]) -> None:
    signatures = replies.signatures(texts)
    assert signatures.shape == (len(texts), replies.PERMUTATIONS)
    assert signatures.dtype == np.uint32
    flags = replies.templated(signatures)
    assert flags.shape == (len(texts),)
    assert flags.dtype == np.bool_
    assert np.array_equal(replies.from_blobs(replies.to_blobs(signatures)), signatures)
    for text, flag in zip(texts, flags, strict=True):
        if not replies.words(text):
            assert not flag  # a reply without words is never a template


@budget(200)
@given(
    texts=REPLY_TEXTS, copied=st.sampled_from(PHRASES) | ANY_REVIEW_TEXT, copies=st.integers(2, 4)
)
def test_identical_replies_are_templated(texts: list[str], copied: str, copies: int) -> None:
    flags = replies.templated(replies.signatures([*texts, *[copied] * copies]))
    assert all(flags[len(texts) :]) == bool(replies.words(copied))


def near_copies_by_brute_force(signatures: np.ndarray, threshold: float) -> list[bool]:
    """Every pair compared: equal signatures, or a shared band and enough equal values."""
    rows = replies.PERMUTATIONS // replies.BANDS
    found = [False] * len(signatures)
    pairs = [(i, j) for i in range(len(signatures)) for j in range(i + 1, len(signatures))]
    for i, j in pairs:
        a, b = signatures[i], signatures[j]
        if a[0] == replies._EMPTY or b[0] == replies._EMPTY:
            continue
        bands = any(
            np.array_equal(a[k * rows : (k + 1) * rows], b[k * rows : (k + 1) * rows])
            for k in range(replies.BANDS)
        )
        if np.array_equal(a, b) or (bands and (a == b).mean() >= threshold):
            found[i] = found[j] = True
    return found


@budget(200)
@given(
    texts=st.lists(
        st.lists(
            st.sampled_from(
                [
                    "cảm ơn",
                    "anh",
                    "Minh",
                    "đã",
                    "ủng hộ",
                    "quán",
                    "hẹn gặp lại",
                    "chị",
                    "Lan",
                    "!",
                    "thanks",
                    "for",
                    "visiting",
                    "we",
                    "hope",
                ]
            ),
            max_size=10,
        ).map(" ".join),
        max_size=10,
    ),
    order=st.randoms(use_true_random=False),
)
def test_templated_matches_pairwise_comparison_in_any_order(texts: list[str], order: Any) -> None:
    signatures = replies.signatures(texts)
    flags = replies.templated(signatures)
    assert list(flags) == near_copies_by_brute_force(signatures, replies.THRESHOLD)
    permutation = list(range(len(texts)))
    order.shuffle(permutation)
    shuffled = replies.templated(replies.signatures([texts[i] for i in permutation]))
    assert list(shuffled) == [flags[i] for i in permutation]


# --------------------------------------------------------------------------------------------
# 5. Normalisation: only the documented drops; accepted reviews are within range
# --------------------------------------------------------------------------------------------

GOOD_DATES = st.one_of(
    st.datetimes(datetime(1990, 1, 1), datetime(2101, 1, 1), timezones=ZONES).map(
        datetime.isoformat
    ),
    st.builds("{} {} trước".format, st.integers(0, 500), st.sampled_from(VI_UNITS)),
    st.integers(0, 10**13),
)
RATING_TEXTS = st.sampled_from(["4", "4.5", "4,5", " 3 / 5 ", "+2", "-0", "abc", "", "★★★★"])


def numbers(*, safe: bool) -> st.SearchStrategy[Any]:
    """What a page gives as a rating or a scale end. ``safe``: within ±10**300 (the known bugs
    need more: 10**400 overflows a float, ±10**308 overflows the scale arithmetic)."""
    bound = 10**300
    values = st.one_of(
        st.integers(-bound, bound),
        st.integers(-bound, bound).map(str),
        st.floats(-float(bound), float(bound)),
        st.sampled_from([math.nan, math.inf, -math.inf, True, None, 5, 10, 0, 1, 100]),
        RATING_TEXTS,
    )
    if not safe:
        values |= st.sampled_from([10**400, "1" + "0" * 308, "-1" + "0" * 308, 1.7e308, -1.7e308])
    return values


def raw_reviews(*, safe: bool) -> st.SearchStrategy[RawReview]:
    junk = SAFE_JSON if safe else ANY_JSON
    text = MARKUP_TEXT | junk if safe else MARKUP_TEXT | WITH_SURROGATES | junk
    # Safe reply dates stay after the year 1000 (the known bug is in earlier ones).
    replied = st.none() | GOOD_DATES | st.text(max_size=10) if safe else date_values(safe=False)
    return st.builds(
        RawReview,
        native_id=st.none() | safe_text,
        rating=numbers(safe=safe),
        best_rating=numbers(safe=safe),
        worst_rating=numbers(safe=safe),
        title=text,
        body=text,
        lang=st.none() | st.sampled_from(["vi", " EN ", "vi-VN", "", "a b"]) | junk,
        published=GOOD_DATES | date_values(safe=safe),
        author=junk,
        reply_body=text,
        replied=replied,
        url=st.none() | safe_text,
        verified=junk,
        answers=st.none() | st.lists(st.tuples(text, text), max_size=3),
    )


CONTEXTS = st.builds(
    SourceContext,
    business=st.text(max_size=10),
    kind=st.sampled_from(["schemaorg", "tiki", "foody", "css", "import"]),
    host=st.sampled_from(["reviews.example", "tiki.vn", "local"]),
    salt=st.text(max_size=10),
    now=NOWS,
    tz=ZONES,
    day_first=st.booleans(),
)


def outcome(function: Callable[..., T], *args: Any) -> tuple[T | None, str | None]:
    """``(result, None)``, or ``(None, reason)`` when the review is dropped."""
    try:
        return function(*args), None
    except Dropped as drop:
        return None, drop.reason


def assert_review_in_range(review: Any, ctx: SourceContext) -> None:
    assert review.rating is None or 1 <= review.rating <= 5
    assert (review.rating is None) == (review.rating_raw is None) == (review.rating_scale is None)
    assert review.rating is not None or review.title is not None or review.body is not None
    for text in (review.title, review.body, review.reply_body):
        assert text is None or (isinstance(text, str) and text and text == text.strip())
    assert ISO_UTC.match(review.published_at)
    published = datetime.fromisoformat(review.published_at)
    assert EARLIEST <= published <= ctx.now + timedelta(days=1)
    assert review.replied_at is None or (review.reply_body and ISO_UTC.match(review.replied_at))
    assert re.fullmatch(r"[0-9a-f]{24}", review.review_key)
    assert review.author_hash is None or re.fullmatch(r"[0-9a-f]{20}", review.author_hash)
    assert review.lang is None or 1 <= len(review.lang) <= 2
    assert review.verified in (None, True, False)
    if review.answers is not None:
        pairs = json.loads(review.answers)
        assert pairs
        assert all(len(pair) == 2 and all(pair) for pair in pairs)


@budget(500)
@given(raw=raw_reviews(safe=True), ctx=CONTEXTS)
def test_normalize_review_accepts_in_range_or_drops_with_a_reason(
    raw: RawReview, ctx: SourceContext
) -> None:
    review, reason = outcome(normalize_review, raw, ctx)
    if review is None:
        assert reason in DROP_REASONS
        return
    assert_review_in_range(review, ctx)
    assert normalize_review(raw, ctx) == review  # the same page read twice: the same review


@budget(300)
@given(raws=st.lists(raw_reviews(safe=True), max_size=6), ctx=CONTEXTS, repeat=st.booleans())
def test_normalize_page_accounts_for_every_review(
    raws: list[RawReview], ctx: SourceContext, repeat: bool
) -> None:
    raws = raws + raws[:1] if repeat else raws
    reviews, dropped = normalize_page(raws, ctx)
    assert len(reviews) + sum(dropped.values()) == len(raws)
    assert set(dropped) <= set(DROP_REASONS)
    assert len({review.review_key for review in reviews}) == len(reviews)
    for review in reviews:
        assert_review_in_range(review, ctx)


@budget(300)
@given(
    value=numbers(safe=True),
    best=numbers(safe=True),
    worst=numbers(safe=True),
    count=numbers(safe=True),
)
def test_numbers_and_ratings_are_finite_and_on_the_scale(
    value: object, best: object, worst: object, count: object
) -> None:
    try:
        number = parse_number(value)
    except ValueError:
        number = math.nan
    assert number is None or math.isnan(number) or math.isfinite(number)
    result, reason = outcome(normalize_rating, value, best, worst)
    if result is None:
        assert reason in ("bad_rating", "bad_scale", "rating_out_of_range")
    else:
        rating, raw, scale = result
        assert rating is None or 1 <= rating <= 5
        assert (rating is None) == (raw is None) == (scale is None)
    aggregate = normalize_aggregate(RawAggregate(value, best, worst, count))
    assert aggregate is None or aggregate.rating is None or 1 <= aggregate.rating <= 5


@budget(200)
@given(value=numbers(safe=False), count=numbers(safe=False))
@example(value=10**400, count=None)
@example(value=4, count=10**400)
def test_parse_number_raises_only_value_error(value: object, count: object) -> None:
    with suppress(ValueError):
        parse_number(value)
    normalize_aggregate(RawAggregate(value, None, None, count))


@budget(200)
@given(value=numbers(safe=False), best=numbers(safe=False), worst=numbers(safe=False))
@example(value=1, best="1" + "0" * 308, worst="-1" + "0" * 308)
def test_normalized_rating_is_always_on_1_to_5(value: object, best: object, worst: object) -> None:
    try:
        rating, _, _ = normalize_rating(value, best, worst)
    except (Dropped, OverflowError):  # OverflowError: the parse_number bug above
        return
    assert rating is None or 1 <= rating <= 5


@budget(200)
@given(raw=raw_reviews(safe=True), replied=date_values(safe=True), ctx=CONTEXTS)
@example(
    raw=RawReview(rating=4, published="2025-01-01", reply_body="Cảm ơn"),
    replied="0001-01-02",
    ctx=SourceContext("Phở Hạnh", "foody", "foody.vn", "salt", NOW),
)
def test_replied_at_is_always_iso_utc(raw: RawReview, replied: object, ctx: SourceContext) -> None:
    raw.replied = replied
    try:
        review = normalize_review(raw, ctx)
    except Dropped:
        return
    assert review.replied_at is None or ISO_UTC.match(review.replied_at)


@budget(200)
@given(raw=raw_reviews(safe=True), body=WITH_SURROGATES, author=WITH_SURROGATES, ctx=CONTEXTS)
@example(
    raw=RawReview(published="2025-01-01"),
    body="ok \ud83d",
    author=None,
    ctx=SourceContext("Phở Hạnh", "tiki", "tiki.vn", "salt", NOW),
)
@example(
    raw=RawReview(native_id="7", published="2025-01-01"),
    body="ok",
    author="\ud83d",
    ctx=SourceContext("Phở Hạnh", "tiki", "tiki.vn", "salt", NOW),
)
def test_normalize_review_never_raises_on_lone_surrogates(
    raw: RawReview, body: str, author: str | None, ctx: SourceContext
) -> None:
    raw.body, raw.author = body, author
    with suppress(Dropped):
        normalize_review(raw, ctx)


# --------------------------------------------------------------------------------------------
# 6. Ingest: idempotent, independent of batch boundaries and of the order of exact duplicates
# --------------------------------------------------------------------------------------------
#
# What ReviewWriter.write promises, read from db/store.py: per review_key the last row written
# wins (within a batch and across batches) for every column but published_at, which is kept from
# the first time the key was stored; a row the schema refuses is counted as rejected and the
# rest of its batch is stored; an unchanged row only moves last_seen_at.

KEYS = ("k1", "k2", "k3", "k4")
#: One publication date per key, for the properties about the other columns.
PUBLISHED = {key: f"2026-11-{n:02d}T0{n}:00:00Z" for n, key in enumerate(KEYS, 1)}


@st.composite
def review_rows(
    draw: st.DrawFn, *, vary_published: bool = False, valid: bool = True
) -> dict[str, Any]:
    key = draw(st.sampled_from(KEYS))
    rating = draw(st.none() | st.sampled_from([1.0, 2.5, 4.0, 5.0]))
    row = {
        "review_key": key,
        "native_id": draw(st.none() | st.just(key.upper())),
        "published_at": (
            draw(st.sampled_from(sorted(PUBLISHED.values()))) if vary_published else PUBLISHED[key]
        ),
        "rating": rating,
        "rating_raw": None if rating is None else str(rating),
        "rating_scale": None if rating is None else 5.0,
        "title": draw(st.none() | st.sampled_from(["Ngon", "Tệ quá", "Great"])),
        "body": draw(st.none() | st.sampled_from(["phục vụ nhanh", "phục vụ chậm", "thờ ơ"])),
        "lang": draw(st.sampled_from([None, "vi", "en"])),
        "author_hash": draw(st.sampled_from([None, "a1", "b2"])),
        "reply_body": draw(st.none() | st.just("Cảm ơn anh!")),
        "replied_at": draw(st.none() | st.just("2026-11-20T10:00:00Z")),
        "verified": draw(st.sampled_from([None, True, False])),
        "answers": draw(st.none() | st.just('[["Thời gian giao hàng", "Đúng hẹn"]]')),
        "url": draw(st.sampled_from(["https://pho.example/r", "https://pho.example/r?page=2"])),
    }
    if rating is None and row["title"] is None and row["body"] is None:
        row["body"] = "ngon"
    if not valid:
        broken = draw(st.sampled_from(["rating", "verified", "empty"]))
        if broken == "rating":
            row.update(rating=draw(st.sampled_from([0.0, 7.0])), rating_raw="7", rating_scale=5.0)
        elif broken == "verified":
            row["verified"] = 2
        else:
            row.update(rating=None, rating_raw=None, rating_scale=None, title=None, body=None)
    return row


def is_valid(row: Mapping[str, Any]) -> bool:
    rating = row["rating"]
    return (
        (rating is None or 1 <= rating <= 5)
        and row["verified"] in (None, True, False)
        and (rating is not None or row["title"] is not None or row["body"] is not None)
    )


def split(rows: Sequence[Any], cuts: Sequence[bool]) -> list[list[Any]]:
    """``rows`` in batches, a new batch after each True of ``cuts``."""
    batches: list[list[Any]] = [[]]
    for row, cut in zip(rows, [*cuts, *[False] * len(rows)], strict=False):
        batches[-1].append(row)
        if cut:
            batches.append([])
    return [batch for batch in batches if batch]


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, int]:
    """A migrated database with one business and source, copied for every example."""
    path = tmp_path_factory.mktemp("ingest") / "template.db"
    database = open_db(path)
    business_id = sync_business(database, "Phở Hạnh", is_self=True, now=NOW)
    source_id = sync_source(database, business_id, "schemaorg", "https://pho.example/r", now=NOW)
    database.close()
    return path, business_id, source_id


class Store:
    """A fresh database (a copy of the template, opened through open_db) and its source."""

    def __init__(self, template: tuple[Path, int, int]) -> None:
        path, self.business_id, self.source_id = template
        self.folder = Path(tempfile.mkdtemp(dir=path.parent))
        shutil.copy(path, self.folder / "ladder.db")
        self.db = open_db(self.folder / "ladder.db")
        self.clock = NOW

    def close(self) -> None:
        self.db.close()
        shutil.rmtree(self.folder)

    def write(
        self, batches: Sequence[Sequence[Mapping[str, Any]]], writer: ReviewWriter | None = None
    ) -> list[Any]:
        """Each batch written a minute after the last, by one writer (one crawl)."""
        writer = writer or ReviewWriter(self.db, self.source_id)
        counts = []
        for batch in batches:
            self.clock += timedelta(minutes=1)
            rows = [
                {**row, "business_id": self.business_id, "source_id": self.source_id}
                for row in batch
            ]
            counts.append(writer.write(rows, now=self.clock))
        return counts

    def reviews(self, *, seen: bool = False, where: bool = True) -> dict[str, dict[str, Any]]:
        """The reviews table by key; without the row id, without the seen-at stamps unless asked
        for (they record when a write happened, not what was written), and without where the
        review was seen (``url``, ``native_id``) when ``where`` is False: a write whose content is
        unchanged only moves ``last_seen_at`` (the writer's promise, so a re-crawl of a shifted
        listing writes nothing), so they are those of the last write that changed the content."""
        ignored = {"id"} if seen else {"id", "first_seen_at", "last_seen_at"}
        if not where:
            ignored |= {"url", "native_id"}
        return {
            row["review_key"]: {name: value for name, value in row.items() if name not in ignored}
            for row in self.db["reviews"].rows
        }

    def assert_sound(self) -> None:
        assert self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert self.db.execute("PRAGMA foreign_key_check").fetchall() == []
        # The full-text index agrees with the reviews it indexes (raises if not).
        self.db.execute("INSERT INTO reviews_fts (reviews_fts, rank) VALUES ('integrity-check', 1)")
        self.db.conn.rollback()
        for row in self.db["reviews"].rows:
            assert row["first_seen_at"] <= row["last_seen_at"]


@contextmanager
def fresh_store(template: tuple[Path, int, int]) -> Iterator[Store]:
    store = Store(template)
    try:
        yield store
    finally:
        store.close()


def last_of_each(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """One row per key: the last written (in the order of first appearance)."""
    return list({row["review_key"]: row for row in rows}.values())


ROWS = st.lists(review_rows(), min_size=1, max_size=12)
CUTS = st.lists(st.booleans(), max_size=12)


@budget(40)
@given(rows=ROWS, cuts=CUTS, order=st.randoms(use_true_random=False))
def test_the_last_write_of_each_review_wins_in_any_batch_split(
    template_db: tuple[Path, int, int], rows: list[dict[str, Any]], cuts: list[bool], order: Any
) -> None:
    """Whatever the order and the batch boundaries, the table is what writing only the last
    version of each review once gives; each key is counted new exactly once."""
    order.shuffle(rows)
    with fresh_store(template_db) as store, fresh_store(template_db) as reference:
        counts = store.write(split(rows, cuts))
        reference.write([last_of_each(rows)])
        assert store.reviews(where=False) == reference.reviews(where=False)
        assert sum(c.new for c in counts) == len({row["review_key"] for row in rows})
        assert sum(c.rejected for c in counts) == 0
        store.assert_sound()


@budget(40)
@given(
    rows=st.lists(
        review_rows(vary_published=True),
        min_size=1,
        max_size=8,
        unique_by=lambda r: r["review_key"],
    ),
    copies=st.lists(st.integers(1, 3), min_size=8, max_size=8),
    first=st.tuples(st.randoms(use_true_random=False), CUTS),
    second=st.tuples(st.randoms(use_true_random=False), CUTS),
)
def test_exact_duplicates_give_one_table_in_any_order_and_split(
    template_db: tuple[Path, int, int],
    rows: list[dict[str, Any]],
    copies: list[int],
    first: tuple[Any, list[bool]],
    second: tuple[Any, list[bool]],
) -> None:
    """A crawl that sees a review twice (a listing shifted while it was read) stores it once,
    whatever the order and batches: the table depends only on the set of reviews."""
    repeated = [row for row, n in zip(rows, copies, strict=False) for _ in range(n)]
    tables = []
    for order, cuts in (first, second):
        shuffled = list(repeated)
        order.shuffle(shuffled)
        with fresh_store(template_db) as store:
            store.write(split(shuffled, cuts))
            store.assert_sound()
            tables.append(store.reviews())
    assert tables[0] == tables[1]
    assert len(tables[0]) == len(rows)


@budget(40)
@given(
    rows=ROWS.map(last_of_each).flatmap(lambda rows: st.permutations(rows + rows)),
    new_writer=st.booleans(),
)
def test_writing_the_same_batch_twice_changes_nothing(
    template_db: tuple[Path, int, int], rows: list[dict[str, Any]], new_writer: bool
) -> None:
    """A re-crawl of unchanged pages: counted unchanged, only last_seen_at moves."""
    with fresh_store(template_db) as store:
        writer = ReviewWriter(store.db, store.source_id)
        (first,) = store.write([rows], writer)
        before = store.reviews(seen=True)
        (again,) = store.write([rows], None if new_writer else writer)
        after = store.reviews(seen=True)
        keys = len({row["review_key"] for row in rows})
        assert (first.new, first.changed, first.unchanged, first.rejected) == (keys, 0, 0, 0)
        assert (again.new, again.changed, again.unchanged, again.rejected) == (0, 0, keys, 0)
        for key, row in after.items():
            assert row["last_seen_at"] > before[key]["last_seen_at"]
            assert {**row, "last_seen_at": None} == {**before[key], "last_seen_at": None}
        store.assert_sound()


def bare_row(key: str, published: str, body: str) -> dict[str, Any]:
    """A stored review row with only its key, date and body set: an ``@example``'s input."""
    return {
        **dict.fromkeys(REVIEW_FIELDS),
        "review_key": key,
        "published_at": published,
        "body": body,
    }


@budget(40)
@given(rows=ROWS)
@example(rows=[bare_row("k1", PUBLISHED["k1"], body) for body in ("x", "y")])
def test_a_second_identical_write_is_counted_unchanged(
    template_db: tuple[Path, int, int], rows: list[dict[str, Any]]
) -> None:
    with fresh_store(template_db) as store:
        store.write([rows])
        (again,) = store.write([rows])
        keys = len({row["review_key"] for row in rows})
        assert (again.new, again.changed, again.unchanged) == (0, 0, keys)


@budget(40)
@given(rows=st.lists(review_rows(vary_published=True), min_size=1, max_size=8), cuts=CUTS)
@example(
    rows=[bare_row("k1", day, "ngon") for day in ("2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z")],
    cuts=[],
)
def test_the_first_publication_date_is_kept_in_any_batch_split(
    template_db: tuple[Path, int, int], rows: list[dict[str, Any]], cuts: list[bool]
) -> None:
    first_published = {}
    for row in rows:
        first_published.setdefault(row["review_key"], row["published_at"])
    with fresh_store(template_db) as store:
        store.write(split(rows, cuts))
        stored = {key: row["published_at"] for key, row in store.reviews().items()}
    assert stored == first_published


@budget(40)
@given(
    rows=st.lists(review_rows() | review_rows(valid=False), min_size=1, max_size=12),
    cuts=CUTS,
)
def test_a_refused_row_loses_nothing_else(
    template_db: tuple[Path, int, int], rows: list[dict[str, Any]], cuts: list[bool]
) -> None:
    """Per batch, the last row of each key is written (a new review with the date of its first
    row in the batch); if the schema refuses it, it is counted rejected and that key keeps what it
    had; every other row of the batch is stored."""
    batches = split(rows, cuts)
    expected: dict[str, Mapping[str, Any]] = {}
    rejected = []
    for batch in batches:
        first_date: dict[str, str] = {}
        for row in batch:
            first_date.setdefault(row["review_key"], row["published_at"])
        latest = last_of_each(batch)
        rejected.append(sum(not is_valid(row) for row in latest))
        for row in latest:
            if is_valid(row):
                key = row["review_key"]
                kept = expected[key]["published_at"] if key in expected else first_date[key]
                expected[key] = {**row, "published_at": kept}
    with fresh_store(template_db) as store, fresh_store(template_db) as reference:
        counts = store.write(batches)
        reference.write([list(expected.values())])
        assert [c.rejected for c in counts] == rejected
        assert store.reviews(where=False) == reference.reviews(where=False)
        store.assert_sound()
