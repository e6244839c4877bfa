"""Templated owner replies: a reply that is a near-copy of another reply by the same business.

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
import unicodedata
import zlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from analysis.tokens import word_keys

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
