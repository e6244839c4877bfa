"""Feed mode: a spider that runs on a Scrapyd node, where there is no database.

Started with ``-a feed=1``, a spider opens no database and runs no storing pipeline: it yields each
page as a plain JSON-able dict (the *raw* reviews as the page states them, or a page's service
signals) which Scrapyd writes to its item feed, and at the end it logs one line
(:data:`RESULT_MARK`) with its stats and whether its walk was complete. The machine that keeps the
database fetches the feed and the log and ingests them through :mod:`crawler.ingest`: the same
normalisation, validation, reviewer hashing (with the local salt, which never leaves that machine)
and storage as a local crawl.

Reviewer names never reach the feed in plain text: the feed sits on the node's disk and Scrapyd
serves it over HTTP. The central machine sends the spider argument ``author_key``, a public key
derived from its salt (:func:`author_public_key`); the node seals each name to it
(:func:`seal_author`: X25519, HKDF-SHA256, ChaCha20-Poly1305, padded to 32 bytes) and writes only
the sealed name, which only the holder of the salt can open at ingest (:func:`open_author`), to
hash it exactly as a local crawl does. The node holds no secret: neither the salt nor anything
that hashes names the way the database does.

Incremental crawling needs the keys of the reviews already settled: they travel as the spider
argument ``settled``, a base64 string of 8-byte key prefixes (:func:`encode_settled`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from crawler.items import ExtractedPage, RawAggregate, RawReview
from db.exceptions import FeedError

#: The log line a feed-mode crawl ends with: this mark, then one JSON object.
RESULT_MARK = "ladder-feed-result: "
#: Bytes of each review key sent to a remote spider: 2**64 makes a false "already stored" match
#: between a new review and the settled keys of one source vanishingly unlikely.
PREFIX_BYTES = 8
#: Settled keys sent at most (the newest): about 85 kB of argument, under the 128 kB a single
#: command-line argument may take on Linux. A remote crawl of a source with more settled reviews
#: may read further than a local one would (never less): the result is the same.
MAX_SETTLED = 8000
_RAW_FIELDS = frozenset(field.name for field in fields(RawReview))
_AGGREGATE_FIELDS = frozenset(field.name for field in fields(RawAggregate))


def encode_settled(keys: Iterable[str]) -> str:
    """Review keys (hex) → the compact ``settled`` spider argument."""
    prefixes = sorted({bytes.fromhex(key[: PREFIX_BYTES * 2]) for key in keys})
    return base64.urlsafe_b64encode(b"".join(prefixes)).decode("ascii")


def decode_settled(text: str) -> frozenset[str]:
    """The ``settled`` argument → the set of key prefixes (hex), as :func:`key_prefix` gives."""
    try:
        data = base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise FeedError("the settled argument is not base64") from None
    if len(data) % PREFIX_BYTES:
        raise FeedError(f"the settled argument is not a list of {PREFIX_BYTES}-byte prefixes")
    return frozenset(data[i : i + PREFIX_BYTES].hex() for i in range(0, len(data), PREFIX_BYTES))


def key_prefix(key: str) -> str:
    return key[: PREFIX_BYTES * 2]


def parse_now(text: str) -> datetime | None:
    """The ``now`` spider argument (ISO-8601 with a zone): the moment relative dates are read
    from, the same here and where the feed is ingested."""
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise FeedError(f"now={text!r} has no time zone")
    return moment


#: A sealed name's plain text is padded to a multiple of this many bytes, so its length says
#: little about the name.
_PAD = 32
_SEAL_INFO = b"service-ladder feed author v1"


def _private_key(salt: str) -> X25519PrivateKey:
    """The central machine's key for sealed names, derived from the reviewer-hash salt (so it
    needs no storing of its own and changes with the salt)."""
    seed = hashlib.sha256(b"service-ladder feed author key\x1f" + salt.encode()).digest()
    return X25519PrivateKey.from_private_bytes(seed)


def _raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _cipher(shared: bytes, sender: bytes) -> ChaCha20Poly1305:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=sender, info=_SEAL_INFO).derive(shared)
    return ChaCha20Poly1305(key)


def author_public_key(salt: str) -> str:
    """The ``author_key`` spider argument: the public half of the key :func:`open_author` uses."""
    return base64.urlsafe_b64encode(_raw_public(_private_key(salt).public_key())).decode("ascii")


def seal_author(public_key: str, name: str) -> str:
    """A reviewer's name sealed to ``public_key`` (one fresh key pair a name): only the salt's
    holder can read it."""
    recipient = X25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(public_key))
    ephemeral = X25519PrivateKey.generate()
    sender = _raw_public(ephemeral.public_key())
    data = name.encode("utf-8", "surrogatepass") + b"\x80"
    data += b"\0" * (-len(data) % _PAD)
    nonce = os.urandom(12)
    sealed = _cipher(ephemeral.exchange(recipient), sender).encrypt(nonce, data, None)
    return base64.urlsafe_b64encode(sender + nonce + sealed).decode("ascii")


def open_author(salt: str, sealed: str) -> str | None:
    """The name :func:`seal_author` sealed to this salt's public key; None when it cannot be
    read (sealed to another salt's key, damaged)."""
    try:
        data = base64.urlsafe_b64decode(sealed.encode("ascii"))
        sender, nonce, body = data[:32], data[32:44], data[44:]
        key = _private_key(salt)
        shared = key.exchange(X25519PublicKey.from_public_bytes(sender))
        plain = _cipher(shared, sender).decrypt(nonce, body, None)
    except (InvalidTag, ValueError, UnicodeEncodeError, binascii.Error):
        return None
    return plain.rstrip(b"\0").removesuffix(b"\x80").decode("utf-8", "surrogatepass")


def review_item(url: str, page: ExtractedPage, author_key: str) -> dict[str, Any]:
    """One listing page as a feed item: the raw reviews, not yet normalised, each reviewer's
    name sealed to ``author_key`` (``author_sealed``) in place of the name."""
    raws = []
    for raw in page.reviews:
        data = asdict(raw)
        author = data.pop("author", None)
        if author is not None:
            data["author_sealed"] = seal_author(author_key, str(author))
        raws.append(data)
    return {
        "type": "reviews",
        "url": url,
        "raw": raws,
        "aggregate": asdict(page.aggregate) if page.aggregate is not None else None,
    }


def signal_item(url: str, signals: Iterable[Any]) -> dict[str, Any]:
    """One page of a business's own site as a feed item: its service signals."""
    return {"type": "signals", "url": url, "signals": [asdict(signal) for signal in signals]}


def raw_reviews(item: Mapping[str, Any], salt: str = "") -> list[RawReview]:
    """The raw reviews of a feed item, as the extractor gave them, each sealed name opened with
    ``salt`` (one that cannot be opened is left out: the review is kept without its reviewer)."""
    reviews = []
    for data in item.get("raw") or ():
        values = {key: value for key, value in data.items() if key in _RAW_FIELDS}
        if isinstance(data.get("author_sealed"), str):
            values["author"] = open_author(salt, data["author_sealed"])
        if values.get("answers") is not None:
            values["answers"] = [tuple(pair) for pair in values["answers"]]
        reviews.append(RawReview(**values))
    return reviews


def raw_aggregate(item: Mapping[str, Any]) -> RawAggregate | None:
    data = item.get("aggregate")
    if not isinstance(data, Mapping):
        return None
    return RawAggregate(**{key: value for key, value in data.items() if key in _AGGREGATE_FIELDS})


def read_items(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The items of a JSON-lines feed (blank lines skipped)."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            raise FeedError(f"line {number} of the item feed is not JSON") from None
        if isinstance(item, dict):
            yield item


def result_line(result: Mapping[str, Any]) -> str:
    return RESULT_MARK + json.dumps(result, sort_keys=True, default=str)


def read_result(log: str) -> dict[str, Any] | None:
    """The result a feed-mode crawl logged at its end, or None when the log has none (the crawl
    died before closing)."""
    for line in reversed(log.splitlines()):
        at = line.find(RESULT_MARK)
        if at >= 0:
            try:
                result = json.loads(line[at + len(RESULT_MARK) :])
            except ValueError:
                return None
            return result if isinstance(result, dict) else None
    return None
