"""Which same-site links a crawler should follow to find service signals.

Scores each ``<a href>`` on the page's host (``www.`` ignored) by its text and its URL path
against Vietnamese and English topics, best first: contact ("liên hệ", "contact"), FAQ and
help ("câu hỏi thường gặp", "faq", "help", "trợ giúp"), returns ("chính sách đổi trả", "returns",
"refund"), support ("hỗ trợ", "support", "chăm sóc khách hàng"), warranty ("bảo hành"), shipping
("giao hàng", "vận chuyển", "shipping", "delivery"), payment and other policies ("chính sách",
"policy", "terms"), store hours and locations. Fragments are dropped, duplicates (also with and
without a trailing slash) removed, files (images, PDFs, archives) and the page itself skipped.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from crawler.extract.signals import Page, fold

# (pattern on folded link text or path words, score); the best matching topic gives the score.
_TOPICS = (
    (r"lien he|contact(?: us)?|lienhe|contactus|get in touch", 100),
    (r"cau hoi thuong gap|faqs?|hoi dap|frequently asked|help cent(?:er|re)|tro giup|help", 95),
    (r"doi tra|tra hang|hoan tien|doitra|returns?|refunds?|exchanges?", 92),
    (r"ho tro|cham soc khach hang|cskh|support|customer (?:service|care)|hotro", 85),
    (r"bao hanh|baohanh|warrant(?:y|ies)|guarantee", 80),
    (r"giao hang|van chuyen|giaohang|vanchuyen|shipping|delivery", 75),
    (r"chinh sach|chinhsach|polic(?:y|ies)|dieu khoan|terms", 60),
    (r"thanh toan|payment|huong dan mua hang|how to (?:buy|order)", 50),
    (r"gio mo cua|opening hours|store hours|he thong cua hang|tim cua hang|store locator", 40),
)
_COMPILED = tuple((re.compile(rf"(?<![a-z]){words}(?![a-z])"), score) for words, score in _TOPICS)
_FILES = re.compile(r"\.(?:jpe?g|png|gif|webp|svg|pdf|zip|rar|mp4|mp3|docx?|xlsx?)$", re.I)
_NOT_PAGES = re.compile(r"(?<![a-z])(?:login|dang nhap|cart|gio hang|checkout|account)(?![a-z])")


def rank(page: Page, limit: int) -> list[str]:
    """The best ``limit`` links, as absolute URLs without fragments."""
    own_host = _host(page.url)
    here = _key(_without_fragment(page.url))
    scored: dict[str, tuple[int, int, str]] = {}
    for order, anchor in enumerate(page.anchors):
        url = _without_fragment(anchor.url)
        if not url.startswith(("http://", "https://")) or _host(url) != own_host:
            continue
        path = urlsplit(url).path
        if _FILES.search(path) or _key(url) == here:
            continue
        text = fold(anchor.text)
        words = fold(re.sub(r"[-_/.+%]+", " ", path))
        if _NOT_PAGES.search(words):
            continue
        score = max(_score(text) + 5, _score(words)) if text else _score(words)
        key = _key(url)
        if score > 5 and (key not in scored or scored[key][0] < score):
            first = scored[key][1] if key in scored else order
            scored[key] = (score, first, url)
    best = sorted(scored.values(), key=lambda item: (-item[0], item[1]))
    return [url for _, _, url in best[: max(limit, 0)]]


def _score(text: str) -> int:
    return max((score for pattern, score in _COMPILED if pattern.search(text)), default=0)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


def _without_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(fragment=""))


def _key(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    return f"{host}{parts.path.rstrip('/') or '/'}?{parts.query}"
