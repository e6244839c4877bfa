"""A help centre: ``help.centre`` (True) when the page is or links to a help centre, an FAQ or a
knowledge base.

Detects, the page itself being one first:

- a schema.org ``FAQPage``; a title or ``<h1>`` such as "Câu hỏi thường gặp", "Trung tâm trợ giúp",
  "FAQ", "Help Center", "Support centre", "Knowledge base"; a URL such as ``/faq``, ``/hc/``,
  ``/cau-hoi-thuong-gap`` or a ``help.`` host;
- a link whose text says so (or is just "Help"/"Trợ giúp"), or whose URL is a help-centre path on
  the same site or a hosted help desk (``*.zendesk.com/hc``, ``*.freshdesk.com``, ``intercom.help``,
  ``*.helpscoutdocs.com``).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bs4.element import Tag

from crawler.extract.signals import Page, Signal, fold, schema_types

_PHRASES = re.compile(
    r"(?<![a-z])(?:cau hoi thuong gap|trung tam (?:tro giup|ho tro|cham soc khach hang)|hoi dap"
    r"|hoi & dap|faqs?|f\.a\.q|frequently asked questions|(?:help|support) (?:cent(?:er|re)|desk)"
    r"|helpcent(?:er|re)|knowledge ?base|tro giup)(?![a-z])"
)
_SHORT = re.compile(r"help|tro giup")
_PATHS = re.compile(
    r"(?:^|/)(?:faqs?|help|hc|help-?cent(?:er|re)|support-?cent(?:er|re)|knowledge-?base|kb"
    r"|cau-hoi-thuong-gap|hoi-dap|tro-giup|trung-tam-tro-giup|trung-tam-ho-tro)(?:[/._-]|$)"
)
_HOSTED = re.compile(
    r"\.zendesk\.com$|\.freshdesk\.com$|^intercom\.help$|\.helpscoutdocs\.com$|\.gitbook\.io$"
)


def extract(page: Page) -> list[Signal]:
    seen = _is_help_centre(page) or _links_to_help_centre(page)
    return [] if seen is None else [page.signal("help.centre", True, None, seen)]


def _is_help_centre(page: Page) -> str | None:
    for node in page.nodes:
        if "FAQPage" in schema_types(node):
            return "schema.org FAQPage"
    for tag_name in ("title", "h1"):
        tag = page.soup.find(tag_name)
        if isinstance(tag, Tag):
            heading = tag.get_text(" ").strip()
            if _PHRASES.search(fold(heading)):
                return f"{tag_name}: {heading}"
    parts = urlsplit(page.url)
    host = (parts.hostname or "").lower()
    if _PATHS.search(fold(parts.path)) or host.startswith("help.") or _HOSTED.search(host):
        return f"page URL {page.url}"
    return None


def _links_to_help_centre(page: Page) -> str | None:
    own_host = _host(page.url)
    for anchor in page.anchors:
        if not anchor.url.startswith(("http://", "https://")):
            continue
        text = fold(anchor.text).strip()
        parts = urlsplit(anchor.url)
        host = _host(anchor.url)
        by_text = bool(_PHRASES.search(text)) or bool(_SHORT.fullmatch(text))
        by_url = _HOSTED.search(host) is not None or (
            (host == own_host or host.startswith("help."))
            and _PATHS.search(fold(parts.path)) is not None
        )
        if by_text or by_url:
            return f"link: {anchor.text or '(no text)'} ({anchor.url})"
    return None


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")
