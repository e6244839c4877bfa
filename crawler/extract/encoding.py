"""What a page's bytes say, as text: the encoding decided from the bytes themselves, and the damage.

A page's HTTP header is the least reliable word on its encoding: a server configured once for
Latin-1 keeps saying so of the UTF-8 pages a new CMS writes, and a page read as the header says
would be stored as ``phá»¥c vá»¥`` for "phục vụ". So the bytes decide first (:func:`decode_page`):

1. a byte-order mark;
2. the body is UTF-8: it decodes strictly and has at least one multi-byte character (random
   Latin-1 or Shift JIS text almost never does), or nearly all of its non-ASCII bytes form UTF-8
   characters (a UTF-8 page with a stray invalid byte);
3. the page's own ``<meta charset>`` or ``http-equiv`` declaration;
4. the HTTP ``Content-Type`` header;
5. Windows-1252, what browsers assume of an undeclared Western page.

Past step 2 the bytes are not UTF-8, so a declaration of UTF-8 (a template's stock ``<meta>``)
yields to one naming another encoding, and decides only when it is the only one.

Scrapy's ``TextResponse`` and w3lib's ``html_to_unicode`` put the header before the body's own
evidence (BOM, then the header, then ``<meta>``), which is why the crawl does not use them here.
Bytes that are not valid in the encoding decided are replaced by U+FFFD and counted, never a reason
to drop the page. :func:`looks_garbled` then tells whether a text still reads as UTF-8 decoded as
Latin-1/Windows-1252, the mojibake a wrong decision (ours or the site's own) leaves.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

#: At most one invalid byte per this many valid UTF-8 characters still makes a page UTF-8.
UTF8_DAMAGE_RATIO = 20
#: What an undeclared page is read as when its bytes are not UTF-8.
FALLBACK = "cp1252"

_REPLACEMENT = "\ufffd"
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_ASCII = bytes(range(128))
#: A UTF-8 lead byte read as Latin-1/Windows-1252 (Â … ô), then continuation bytes read the same
#: way: U+0080–U+00BF, or the characters Windows-1252 puts at 0x80–0x9F.
_MOJIBAKE = re.compile(
    "[\u00c2-\u00f4]"
    "[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]{1,3}"
)


@dataclass(frozen=True)
class DecodedPage:
    """A page's text, the encoding it was read in, and how many bytes could not be read."""

    text: str
    encoding: str
    #: U+FFFD characters put in for bytes invalid in ``encoding`` (not those the page had).
    replaced: int
    #: The page as UTF-8 bytes, what the extractors read.
    utf8: bytes


def decode_page(body: bytes, content_type: str | None = None) -> DecodedPage:
    """The page's text, its encoding decided from its bytes before its header (see the module)."""
    bom_encoding, bom = read_bom(body)
    if bom_encoding is not None and bom is not None:
        return _decoded(body[len(bom) :], bom_encoding, keep_bytes=False)
    if _is_utf8(body):
        return _decoded(body, "utf-8", keep_bytes=True)
    declarations = [
        _known(html_body_declared_encoding(body)),
        _known(http_content_type_encoding(content_type)),
    ]
    # The bytes are not UTF-8: a declaration saying they are yields to one that says otherwise
    # (a template's stock <meta charset="utf-8"> above a Windows-1258 page the header names).
    declared = next((name for name in declarations if name and name != "utf-8"), None)
    if declared is None and "utf-8" in declarations:
        declared = "utf-8"
    if declared in ("utf-16", "utf-32"):
        declared += "-be"
    return _decoded(body, declared or FALLBACK, keep_bytes=declared == "utf-8")


def as_utf8(body: bytes, content_type: str | None = None) -> bytes:
    """The page as UTF-8 (:func:`decode_page`), whatever it was served in; invalid bytes become
    U+FFFD. A valid UTF-8 page is returned as it is."""
    return decode_page(body, content_type).utf8


def looks_garbled(text: object) -> bool:
    """Whether ``text`` (a review's text as the page states it) holds UTF-8 read as Latin-1 or
    Windows-1252 (``phá»¥c`` for ``phục``): a run of such characters that, put back into bytes, is
    a UTF-8 character. Not a string: False."""
    if not isinstance(text, str):
        return False
    for match in _MOJIBAKE.finditer(text):
        run = match.group()
        for single_byte in ("cp1252", "latin-1"):
            try:
                run.encode(single_byte).decode("utf-8")
            except UnicodeError:
                continue
            return True
    return False


def _is_utf8(body: bytes) -> bool:
    """Whether the body is UTF-8: strictly, with a multi-byte character in it (an ASCII-only body
    is left to its declaration: ISO-2022-JP and the like are 7-bit), or but for a few stray
    bytes."""
    if not _NON_ASCII.search(body):
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("utf-8", "replace")
        damage = text.count(_REPLACEMENT) - body.count(b"\xef\xbf\xbd")
        ascii_bytes = len(body) - len(body.translate(None, _ASCII))
        readable = len(text) - ascii_bytes - text.count(_REPLACEMENT)
        return readable >= UTF8_DAMAGE_RATIO * damage
    return True


def _known(encoding: str | None) -> str | None:
    """Python's name for an encoding a page declares, or None for one Python cannot read."""
    if not encoding:
        return None
    resolved = resolve_encoding(encoding)
    if resolved is None:
        return None
    try:
        return codecs.lookup(resolved).name
    except LookupError:
        return None


def _decoded(body: bytes, encoding: str, *, keep_bytes: bool) -> DecodedPage:
    text = body.decode(encoding, "replace")
    replaced = text.count(_REPLACEMENT)
    if encoding == "utf-8":
        replaced -= body.count(b"\xef\xbf\xbd")  # the page's own U+FFFD, not damage
    utf8 = body if keep_bytes and not replaced else text.encode("utf-8", "replace")
    return DecodedPage(text, encoding, replaced, utf8)
