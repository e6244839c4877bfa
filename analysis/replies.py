"""Owner replies: how often, how fast and how templated each business answers its reviews.

:class:`ReplyWindow` keeps the trailing weeks' figures. A *templated* reply is a near-copy of
another reply by the same business.

"Cảm ơn chị Lan đã ủng hộ quán, hẹn gặp lại chị!" and "Cảm ơn anh Minh đã ủng hộ quán, hẹn gặp lại
anh!" are one template with the reviewer filled in. Two replies are near-copies when the Jaccard
similarity of their word 3-shingles is at least :data:`THRESHOLD`. What a template fills in is
ignored: case, marks, punctuation, numbers, names (capitalised words inside a sentence) and the ways
of addressing the reviewer ("anh", "chị", "bạn", "quý khách"). A reply under three words ("Thanks!")
is one shingle: identical short replies are templated too.

Comparing every pair would not scale, so each reply gets a MinHash signature of
:data:`PERMUTATIONS` values and locality-sensitive hashing (:data:`BANDS` bands) finds the candidate
pairs; the share of equal signature values estimates their similarity.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
import zlib
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from analysis.position import wilson_interval
from analysis.tokens import word_keys
from db.rows import ReplyStats

#: Shingles of this many words.
SHINGLE = 3
#: Estimated Jaccard similarity from which two replies are one template.
THRESHOLD = 0.6
PERMUTATIONS = 32
#: 8 bands of 4 values: a pair at similarity 0.6 shares a band with probability 0.9998, a pair at
#: 0.2 with probability 0.01.
BANDS = 8
#: Ways of addressing the reviewer, which a template fills in per reply ("cảm ơn anh/chị").
ADDRESS = frozenset("anh chi em ban co chu bac quy khach ac".split())

_SENTENCE_END = frozenset(".!?\n")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_generator = np.random.default_rng(61)
# Multiply-add modulo 2**32 with an odd multiplier: a permutation of the 32-bit hashes per value.
_A = _generator.integers(0, 1 << 31, PERMUTATIONS, dtype=np.uint32) * 2 + 1
_B = _generator.integers(0, 1 << 32, PERMUTATIONS, dtype=np.uint32)
# Odd 64-bit multipliers that fold several signature values into one sortable key.
_MIX = _generator.integers(0, 1 << 62, PERMUTATIONS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_EMPTY = np.iinfo(np.uint32).max

Signatures = npt.NDArray[np.uint32]


def words(text: str) -> list[str]:
    """Folded words, with what a template fills in per reply made one placeholder ``_``: numbers,
    the ways of addressing the reviewer, and names (capitalised words inside a sentence)."""
    text = unicodedata.normalize("NFC", text)
    result = []
    previous = 0
    for match in _WORD.finditer(text):
        word = match.group()
        folded = word_keys(word.lower())[1]
        between = text[previous : match.start()]
        if (
            folded.isdigit()
            or folded in ADDRESS
            or (previous and word[0].isupper() and not _SENTENCE_END.intersection(between))
        ):
            result.append("_")
        else:
            result.append(folded)
        previous = match.end()
    return result


def shingles(text: str) -> set[int]:
    """The text's word 3-shingles as 32-bit hashes (one shingle for a text under three words)."""
    keys = words(text)
    if not keys:
        return set()
    if len(keys) < SHINGLE:
        return {zlib.crc32(" ".join(keys).encode())}
    return {
        zlib.crc32(" ".join(keys[i : i + SHINGLE]).encode()) for i in range(len(keys) - SHINGLE + 1)
    }


def signatures(texts: Sequence[str]) -> Signatures:
    """One MinHash signature per text, shape ``(len(texts), PERMUTATIONS)``. A text without words
    gets the all-maximum signature, which :func:`templated` never matches."""
    known: dict[str, set[int]] = {}  # replies pasted word for word are read once
    sets = [known[t] if t in known else known.setdefault(t, shingles(t)) for t in texts]
    sizes = np.fromiter((len(s) for s in sets), dtype=np.int64, count=len(sets))
    result = np.full((len(texts), PERMUTATIONS), _EMPTY, dtype=np.uint32)
    present = sizes > 0
    if not present.any():
        return result
    hashes = np.fromiter((h for s in sets for h in s), dtype=np.uint32, count=int(sizes.sum()))
    permuted = hashes[:, None] * _A + _B  # wraps around modulo 2**32
    starts = np.concatenate(([0], np.cumsum(sizes[present])[:-1]))
    result[present] = np.minimum.reduceat(permuted, starts, axis=0)
    return result


def to_blobs(signatures: Signatures) -> list[bytes]:
    """Signatures as stored (``review_rungs.reply_signature``): 4-byte little-endian values."""
    stored = signatures.astype("<u4", copy=False)
    return [row.tobytes() for row in stored]


def from_blobs(blobs: Sequence[bytes]) -> Signatures:
    """Stored signatures back as one array (blobs of another length are an error)."""
    joined = b"".join(blobs)
    if len(joined) != len(blobs) * PERMUTATIONS * 4:
        raise ValueError("reply signatures of another length: classify the reviews again")
    values = np.frombuffer(joined, dtype="<u4").astype(np.uint32)
    return values.reshape(len(blobs), PERMUTATIONS)


def templated(signatures: Signatures, threshold: float = THRESHOLD) -> npt.NDArray[np.bool_]:
    """Which replies have a near-copy among the others (all by one business)."""
    if len(signatures) < 2:
        return np.zeros(len(signatures), dtype=bool)
    # Replies with equal signatures (the same template, whoever it names) are settled at once;
    # only the distinct signatures go through the bands.
    _, first, inverse, counts = np.unique(
        _keys(signatures), return_index=True, return_inverse=True, return_counts=True
    )
    distinct = signatures[first]
    found = _near_copies(distinct, threshold) | (counts > 1)
    found &= distinct[:, 0] != _EMPTY
    return np.asarray(found[inverse.ravel()], dtype=bool)


def _near_copies(signatures: Signatures, threshold: float) -> npt.NDArray[np.bool_]:
    """Which of these (distinct) signatures agree with another on ``threshold`` of their values,
    among the pairs that share a band."""
    n = len(signatures)
    found = np.zeros(n, dtype=bool)
    if n < 2:
        return found
    usable = signatures[:, 0] != _EMPTY
    rows = PERMUTATIONS // BANDS
    for band in range(BANDS):
        keys = _keys(signatures[:, band * rows : (band + 1) * rows])
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
        ends = np.append(starts[1:], n)
        for start, end in zip(starts[ends - starts > 1], ends[ends - starts > 1], strict=True):
            bucket = order[start:end]
            bucket = bucket[usable[bucket]]
            # Each reply of the bucket not yet known to be templated is compared with the rest.
            # Buckets are small unless their replies are one template, when one comparison
            # settles the whole bucket.
            pending = bucket[~found[bucket]]
            while len(pending) and len(bucket) > 1:
                first = pending[0]
                others = bucket[bucket != first]
                agree = (signatures[others] == signatures[first]).mean(axis=1) >= threshold
                if agree.any():
                    found[first] = True
                    found[others[agree]] = True
                pending = pending[1:][~found[pending[1:]]]
    return found


def _keys(values: Signatures) -> npt.NDArray[np.uint64]:
    """One 64-bit key per row of signature values: equal rows, equal keys. Unequal rows collide
    about once in 2**64 pairs, which would count two replies as one template."""
    mixed = values.astype(np.uint64) * _MIX[: values.shape[1]]
    keys: npt.NDArray[np.uint64] = np.bitwise_xor.reduce(mixed, axis=1)
    return keys


def _interval(count: int, total: int) -> tuple[float | None, float | None]:
    """The Wilson 90% interval of ``count / total``, rounded; ``None`` without a total."""
    if not total:
        return None, None
    low, high = wilson_interval(count / total, total)
    return round(low, 4), round(high, 4)


def _by_business(replies: list[tuple[int, bytes]]) -> dict[int, Signatures]:
    """Each business's reply signatures (see :mod:`analysis.replies`)."""
    if not replies:
        return {}
    ids = np.fromiter((business_id for business_id, _ in replies), dtype=np.int64)
    stored = from_blobs([blob for _, blob in replies])
    return {int(b): stored[ids == b] for b in np.unique(ids)}


def _merge(weeks: Iterable[list[ReplyStats]]) -> dict[int, ReplyStats]:
    """Reply figures of several weeks added up per business."""
    merged: dict[int, ReplyStats] = {}
    for week in weeks:
        for s in week:
            if s.business_id in merged:
                m = merged[s.business_id]
                s = ReplyStats(
                    s.business_id,
                    m.reviews + s.reviews,
                    m.replies + s.replies,
                    m.negative_reviews + s.negative_reviews,
                    m.negative_replies + s.negative_replies,
                    m.latencies_hours + s.latencies_hours,
                )
            merged[s.business_id] = s
    return dict(sorted(merged.items()))


class ReplyWindow:
    """Owner replies over the trailing weeks: each business's reply rate (with its Wilson 90%
    interval), the rate on negative reviews (1–2★ or rung 1–2), the median reply latency and the
    share of templated replies. Each week's figures are added once and kept, as counts and reply
    signatures, for as many weeks as the window holds."""

    def __init__(self, weeks: int) -> None:
        self.stats: deque[list[ReplyStats]] = deque(maxlen=weeks)
        self.signatures: deque[dict[int, Signatures]] = deque(maxlen=weeks)

    def add(self, stats: Sequence[ReplyStats], signatures: Sequence[tuple[int, bytes]]) -> None:
        """A new week: its reply figures per business and its ``(business_id, signature)``s."""
        self.stats.append(list(stats))
        self.signatures.append(_by_business(list(signatures)))

    def rows(self, week: str) -> list[dict[str, Any]]:
        """The ``weekly_replies`` rows of the window ending with ``week``."""
        rows = []
        for business_id, s in _merge(self.stats).items():
            rate = s.replies / s.reviews if s.reviews else None
            low, high = _interval(s.replies, s.reviews)
            negative_low, negative_high = _interval(s.negative_replies, s.negative_reviews)
            window = [w[business_id] for w in self.signatures if business_id in w]
            copies = int(templated(np.concatenate(window)).sum()) if window else 0
            written = sum(len(w) for w in window)
            rows.append(
                {
                    "week": week,
                    "business_id": business_id,
                    "reviews": s.reviews,
                    "replies": s.replies,
                    "reply_rate": None if rate is None else round(rate, 4),
                    "rate_low": low,
                    "rate_high": high,
                    "negative_reviews": s.negative_reviews,
                    "negative_replies": s.negative_replies,
                    "negative_reply_rate": (
                        round(s.negative_replies / s.negative_reviews, 4)
                        if s.negative_reviews
                        else None
                    ),
                    "negative_rate_low": negative_low,
                    "negative_rate_high": negative_high,
                    "median_latency_hours": (
                        round(statistics.median(s.latencies_hours), 2)
                        if s.latencies_hours
                        else None
                    ),
                    "templated_replies": copies,
                    "templated_share": round(copies / written, 4) if written else None,
                }
            )
        return rows
