"""Who a review is when the site gives it no id: an identity that survives a moved date.

A review without a native id is keyed (``review_key``) by its text and the day the site shows. Many
sites show dates computed when the page is rendered ("2 ngày trước", "3 weeks ago" turned into a
date), and the demo dates its world from the current week: the same review then shows another day,
gets another key and, matched by key alone, would be stored a second time. Its ``identity`` leaves
the date out: the business, the source's kind and host, the text (case and spacing folded), the
reviewer's hash and the rating.

An incoming review whose key is unknown is a stored review whose date moved (:func:`pair_redated`)
when the stored one has its identity, was not matched yet by this crawl (by its key or as moved),
and is dated within :data:`WINDOW` of the date the stored one showed when last seen, plus the time
since (a review last seen seven weeks ago may show a date seven weeks later). The stored review
keeps its first date (``published_at``) and records the last one shown (``shown_at``): measured
from the first, a site that moves every date a week each week would outrun the window in two
months. Each stored review is matched at most once: two reviews that read alike on one page stay
two. Among several alike, the pairs whose move is nearest to the crawl's usual move are taken first.

A review that reads like many others ("Ngon", five stars, no reviewer: not :func:`is_distinctive`)
could be a new one as well as an old one moved: it is matched only once the crawl has seen a
distinctive review move, that is once the site is known to move its dates.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

#: How far a displayed date may move between two sightings of a review, beyond the time between
#: them: relative dates rounded to months ("1 tháng trước", "a month ago") move by up to a month.
WINDOW = timedelta(days=45)
#: Words of text that make a review without a reviewer distinctive (two strangers rarely write
#: the same twelve words; "Ngon, sẽ quay lại" is written every day).
DISTINCTIVE_WORDS = 12


def identity_scope(business_id: int, kind: str, url: str) -> str:
    """Where identities are unique: the business and the source's kind and host, as review keys."""
    host = urlsplit(url).hostname or url
    return f"{business_id}\x1f{kind}\x1f{host}"


def _text(row: Mapping[str, Any]) -> str:
    return " ".join(f"{row.get('title') or ''} {row.get('body') or ''}".casefold().split())


def _rating(value: Any) -> str:
    if value is None:
        return ""
    try:
        return format(float(value), ".4f")
    except (TypeError, ValueError):
        return str(value)


def review_identity(scope: str, row: Mapping[str, Any]) -> str | None:
    """The identity of a review without a native id (None for one with an id: its key is its id).

    Its first characters are the scope's: one source's identities sit together in the index, so
    the writes of a crawl touch a few of its pages rather than pages all over it."""
    if row.get("native_id"):
        return None
    parts = (scope, _text(row), row.get("author_hash") or "", _rating(row.get("rating")))
    prefix = hashlib.blake2b(scope.encode(), digest_size=3).hexdigest()
    return prefix + hashlib.blake2b("\x1f".join(parts).encode(), digest_size=9).hexdigest()


def is_distinctive(row: Mapping[str, Any]) -> bool:
    """Whether a review could hardly be another one that reads alike: it names its reviewer, or
    it has :data:`DISTINCTIVE_WORDS` words or more."""
    return bool(row.get("author_hash")) or len(_text(row).split()) >= DISTINCTIVE_WORDS


@dataclass(frozen=True)
class Sighting:
    """A review as matched by identity: an incoming one (``last_seen`` is None) or a stored one;
    ``published`` is the date it shows (a stored one: the date it showed when last seen)."""

    key: str
    identity: str
    published: datetime
    last_seen: datetime | None = None


def pair_redated(
    incoming: Iterable[Sighting],
    stored: Iterable[Sighting],
    seen: datetime,
    shift: timedelta = timedelta(0),
) -> list[tuple[Sighting, Sighting]]:
    """(incoming, stored) pairs of the same review whose date moved: same identity, within the
    window, each stored and each incoming review in one pair at most, pairs whose move is nearest
    to ``shift`` (the crawl's usual move so far) first."""
    candidates: dict[str, list[Sighting]] = defaultdict(list)
    for row in stored:
        candidates[row.identity].append(row)
    pairs = []
    for new in incoming:
        for old in candidates.get(new.identity, ()):
            assert old.last_seen is not None
            moved = new.published - old.published
            if abs(moved) <= WINDOW + max(seen - old.last_seen, timedelta(0)):
                pairs.append((abs(moved - shift), old.key, new.key, new, old))
    taken_old: set[str] = set()
    taken_new: set[str] = set()
    chosen = []
    for _, old_key, new_key, new, old in sorted(pairs, key=lambda pair: pair[:3]):
        if old_key not in taken_old and new_key not in taken_new:
            taken_old.add(old_key)
            taken_new.add(new_key)
            chosen.append((new, old))
    return chosen


def usual_shift(pairs: Iterable[tuple[Sighting, Sighting]]) -> timedelta | None:
    """The median move of ``pairs`` (None for none)."""
    moves = sorted(new.published - old.published for new, old in pairs)
    return moves[len(moves) // 2] if moves else None
