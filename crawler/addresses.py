"""Which addresses a crawler may be pointed at, and which pages of a crawl count as the same site.

A source's address comes from ``ladder.toml``, and its pages from whoever runs the site: neither
may turn the crawler against the machine it runs on or the network around it. :func:`host_class`
reads a host as written, with no DNS lookup, the way a browser reads it (``2852039166``,
``0xA9.254.169.254`` and ``[::ffff:169.254.169.254]`` are all 169.254.169.254), and says what it is:
cloud metadata, link-local, loopback, private, or one of the ranges no public site lives in.

:func:`same_origin` is the rule for the pages of one listing: same scheme, host and port as its
first page, except that an ``http://`` address may move to ``https://`` on the same host (default
ports only), which is how most sites answer a plain-HTTP request.
"""

from __future__ import annotations

import ipaddress
from typing import Final
from urllib.parse import unquote, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: What a host is, for the ranges that are refused; None (in :func:`host_class`) is a public host.
METADATA: Final = "a cloud metadata address"
LINK_LOCAL: Final = "a link-local address"
LOOPBACK: Final = "this machine (loopback)"
PRIVATE: Final = "a private-network address"
UNSPECIFIED: Final = "the unspecified address"
MULTICAST: Final = "a multicast address"
RESERVED: Final = "a reserved address, where no public site lives"

#: Classes no setting allows: what lives there is the machine's cloud credentials or nothing.
NEVER: Final = frozenset({METADATA, LINK_LOCAL, UNSPECIFIED, MULTICAST, RESERVED})

#: Cloud instance-metadata services (AWS, GCP, Azure, Oracle: 169.254.169.254; AWS over IPv6:
#: fd00:ec2::254; AWS ECS tasks: 169.254.170.2; Alibaba: 100.100.100.200) and their names.
METADATA_ADDRESSES: Final = frozenset(
    ipaddress.ip_address(text)
    for text in ("169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200")
)
METADATA_NAMES: Final = frozenset(
    {"metadata.google.internal", "metadata", "instance-data", "instance-data.ec2.internal"}
)

PRIVATE_NETWORKS: Final = tuple(
    ipaddress.ip_network(text)
    for text in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
#: IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64, RFC 6052).
_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")
DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """``host`` read as an IPv4 address the way browsers and libc read it (WHATWG URL standard):
    one to four parts, each decimal, ``0x`` hex or ``0``-led octal, the last filling the bytes
    left; None when ``host`` is not one.

    >>> str(parse_ipv4("2852039166")), str(parse_ipv4("0xA9.254.169.254")), str(parse_ipv4("127.1"))
    ('169.254.169.254', '169.254.169.254', '127.0.0.1')
    >>> parse_ipv4("example.com") is None, parse_ipv4("1.2.3.4.5") is None
    (True, True)
    """
    parts = host.split(".")
    if parts and parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if not 1 <= len(parts) <= 4:
        return None
    numbers = []
    for part in parts:
        try:
            if part[:2].lower() == "0x":
                numbers.append(int(part[2:] or "0", 16))
            elif len(part) > 1 and part.startswith("0"):
                numbers.append(int(part[1:], 8))
            elif part.isdigit():
                numbers.append(int(part))
            else:
                return None
        except ValueError:
            return None
    *leading, last = numbers
    if any(number > 255 for number in leading) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def host_address(host: str) -> IPAddress | None:
    """The IP address ``host`` (a URL's host, brackets and all) is written as, or None for a name."""
    text = unquote(host).strip().lower().rstrip(".")
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text.split("%")[0])  # a zone id (fe80::1%eth0) aside
        except ValueError:
            return None
    return parse_ipv4(text)


def address_class(address: IPAddress) -> str | None:
    """What range ``address`` is in (the module's constants), or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return address_class(embedded)
    if address in METADATA_ADDRESSES:
        return METADATA
    if address.is_unspecified or (
        isinstance(address, ipaddress.IPv4Address) and address.packed[0] == 0
    ):
        return UNSPECIFIED
    if address.is_loopback:
        return LOOPBACK
    if address.is_link_local:
        return LINK_LOCAL
    if address.is_multicast:
        return MULTICAST
    if any(address in network for network in PRIVATE_NETWORKS):
        return PRIVATE
    if not address.is_global:
        return RESERVED
    return None


def host_class(host: str) -> str | None:
    """What ``host`` is, read as written (no DNS lookup): an IP address in any of its written forms,
    or the names ``localhost``, ``*.localhost`` (loopback by RFC 6761) and the cloud metadata
    names. None for a public address or any other name."""
    name = unquote(host).strip().lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return LOOPBACK
    if name in METADATA_NAMES:
        return METADATA
    address = host_address(host)
    return None if address is None else address_class(address)


def url_host(url: str) -> str:
    """The host of ``url`` as written (IPv6 in brackets); empty when it has none."""
    netloc = urlsplit(url).netloc.rpartition("@")[2]
    if netloc.startswith("["):
        return netloc[: netloc.find("]") + 1] if "]" in netloc else netloc
    return netloc.partition(":")[0]


def origin(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of ``url``, the port filled in for http and https."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1  # not a port: never the same origin as a real one
    host = (parts.hostname or "").rstrip(".")
    return scheme, host, port if port is not None else DEFAULT_PORTS.get(scheme)


def same_origin(start: str, url: str) -> bool:
    """Whether ``url`` is on the origin of ``start``: same scheme, host and port, or the ``https``
    of an ``http`` start on the same host, both on default ports."""
    first, other = origin(start), origin(url)
    if other == first:
        return True
    return first == ("http", other[1], 80) and other == ("https", first[1], 443)
