"""The demo world as web sites: each business's reviews on paged listing pages, each site marked up
a different way, so one demo crawl exercises every source kind and every path of the schema.org
extractor. Three competitors have half their reviews on a review platform (Trustpilot-, Tiki- and
Foody-like, :mod:`scheduler.demo.platforms`), and one is read with CSS selectors.

=============  ==============================================================================
style          markup
=============  ==============================================================================
jsonld         JSON-LD ``LocalBusiness`` holding ``review`` and ``aggregateRating``; ``<link rel=next>``
graph          JSON-LD ``@graph``: the business refers to its reviews by ``@id``
microdata      microdata ``Restaurant`` > ``Review`` items, no ids; ``<a rel=next>``
tenpoint       JSON-LD with string ratings on a 0–10 scale and day-first dates; the next page only
               behind ``a.pager-next`` (the source's ``next`` option)
organization   JSON-LD ``Organization`` with numeric ratings, plus a broken JSON-LD block on every
               page that the crawl must survive
=============  ==============================================================================
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from html import escape
from typing import Any

from scheduler.demo.platforms import foody_pages, tiki_pages, trustpilot_pages
from scheduler.demo.server import Page
from scheduler.demo.world import DemoBusiness, DemoReview

REVIEWS_PER_PAGE = 20
STYLES = ("jsonld", "graph", "microdata", "tenpoint", "organization")
SITE_TZ = timezone(timedelta(hours=7), "ICT")


#: Competitors (by position in the world) with half their reviews on a platform.
PLATFORMS = {1: "trustpilot", 2: "tiki", 3: "foody"}
#: How the demo's CSS source reads the visible reviews of the "organization" style.
CSS_OPTIONS = {
    "review": "article.review",
    "id": "::attr(data-review-id)",
    "rating": "span.stars",
    "rating_from": "width",
    "title": "h3.review-title",
    "body": "p.review-body",
    "date": "time::attr(datetime)",
    "reply": ".owner-reply p",
    "reply_date": ".owner-reply time",
    "next": "link[rel=next]::attr(href)",
}


@dataclass(frozen=True)
class DemoSite:
    business: DemoBusiness
    style: str  # an HTML style of STYLES, or a platform of PLATFORMS
    kind: str  # the source kind that reads it
    reviews: tuple[DemoReview, ...]
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        """The first listing page (with its query, where the platform has one)."""
        slug, number = self.business.slug, sum(map(ord, self.business.slug))
        return {
            "trustpilot": f"/tp/review/{slug}",
            "tiki": f"/tiki/api/v2/reviews?product_id={number}&limit={REVIEWS_PER_PAGE}&page=1",
            "foody": f"/foody/__get/Review/ResLoadMore?ResId={number}&Count={REVIEWS_PER_PAGE}",
        }.get(self.style, f"/{slug}/reviews")

    def page_path(self, number: int) -> str:
        return self.path if number == 1 else f"{self.path}?page={number}"


def demo_sites(world: Sequence[DemoBusiness]) -> list[DemoSite]:
    """The sites of every business: its own site (the markup styles in turn), and for three
    competitors a review platform holding every other one of its reviews."""
    sites = []
    for index, business in enumerate(world):
        style = STYLES[index % len(STYLES)]
        platform = PLATFORMS.get(index)
        own = business.reviews[1::2] if platform else business.reviews
        if style == "organization":
            sites.append(DemoSite(business, style, "css", own, CSS_OPTIONS))
        else:
            options = {"next": "a.pager-next"} if style == "tenpoint" else {}
            sites.append(DemoSite(business, style, "schemaorg", own, options))
        if platform:
            sites.append(DemoSite(business, platform, platform, business.reviews[0::2]))
    return sites


def render_site(site: DemoSite, now: datetime) -> dict[str, Page]:
    """Every listing page of one site, by path (and query)."""
    if site.style == "trustpilot":
        return trustpilot_pages(site.path, site.business.name, site.reviews)
    if site.style == "tiki":
        return tiki_pages(site.path, site.reviews)
    if site.style == "foody":
        return foody_pages(site.path, site.reviews, now)
    reviews = site.reviews
    count = max(1, -(-len(reviews) // REVIEWS_PER_PAGE))
    pages = {}
    for number in range(1, count + 1):
        chunk = reviews[(number - 1) * REVIEWS_PER_PAGE : number * REVIEWS_PER_PAGE]
        next_path = site.page_path(number + 1) if number < count else None
        pages[site.page_path(number)] = Page(_render_page(site, chunk, number, next_path))
    return pages


def render_index(sites: Sequence[DemoSite]) -> Page:
    links = "".join(
        f'<li><a href="{escape(site.path)}">{escape(site.business.name)}</a> ({site.style})</li>'
        for site in sites
    )
    return Page(f"<!doctype html><title>Service Ladder demo</title><ul>{links}</ul>")


def _local(moment: datetime) -> datetime:
    return moment.astimezone(SITE_TZ)


def _script(data: Any) -> str:
    text = json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>'


def _stars(review: DemoReview) -> str:
    return f'<span class="stars" style="width: {review.rating * 20}%">{review.rating}/5</span>'


def _visible(review: DemoReview) -> str:
    """The review as a reader sees it (what a selector-driven spider would read)."""
    title = f'<h3 class="review-title">{escape(review.title)}</h3>' if review.title else ""
    reply = ""
    if review.reply_body and review.replied_at:
        reply = (
            f'<div class="owner-reply"><time>{_local(review.replied_at):%d/%m/%Y %H:%M}</time>'
            f"<p>{escape(review.reply_body)}</p></div>"
        )
    return (
        f'<article class="review" data-review-id="{review.native_id}" lang="{review.lang}">'
        f"{title}{_stars(review)}"
        f'<time datetime="{_local(review.published_at).isoformat()}">'
        f"{_local(review.published_at):%d/%m/%Y}</time>"
        f'<p class="review-body">{escape(review.body)}</p>{reply}</article>'
    )


def _review_node(site: DemoSite, review: DemoReview) -> dict[str, Any]:
    tenpoint = site.style == "tenpoint"
    node: dict[str, Any] = {
        "@type": "Review",
        "author": {"@type": "Person", "name": review.author},
        "datePublished": (
            f"{_local(review.published_at):%d/%m/%Y %H:%M}"
            if tenpoint
            else _local(review.published_at).isoformat()
        ),
        "reviewRating": (
            {
                "@type": "Rating",
                "ratingValue": str(review.rating * 2),
                "bestRating": "10",
                "worstRating": "0",
            }
            if tenpoint
            else {
                "@type": "Rating",
                "ratingValue": review.rating,
                "bestRating": 5,
                "worstRating": 1,
            }
        ),
        "reviewBody": review.body,
        "inLanguage": review.lang,
    }
    if site.style == "graph":
        node["@id"] = f"{site.path}#review-{review.native_id}"
    else:
        node["identifier"] = review.native_id
    if review.title:
        node["name"] = review.title
    if review.reply_body and review.replied_at:
        node["comment"] = {
            "@type": "Comment",
            "author": {"@type": "Organization", "name": site.business.name},
            "text": review.reply_body,
            "dateCreated": (
                f"{_local(review.replied_at):%d/%m/%Y %H:%M}"
                if tenpoint
                else _local(review.replied_at).isoformat()
            ),
        }
    return node


def _aggregate(site: DemoSite, tenpoint: bool = False) -> dict[str, Any]:
    ratings = [r.rating for r in site.reviews] or [0]
    mean = sum(ratings) / len(ratings)
    if tenpoint:
        return {"@type": "AggregateRating", "ratingValue": f"{mean * 2:.1f}", "bestRating": "10",
                "worstRating": "0", "reviewCount": str(len(site.reviews))}  # fmt: skip
    return {"@type": "AggregateRating", "ratingValue": round(mean, 2), "bestRating": 5,
            "reviewCount": len(site.reviews)}  # fmt: skip


def _structured(site: DemoSite, reviews: Sequence[DemoReview]) -> str:
    business = site.business
    nodes = [_review_node(site, review) for review in reviews]
    if site.style == "graph":
        entity = {"@type": "LocalBusiness", "@id": f"{site.path}#business", "name": business.name,
                  "aggregateRating": _aggregate(site),
                  "review": [{"@id": node["@id"]} for node in nodes]}  # fmt: skip
        return _script({"@context": "https://schema.org", "@graph": [entity, *nodes]})
    if site.style == "microdata":
        return ""
    entity_type = "Organization" if site.style == "organization" else "LocalBusiness"
    entity = {"@context": "https://schema.org", "@type": entity_type, "name": business.name,
              "aggregateRating": _aggregate(site, site.style == "tenpoint"), "review": nodes}  # fmt: skip
    script = _script(entity)
    if site.style == "organization":  # a tracking snippet that is not valid JSON
        script += '<script type="application/ld+json">{"@type": "WebPage", "name": }</script>'
    return script


def _microdata(site: DemoSite, reviews: Sequence[DemoReview]) -> str:
    business = site.business
    ratings = [r.rating for r in site.reviews] or [0]
    items = []
    for review in reviews:
        title = f'<h3 itemprop="name">{escape(review.title)}</h3>' if review.title else ""
        reply = ""
        if review.reply_body and review.replied_at:
            reply = (
                '<div itemprop="comment" itemscope itemtype="https://schema.org/Comment">'
                '<span itemprop="author" itemscope itemtype="https://schema.org/Organization">'
                f'<meta itemprop="name" content="{escape(business.name)}"></span>'
                f'<meta itemprop="dateCreated" content="{_local(review.replied_at).isoformat()}">'
                f'<p itemprop="text">{escape(review.reply_body)}</p></div>'
            )
        items.append(
            f'<article class="review" itemprop="review" itemscope itemtype="https://schema.org/Review">'
            f"{title}"
            f'<span itemprop="author" itemscope itemtype="https://schema.org/Person">'
            f'<span itemprop="name">{escape(review.author)}</span></span>'
            f'<meta itemprop="datePublished" content="{_local(review.published_at).isoformat()}">'
            f'<meta itemprop="inLanguage" content="{review.lang}">'
            f'<span itemprop="reviewRating" itemscope itemtype="https://schema.org/Rating">'
            f'<meta itemprop="ratingValue" content="{review.rating}">'
            f'<meta itemprop="bestRating" content="5">{_stars(review)}</span>'
            f'<p itemprop="reviewBody">{escape(review.body)}</p>{reply}</article>'
        )
    return (
        '<div itemscope itemtype="https://schema.org/Restaurant">'
        f'<h1 itemprop="name">{escape(business.name)}</h1>'
        '<div itemprop="aggregateRating" itemscope itemtype="https://schema.org/AggregateRating">'
        f'<span itemprop="ratingValue">{sum(ratings) / len(ratings):.1f}</span> / 5, '
        f'<span itemprop="reviewCount">{len(site.reviews)}</span> reviews</div>'
        f"{''.join(items)}</div>"
    )


def _render_page(
    site: DemoSite, reviews: Sequence[DemoReview], number: int, next_path: str | None
) -> str:
    business = site.business
    head_next = ""
    pager = ""
    if next_path and site.style in ("jsonld", "graph", "organization"):
        head_next = f'<link rel="next" href="{escape(next_path)}">'
    if next_path and site.style == "microdata":
        pager = f'<a rel="next" href="{escape(next_path)}">Next</a>'
    if next_path and site.style == "tenpoint":
        pager = f'<a class="pager-next" href="{escape(next_path)}">Trang sau »</a>'
    if site.style == "microdata":
        content = _microdata(site, reviews)
    else:
        content = f"<h1>{escape(business.name)}</h1>" + "".join(_visible(r) for r in reviews)
    return (
        f'<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        f"<title>{escape(business.name)} — reviews, page {number}</title>{head_next}"
        f"{_structured(site, reviews)}</head><body>{content}"
        f'<nav class="pager">{pager}</nav></body></html>'
    )
