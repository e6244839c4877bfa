"""URLs of the next page of a listing."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlparse, urlunparse


def with_query(url: str, **values: str) -> str:
    """``url`` with query parameters set: replaced where they are, appended where they are not.

    >>> with_query("https://x.vn/api?product_id=7&page=1&limit=20", page="2")
    'https://x.vn/api?product_id=7&page=2&limit=20'
    """
    parts = urlparse(url)
    query = []
    pending = dict(values)
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        query.append((key, pending.pop(key, value)))
    query += list(pending.items())
    return urlunparse(parts._replace(query=urlencode(query)))


def join_url(base: str, link: str) -> str | None:
    """``link`` made absolute against ``base``; None for a link no URL parser accepts.

    >>> join_url("https://x.vn/a/", "b?page=2")
    'https://x.vn/a/b?page=2'
    >>> join_url("https://x.vn/", "//[") is None
    True
    """
    try:
        return urljoin(base, link)
    except ValueError:  # "Invalid IPv6 URL" and the like: a page's href is untrusted text
        return None
