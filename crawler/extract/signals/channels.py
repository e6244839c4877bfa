"""Support channels a page offers.

Detects:

- ``channel.phone`` — ``tel:`` links, schema.org ``telephone``, and numbers after "Hotline",
  "Điện thoại", "ĐT", "SĐT", "Tel", "Phone", "Call us"... (not "Fax"); value as written, spacing
  normalised; one signal per number (``+84 909…`` and ``0909…`` are one number)
- ``channel.email`` — ``mailto:`` links, schema.org ``email`` and addresses in the text
- ``channel.contact_form`` — a ``<form>`` with a message box and a way to answer (not a comment,
  search or newsletter form)
- ``channel.zalo`` — ``zalo.me`` links (value: the id or phone), "Zalo: 0909…" in the text, the Zalo
  chat widget; True when no id is shown
- ``channel.messenger`` — ``m.me``/``messenger.com`` links, the Facebook customer-chat plugin
- ``channel.whatsapp`` — ``wa.me``, ``api.whatsapp.com/send`` and ``whatsapp://`` links to a
  number (not share links)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

from bs4.element import Tag

from crawler.extract.signals import Page, Signal, clip

_PHONE_WORDS = re.compile(
    r"(?<![a-z])(?:hotline|tong dai|so dien thoai|dien thoai|sdt|dt|tel|telephone|phone|call us"
    r"|call|goi ngay|goi|mobile|di dong|cskh)(?![a-z])[^0-9+(\n]{0,12}"
)
_NUMBER = re.compile(r"\+?(?:\(\d{2,4}\)\s?)?\d(?:[ .\-]?\d){6,14}(?!\d)")
_NEXT_NUMBER = re.compile(r"\s*(?:-|–|/|,|;|hoac|or)\s*")
_FAX = re.compile(r"fax[^0-9\n]{0,6}$")
_EMAIL = re.compile(
    r"(?<![a-z0-9._%+-])[a-z0-9][a-z0-9._%+-]{0,63}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,5}"
    r"\.[a-z]{2,24}(?![a-z])",
    re.I,
)
_NOT_EMAIL = re.compile(r"\.(?:png|jpe?g|gif|webp|svg|css|js)$")
_ZALO_TEXT = re.compile(r"(?<![a-z])zalo(?![a-z])[^0-9\n]{0,10}(\+?\d[\d .]{7,14}\d)")
_ZALO_HOSTS = ("zalo.me", "chat.zalo.me", "www.zalo.me")
_MESSENGER = re.compile(
    r"^(?:https?://(?:www\.)?(?:m\.me|messenger\.com|facebook\.com/messages)/"
    r"|fb-messenger://)",
    re.I,
)
# A number to write to: a share link (``api.whatsapp.com/send?text=…``) is no channel.
_WHATSAPP = re.compile(
    r"^(?:https?://(?:wa\.me/\+?\d|(?:api|web)\.whatsapp\.com/send/?\?(?:[^#]*&)?phone=\+?\d)"
    r"|whatsapp://send/?\?(?:[^#]*&)?phone=\+?\d)",
    re.I,
)
_MESSAGE_FIELDS = re.compile(r"message|noi ?dung|comment|tin ?nhan|enquiry|inquiry|question", re.I)
_NOT_CONTACT = re.compile(r"comment|search|newsletter|subscribe|login|register|cart|checkout", re.I)


def extract(page: Page) -> list[Signal]:
    return [
        *_phones(page),
        *_emails(page),
        *_contact_forms(page),
        *_zalo(page),
        *_links(page, _MESSENGER, "channel.messenger"),
        *_links(page, _WHATSAPP, "channel.whatsapp"),
        *_messenger_plugin(page),
    ]


def _phones(page: Page) -> list[Signal]:
    found: dict[str, Signal] = {}

    def add(number: str, seen: str) -> None:
        value = " ".join(number.strip(" .-").split())
        digits = re.sub(r"\D", "", value)
        key = "0" + digits[2:] if digits.startswith("84") and len(digits) >= 11 else digits
        if 8 <= len(digits) <= 15 and key not in found:
            found[key] = page.signal("channel.phone", value, None, seen)

    for anchor in page.anchors:
        if anchor.href.lower().startswith("tel:"):
            number = unquote(anchor.href[4:]).split("?")[0]
            shown = anchor.text if _NUMBER.fullmatch(anchor.text.strip()) else number
            add(shown, f"{anchor.text} ({anchor.href})")
    for node in page.nodes:
        phone = node.get("telephone")
        if isinstance(phone, str):
            add(phone, f"schema.org telephone {phone}")
    for match in _PHONE_WORDS.finditer(page.folded):
        if _FAX.search(page.folded, max(0, match.start() - 8), match.start()):
            continue
        written = _NUMBER.match(page.text, match.end())
        while written is not None:  # "Hotline: 1900 6750 - 0909 123 456"
            add(written.group(), page.snippet(match.start(), written.end()))
            separator = _NEXT_NUMBER.match(page.folded, written.end())
            written = _NUMBER.match(page.text, separator.end()) if separator else None
    return list(found.values())


def _emails(page: Page) -> list[Signal]:
    found: dict[str, Signal] = {}

    def add(address: str, seen: str) -> None:
        value = address.strip().lower()
        if _EMAIL.fullmatch(value) and not _NOT_EMAIL.search(value) and value not in found:
            found[value] = page.signal("channel.email", value, None, seen)

    for anchor in page.anchors:
        if anchor.href.lower().startswith("mailto:"):
            add(unquote(anchor.href[7:]).split("?")[0], f"{anchor.text} ({anchor.href})")
    for node in page.nodes:
        email = node.get("email")
        if isinstance(email, str):
            add(email.removeprefix("mailto:"), f"schema.org email {email}")
    for match in _EMAIL.finditer(page.text):
        add(match.group(), page.snippet(match.start(), match.end()))
    return list(found.values())


def _contact_forms(page: Page) -> list[Signal]:
    for form in page.soup.find_all("form"):
        marks = " ".join(
            str(form.get(attribute) or "") for attribute in ("id", "class", "action", "name")
        )
        if _NOT_CONTACT.search(marks):
            continue
        fields = [
            field
            for field in form.find_all(["input", "textarea", "select"])
            if isinstance(field, Tag)
            and str(field.get("type") or "text").lower()
            not in ("hidden", "submit", "button", "image", "reset", "search", "checkbox")
        ]
        names = [
            " ".join(str(field.get(a) or "") for a in ("name", "id", "placeholder", "type"))
            for field in fields
        ]
        has_message = any(field.name == "textarea" for field in fields) or any(
            _MESSAGE_FIELDS.search(name) for name in names
        )
        if has_message and len(fields) >= 2:
            action = str(form.get("action") or page.url)
            seen = f"form {action} fields: " + ", ".join(n.split(" ")[0] for n in names if n)
            return [page.signal("channel.contact_form", True, None, seen)]
    return []


def _zalo(page: Page) -> list[Signal]:
    found: list[Signal] = []
    for anchor in page.anchors:
        parts = urlsplit(anchor.url) if anchor.url else None
        if parts is not None and parts.hostname in _ZALO_HOSTS:
            ident = parts.path.strip("/").split("/")[0]
            value: str | bool = ident if re.fullmatch(r"[\w.]{3,40}", ident) else True
            found.append(page.signal("channel.zalo", value, None, f"{anchor.text} ({anchor.url})"))
    for match in _ZALO_TEXT.finditer(page.folded):
        number = re.sub(r"\D", "", match.group(1))
        found.append(page.signal("channel.zalo", number, None, page.snippet(*match.span())))
    for widget in page.soup.select(".zalo-chat-widget, [data-oaid]"):
        oaid = str(widget.get("data-oaid") or "")
        value = oaid if oaid.isdigit() else True
        found.append(page.signal("channel.zalo", value, None, f"Zalo widget data-oaid={oaid}"))
    specific = [signal for signal in found if signal.value is not True]
    return specific or found[:1]


def _links(page: Page, pattern: re.Pattern[str], name: str) -> Iterator[Signal]:
    for anchor in page.anchors:
        if pattern.search(anchor.href) or (anchor.url and pattern.search(anchor.url)):
            yield page.signal(name, True, None, f"{anchor.text} ({clip(anchor.href, 100)})")
            return


def _messenger_plugin(page: Page) -> Iterator[Signal]:
    plugin = page.soup.select_one(".fb-customerchat, [attribution=biz_inbox]")
    if plugin is not None:
        yield page.signal("channel.messenger", True, None, "Facebook customer chat plugin")
