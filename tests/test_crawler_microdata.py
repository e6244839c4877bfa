"""The microdata reader (crawler/extract/microdata.py): values, nesting, itemref, text, hostile pages."""

from __future__ import annotations

import lxml.etree
import lxml.html

from crawler.extract.microdata import MAX_DEPTH, read_items, text_content

URL = "https://shop.example/reviews/"


def items(markup: str) -> list[dict[str, object]]:
    return read_items(markup.encode(), URL)


def element(markup: str) -> lxml.etree._Element:
    root = lxml.etree.fromstring(markup.encode(), parser=lxml.html.HTMLParser(encoding="utf-8"))
    return root.find(".//body/*")


def test_each_element_gives_the_value_the_specification_says() -> None:
    (item,) = items(
        '<div itemscope itemtype="https://schema.org/Review" itemid=" r-7 ">'
        '<meta itemprop="datePublished" content="2026-11-02">'
        '<a itemprop="url" href=" ?id=7 ">link text</a>'
        '<img itemprop="image" src="/a.jpg" alt="x">'
        '<time itemprop="dateCreated" datetime="2026-11-03T09:00">3 ngày trước</time>'
        '<data itemprop="identifier" value="7">bảy</data>'
        '<span itemprop="ratingValue" content="4">★★★★</span>'
        '<span itemprop="name">  Ngon\n   lắm </span>'
        "</div>"
    )
    assert item == {
        "@type": ["Review"],
        "@id": "r-7",
        "datePublished": "2026-11-02",
        "url": "https://shop.example/reviews/?id=7",
        "image": "https://shop.example/a.jpg",
        "dateCreated": "2026-11-03T09:00",
        "identifier": "7",
        "ratingValue": "4",
        "name": "Ngon lắm",
    }


def test_nested_items_are_values_not_top_level_items() -> None:
    found = items(
        '<div itemscope itemtype="http://schema.org/LocalBusiness"><h1 itemprop="name">Quán</h1>'
        '<div itemprop="review" itemscope itemtype="http://schema.org/Review">'
        '<span itemprop="author" itemscope itemtype="http://schema.org/Person">'
        '<b itemprop="name">Lan</b></span><p itemprop="reviewBody description">Ngon</p></div>'
        '<div itemprop="review" itemscope itemtype="http://schema.org/Review">'
        '<p itemprop="reviewBody">Chậm</p></div></div>'
        '<div itemscope itemtype="http://schema.org/WebPage"><span itemprop="name">Trang</span></div>'
    )
    assert found == [
        {
            "@type": ["LocalBusiness"],
            "name": "Quán",
            "review": [
                {
                    "@type": ["Review"],
                    "author": {"@type": ["Person"], "name": "Lan"},
                    "reviewBody": "Ngon",
                    "description": "Ngon",
                },
                {"@type": ["Review"], "reviewBody": "Chậm"},
            ],
        },
        {"@type": ["WebPage"], "name": "Trang"},
    ]


def test_itemref_brings_properties_from_elsewhere_on_the_page() -> None:
    item, other = items(
        '<div itemscope itemtype="http://schema.org/Review" itemref="rating missing">'
        '<p itemprop="reviewBody">Tốt</p></div>'
        '<div id="rating"><span itemprop="ratingValue">5</span>'
        '<div itemscope itemtype="http://schema.org/Thing"><span itemprop="name">not it</span></div>'
        "</div>"
    )
    assert item == {"@type": ["Review"], "reviewBody": "Tốt", "ratingValue": "5"}
    assert other == {"@type": ["Thing"], "name": "not it"}  # an item of its own


def test_an_item_without_properties_is_its_text() -> None:
    (item,) = items(
        '<div itemscope itemtype="http://schema.org/Review">'
        '<span itemprop="author" itemscope itemtype="http://schema.org/Person">Minh Anh</span></div>'
    )
    assert item == {"@type": ["Review"], "author": {"value": "Minh Anh"}}


def test_text_is_laid_out_as_extruct_laid_it_out() -> None:
    # The stored text (and a review's key, when the site gives no id) is as it was with extruct.
    block = element(
        "<div><p>Phở <b>ngon</b>,\n   giá <i>rẻ</i><span>(</span><span>30k</span>)</p>"
        "<p>Sẽ<br>quay lại<script>track()</script><style>p{}</style><!-- c -->!</p>"
        "<ul><li>một</li><li>hai</li></ul></div>"
    )
    assert text_content(block) == "Phở ngon, giá rẻ (30k)\n\nSẽ\nquay lại!\n\nmột\nhai"


def test_items_referring_to_each_other_end() -> None:
    found = items(
        '<div id="a" itemprop="x" itemscope itemtype="http://schema.org/Thing" itemref="b">'
        '<span itemprop="name">A</span></div>'
        '<div id="b" itemprop="related" itemscope itemtype="http://schema.org/Thing" itemref="a">'
        '<span itemprop="name">B</span></div>'
    )
    # a refers to b, b back to a: a is not read a second time inside itself.
    assert found == [
        {
            "@type": ["Thing"],
            "name": "A",
            "related": {"@type": ["Thing"], "name": "B", "x": None},
        }
    ]


def test_deep_pages_do_not_exhaust_the_stack() -> None:
    # 200 levels: lxml's parser keeps 256 at most.
    nested = '<div itemprop="part" itemscope itemtype="http://schema.org/Thing">' * 200
    (item,) = items(f'<div itemscope itemtype="http://schema.org/Thing">{nested}x')
    depth = 0
    node: object = item
    while isinstance(node, dict) and "part" in node:
        node, depth = node["part"], depth + 1
    assert depth == MAX_DEPTH + 1  # deeper items are not read
    review = '<div itemscope itemtype="http://schema.org/Review"><div itemprop="reviewBody">'
    (shallow,) = items(review + "<span>" * 250 + "sâu")
    assert shallow["reviewBody"] == "sâu"
    (deep,) = items(review + "<span>" * 100_000 + "sâu")  # lxml drops what lies below 256 levels
    assert deep == {"@type": ["Review"], "reviewBody": ""}


def test_pages_with_nothing_to_read() -> None:
    assert read_items(b"", URL) == []
    assert read_items(b"  \n ", URL) == []
    assert items("<p>no items</p>") == []
    assert items('<span itemprop="name">a property of no item</span>') == []
