"""Service signals from a business's own pages (crawler/extract/signals/), on the project's own
fixture pages (tests/fixtures/signals/) and on small inline pages."""

from __future__ import annotations

import logging

import pytest

from crawler.extract.signals import Signal, extract_signals, links_to_follow
from tests.conftest import FIXTURES

PAGES = FIXTURES / "signals"
URL = "https://www.trasenphoco.vn/"
UNITS: dict[str, str | None] = {
    "channel.phone": None,
    "channel.email": None,
    "channel.contact_form": None,
    "channel.zalo": None,
    "channel.messenger": None,
    "channel.whatsapp": None,
    "chat.vendor": None,
    "help.centre": None,
    "hours.per_week": "hours/week",
    "hours.open_24_7": None,
    "returns.window_days": "days",
    "warranty.months": "months",
    "response.promise_hours": "hours",
    "delivery.promise_hours": "hours",
    "payment.cod": None,
}


def page(name: str, url: str = URL) -> list[Signal]:
    return extract_signals((PAGES / name).read_bytes(), url)


def html(body: str) -> list[Signal]:
    return extract_signals(f"<html><body>{body}</body></html>", URL)


def values(found: list[Signal], name: str) -> set[object]:
    return {signal.value for signal in found if signal.name == name}


# Every family in both languages: the whole set of values the page gives for that signal.
FAMILIES = [
    ("vi_shop_home.html", "channel.phone", {"1900 6750", "0909.123.456"}),
    ("vi_shop_home.html", "channel.email", {"cskh@trasenphoco.vn"}),
    ("vi_shop_home.html", "channel.zalo", {"0909123456"}),
    ("vi_shop_home.html", "channel.messenger", {True}),
    ("vi_shop_home.html", "chat.vendor", {"tawk.to"}),
    ("vi_shop_home.html", "help.centre", {True}),
    ("vi_shop_home.html", "hours.per_week", {98.0}),
    ("vi_shop_home.html", "returns.window_days", {7.0}),
    ("vi_shop_home.html", "shipping.free_threshold", {300000.0}),
    ("vi_shop_home.html", "delivery.promise_hours", {2.0}),
    ("vi_shop_home.html", "payment.cod", {True}),
    ("vi_faq.html", "help.centre", {True}),
    ("vi_faq.html", "response.promise_hours", {2.0}),
    ("vi_faq.html", "warranty.months", {12.0}),
    ("vi_faq.html", "delivery.promise_hours", {72.0}),
    ("vi_faq.html", "payment.cod", {True}),
    ("vi_returns_policy.html", "returns.window_days", {30.0}),
    ("vi_returns_policy.html", "warranty.months", {12.0}),
    ("vi_returns_policy.html", "response.promise_hours", {24.0}),
    ("vi_returns_policy.html", "channel.phone", {"(028) 3822 1234"}),
    ("vi_returns_policy.html", "help.centre", {True}),
    ("vi_contact.html", "channel.contact_form", {True}),
    ("vi_contact.html", "channel.phone", {"028 3930 5566"}),
    ("vi_contact.html", "channel.zalo", {"0912345678", "579745863508352884"}),
    ("vi_contact.html", "channel.messenger", {True}),
    ("vi_contact.html", "chat.vendor", {"zalo_chat", "facebook_chat"}),
    ("vi_contact.html", "hours.per_week", {54.0}),
    ("en_store.html", "channel.phone", {"(503) 555-0142"}),
    ("en_store.html", "channel.email", {"hello@northwind-outdoor.example"}),
    ("en_store.html", "channel.whatsapp", {True}),
    ("en_store.html", "help.centre", {True}),
    ("en_store.html", "hours.per_week", {44.0}),
    ("en_store.html", "returns.window_days", {30.0}),
    ("en_store.html", "warranty.months", {24.0}),
    ("en_store.html", "response.promise_hours", {24.0}),
    ("en_store.html", "delivery.promise_hours", {24.0}),
    ("en_store.html", "shipping.free_threshold", {50.0}),
    ("en_contact.html", "channel.contact_form", {True}),
    ("en_contact.html", "channel.phone", {"1-800-555-0199"}),
    ("en_contact.html", "response.promise_hours", {48.0}),
    ("en_contact.html", "hours.per_week", {168.0}),
    ("en_contact.html", "hours.open_24_7", {True}),
    ("en_contact.html", "payment.cod", {True}),
    ("en_bar_late.html", "channel.phone", {"020 7123 4567"}),
    ("gtm_widget.html", "warranty.months", {60.0}),
]


@pytest.mark.parametrize(("name", "signal", "expected"), FAMILIES)
def test_each_family_in_both_languages(name: str, signal: str, expected: set[object]) -> None:
    assert values(page(name), signal) == expected


@pytest.mark.parametrize(
    "name", sorted(path.name for path in PAGES.glob("*.html")), ids=lambda name: name
)
def test_every_signal_is_well_formed(name: str) -> None:
    found = page(name, "https://example.test/page")
    assert found
    keys = [(signal.name, signal.value) for signal in found]
    assert len(keys) == len(set(keys)), "one signal per distinct finding"
    for signal in found:
        assert signal.url == "https://example.test/page"
        assert 0 < len(signal.evidence) <= 160
        assert signal.evidence == signal.evidence.strip()
        assert "\n" not in signal.evidence
        if signal.name == "shipping.free_threshold":
            assert signal.unit in ("VND", "USD", "EUR", "GBP")
        else:
            assert signal.unit == UNITS[signal.name], signal


def test_free_shipping_thresholds_carry_their_currency() -> None:
    vnd = [s for s in page("vi_shop_home.html") if s.name == "shipping.free_threshold"]
    usd = [s for s in page("en_store.html") if s.name == "shipping.free_threshold"]
    assert [(s.value, s.unit) for s in vnd] == [(300000.0, "VND")]
    assert [(s.value, s.unit) for s in usd] == [(50.0, "USD")]


def test_a_contact_form_but_not_a_comment_search_or_newsletter_form() -> None:
    contact = [s for s in page("en_contact.html") if s.name == "channel.contact_form"]
    assert len(contact) == 1
    assert "/contact/send" in contact[0].evidence
    only_others = html(
        '<form action="/search"><input type="search" name="q"></form>'
        '<form action="/wp-comments-post.php" id="commentform"><textarea name="comment"></textarea>'
        '<input name="author"><input name="email"></form>'
        '<form class="newsletter"><input type="email" name="email"><button>Go</button></form>'
    )
    assert values(only_others, "channel.contact_form") == set()


def test_a_fax_number_is_not_a_phone_channel() -> None:
    assert "1-800-555-0100" not in values(page("en_contact.html"), "channel.phone")


# Chat vendors


def test_two_chat_vendors_on_one_page_are_both_found() -> None:
    vendors = {s.value: s.evidence for s in page("en_store.html") if s.name == "chat.vendor"}
    assert set(vendors) == {"intercom", "crisp"}
    assert "intercom" in vendors["intercom"]
    assert "crisp" in vendors["crisp"]


def test_a_widget_injected_by_a_tag_manager_snippet_is_found() -> None:
    chats = [s for s in page("gtm_widget.html") if s.name == "chat.vendor"]
    assert [s.value for s in chats] == ["tidio"]
    assert chats[0].evidence.startswith("inline script:")
    assert "code.tidio.co" in chats[0].evidence


def test_zopim_is_reported_as_zendesk_with_zopim_in_the_evidence() -> None:
    found = html(
        '<script>document.write(unescape("%3Cscript src=\'" + document.location.protocol + '
        "\"//v2.zopim.com/?2BfXkLM1' type='text/javascript'%3E%3C/script%3E\"));</script>"
    )
    chats = [s for s in found if s.name == "chat.vendor"]
    assert [s.value for s in chats] == ["zendesk"]
    assert "zopim" in chats[0].evidence


@pytest.mark.parametrize(
    ("markup", "vendor"),
    [
        ('<script src="https://static.zdassets.com/ekr/snippet.js?key=abc"></script>', "zendesk"),
        ("<script>window.__lc = {}; window.__lc.license = 1234567;</script>", "livechat"),
        ('<script src="https://js.driftt.com/include/1700000000000/abc.js"></script>', "drift"),
        ('<script src="//js.usemessages.com/conversations-embed.js"></script>', "hubspot"),
        (
            "<script>window.fcWidget.init({token: 'x', host: 'https://wchat.freshchat.com'});</script>",
            "freshchat",
        ),
        ('<iframe src="https://tawk.to/chat/5f1a2b3c4d5e6f/default"></iframe>', "tawk.to"),
        ('<a href="https://direct.lc.chat/12345678/">Chat with us</a>', "livechat"),
        (
            "<script>var lpMTagConfig = {'lpServer': 'server.iad.liveperson.net'};</script>",
            "liveperson",
        ),
    ],
)
def test_vendor_sources(markup: str, vendor: str) -> None:
    assert values(html(markup), "chat.vendor") == {vendor}


def test_vendor_names_in_visible_text_or_plain_links_do_not_count() -> None:
    found = page("not_policies.html")
    assert values(found, "chat.vendor") == set()
    assert values(html('<p>Read <a href="https://www.intercom.com/blog/">Intercom\'s blog</a>, '
                       'powered by <a href="https://www.zendesk.com/">Zendesk</a></p>'),
                  "chat.vendor") == set()  # fmt: skip


def test_a_chat_widget_of_a_vendor_not_on_the_list_is_reported_as_unknown() -> None:
    # A local vendor's loader in an inline script, its empty <div id="chat-container"> and a
    # floating "Chat với chúng tôi" button; the page also says "chat" in prose, links a post
    # "Trò chuyện cùng chuyên gia da liễu" and shares it on WhatsApp.
    (chat,) = [s for s in page("vi_unknown_chat.html") if s.name == "chat.vendor"]
    assert chat.value == "unknown"
    assert chat.evidence == (
        "inline script: https://widget.hotrokhach.example/static/js/livechat-loader.js"
    )


def test_chat_words_in_a_blog_post_a_share_link_or_a_container_name_are_not_chat() -> None:
    # "Chat with our chef" as the title, a related-post link and in the tag manager's page path;
    # "chat" in prose; a WhatsApp share link; comments in a <div id="chat-container">.
    found = page("en_blog_chef.html")
    assert values(found, "chat.vendor") == set()
    assert values(found, "channel.whatsapp") == set()  # sharing a post is no way to reach anyone


@pytest.mark.parametrize(
    "markup",
    [
        '<a href="#" class="chat-float"><img src="/i/chat.svg" alt=""> Chat với chúng tôi</a>',
        '<a href="#" class="chat-float">Chat voi chung toi »</a>',
        '<button type="button">Trò chuyện ngay</button>',
        '<button type="button">Tro chuyen ngay</button>',
        '<button class="hk-open">Trò chuyện</button>',
        '<a href="javascript:void(0)" onclick="hk.open()">Tro chuyen</a>',
        '<a href="#" role="button">CHAT TRỰC TUYẾN</a>',
        '<span role="button" tabindex="0">💬 Chat ngay!</span>',
        '<button aria-label="Open live chat"><svg viewBox="0 0 24 24"></svg></button>',
        '<a href="#" title="Chat with us"><img src="/i/bubble.png" alt=""></a>',
        '<a href="https://support.example-shop.com/chat">Live chat</a>',
        '<input type="button" value="Start a chat">',
        '<iframe title="Live chat widget" src="https://w.example-helpdesk.io/frame/7"></iframe>',
        '<script src="https://cdn.example-helpdesk.io/embed/webchat.js" async></script>',
        '<script src="/wp-content/plugins/wp-live-chat-support/js/wplc_u.js"></script>',
    ],
)
def test_a_chat_of_any_vendor_is_seen_in_its_scripts_links_and_buttons(markup: str) -> None:
    (chat,) = [s for s in html(markup) if s.name == "chat.vendor"]
    assert chat.value == "unknown"
    assert chat.evidence


def test_a_container_name_is_never_the_vendor() -> None:
    found = html(
        '<div id="chat-container" class="acme-chat-root"><script '
        'src="https://static.example-helpdesk.io/v2/liveChatLoader.js"></script></div>'
    )
    (chat,) = [s for s in found if s.name == "chat.vendor"]
    assert chat.value == "unknown"
    assert chat.evidence == "script src: https://static.example-helpdesk.io/v2/liveChatLoader.js"


@pytest.mark.parametrize(
    "markup",
    [
        "<p>Live chat is coming soon; until then, chat with us by phone.</p>",
        "<h2>Chat with our chef</h2><h3>Trò chuyện với chúng tôi</h3>",
        '<a href="/blog/chat-with-our-chef">Chat with our chef</a>',
        '<a href="/blog/tro-chuyen">Trò chuyện</a>',  # a blog's section
        '<a href="/blog/tro-chuyen-cung-dau-bep">Trò chuyện cùng đầu bếp</a>',
        '<a href="/blog/live-chat-tips">5 live chat tips for small shops</a>',
        '<a href="https://api.whatsapp.com/send?text=Ngon%20qu%C3%A1">Chat on WhatsApp</a>',
        '<a href="https://wa.me/84909123456">Chat now</a>',  # a WhatsApp channel
        '<a href="https://zalo.me/0909123456">Chat ngay</a>',  # a Zalo channel
        '<a href="https://m.me/quannho">Chat với chúng tôi</a>',  # a Messenger channel
        '<div id="chat-container"></div><div class="live-chat-wrapper"></div>',
        '<script src="/wp-content/plugins/click-to-chat-for-whatsapp/assets/js/app.js"></script>',
        '<script src="https://sp.zalo.me/plugins/sdk.js"></script>',
        '<script>dataLayer.push({pagePath: "https://shop.example/blog/chat-with-our-chef"});</script>',
        '<iframe src="https://www.youtube.com/embed/chat-with-our-chef"></iframe>',
    ],
)
def test_what_is_not_a_chat(markup: str) -> None:
    assert values(html(markup), "chat.vendor") == set()


def test_a_known_vendor_is_named_and_its_buttons_are_not_a_second_chat() -> None:
    found = html(
        '<a href="#" onclick="Tawk_API.maximize()">Chat với chúng tôi</a>'
        '<script src="https://embed.tawk.to/5f1a2b3c/default" async></script>'
    )
    assert values(found, "chat.vendor") == {"tawk.to"}


# Opening hours


@pytest.mark.parametrize(
    ("text", "weekly"),
    [
        ("<footer><p>Giờ mở cửa: 8:00 – 22:00</p></footer>", 98.0),
        ("<p>Gio mo cua: 8h - 22h</p>", 98.0),
        ("<p>Mở cửa 7h - 21h30</p>", 101.5),
        ("<p>Thứ 2 - Thứ 7: 8h-17h</p><p>Chủ nhật: nghỉ</p>", 54.0),
        ("<p>Hàng ngày 8h-22h, Chủ nhật nghỉ</p>", 84.0),
        ("<p>Từ thứ 2 đến thứ 6, từ 8h sáng đến 5h chiều</p>", 45.0),
        ("<p>Opening hours: Mon–Fri 9am–5pm, Sat 10am–2pm</p>", 44.0),
        ("<p>Hours: 8:00 - 17:00 (T2 - T6)</p>", 45.0),
        ("<p>Retail Store Hours: M-F 10-6 pm C.S.T Sat 10-4 pm</p>", 46.0),
        ("<p>Hours: Monday to Thursday 8 am to 5 pm, Friday 8 am to noon</p>", 40.0),
        (
            "<table><tr><td>Thứ 2 - Thứ 6</td><td>08:00 - 17:30</td></tr>"
            "<tr><td>Thứ 7</td><td>08:00 - 12:00</td></tr></table>",
            51.5,
        ),
        ("<p>Week Days 07:00 - 22:00 hrs Weekends 08:00 - 20:00 hrs</p>", 99.0),
        ("<p>Open 24/7</p>", 168.0),
        ("<p>Mở cửa 24/24, kể cả ngày lễ</p>", 168.0),
    ],
)
def test_opening_hours_from_text(text: str, weekly: float) -> None:
    assert values(html(text), "hours.per_week") == {weekly}


@pytest.mark.parametrize(
    ("text", "weekly"),
    [
        ("<p>Bar hours: 18:00 – 02:00 daily</p>", 56.0),
        ("<p>Mở cửa 18h - 2h sáng</p>", 56.0),
        ("<p>Hours: Fri-Sat 10pm–4am</p>", 12.0),
        ("<p>Mở cửa từ 17h đến nửa đêm</p>", 49.0),
    ],
)
def test_hours_that_span_midnight(text: str, weekly: float) -> None:
    assert values(html(text), "hours.per_week") == {weekly}


def test_a_late_bar_page() -> None:
    found = page("en_bar_late.html")
    assert values(found, "hours.per_week") == {56.0}  # 18:00 – 02:00 every day
    assert values(found, "hours.open_24_7") == set()


def test_open_24_7_only_when_the_text_says_so() -> None:
    assert values(html("<p>We're open 24/7</p>"), "hours.open_24_7") == {True}
    assert values(page("vi_shop_home.html"), "hours.open_24_7") == set()


def test_times_without_an_hours_word_or_days_are_not_hours() -> None:
    found = html("<p>Giao hàng: 8h-17h</p><p>Workshop 9:00 - 11:00</p><p>Phone 0909-123-456</p>")
    assert values(found, "hours.per_week") == set()


# schema.org


def test_jsonld_opening_hours_specification_and_merchant_return_policy() -> None:
    found = page("schema_jsonld.html")
    hours = [s for s in found if s.name == "hours.per_week"]
    # Mon–Fri 06–10 and 17–21, Sat–Sun 06–23; the Tết exception (validThrough) is not weekly.
    assert [s.value for s in hours] == [74.0]
    assert "openingHoursSpecification" in hours[0].evidence
    returns = [s for s in found if s.name == "returns.window_days"]
    assert [(s.value, s.unit) for s in returns] == [(14.0, "days")]
    assert "merchantReturnDays" in returns[0].evidence
    assert values(found, "channel.phone") == {"+84 24 3828 1234"}
    assert values(found, "channel.email") == {"datban@phobatdan2.example"}


def test_microdata_opening_hours_win_over_the_text() -> None:
    found = page("schema_microdata.html")
    assert values(found, "hours.per_week") == {40.0}
    assert values(found, "channel.phone") == {"(206) 555-0187"}


def test_a_return_policy_that_permits_no_returns_has_no_window() -> None:
    found = html(
        '<script type="application/ld+json">{"@type": "MerchantReturnPolicy", '
        '"returnPolicyCategory": "https://schema.org/MerchantReturnNotPermitted", '
        '"merchantReturnDays": 0}</script>'
    )
    assert values(found, "returns.window_days") == set()


# Policies and promises from text


@pytest.mark.parametrize(
    ("text", "name", "value"),
    [
        ("Đổi trả trong 7 ngày", "returns.window_days", 7.0),
        ("doi tra trong 7 ngay", "returns.window_days", 7.0),
        ("Đổi trả miễn phí 30 ngày", "returns.window_days", 30.0),
        ("Đổi trả hàng trong vòng 48h", "returns.window_days", 2.0),
        ("30 ngày đổi trả miễn phí", "returns.window_days", 30.0),
        ("Hỗ trợ 1 đổi 1 trong 15 ngày", "returns.window_days", 15.0),
        ("30-day returns", "returns.window_days", 30.0),
        ("You can return within 14 days of delivery.", "returns.window_days", 14.0),
        ("Refunds accepted up to two weeks after purchase.", "returns.window_days", 14.0),
        ("Bảo hành 12 tháng", "warranty.months", 12.0),
        ("bảo hành 1 năm", "warranty.months", 12.0),
        ("2-year warranty", "warranty.months", 24.0),
        ("Warranty: 6 months on all refurbished phones", "warranty.months", 6.0),
        ("Phản hồi trong 24h", "response.promise_hours", 24.0),
        ("Chúng tôi trả lời trong vòng 2 giờ", "response.promise_hours", 2.0),
        ("We reply within one business day", "response.promise_hours", 24.0),
        ("We respond within 48 hours", "response.promise_hours", 48.0),
        ("Miễn phí vận chuyển cho đơn từ 300.000đ", "shipping.free_threshold", 300000.0),
        ("Freeship cho đơn hàng từ 300k", "shipping.free_threshold", 300000.0),
        ("Miễn phí giao hàng đơn trên 300 nghìn", "shipping.free_threshold", 300000.0),
        ("Đơn hàng từ 1,5 triệu được miễn phí vận chuyển", "shipping.free_threshold", 1500000.0),
        ("Free shipping on orders over $50", "shipping.free_threshold", 50.0),
        ("Giao hàng trong 2h", "delivery.promise_hours", 2.0),
        ("Giao nhanh trong 24 giờ", "delivery.promise_hours", 24.0),
        ("Giao hàng hỏa tốc trong ngày", "delivery.promise_hours", 12.0),
        ("Giao hàng từ 3-5 ngày", "delivery.promise_hours", 120.0),
        ("Delivered in 3-5 business days", "delivery.promise_hours", 120.0),
        ("Next-day delivery", "delivery.promise_hours", 24.0),
        ("Same-day delivery in Hanoi", "delivery.promise_hours", 12.0),
        ("Thanh toán khi nhận hàng", "payment.cod", True),
        ("Ship COD toàn quốc", "payment.cod", True),
        ("Cash on delivery", "payment.cod", True),
    ],
)
def test_policies_from_text(text: str, name: str, value: object) -> None:
    assert values(html(f"<p>{text}</p>"), name) == {value}


def test_free_shipping_in_pounds() -> None:
    found = html("<p>Free UK delivery on orders over £40</p>")
    assert [(s.value, s.unit) for s in found if s.name == "shipping.free_threshold"] == [
        (40.0, "GBP")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Giao hàng trong 7 ngày",
        "Đổi trả dễ dàng, hỗ trợ 7 ngày trong tuần",
        "Founded 30 years ago",
        "30 days of summer sale",
        "Returns are processed 7 days a week",
        "Chính sách đổi trả và giao hàng trong 7 ngày",
        "Once your refund is confirmed, please allow up to 5 working days for it to appear",
        "Hoàn tiền được ngân hàng xử lý trong 7 ngày làm việc",
    ],
)
def test_a_number_that_is_not_a_return_window(text: str) -> None:
    assert values(html(f"<p>{text}</p>"), "returns.window_days") == set()


@pytest.mark.parametrize(
    "text",
    [
        "Giao hàng từ 8h-17h",
        "Giao hàng trong khung giờ 8h - 17h",
        "We ship within 24 hours",  # dispatch, not delivery
        "Đổi trả trong 7 ngày",
    ],
)
def test_not_a_delivery_promise(text: str) -> None:
    assert values(html(f"<p>{text}</p>"), "delivery.promise_hours") == set()


def test_a_page_of_numbers_that_are_not_return_windows() -> None:
    found = page("not_policies.html")
    assert values(found, "returns.window_days") == set()
    assert values(found, "hours.per_week") == set()
    assert values(found, "warranty.months") == set()


def test_cod_the_fish_is_not_cash_on_delivery() -> None:
    assert values(html("<p>Fish &amp; chips: cod or haddock</p>"), "payment.cod") == set()


# Links to follow


def test_links_to_follow_rank_contact_faq_and_returns_first() -> None:
    links = links_to_follow((PAGES / "vi_shop_home.html").read_bytes(), URL)
    assert links[:3] == [
        "https://www.trasenphoco.vn/pages/lien-he",
        "https://www.trasenphoco.vn/pages/cau-hoi-thuong-gap",
        "https://www.trasenphoco.vn/pages/chinh-sach-doi-tra",
    ]
    assert set(links[3:]) == {
        "https://www.trasenphoco.vn/pages/chinh-sach-bao-hanh",
        "https://www.trasenphoco.vn/pages/chinh-sach-van-chuyen",
        "https://www.trasenphoco.vn/pages/huong-dan-thanh-toan",
    }


def test_links_to_follow_keep_the_host_and_drop_fragments_and_duplicates() -> None:
    links = links_to_follow((PAGES / "vi_shop_home.html").read_bytes(), URL)
    assert all(link.startswith("https://www.trasenphoco.vn/") for link in links)
    assert not any("#" in link for link in links)
    assert len({link.rstrip("/") for link in links}) == len(links)  # "/lien-he" and "/lien-he/"
    assert "https://help.shop-platform.example/lien-he" not in links
    english = links_to_follow(
        (PAGES / "en_store.html").read_bytes(), "https://northwind-outdoor.example/"
    )
    assert english[:3] == [
        "https://northwind-outdoor.example/pages/contact",
        "https://northwind-outdoor.example/pages/faq",
        "https://northwind-outdoor.example/policies/refund-policy",
    ]
    assert not any("help.northwind-outdoor.example" in link for link in english)


def test_links_to_follow_respect_the_limit() -> None:
    body = (PAGES / "vi_shop_home.html").read_bytes()
    assert links_to_follow(body, URL, limit=2) == [
        "https://www.trasenphoco.vn/pages/lien-he",
        "https://www.trasenphoco.vn/pages/cau-hoi-thuong-gap",
    ]
    assert links_to_follow(body, URL, limit=0) == []
    many = "".join(f'<a href="/policy-{n}">Chính sách {n}</a>' for n in range(30))
    assert len(links_to_follow(many, URL)) == 8


def test_links_to_follow_honour_the_base_tag_and_skip_other_pages() -> None:
    body = (
        '<head><base href="https://shop.example/vi/"></head><body>'
        '<a href="lien-he#form">Liên hệ</a><a href="/cart">Giỏ hàng</a>'
        '<a href="/images/faq.png">FAQ banner</a><a href="mailto:a@shop.example">Email</a>'
        '<a href="javascript:void(0)">Help</a><a href="https://shop.example/blog/khuyen-mai">Blog</a>'
        "</body>"
    )
    assert links_to_follow(body, "https://shop.example/vi/trang-chu") == [
        "https://shop.example/vi/lien-he"
    ]


# Bad input


@pytest.mark.parametrize(
    "body",
    [
        b"",
        "",
        b"\xff\xfe\xfa<html><body>\x80\x81 Hotline \xc3\x28</body></html>",
        "<p>Đổi trả trong 7 ngày \ud800</p>",
        "<p>Hotline\x00: 1900 6750</p>\x00",
        bytes(range(256)) * 50,
        "<div>" * 50_000 + "Giờ mở cửa: 8h-22h" + "</div>" * 50_000,
        "<table><tr><td>" * 5_000,
        '<a href="/lien-he">' * 5_000,
        "<script>var s = 'https://embed.tawk.to/",
        '<base href="http://[::1"><a href="http://[oops/lien-he">Liên hệ</a><a href="tel:">x</a>',
        '<script type="application/ld+json">' + "[" * 50_000 + "</script>",
        '<script type="application/ld+json">{"openingHoursSpecification": [1, null, '
        '{"dayOfWeek": 5, "opens": 7}], "merchantReturnDays": "abc", "telephone": 12}</script>',
        '<div itemscope itemtype="http://schema.org/Store"><meta itemprop="openingHours" '
        'content="Mo-Zz 99:99-77:00"><span itemprop="telephone">',
        "Hotline " + "1" * 200_000,
        "a@" * 100_000,
        "https://www.trasenphoco.vn/pages/lien-he",
        b'<?xml version="1.0"?><rss><channel><title>Tin</title></channel></rss>',
    ],
    ids=lambda body: repr(body[:24]),
)
def test_bad_input_never_raises(body: bytes | str, caplog: pytest.LogCaptureFixture) -> None:
    found = extract_signals(body, URL)
    assert all(isinstance(signal, Signal) for signal in found)
    links = links_to_follow(body, URL)
    assert all(link.startswith("https://www.trasenphoco.vn/") for link in links)
    # A family that failed is logged and skipped; none should have had to be.
    failures = [r for r in caplog.records if r.name.startswith("crawler.extract.signals")]
    assert [r for r in failures if r.levelno >= logging.WARNING] == []


def test_bad_markup_still_gives_what_it_could_read() -> None:
    found = extract_signals(
        b"<html><body>\xff\xfe<p>Hotline: 1900 6750<div><p>\xc3\x28 \xd0o\xcc\x82\xcc\x89i tr",
        URL,
    )
    assert values(found, "channel.phone") == {"1900 6750"}
    huge = "<div>" * 50_000 + "<p>Giờ mở cửa: 8h-22h</p>" + "</div>" * 50_000
    assert values(extract_signals(huge, URL), "hours.per_week") == {98.0}


def test_a_windows_1252_page_is_decoded() -> None:
    body = (
        '<html><head><meta charset="windows-1252"></head><body>'
        "<p>Caf\xe9 Lumi\xe8re \x96 returns accepted within 30 days</p></body></html>"
    ).encode("latin-1")
    returns = [s for s in extract_signals(body, URL) if s.name == "returns.window_days"]
    assert [s.value for s in returns] == [30.0]
    assert "Café Lumière – returns" in returns[0].evidence
