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

A page with none of these vendors but a chat of another is reported as ``"unknown"``, with what was
seen as evidence (the vendor is never guessed from a name, least of all a container's: a ``<div
id="chat-container">`` is no evidence of anything):

- a ``script[src]``, or a script an inline loader injects, or an ``iframe[src]``, whose URL says
  chat (``/livechat/``, ``webchat.js``, ``chat.vendor.vn``, ``wp-live-chat-support``);
- an ``iframe`` titled so ("Live chat widget");
- a link or button whose whole text, ``aria-label`` or ``title`` is a chat opener: "Live chat",
  "Chat now", "Chat with us", "Start a chat", "Chat ngay", "Chat với chúng tôi", "Chat trực
  tuyến", "Trò chuyện ngay", "Trò chuyện với chúng tôi", with or without marks; bare "Trò chuyện"
  only on a button or a link that opens nothing else (``#``, ``javascript:``), since a blog's
  "Trò chuyện" section is a page.

Not chat: the word in prose, headings or a post titled "Chat with our chef"; links to messaging
apps (Zalo, Messenger, WhatsApp, Telegram, Viber…: channels, see :mod:`.channels`) and scripts of
their share and click-to-chat buttons; phone and mail links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import urlsplit

from bs4.element import Tag

from crawler.extract.signals import Page, Signal, clip, fold


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


#: A URL word that says chat (URLs split at anything but letters and digits, and at camelCase).
_CHAT_TOKENS = frozenset(
    "chat livechat webchat chatbox chatbot chatwidget chatclient chatbutton chatsdk chatloader"
    " chatembed".split()
)
_TOKEN = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
#: Messaging apps and social networks: their links and click-to-chat scripts are channels.
_MESSAGING = re.compile(
    r"zalo|whatsapp|(?<![a-z])wa\.me|messenger|facebook|fbcdn|(?<![a-z])m\.me|telegram"
    r"|(?<![a-z])t\.me/|viber|skype|line\.me|kakao|wechat|(?<![a-z])fb(?![a-z])",
    re.I,
)
_NOT_OPENERS = re.compile(r"^(?:tel|mailto|sms|callto|whatsapp|viber|skype|tg|zalo):", re.I)
_LOADED_SCRIPT = re.compile(r"(?:https?:)?//[\w.-]+(?::\d+)?/[^\s'\"<>()\\]*?\.js\b", re.I)
#: A chat opener's whole text, folded ("Chat với chúng tôi" → "chat voi chung toi").
_OPENER_EN = (
    r"(?:click (?:here )?to )?(?:(?:open|start) (?:a |the |new )*(?:live ?)?chat(?: now)?"
    r"|live ?chat(?: (?:now|with us|support|online))?|chat (?:now|online|live|support)"
    r"|chat with (?:us|(?:an? |our )?(?:agent|expert|advisor|specialist|team|support"
    r"|representative|consultant)|customer (?:service|support|care))(?: now)?"
    r"|online chat|web ?chat)"
)
_OPENER_VI = (
    r"(?:mo |bat dau )?(?:chat|tro chuyen) (?:ngay|truc tuyen|online|voi (?:chung toi|shop"
    r"|cua hang|nhan vien|tu van vien|chuyen vien|cskh|tu van))(?: (?:ngay|tu van|ho tro))*"
    r"|chat (?:tu van|ho tro)(?: ngay| truc tuyen)?"
)
_OPENER = re.compile(f"(?:{_OPENER_EN}|{_OPENER_VI})(?: (?:widget|window|box|button|icon))?")
_BARE_OPENER = re.compile(r"(?:mo |bat dau )?tro chuyen")
_SLUG_WORDS = 3  # a path segment of this many words or more is a page's name
_EDGES = re.compile(r"^[^a-z0-9]+|[^a-z0-9]+$")
_CONTROLS = "a, button, [role=button], input[type=button], input[type=submit], iframe"


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
    if not found:
        evidence = _chat_source(haystacks) or _chat_control(page)
        if evidence is not None:
            found["unknown"] = page.signal("chat.vendor", "unknown", None, evidence)
    return list(found.values())


def _chat_source(haystacks: list[_Haystack]) -> str | None:
    """A script or iframe whose URL says chat (a script an inline loader injects included)."""
    for haystack in haystacks:
        if haystack.kind in ("script src", "iframe src"):
            urls = [haystack.text]
        elif haystack.javascript:  # a loader, not a template or a page's data
            urls = [match.group() for match in _LOADED_SCRIPT.finditer(haystack.text)]
        else:
            continue
        for url in urls:
            if _says_chat(url, page=haystack.kind == "iframe src"):
                return f"{haystack.kind}: {clip(url, 140)}"
    return None


def _says_chat(url: str, *, page: bool = False) -> bool:
    """Whether a URL's host or path says chat; a page's (an iframe's) not by a slug in its path
    (``/embed/chat-with-our-chef`` is a video)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    if _MESSAGING.search(parts.netloc + parts.path):
        return False
    segments = [parts.netloc, *parts.path.split("/")]
    if page:
        segments = [s for s in segments if len(re.split(r"[-_]+", s)) < _SLUG_WORDS]
    words = {
        word.lower()
        for segment in segments
        for piece in re.split(r"[^A-Za-z0-9]+", segment)
        for word in _words(piece)
    }
    return not words.isdisjoint(_CHAT_TOKENS)


def _host(url: str) -> str:
    try:
        return urlsplit(url).netloc
    except ValueError:  # "http://[x": a page's href is untrusted text
        return ""


def _words(piece: str) -> list[str]:
    """``"liveChatWidget"`` → ``["liveChatWidget", "live", "Chat", "Widget"]`` (whole and parts)."""
    return [piece, *_TOKEN.findall(piece)] if piece else []


def _chat_control(page: Page) -> str | None:
    """A link or button that opens a chat, by what it says."""
    for element in page.soup.select(_CONTROLS):
        name = element.name
        href = str(element.get("href") or "").strip() if name == "a" else ""
        if href and (_NOT_OPENERS.match(href) or _MESSAGING.search(_host(href))):
            continue
        if name == "iframe":
            labels = [element.get("title"), element.get("aria-label")]
        elif name == "input":
            labels = [element.get("value"), element.get("aria-label"), element.get("title")]
        else:
            labels = [element.get_text(" "), element.get("aria-label"), element.get("title")]
        opens_nothing_else = name != "a" or not href or href.startswith(("#", "javascript:"))
        for label in labels:
            text = clip(str(label or ""), 80)
            folded = _EDGES.sub("", fold(text))
            if _OPENER.fullmatch(folded) or (
                opens_nothing_else and name != "iframe" and _BARE_OPENER.fullmatch(folded)
            ):
                where = f" ({clip(href, 60)})" if href else ""
                return f'{"link" if name == "a" else name}: "{text}"{where}'
    return None


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
