"""Properties of the review extractors (schema.org, Trustpilot, Tiki, Foody, CSS selectors) and
of the whole page path ``ladder extract`` and the spiders run: they never raise on a page; they
return an ExtractedPage, with problems for what they could not read.

Properties come in twins: one draws realistic input (``safe``), the other adds the shapes that once
broke a promise; the ``@example`` of the second is the minimal input that failed before the fix.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from crawler.extract import css, foody, schemaorg, tiki, trustpilot
from crawler.items import ExtractedPage, RawAggregate, RawReview
from crawler.normalize import DROP_REASONS
from crawler.preview import preview_page
from tests.conftest import budget
from tests.strategies import (
    ANY_JSON,
    BAD_URLS,
    EARLIEST,
    ENTITIES,
    ISO_UTC,
    NOW,
    PAGE_URL,
    REALISTIC,
    SAFE_JSON,
    SAIGON,
    TAG_NAMES,
    any_text,
    dumps,
    either,
    safe_text,
)

SAFE_URLS = ("/reviews/1", "r?x=1#top", "https://reviews.example/r/2", "", "?page=2", "javascript:")
#: A JSON value that can be iterated or is falsy: what ``value or []`` survives.
ITERABLE_OR_FALSY = (
    st.none()
    | st.sampled_from([0, 0.0, False, "", [], {}])
    | safe_text
    | st.lists(SAFE_JSON, max_size=3)
    | st.dictionaries(st.text(max_size=6), SAFE_JSON, max_size=3)
)


def json_texts(data: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    """``data`` as JSON, whole or cut short by its last character."""
    return st.builds(
        lambda value, broken: dumps(value)[: -1 if broken else None], data, st.booleans()
    )


def assert_page(page: ExtractedPage) -> None:
    assert isinstance(page, ExtractedPage)
    assert all(isinstance(review, RawReview) for review in page.reviews)
    assert page.aggregate is None or isinstance(page.aggregate, RawAggregate)
    assert page.next_url is None or isinstance(page.next_url, str)
    assert all(isinstance(problem, str) for problem in page.problems)
    for review in page.reviews:
        assert review.native_id is None or isinstance(review.native_id, str)
        assert review.url is None or isinstance(review.url, str)


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
