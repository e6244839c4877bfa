"""The demo businesses' own web sites, for the ``signals`` kind: a home page, a contact page and a
policy page each, offering different channels, chat widgets, hours and promises. One competitor
adds live chat between two crawls, so the demo can show a change."""

from __future__ import annotations

from html import escape

from scheduler.demo.server import Page
from scheduler.demo.world import DemoBusiness

TAWK = (
    "<script>var Tawk_API=Tawk_API||{};(function(){var s1=document.createElement('script');"
    "s1.async=true;s1.src='https://embed.tawk.to/5f1e2d3c4b5a6978/default';"
    "document.head.appendChild(s1);})();</script>"
)
ZALO_WIDGET = '<div class="zalo-chat-widget" data-oaid="4318" data-welcome-message="Xin chào!"></div>' \
    '<script src="https://sp.zalo.me/plugins/sdk.js"></script>'  # fmt: skip
FACEBOOK_CHAT = '<div class="fb-customerchat" page_id="1234567890"></div>' \
    '<script src="https://connect.facebook.net/vi_VN/sdk/xfbml.customerchat.js"></script>'  # fmt: skip

#: Per business (in world order): footer lines, extra home-page HTML, contact page, policy page.
SITES = (
    {
        "footer": "Hotline: 028 3822 1111 · Email: xinchao@moccafe.vn · Giờ mở cửa: 7:00 – 22:00",
        "extra": '<a href="https://m.me/moccafe">Nhắn tin Messenger</a>',
        "contact": '<form action="/lien-he" method="post"><input name="email"><textarea name="noi_dung">'
        "</textarea><button>Gửi</button></form>",
        "policy": "<p>Chúng tôi phản hồi mọi góp ý trong vòng 48 giờ.</p>",
    },
    {
        "footer": "Hotline: 0909 222 333 · Mở cửa 8h - 23h mỗi ngày",
        "extra": f'<a href="https://zalo.me/0909222333">Chat Zalo</a>{TAWK}',
        "contact": "<p>Đặt bàn qua Zalo hoặc hotline. Phản hồi trong 2 giờ.</p>",
        "policy": "<p>Giao hàng trong 45 phút nội quận. Thanh toán khi nhận hàng (COD).</p>",
    },
    {
        "footer": "Điện thoại: 0283 999 4444 · Giờ mở cửa: Thứ 2 - Thứ 7: 10:00 - 21:00",
        "extra": "",
        "contact": "<p>Gọi điện để đặt món mang về.</p>",
        "policy": "<p>Thanh toán khi nhận hàng (COD). Miễn phí giao hàng cho đơn từ 300.000đ.</p>",
    },
    {
        "footer": "Email: booking@phoxua.vn · Mở cửa 17:00 – 01:00",
        "extra": "",
        "contact": '<form action="/contact"><input name="name"><button>Send</button></form>',
        "policy": "<p>Reservations are held for 15 minutes.</p>",
    },
    {
        "footer": "Hotline 1900 636 999 · Giờ mở cửa: 6:00 – 22:00 (tất cả các ngày)",
        "extra": f"{ZALO_WIDGET}{FACEBOOK_CHAT}",
        "contact": "<p>Chúng tôi trả lời mọi đánh giá trong vòng 2 giờ.</p>",
        "policy": "<p>Câu hỏi thường gặp: đặt bàn, giao hàng, hoá đơn VAT.</p>",
    },
)
#: The competitor (by world position) that adds live chat between two crawls.
CHANGES_AT = 3


def site_path(business: DemoBusiness) -> str:
    return f"/site/{business.slug}/"


def signal_pages(index: int, business: DemoBusiness) -> dict[str, Page | list[Page]]:
    """The site of the business at ``index`` in the world, by path; the home page of the one that
    changes is a sequence: as it was, then with live chat."""
    site = SITES[index % len(SITES)]
    root = site_path(business)
    home = _page(business, root, site["footer"], site["extra"])
    pages: dict[str, Page | list[Page]] = {
        root: [home, _page(business, root, site["footer"], site["extra"] + TAWK)]
        if index == CHANGES_AT
        else home,
        f"{root}lien-he": _page(business, root, site["footer"], site["contact"], title="Liên hệ"),
        f"{root}chinh-sach": _page(
            business, root, site["footer"], site["policy"], title="Chính sách"
        ),
    }
    return pages


def _page(business: DemoBusiness, root: str, footer: str, content: str, title: str = "") -> Page:
    name = escape(business.name)
    return Page(
        f'<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{name} {title}</title>'
        f'</head><body><h1>{name}</h1><nav><a href="{root}">Trang chủ</a> '
        f'<a href="{root}lien-he">Liên hệ</a> <a href="{root}chinh-sach">Chính sách &amp; câu hỏi '
        f"thường gặp</a></nav><main>{content}</main><footer>{escape(footer)}</footer></body></html>"
    )
