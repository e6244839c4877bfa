"""Readable, stable names made from business names: for log files, lock files and job ids."""

from __future__ import annotations

import hashlib
import re
import unicodedata


def slug(text: str) -> str:
    """``"Phố Xưa Bistro"`` → ``"pho-xua-bistro"``, for ids and file names."""
    folded = unicodedata.normalize("NFKD", text.lower().replace("đ", "d"))
    ascii_text = folded.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:40] or "business"


def job_slug(business: str, kind: str, url: str) -> str:
    """A stable, readable job id part for a business's (or one source's) crawls."""
    digest = hashlib.blake2b(f"{business}\x1f{kind}\x1f{url}".encode(), digest_size=4).hexdigest()
    return f"{slug(business)}-{kind}-{digest}"
