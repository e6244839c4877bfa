"""Live-chat and help-desk vendors installed on a page (``chat.vendor``, value a lowercase id).

Detected from what the browser would load or run, never from visible text (the word "crisp" in a
product description is not the Crisp widget):

- URLs in ``script[src]``, ``iframe[src]``, ``link[href]``, ``a[href]``, ``img[src]``, ``embed[src]``,
  ``object[data]`` and ``<style>`` imports that point at a vendor's widget hosts or endpoints (self-hosted LiveZilla by
  its path);
- the same URLs written inside inline scripts: vendor embed codes and tag-manager or
  ``document.write`` loaders that inject the widget (``'https://embed.tawk.to/…'``);
- well-known globals in inline JavaScript (``window.Intercom``, ``$zopim``, ``Tawk_API``,
  ``LiveChatWidget``, ``$crisp``, ``tidioChatApi``, ``window.olark``, ``drift.load``,
  ``HubSpotConversations``, ``LC_API``, ``zE(``, ``_bcvma``, ``lpMTagConfig``, ``fcWidget``…);
- a vendor's container element (``.fb-customerchat``, ``.zalo-chat-widget``, ``#livezilla_tracking``).

Zopim, Zendesk's former chat, is reported as ``"zendesk"`` with evidence naming zopim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from bs4.element import Tag

from crawler.extract.signals import Page, Signal, clip


@dataclass(frozen=True)
class _Rule:
    vendor: str
    urls: str = ""  # searched, case-insensitively, in URLs and in inline script text
    globals: str = ""  # searched, case-sensitively, in inline JavaScript only
    elements: str = ""  # a CSS selector


# Order matters only for evidence: a Zopim install is reported through the first zendesk rule.
_RULES = (
    _Rule("zendesk", r"zopim\.(?:com|io|net)", r"\$zopim\b"),
    _Rule(
        "zendesk",
        r"zdassets\.com|(?<![\w.-])(?!www\.)[a-z0-9-]+\.zendesk\.com",
        r"\bzE\(\s*['\"]|\bzESettings\b|\bzEmbed\b",
    ),
    _Rule(
        "intercom",
        r"widget\.intercom\.io|intercomcdn\.com|api-iam\.intercom\.io",
        r"window\.Intercom\b|\bIntercom\(\s*['\"]boot|\bintercomSettings\b",
    ),
    _Rule(
        "tawk.to", r"(?:embed|va)\.tawk\.to|tawk\.to/chat|tawk\.link", r"\bTawk_(?:API|LoadStart)"
    ),
    _Rule(
        "livechat",
        r"livechatinc\.com|(?:direct|cdn)\.lc\.chat|livechat-files\.com",
        r"\b__lc\.license|\bLiveChatWidget\b|\bLC_API\b",
    ),
    _Rule("crisp", r"(?:client|go|settings)\.crisp\.chat", r"\$crisp\b|\bCRISP_WEBSITE_ID\b"),
    _Rule(
        "freshchat",
        r"wchat\.freshchat\.com|(?<![\w.-])(?!www\.)[a-z0-9-]+\.freshchat\.com|fw-cdn\.com",
        r"\bfcWidget\b|\bfcSettings\b",
    ),
    _Rule(
        "freshdesk",
        r"assets\.freshdesk\.com|widget\.freshworks\.com"
        r"|(?<![\w.-])(?!www\.)[a-z0-9-]+\.freshdesk\.com",
        r"\bFreshWidget\b|\bFreshworksWidget\b",
    ),
    _Rule("olark", r"(?:static|api|assets)\.olark\.com", r"window\.olark\b|\bolark\.identify\b"),
    _Rule(
        "liveperson",
        r"liveperson\.net|lpsnmedia\.net|lptag\.liveperson|liveperson\.com/",
        r"\blpMTagConfig\b|\blpTag\b",
    ),
    _Rule(
        "boldchat",
        r"(?<![\w.-])(?!www\.)[a-z0-9-]+\.boldchat\.com|boldchat\.com/aid/",
        r"\b_bcvm[aw]\b|\bBoldChat\b",
    ),
    _Rule(
        "drift",
        r"js\.driftt\.com|widget\.drift\.com|drift\.com/include",
        r"\bdrift\.(?:load|SNIPPET_VERSION)\b|\bdriftt\b",
    ),
    _Rule(
        "hubspot",
        r"js\.usemessages\.com|app\.hubspot\.com/conversations",
        r"\bHubSpotConversations\b|\bhsConversationsSettings\b",
        "#hubspot-messages-iframe-container",
    ),
    _Rule(
        "tidio",
        r"(?:code|widget)\.tidio\.co\b|tidiochat\.com",
        r"\btidioChat(?:Api|Code)\b|\btidioIdentify\b",
        "#tidio-chat",
    ),
    _Rule("livezilla", r"livezilla", r"\blivezilla\b", "#livezilla_tracking, #livezilla_style"),
    _Rule(
        "facebook_chat",
        r"xfbml\.customerchat\.js|/plugins/customer_?chat",
        "",
        ".fb-customerchat, [attribution=biz_inbox]",
    ),
    _Rule("zalo_chat", r"", r"\bZaloSocialSDK\.chat\b", ".zalo-chat-widget"),
)
_URL_ATTRIBUTES = {
    "script": "src",
    "iframe": "src",
    "link": "href",
    "a": "href",
    "img": "src",
    "embed": "src",
    "object": "data",
}
_JAVASCRIPT = re.compile(r"^$|javascript|ecmascript|module|babel", re.I)
_COMPILED = tuple(
    (
        rule,
        re.compile(rule.urls, re.I) if rule.urls else None,
        re.compile(rule.globals) if rule.globals else None,
    )
    for rule in _RULES
)


class _Haystack(NamedTuple):
    kind: str  # "script src", "inline script"... (said in the evidence)
    text: str
    javascript: bool


def extract(page: Page) -> list[Signal]:
    haystacks = list(_haystacks(page))
    found: dict[str, Signal] = {}
    for rule, urls, globals_ in _COMPILED:
        if rule.vendor in found:
            continue
        evidence = _search(haystacks, urls, globals_)
        if evidence is None and rule.elements:
            element = page.soup.select_one(rule.elements)
            if element is not None:
                evidence = f"element: {_describe(element)}"
        if evidence is not None:
            found[rule.vendor] = page.signal("chat.vendor", rule.vendor, None, evidence)
    return list(found.values())


def _haystacks(page: Page) -> list[_Haystack]:
    found: list[_Haystack] = []
    for tag in page.soup.find_all(list(_URL_ATTRIBUTES)):
        attribute = _URL_ATTRIBUTES[tag.name]
        value = str(tag.get(attribute) or "").strip()
        if value:
            found.append(_Haystack(f"{tag.name} {attribute}", value, False))
        if tag.name == "script" and not value:
            kind = str(tag.get("type") or "").strip()
            if "ld+json" not in kind.lower():
                code = tag.get_text()
                if code.strip():
                    found.append(_Haystack("inline script", code, bool(_JAVASCRIPT.search(kind))))
    for style in page.soup.find_all("style"):  # a widget's stylesheet: @import url(…)
        found.append(_Haystack("style", style.get_text(), False))
    return found


def _search(
    haystacks: list[_Haystack], urls: re.Pattern[str] | None, globals_: re.Pattern[str] | None
) -> str | None:
    for haystack in haystacks:
        for pattern in (urls, globals_ if haystack.javascript else None):
            match = pattern.search(haystack.text) if pattern is not None else None
            if match is not None:
                start = max(0, match.start() - 50)
                return f"{haystack.kind}: {clip(haystack.text[start : match.end() + 90], 140)}"
    return None


def _describe(element: Tag) -> str:
    ident = str(element.get("id") or "")
    classes = " ".join(str(c) for c in element.get_attribute_list("class") if c)
    marks = ([f'id="{ident}"'] if ident else []) + ([f'class="{classes}"'] if classes else [])
    return " ".join([f"<{element.name}", *marks]) + ">"
