"""Properties of the service-signal reader: it never raises on a business's own page, no signal
family fails behind its guard, and the links it follows stay on the site.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from hypothesis import given
from hypothesis import strategies as st

from crawler.extract.signals import Signal, extract_signals, links_to_follow
from tests.conftest import budget
from tests.strategies import (
    ANY_JSON,
    BAD_URLS,
    ENTITIES,
    PAGE_URL,
    TAG_NAMES,
    any_text,
    dumps,
    either,
    safe_text,
)

SIGNAL_TEMPLATES = (
    "Đổi trả trong {n} ngày", "{n} ngày đổi trả miễn phí", "{n}-day returns", "Bảo hành {n} tháng",
    "Phản hồi trong {n} giờ", "We reply within {n} hours", "Giao hàng hỏa tốc {n}h",
    "Miễn phí vận chuyển cho đơn từ {n}.000đ", "Free shipping on orders over ${n}",
    "Giờ mở cửa: {n}:00 - {n}:30", "Thứ {n} - Chủ nhật: {n}h-{n}h{n}", "Mon–Fri {n}am–{n}pm",
    "T2-T6: {n}:{n} - {n}:{n}, CN: nghỉ", "Open 24/7", "mở cửa 24/24", "Hotline: 0{n}", "Zalo {n}",
    "cskh{n}@shop.vn", "Thanh toán khi nhận hàng (COD)", "Liên hệ", "FAQ", "Câu hỏi thường gặp",
    "Trung tâm trợ giúp", "Chính sách đổi trả", "Hỗ trợ khách hàng",
)  # fmt: skip
SIGNAL_HREFS = (
    "/lien-he", "/faq#top", "https://reviews.example/chinh-sach-doi-tra",
    "https://www.reviews.example/ho-tro/", "//reviews.example/help", "https://other.example/faq",
    "mailto:cskh@shop.vn", "tel:0901234567", "javascript:void(0)", "#contact", "?page=2",
    "https://zalo.me/0901234567", "https://m.me/shop", "/files/chinh-sach.pdf", "/login",
    *BAD_URLS,
)  # fmt: skip


def signal_pages(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """A business's own page: service phrases with random numbers, links, widgets, JSON-LD."""
    numbers = st.integers(0, 99) | st.integers(0, 10**30)
    phrases = st.builds(
        lambda template, n: template.replace("{n}", str(n)),
        st.sampled_from(SIGNAL_TEMPLATES),
        numbers,
    )
    hrefs = st.sampled_from(SIGNAL_HREFS) | text
    anchors = st.builds(lambda href, label: f'<a href="{href}">{label}</a>', hrefs, phrases | text)
    hours = st.fixed_dictionaries(
        {"@type": st.sampled_from(["LocalBusiness", "Store"])},
        optional={
            "openingHoursSpecification": either(
                st.lists(
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "dayOfWeek": either(st.sampled_from(["Monday", "Sunday"]), ANY_JSON),
                            "opens": either(st.sampled_from(["08:00", "25:61", "24:00"]), ANY_JSON),
                            "closes": either(st.sampled_from(["22:00", "02:00", "x"]), ANY_JSON),
                            "validThrough": ANY_JSON,
                        },
                    ),
                    max_size=3,
                ),
                ANY_JSON,
            ),
            "openingHours": either(st.sampled_from(["Mo-Fr 09:00-17:00", "Mo-Su"]), ANY_JSON),
            "telephone": ANY_JSON,
            "email": ANY_JSON,
        },
    )
    scripts = st.one_of(
        st.sampled_from(
            [
                '<script src="https://embed.tawk.to/abc/default"></script>',
                "<script>var Tawk_API = Tawk_API || {};</script>",
                '<script src="//[x"></script>',
            ]
        ),
        hours.map(lambda node: f'<script type="application/ld+json">{dumps(node)}</script>'),
        hrefs.map(lambda href: f'<base href="{href}">'),
        st.just('<div itemscope itemtype="https://schema.org/Store"><span itemprop="telephone">'),
        st.just('<form><input name="message"><textarea name="noi dung"></textarea></form>'),
    )
    return st.lists(
        st.one_of(phrases, anchors, scripts, text, ENTITIES, TAG_NAMES.map("<{}>".format)),
        max_size=14,
    ).map("".join)


SIGNAL_BODIES = st.one_of(
    signal_pages(safe_text).map(lambda page: page.encode("utf-8", "surrogatepass")),
    signal_pages(safe_text).map(lambda page: page.encode("cp1258", "replace")),
    signal_pages(any_text),  # a str body, lone surrogates included
    st.binary(max_size=200),
)


class FamilyFailures(logging.Handler):
    """Collects the warnings ``extract_signals`` logs when a signal family raised (and was
    skipped): such a failure is a bug the guard hides."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.failures: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "failed on" in record.msg:
            self.failures.append(record.getMessage() + "\n" + (self.format(record) or ""))


@budget(300)
@given(body=SIGNAL_BODIES)
def test_signals_never_raise_and_no_family_fails(body: bytes | str) -> None:
    handler = FamilyFailures()
    logger = logging.getLogger("crawler.extract.signals")
    logger.addHandler(handler)
    try:
        signals = extract_signals(body, PAGE_URL)
    finally:
        logger.removeHandler(handler)
    assert handler.failures == []
    for signal in signals:
        assert isinstance(signal, Signal)
        assert signal.url == PAGE_URL
        assert len(signal.evidence) <= 160
        assert isinstance(signal.value, str | float | bool)
    assert len({(signal.name, signal.value) for signal in signals}) == len(signals)


def host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().removeprefix("www.")


@budget(300)
@given(body=SIGNAL_BODIES, limit=st.integers(-2, 10))
def test_links_to_follow_are_same_site_absolute_and_unique(body: bytes | str, limit: int) -> None:
    links = links_to_follow(body, PAGE_URL, limit)
    assert len(links) <= max(limit, 0)
    assert len(set(links)) == len(links)
    for link in links:
        assert link.startswith(("http://", "https://"))
        assert "#" not in link
        assert host(link) == host(PAGE_URL)
