"""A fictional, deterministic "demo world" of café and restaurant reviews in Hồ Chí Minh City.

`build_world(now)` returns five made-up businesses with 16 weeks of made-up reviews, so the whole
pipeline (store → ladder → position → report) can be shown without crawling anyone. The scenario
is what the analysis should rediscover from the text, the stars and the owner replies alone:

* **Mộc Café (ours)** climbs slowly. Its strength is Tangibles (a beautiful, spotless space and
  careful take-away packaging), better than every competitor; its weakness is Responsiveness
  (waits, slow answers). It replies to about 30% of reviews, usually 2-4 days later.
* **Nhà Sóng Kitchen** starts below us and ends above us: it climbs much faster than we do.
* **Quán Bà Tư** is steadily good (mostly rung 4, some 5) with a flat trend; its space is cramped.
* **Phố Xưa Bistro** starts good and slides: more rude staff, long waits and wrong orders lately.
* **Lá Chanh Kitchen** gives average service, but its owner replies to ~90% of reviews within a
  few hours, and customers praise how quickly it responds: it is ahead of us on Responsiveness.

Reviews are composed from phrase banks (a context, one or two SERVQUAL remarks whose polarity
follows the business's profile, and an intent cue for the rung; DOMAIN.md §4 and §10), in
Vietnamese (with diacritics, without them, with teencode) and English, plus a few oddities:
star/text conflicts, sarcasm, very short and long reviews. The same seed and the same ISO week of
`now` give identical output: all dates fall in the `weeks` full weeks before the Monday 00:00 UTC
that starts `now`'s ISO week (in UTC), and review ids count up from the oldest review.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

WEEK = timedelta(days=7)

TANGIBLES = "tangibles"
RELIABILITY = "reliability"
RESPONSIVENESS = "responsiveness"
ASSURANCE = "assurance"
EMPATHY = "empathy"
DIMENSIONS = (TANGIBLES, RELIABILITY, RESPONSIVENESS, ASSURANCE, EMPATHY)


@dataclass(frozen=True)
class DemoReview:
    native_id: str
    rating: int
    title: str | None
    body: str
    lang: str
    author: str
    published_at: datetime
    reply_body: str | None
    replied_at: datetime | None


@dataclass(frozen=True)
class DemoBusiness:
    slug: str
    name: str
    is_self: bool
    story: str
    reviews: tuple[DemoReview, ...]


Span = tuple[float, float]  # (value in the oldest week, value in the newest week)
Rungs = tuple[float, float, float, float, float, float]  # weights of rungs 1..6


@dataclass(frozen=True)
class _Profile:
    slug: str
    name: str
    story: str
    id_prefix: str
    is_self: bool
    rungs_start: Rungs
    rungs_end: Rungs
    weekly_reviews: Span
    vi_share: float
    mentions: Mapping[str, float]  # how often each dimension is remarked on (default 1)
    tilts: Mapping[str, Span]  # added to the chance a remark is positive (default 0)
    reply_rate: Span
    reply_rate_negative: float  # for 1-2★ reviews
    reply_hours: Span  # median latency
    reply_spread: float  # sigma of the log-normal latency
    reply_min_hours: float
    reply_voice: int  # +1: customers praise how fast it answers; -1: they complain; 0: silent
    menu_vi: tuple[str, ...]
    drinks_vi: tuple[str, ...]
    menu_en: tuple[str, ...]
    drinks_en: tuple[str, ...]


PROFILES: tuple[_Profile, ...] = (
    _Profile(
        slug="moc-cafe",
        name="Mộc Café",
        story="Our café: a beautiful, spotless space and lovely packaging, slow to respond, "
        "improving slowly.",
        id_prefix="moc",
        is_self=True,
        rungs_start=(0.10, 0.16, 0.30, 0.30, 0.13, 0.01),
        rungs_end=(0.05, 0.10, 0.27, 0.39, 0.18, 0.01),
        weekly_reviews=(18.0, 21.0),
        vi_share=0.63,
        mentions={TANGIBLES: 3.0, RESPONSIVENESS: 1.5, ASSURANCE: 0.9, EMPATHY: 0.9},
        tilts={TANGIBLES: (0.5, 0.5), RESPONSIVENESS: (-0.3, -0.25)},
        reply_rate=(0.26, 0.28),
        reply_rate_negative=0.35,
        reply_hours=(62.0, 60.0),
        reply_spread=0.3,
        reply_min_hours=20.0,
        reply_voice=-1,
        menu_vi=("bánh croissant bơ", "bánh chuối nướng", "tiramisu", "bánh mì que pate"),
        drinks_vi=("bạc xỉu", "cà phê muối", "cold brew cam", "trà ô long sữa", "matcha latte"),
        menu_en=("croissant", "banana bread", "tiramisu", "pâté baguette"),
        drinks_en=("bac xiu", "salted coffee", "orange cold brew", "oolong milk tea", "matcha"),
    ),
    _Profile(
        slug="nha-song-kitchen",
        name="Nhà Sóng Kitchen",
        story="Fast climber: new management since the start of the period; service improves week "
        "by week and overtakes ours.",
        id_prefix="song",
        is_self=False,
        rungs_start=(0.20, 0.27, 0.30, 0.17, 0.06, 0.0),
        rungs_end=(0.02, 0.03, 0.10, 0.40, 0.41, 0.04),
        weekly_reviews=(12.0, 26.0),
        vi_share=0.6,
        mentions={
            TANGIBLES: 0.7,
            RELIABILITY: 1.2,
            RESPONSIVENESS: 1.2,
            ASSURANCE: 1.3,
            EMPATHY: 1.5,
        },
        tilts={
            TANGIBLES: (-0.25, -0.25),
            RELIABILITY: (-0.1, 0.1),
            RESPONSIVENESS: (-0.1, 0.15),
            ASSURANCE: (-0.15, 0.25),
            EMPATHY: (-0.15, 0.3),
        },
        reply_rate=(0.15, 0.7),
        reply_rate_negative=0.6,
        reply_hours=(40.0, 6.0),
        reply_spread=0.5,
        reply_min_hours=0.5,
        reply_voice=0,
        menu_vi=("cơm gà xối mỡ", "bún thịt nướng", "mì xào hải sản", "cơm sườn non"),
        drinks_vi=("trà tắc", "cà phê sữa đá", "nước sâm", "trà đào"),
        menu_en=("crispy chicken rice", "grilled pork noodles", "seafood noodles", "pork rib rice"),
        drinks_en=("kumquat tea", "iced milk coffee", "peach tea", "herbal tea"),
    ),
    _Profile(
        slug="quan-ba-tu",
        name="Quán Bà Tư",
        story="Steady: a family restaurant that is consistently good (mostly rung 4), flat trend, "
        "cramped and hot inside.",
        id_prefix="batu",
        is_self=False,
        rungs_start=(0.02, 0.04, 0.13, 0.54, 0.25, 0.02),
        rungs_end=(0.02, 0.04, 0.13, 0.54, 0.25, 0.02),
        weekly_reviews=(19.0, 19.0),
        vi_share=0.66,
        mentions={RELIABILITY: 1.5, ASSURANCE: 1.2, EMPATHY: 1.3},
        tilts={TANGIBLES: (-0.6, -0.6), RELIABILITY: (0.1, 0.1), EMPATHY: (0.1, 0.1)},
        reply_rate=(0.5, 0.5),
        reply_rate_negative=0.6,
        reply_hours=(20.0, 20.0),
        reply_spread=0.5,
        reply_min_hours=2.0,
        reply_voice=0,
        menu_vi=("canh chua cá lóc", "cá kho tộ", "cơm tấm sườn bì chả", "rau muống xào tỏi"),
        drinks_vi=("trà đá", "nước sâm", "nước dừa", "nước mía"),
        menu_en=("sour fish soup", "clay-pot fish", "broken rice", "morning glory with garlic"),
        drinks_en=("iced tea", "coconut water", "sugarcane juice", "herbal tea"),
    ),
    _Profile(
        slug="pho-xua-bistro",
        name="Phố Xưa Bistro",
        story="Falling: was good at the start; lately rude staff, long waits and wrong orders.",
        id_prefix="phoxua",
        is_self=False,
        rungs_start=(0.03, 0.05, 0.15, 0.50, 0.25, 0.02),
        rungs_end=(0.28, 0.28, 0.22, 0.16, 0.06, 0.0),
        weekly_reviews=(21.0, 16.0),
        vi_share=0.55,
        mentions={
            TANGIBLES: 0.9,
            RELIABILITY: 1.4,
            RESPONSIVENESS: 1.6,
            ASSURANCE: 1.6,
            EMPATHY: 0.9,
        },
        tilts={
            TANGIBLES: (-0.1, -0.3),
            RELIABILITY: (0.05, -0.3),
            RESPONSIVENESS: (0.05, -0.35),
            ASSURANCE: (0.05, -0.35),
            EMPATHY: (0.0, -0.2),
        },
        reply_rate=(0.4, 0.1),
        reply_rate_negative=0.25,
        reply_hours=(40.0, 96.0),
        reply_spread=0.4,
        reply_min_hours=6.0,
        reply_voice=-1,
        menu_vi=("bò lúc lắc", "mì Ý sốt kem", "salad bơ", "pizza hải sản"),
        drinks_vi=("mojito chanh dây", "nước ép dưa hấu", "trà vải", "soda việt quất"),
        menu_en=("shaking beef", "creamy pasta", "avocado salad", "seafood pizza"),
        drinks_en=("passion fruit mojito", "watermelon juice", "lychee tea", "blueberry soda"),
    ),
    _Profile(
        slug="la-chanh-kitchen",
        name="Lá Chanh Kitchen",
        story="Reply edge: average service, but the owner answers ~90% of reviews within hours and "
        "customers praise how quickly it responds.",
        id_prefix="lachanh",
        is_self=False,
        rungs_start=(0.07, 0.12, 0.36, 0.33, 0.11, 0.01),
        rungs_end=(0.07, 0.12, 0.36, 0.33, 0.11, 0.01),
        weekly_reviews=(19.5, 19.5),
        vi_share=0.6,
        mentions={TANGIBLES: 0.9, RESPONSIVENESS: 2.6, ASSURANCE: 1.1},
        tilts={TANGIBLES: (-0.1, -0.1), RESPONSIVENESS: (0.45, 0.45), ASSURANCE: (0.1, 0.1)},
        reply_rate=(0.9, 0.9),
        reply_rate_negative=0.98,
        reply_hours=(3.0, 3.0),
        reply_spread=0.6,
        reply_min_hours=0.25,
        reply_voice=1,
        menu_vi=("bún bò Huế", "bánh xèo", "gỏi cuốn tôm thịt", "phở gà"),
        drinks_vi=("trà chanh", "sữa đậu nành", "nước chanh muối", "trà sả"),
        menu_en=("bun bo Hue", "sizzling pancake", "fresh spring rolls", "chicken pho"),
        drinks_en=("iced lemon tea", "soy milk", "salted lemonade", "lemongrass tea"),
    ),
)

# ---------------------------------------------------------------------------------------------
# Phrase banks. Keys: language, then dimension/polarity or rung. Slots: {dish} {drink} {group}
# {n} (minutes waited) {k} (visit number) {price} (thousand đồng).
# ---------------------------------------------------------------------------------------------

GROUPS = {
    "vi": (
        "nhóm bạn",
        "mấy đứa bạn",
        "gia đình",
        "đồng nghiệp",
        "người yêu",
        "bạn thân",
        "hội bạn đại học",
        "ba mẹ",
    ),
    "en": (
        "friends",
        "my family",
        "a couple of colleagues",
        "my partner",
        "my parents",
        "two friends visiting from Hanoi",
        "the team from work",
    ),
}

OPENINGS = {
    "vi": (
        "hôm nay đi cùng {group} ghé quán",
        "ghé quán buổi sáng trước giờ làm",
        "đặt giao hàng qua app cho cả phòng",
        "cuối tuần rủ {group} ra đây ngồi",
        "lần đầu ghé sau khi thấy trên TikTok",
        "đi ngang qua thấy quán nên ghé thử",
        "ghé ăn trưa với đồng nghiệp",
        "tối qua hẹn {group} ở đây",
        "mình ghé quán này khá thường xuyên",
        "đặt bàn sinh nhật cho {group}",
        "mua mang đi {drink} với {dish}",
        "ngồi làm việc ở quán cả buổi chiều",
        "ăn sáng ở đây trước khi đi học",
        "lần thứ {k} ghé quán",
        "đặt ship {dish} về văn phòng",
        "chở mẹ đi ăn trưa chủ nhật",
        "trời mưa tạt vào quán trú mưa, gọi luôn ly {drink}",
        "được bạn giới thiệu nên hôm nay ghé thử",
        "đi date ở đây",
        "ghé quán lúc gần 10h tối",
        "dẫn {group} đi ăn tối",
        "đặt {dish} qua ShopeeFood",
    ),
    "en": (
        "came here with {group} on a Saturday afternoon",
        "stopped by for breakfast before work",
        "ordered delivery through Grab for the office",
        "first visit after seeing it on Instagram",
        "walked past and decided to give it a try",
        "had lunch here with colleagues",
        "met {group} here last night",
        "I've been here a few times now",
        "booked a table for a birthday dinner with {group}",
        "grabbed {a_drink} and the {dish} to go",
        "spent the afternoon working from here",
        "popped in to escape the rain and ordered {a_drink}",
        "a friend recommended this place so we came for dinner",
        "visit number {k} for me",
        "came for a date night",
        "dropped in around 9pm",
        "came for brunch with {group}",
        "we're staying nearby and came for a late lunch",
    ),
}

FOOD = {
    ("vi", 1): (
        "{dish} ngon, nêm nếm vừa miệng",
        "{drink} thơm, đậm vị",
        "{dish} nóng hổi, phần ăn đầy đặn",
        "giá hợp lý so với chất lượng",
        "{drink} ngon, không quá ngọt",
        "món {dish} là chân ái",
    ),
    ("vi", 0): (
        "{dish} ăn được, không có gì đặc sắc",
        "{drink} vị bình thường",
        "giá khoảng {price}k một người",
        "{dish} cũng tạm",
    ),
    ("vi", -1): (
        "{dish} hơi mặn",
        "{drink} nhạt, toàn đá",
        "{dish} nguội ngắt",
        "giá hơi chát so với chất lượng",
        "phần ăn ít",
        "{drink} ngọt gắt",
    ),
    ("en", 1): (
        "the {dish} was tasty and well seasoned",
        "the {drink} was rich and not too sweet",
        "generous portions",
        "fair prices for the quality",
        "the {dish} is a must",
    ),
    ("en", 0): (
        "the {dish} was fine",
        "the {drink} tasted as you'd expect",
        "about {price}k per person",
        "the {dish} was alright",
    ),
    ("en", -1): (
        "the {dish} was bland",
        "the {drink} was mostly ice",
        "the {dish} arrived lukewarm",
        "a bit pricey for what it is",
        "small portions",
    ),
}

LONG_ASIDES = {
    "vi": (
        "mình đã ghé {k} lần vào các khung giờ khác nhau nên viết dài chút cho khách quan",
        "nói thêm cho mọi người tham khảo: cuối tuần khá đông, nên đặt bàn trước hoặc đi sớm",
        "viết review này hơi dài vì thấy trên mạng ý kiến trái chiều quá nên tự đi kiểm chứng",
        "mình review thật, không quảng cáo, tự bỏ tiền túi ra ăn",
    ),
    "en": (
        "for context, I've been {k} times at different times of day, so this isn't a one-off",
        "tip: weekends are packed, so book ahead or come before 9am",
        "writing a longer review because the ones online are so mixed",
        "not sponsored, paid for everything myself",
    ),
}

FILLERS = {
    "vi": (
        "quán nằm trong hẻm nên hơi khó tìm",
        "menu khá nhiều lựa chọn",
        "khung giờ trưa khá đông khách",
        "quán có wifi mạnh, ổ cắm nhiều",
        "giá khoảng {price}k một người",
        "quán gần chợ nên buổi sáng hơi kẹt xe",
    ),
    "en": (
        "it's down a small alley so a bit hard to find",
        "the menu has plenty of choice",
        "it gets busy at lunchtime",
        "good wifi and plenty of sockets",
        "around {price}k per person",
        "traffic outside is heavy in the mornings",
    ),
}

# Remarks about how the owner answers messages and reviews (Responsiveness), used only by
# businesses whose replies are remarkably fast (+1) or slow (-1).
REPLY_VOICE: dict[tuple[str, bool], tuple[str, ...]] = {
    ("vi", True): (
        "lần trước góp ý trên đây, chưa tới 2 tiếng chủ quán đã trả lời",
        "chủ quán trả lời đánh giá rất nhanh, góp ý gì cũng được phản hồi trong ngày",
        "nhắn fanpage hỏi còn bàn không, chưa tới 5 phút đã có người trả lời",
        "để lại review buổi sáng, buổi trưa đã thấy quán phản hồi và xin lỗi",
        "quán phản hồi nhanh, rất cầu thị",
        "nhắn fanpage được trả lời gần như ngay lập tức",
    ),
    ("vi", False): (
        "góp ý với quán mà mấy ngày sau mới thấy phản hồi",
        "nhắn fanpage hỏi mà cả ngày hôm sau mới được trả lời",
        "review lần trước mãi mấy hôm sau quán mới trả lời",
    ),
    ("en", True): (
        "the owner replies to reviews within hours, which says a lot",
        "messaged them about a table and got an answer within minutes",
        "I left a complaint last time and the owner replied the same morning",
        "they answer every review quickly and actually fix things",
        "messaged them on Facebook and got an answer almost instantly",
    ),
    ("en", False): (
        "left feedback days ago and only got a reply much later",
        "messaged their page and waited two days for an answer",
        "it took them days to respond to my last review",
    ),
}

REMARKS: dict[tuple[str, str, bool], tuple[str, ...]] = {
    ("vi", TANGIBLES, True): (
        "không gian đẹp, sạch sẽ, decor xinh xỉu",
        "quán sạch sẽ, nhà vệ sinh cũng sạch",
        "không gian thoáng, nhiều cây xanh, chụp hình rất đẹp",
        "đồ uống đóng gói cẩn thận, ly có nắp dán kín, không đổ giọt nào",
        "chỗ để xe rộng, có bảo vệ dắt xe",
        "bàn ghế gọn gàng, ánh sáng dễ chịu, ngồi làm việc rất thích",
        "nhân viên mặc đồng phục gọn gàng, quán thơm tho",
        "túi giấy xinh, đóng gói chắc chắn, còn có thiệp cảm ơn",
        "máy lạnh mát, nhạc nhẹ nhàng",
        "view đẹp, góc nào cũng sống ảo được",
    ),
    ("vi", TANGIBLES, False): (
        "quán hơi bẩn, bàn không ai lau",
        "nhà vệ sinh bẩn, mùi khó chịu",
        "không gian chật, ồn ào, nóng",
        "chỗ để xe chật, phải để tạm ngoài lề đường",
        "bàn ghế cũ, quán nhìn xuống cấp",
        "đồ giao tới bị đổ vì đóng gói sơ sài",
        "ly dơ, còn vết son của khách trước",
        "máy lạnh yếu, ngồi một lúc là toát mồ hôi",
        "có kiến bò trên bàn",
    ),
    ("vi", RELIABILITY, True): (
        "món lên đúng như mình gọi, không sai món nào",
        "giao hàng đúng hẹn, đồ còn nóng",
        "tính tiền chính xác, hóa đơn rõ ràng",
        "chất lượng lần nào cũng ổn định như nhau",
        "đặt bàn trước thì tới là có bàn đúng giờ",
        "món ăn đúng như hình trên menu",
    ),
    ("vi", RELIABILITY, False): (
        "giao sai món, gọi {dish} mà ra món khác",
        "tính sai tiền, phải nhắc mới sửa",
        "đặt bàn trước mà tới nơi không có bàn",
        "đơn giao trễ gần 1 tiếng so với hẹn",
        "thiếu món, về mở ra mới thấy",
        "hình trên menu một đằng, món ra một nẻo",
        "dặn ít đá mà ra nguyên ly đá",
    ),
    ("vi", RESPONSIVENESS, True): (
        "phục vụ nhanh, gọi món chưa tới 5 phút là có nước",
        "vẫy tay cái là có nhân viên tới liền",
        "góp ý một cái là quán xử lý liền",
        "hỏi gì cũng được hỗ trợ nhanh",
        "đơn online được xác nhận ngay, ra món cũng nhanh",
    ),
    ("vi", RESPONSIVENESS, False): (
        "đợi lâu quá, gần {n} phút mới có món",
        "gọi mấy lần không ai ra",
        "nhắn fanpage seen không rep",
        "gọi hotline không ai nghe",
        "nhân viên đứng bấm điện thoại, khách gọi không thèm để ý",
        "order xong ngồi chờ mỏi mòn",
        "hỏi lại món thì nhân viên bảo chờ chút rồi đi mất luôn",
    ),
    ("vi", ASSURANCE, True): (
        "nhân viên lịch sự, tư vấn có tâm",
        "bạn barista hiểu biết, giới thiệu món rất kỹ",
        "quán uy tín, nguyên liệu rõ nguồn gốc",
        "nhân viên lễ phép, nói chuyện dễ nghe",
        "giá niêm yết rõ ràng, thanh toán minh bạch",
    ),
    ("vi", ASSURANCE, False): (
        "thái độ nhân viên láo, hỏi gì cũng trả lời cộc lốc",
        "nhân viên không biết gì về menu, hỏi gì cũng lắc đầu",
        "bạn thu ngân mặt nặng mày nhẹ",
        "nhân viên nói chuyện trống không với khách",
        "bị nhân viên quát vì để xe sai chỗ",
    ),
    ("vi", EMPATHY, True): (
        "nhân viên nhớ tên và món quen của mình",
        "thấy mình đi với em bé, quán mang ghế em bé ra",
        "trời mưa nhân viên cầm dù ra đón tận xe",
        "chu đáo, còn hỏi mình uống ít ngọt hay không",
        "quán mở cửa khuya nên tiện cho dân văn phòng tăng ca",
        "chủ quán hỏi han từng bàn rất dễ thương",
    ),
    ("vi", EMPATHY, False): (
        "nhân viên thờ ơ, khách vào không ai chào",
        "nhờ đổi bàn tránh nắng mà bị từ chối",
        "làm đổ nước ra bàn mà không ai đến lau giúp",
        "đóng cửa sớm hơn giờ ghi trên Google, khách đang ngồi cũng bị giục về",
        "có vẻ chỉ quan tâm khách quen, khách mới bị bỏ mặc",
    ),
    ("en", TANGIBLES, True): (
        "the space is beautiful and spotless",
        "super clean, even the restroom",
        "lovely décor with lots of plants, great for photos",
        "drinks came well packaged, sealed lids and not a drop spilled",
        "plenty of parking and a guard to help with the bikes",
        "comfy seating and soft lighting, perfect for working",
        "staff in neat uniforms and the place smells great",
        "the packaging is gorgeous, sturdy paper bags and a handwritten thank-you card",
        "strong aircon and chill music",
    ),
    ("en", TANGIBLES, False): (
        "tables were sticky and nobody wiped them",
        "the restroom was dirty",
        "cramped, noisy and hot inside",
        "hardly any parking, had to leave the bike on the pavement",
        "furniture is worn and the place looks run-down",
        "the delivery arrived spilled because the packaging was flimsy",
        "my glass still had lipstick on it",
        "weak aircon, I was sweating within minutes",
    ),
    ("en", RELIABILITY, True): (
        "everything came exactly as ordered",
        "delivery arrived on time and still hot",
        "the bill was correct and itemised",
        "quality is consistent every time I come",
        "our reservation was ready as promised",
        "the food looked just like the menu photos",
    ),
    ("en", RELIABILITY, False): (
        "they got our order wrong, asked for the {dish} and got something else",
        "billing error on the receipt, had to point it out",
        "booked a table and there was no table when we arrived",
        "delivery was almost an hour late",
        "an item was missing from the bag",
        "asked for less ice and got a cup full of ice",
    ),
    ("en", RESPONSIVENESS, True): (
        "quick service, drinks arrived in under five minutes",
        "staff came over the moment we raised a hand",
        "mentioned a small issue and they fixed it right away",
        "any question got a quick, helpful answer",
    ),
    ("en", RESPONSIVENESS, False): (
        "waited {n} minutes for our food",
        "had to call the staff three times",
        "messaged their page and got left on read",
        "called the hotline, no one answered",
        "staff were on their phones and ignored us",
    ),
    ("en", ASSURANCE, True): (
        "polite staff who clearly know the menu",
        "the barista was knowledgeable and explained every bean",
        "trustworthy place, ingredients are clearly sourced",
        "staff were courteous and well-spoken",
        "transparent pricing, no surprises on the bill",
    ),
    ("en", ASSURANCE, False): (
        "rude staff, one-word answers to every question",
        "the staff were clueless about the menu",
        "the cashier was openly annoyed with us",
        "the waiter was condescending",
        "a staff member shouted at us about where we parked",
    ),
    ("en", EMPATHY, True): (
        "staff remembered my name and my usual order",
        "they brought a high chair for our toddler without us asking",
        "it was pouring and someone walked us to the car with an umbrella",
        "they asked how sweet I wanted it, nice touch",
        "open late, which is great after a late shift",
        "the owner checked on every table",
    ),
    ("en", EMPATHY, False): (
        "nobody greeted us, staff didn't seem to care",
        "asked to move out of the sun and they refused",
        "spilled water on the table and nobody came to help",
        "they closed earlier than listed on Google and rushed us out",
        "regulars get all the attention, new faces get ignored",
    ),
}

INTENTS: dict[tuple[str, int], tuple[str, ...]] = {
    ("vi", 1): (
        "quá tệ, đã phản ánh với quản lý mà không ai quan tâm",
        "làm ăn kiểu gì vậy? yêu cầu quán hoàn tiền",
        "tệ nhất từng gặp, không đáng 1 sao",
        "rất bức xúc, sẽ báo hội bảo vệ người tiêu dùng",
        "thái độ như hạch, coi thường khách",
        "tính tiền sai còn cãi, lừa khách à",
        "đòi hoàn tiền mà quán cứ chuyển qua chuyển lại",
    ),
    ("vi", 2): (
        "chắc sẽ không quay lại",
        "hơi thất vọng, một lần cho biết thôi",
        "không đáng tiền, không recommend",
        "không như kỳ vọng, lần sau chuyển sang chỗ khác",
        "thất vọng, đã dặn bạn bè đừng tới",
        "một lần rồi thôi",
        "phí tiền, ngại góp ý nên thôi",
        "sẽ không bao giờ quay lại",
    ),
    ("vi", 3): (
        "nói chung bình thường, không có gì đặc biệt",
        "tạm được, được cái gần nhà",
        "ở mức chấp nhận được",
        "tiền nào của nấy",
        "tiện đường thì ghé",
        "không ngon không dở",
        "cũng được, ăn cho qua bữa",
        "tạm ổn, không có gì nổi bật",
    ),
    ("vi", 4): (
        "sẽ quay lại",
        "hài lòng, sẽ ủng hộ tiếp",
        "lần nào cũng ổn, khách quen rồi",
        "rất hài lòng, đáng tiền",
        "ưng ý, sẽ quay lại ủng hộ quán",
        "ghé nhiều lần rồi, vẫn giữ phong độ",
        "yên tâm, sẽ ủng hộ dài dài",
    ),
    ("vi", 5): (
        "vượt mong đợi, sẽ giới thiệu cho bạn bè",
        "quá bất ngờ luôn, nhất định phải thử",
        "hơn cả mong đợi, lần sau sẽ dẫn bạn bè tới",
        "sẽ quay lại và giới thiệu bạn bè",
        "10/10, đáng thử",
        "highly recommend mọi người nha",
    ),
    ("vi", 6): (
        "trải nghiệm tuyệt vời nhất từ trước đến nay, không bao giờ quên",
        "không thể tin được, chưa bao giờ được phục vụ như vậy",
        "đỉnh của chóp, gặp ai cũng kể",
        "cảm động thật sự, khách hàng trọn đời của quán",
        "chưa từng thấy ở đâu như vậy, nhớ mãi",
    ),
    ("en", 1): (
        "worst service ever, I complained and nobody cared",
        "unacceptable. I want a refund",
        "rude and unprofessional, zero stars if I could",
        "I'm furious, asked for the manager and was ignored",
        "charged me twice and then argued about it. Disgraceful",
        "never been treated so badly, I will report this",
    ),
    ("en", 2): (
        "won't be back",
        "very disappointing, not worth it",
        "not worth the money, wouldn't recommend",
        "last time I go here",
        "disappointed, went elsewhere the next day",
        "didn't bother complaining, just won't return",
        "overpriced for what you get, save your money",
    ),
    ("en", 3): (
        "it was okay, nothing special",
        "decent enough, mainly because it's close",
        "average, does the job",
        "not bad, not great",
        "fine if you're in the area",
        "mediocre, you get what you pay for",
        "acceptable, as expected",
    ),
    ("en", 4): (
        "will be back",
        "happy with everything, will come back",
        "satisfied, good service",
        "my go-to place now",
        "no complaints, we'll return",
        "great value, will definitely return",
    ),
    ("en", 5): (
        "exceeded my expectations, highly recommend",
        "pleasantly surprised, already told my friends",
        "a hidden gem, will bring my friends next time",
        "better than expected, 10/10 would recommend",
        "they went the extra mile, a must-try",
    ),
    ("en", 6): (
        "unbelievable. I'll never forget it",
        "blown away, best experience of my life in this city",
        "I'm speechless, customer for life",
        "wow, just wow. I tell everyone about them",
        "best in the city, a story I'll tell for years",
    ),
}

STORIES: dict[tuple[str, int], tuple[str, ...]] = {
    ("vi", 1): (
        "khi mình góp ý thì bạn nhân viên còn cãi lại",
        "đợi gần {n} phút, hỏi lại thì nhân viên bảo quên chưa order",
        "mình gọi quản lý ra thì anh ấy chỉ nói chờ chút rồi đi mất",
    ),
    ("vi", 5): (
        "còn được tặng thêm phần bánh ăn thử",
        "bạn nhân viên tự ghi chú ít đá vì nhớ lần trước mình dặn",
        "hôm đó hết món mình thích, quán làm món khác tương tự và không lấy tiền",
    ),
    ("vi", 6): (
        "hôm đó mình để quên ví, bạn nhân viên chạy theo cả con phố để trả lại",
        "hôm đó là sinh nhật mình, cả quán tắt đèn hát chúc mừng và tặng bánh",
        "con mình bị sốt nhẹ, chị quản lý pha nước gừng ấm rồi gọi taxi giúp",
        "mình làm rơi điện thoại vỡ màn hình, anh chủ quán chở đi sửa giúp luôn",
    ),
    ("en", 1): (
        "when I raised it with the manager he just shrugged",
        "after {n} minutes I asked and they had forgotten our order",
        "the staff argued with us instead of fixing it",
    ),
    ("en", 5): (
        "they threw in a free pastry",
        "they even wrote a little thank-you note on the cup",
        "they were out of what I wanted and made a similar drink on the house",
    ),
    ("en", 6): (
        "I left my wallet on the table and a staff member ran two blocks to return it",
        "it was my mum's birthday and the whole team sang and brought out a cake",
        "my scooter broke down outside and the manager called a mechanic and kept us fed",
        "they remembered my allergy from a visit months ago without me saying a word",
    ),
}

SARCASM = {
    "vi": (
        "tuyệt vời, đợi có 2 tiếng mới có ly cà phê 🙂",
        "phục vụ nhanh ghê, mới {n} phút đã có nước 👏",
        "quá xuất sắc, gọi {drink} mà ra món khác, đúng là bất ngờ",
        "dịch vụ 5 sao luôn, nhân viên ngồi lướt điện thoại còn khách tự dọn bàn",
        "đỉnh thật, đặt bàn trước rồi vẫn được đứng chờ nửa tiếng",
        "cảm ơn quán đã dạy mình tính kiên nhẫn, {n} phút cho một phần {dish}",
    ),
    "en": (
        "great, only waited 2 hours for a coffee",
        "amazing service, {n} minutes for two drinks. Truly impressive",
        "love how they brought the wrong order twice. Talent",
        "five-star experience: we cleared our own table while the staff watched TikTok",
        "fantastic, booked ahead and still stood at the door for half an hour",
        "thanks for the lesson in patience, {n} minutes for one {dish}",
    ),
}

SHORT: dict[tuple[str, int], tuple[str, ...]] = {
    ("vi", 1): ("tệ", "quá tệ 😡", "lừa đảo", "bức xúc"),
    ("vi", 2): ("thất vọng", "ko đáng tiền", "một lần cho biết", "phí tiền"),
    ("vi", 3): ("ok", "bt", "tạm", "ổn", "tạm được", "cũng ok", "tàm tạm"),
    ("vi", 4): (
        "ngon",
        "ngon 👍",
        "ổn áp",
        "sẽ quay lại",
        "hài lòng",
        "ngon nha",
        "được đó",
        "ưng ý",
    ),
    ("vi", 5): ("10/10", "đáng thử nha", "vượt mong đợi 😍", "quá bất ngờ luôn", "recommend nha"),
    ("en", 1): ("awful.", "scam.", "unacceptable."),
    ("en", 2): ("not worth it.", "meh. won't be back.", "disappointing."),
    ("en", 3): ("ok", "fine.", "meh", "average.", "decent."),
    ("en", 4): ("good.", "nice spot", "will be back!", "lovely.", "solid."),
    ("en", 5): ("hidden gem!", "10/10", "loved it, must-try", "better than expected!"),
}

TITLES_BY_RUNG: dict[tuple[str, int], tuple[str, ...]] = {
    ("vi", 1): ("Quá tệ", "Bức xúc", "Làm ăn kiểu gì vậy?", "Thái độ phục vụ kém"),
    ("vi", 2): ("Hơi thất vọng", "Một lần cho biết", "Không như kỳ vọng", "Không đáng tiền"),
    ("vi", 3): ("Tạm ổn", "Bình thường", "Cũng được", "Tàm tạm"),
    ("vi", 4): ("Hài lòng", "Quán ổn", "Đáng tiền", "Sẽ quay lại"),
    ("vi", 5): ("Vượt mong đợi", "Bất ngờ dễ thương", "Nhất định phải thử"),
    ("vi", 6): ("Không thể tin nổi", "Nhớ mãi", "Đỉnh của chóp"),
    ("en", 1): ("Terrible", "Unacceptable", "Worst service ever", "Rude staff"),
    ("en", 2): ("Disappointing", "Not worth it", "Won't be back", "Let down"),
    ("en", 3): ("Okay", "Average", "Nothing special", "Decent"),
    ("en", 4): ("Good spot", "Nice place", "Will be back", "Solid"),
    ("en", 5): ("Hidden gem", "Pleasant surprise", "Highly recommend"),
    ("en", 6): ("Unforgettable", "Blown away", "Wow"),
}

TITLES_BY_REMARK: dict[tuple[str, str, bool], tuple[str, ...]] = {
    ("vi", TANGIBLES, True): ("Không gian đẹp", "Quán xinh, sạch"),
    ("vi", TANGIBLES, False): ("Quán hơi bẩn", "Chật và nóng"),
    ("vi", RELIABILITY, True): ("Đúng món, đúng hẹn",),
    ("vi", RELIABILITY, False): ("Giao sai món", "Tính sai tiền"),
    ("vi", RESPONSIVENESS, True): ("Phục vụ nhanh", "Phản hồi nhanh"),
    ("vi", RESPONSIVENESS, False): ("Đợi quá lâu", "Chờ mỏi mòn"),
    ("vi", ASSURANCE, True): ("Nhân viên lịch sự",),
    ("vi", ASSURANCE, False): ("Nhân viên thái độ",),
    ("vi", EMPATHY, True): ("Chu đáo", "Dễ thương"),
    ("vi", EMPATHY, False): ("Thờ ơ với khách",),
    ("en", TANGIBLES, True): ("Beautiful space", "Spotless"),
    ("en", TANGIBLES, False): ("Dirty tables", "Cramped and hot"),
    ("en", RELIABILITY, True): ("Spot on", "Always consistent"),
    ("en", RELIABILITY, False): ("Wrong order", "Billing mistake"),
    ("en", RESPONSIVENESS, True): ("Fast service", "Super responsive"),
    ("en", RESPONSIVENESS, False): ("Slow, slow, slow", "Long wait"),
    ("en", ASSURANCE, True): ("Polite, knowledgeable staff",),
    ("en", ASSURANCE, False): ("Rude staff",),
    ("en", EMPATHY, True): ("So caring", "Thoughtful staff"),
    ("en", EMPATHY, False): ("Nobody cared",),
}

SARCASM_TITLES = {
    "vi": ("Nhanh thật sự 🙂", "Dịch vụ 5 sao"),
    "en": ("Lightning fast 🙄", "Five stars for patience"),
}

EMOJI = {
    1: ("😍", "👍", "❤️", "🥰", "☕", "🔥"),
    0: ("🙂", "😐", "🤔"),
    -1: ("😤", "😡", "👎", "🙄"),
}

# Owner replies: greeting + thanks (by stars) + a line about the remark + a generic line + sign-off.
REPLY_GREETINGS = {
    "vi": (
        "Dạ",
        "Chào anh/chị",
        "Dạ chào anh/chị",
        "Kính chào quý khách",
        "Chào bạn",
        "Hi anh/chị",
    ),
    "en": ("Hi there,", "Dear guest,", "Hello,", "Hi,", "Hello there,"),
}
REPLY_THANKS: dict[tuple[str, int], tuple[str, ...]] = {
    ("vi", -1): (
        "cảm ơn anh/chị đã góp ý thẳng thắn",
        "cảm ơn anh/chị đã dành thời gian phản hồi",
        "{biz} xin ghi nhận góp ý của anh/chị",
    ),
    ("vi", 0): (
        "cảm ơn anh/chị đã ghé {biz} và chia sẻ cảm nhận",
        "cảm ơn anh/chị đã để lại đánh giá",
    ),
    ("vi", 1): (
        "cảm ơn anh/chị đã yêu thương {biz}",
        "cảm ơn anh/chị rất nhiều vì những lời khen",
        "cảm ơn anh/chị đã ủng hộ quán",
    ),
    ("en", -1): (
        "thank you for your honest feedback",
        "thank you for taking the time to tell us",
        "we're grateful you let us know",
    ),
    ("en", 0): ("thanks for visiting {biz} and sharing your thoughts", "thank you for your review"),
    ("en", 1): (
        "thank you so much for the kind words",
        "we're delighted you enjoyed {biz}",
        "thanks a lot for your support",
    ),
}
REPLY_REMARK_LINES: dict[tuple[str, str, bool], tuple[str, ...]] = {
    ("vi", TANGIBLES, True): (
        "Không gian là điều cả team chăm chút nhiều nhất nên rất vui khi anh/chị thích",
        "Quán sẽ tiếp tục giữ không gian sạch đẹp như vậy",
    ),
    ("vi", TANGIBLES, False): (
        "Quán đã nhắc các bạn kiểm tra bàn ghế và nhà vệ sinh thường xuyên hơn",
        "Quán đang sửa lại khu vực ngồi cho thoáng và mát hơn",
    ),
    ("vi", RELIABILITY, True): ("Quán luôn cố gắng giữ chất lượng ổn định mỗi lần anh/chị ghé",),
    ("vi", RELIABILITY, False): (
        "Quán đã kiểm tra lại đơn hôm đó và sẽ đối chiếu món kỹ hơn",
        "Quán xin lỗi vì sai sót với đơn của anh/chị",
    ),
    ("vi", RESPONSIVENESS, True): ("Các bạn nhân viên sẽ rất vui khi biết anh/chị hài lòng",),
    ("vi", RESPONSIVENESS, False): (
        "Thật lòng xin lỗi vì anh/chị đã phải chờ lâu, quán đang bổ sung người vào giờ cao điểm",
        "Quán xin lỗi vì để anh/chị đợi, quán sẽ rút ngắn thời gian ra món",
    ),
    ("vi", ASSURANCE, True): ("Quán sẽ chuyển lời khen tới các bạn nhân viên",),
    ("vi", ASSURANCE, False): (
        "Quán rất tiếc về thái độ của bạn nhân viên và đã trao đổi lại với ca làm hôm đó",
        "Quán sẽ đào tạo lại cách giao tiếp với khách",
    ),
    ("vi", EMPATHY, True): ("Chăm sóc khách như người nhà là điều quán luôn hướng tới",),
    ("vi", EMPATHY, False): ("Quán xin lỗi vì đã chưa chu đáo với anh/chị",),
    ("en", TANGIBLES, True): (
        "The team puts a lot of care into the space, so this means a lot",
        "We'll keep it just as clean and cosy",
    ),
    ("en", TANGIBLES, False): (
        "We've asked the team to check tables and restrooms more often",
        "We're reworking the seating area to make it cooler and roomier",
    ),
    ("en", RELIABILITY, True): ("Consistency is something we work hard on",),
    ("en", RELIABILITY, False): (
        "We've looked into that order and will double-check every ticket",
        "We're sorry we got your order wrong",
    ),
    ("en", RESPONSIVENESS, True): ("The team will be thrilled to hear that",),
    ("en", RESPONSIVENESS, False): (
        "We're truly sorry about the wait; we're adding staff at peak hours",
        "Sorry for keeping you waiting, we're speeding up the kitchen",
    ),
    ("en", ASSURANCE, True): ("We'll pass your compliments on to the staff",),
    ("en", ASSURANCE, False): (
        "We're sorry about how you were spoken to and have talked with that shift",
        "We're retraining the team on how we treat guests",
    ),
    ("en", EMPATHY, True): ("Looking after guests like family is what we aim for",),
    ("en", EMPATHY, False): ("We're sorry we didn't look after you better",),
}
REPLY_GENERIC: dict[tuple[str, int], tuple[str, ...]] = {
    ("vi", -1): (
        "Quán thành thật xin lỗi vì trải nghiệm chưa tốt",
        "Anh/chị vui lòng nhắn fanpage để quán hỗ trợ ạ",
        "Quán mong có dịp được phục vụ anh/chị tốt hơn",
    ),
    ("vi", 0): (
        "Quán sẽ cố gắng cải thiện để lần sau anh/chị hài lòng hơn",
        "Những góp ý này giúp quán tốt hơn mỗi ngày",
    ),
    ("vi", 1): (
        "Hẹn gặp lại anh/chị sớm nhé",
        "Mong sớm được đón anh/chị và bạn bè quay lại",
        "Cả team đọc đánh giá xong ai cũng vui",
    ),
    ("en", -1): (
        "We'd love the chance to make it right, please message us",
        "This isn't the experience we want for anyone",
        "We hope you'll give us another chance",
    ),
    ("en", 0): (
        "We'll keep working to make your next visit better",
        "Feedback like this helps us improve",
    ),
    ("en", 1): (
        "Hope to see you again soon",
        "Can't wait to welcome you and your friends back",
        "You made the whole team's day",
    ),
}
REPLY_SIGNOFFS = {
    "vi": (
        "Chúc anh/chị một ngày vui vẻ! — {biz}",
        "Trân trọng, {biz}",
        "Quản lý {biz}",
        "Thân mến, team {biz}",
        "— {biz}",
    ),
    "en": (
        "Warm regards, the {biz} team",
        "Best wishes, {biz}",
        "See you soon! — {biz}",
        "The {biz} team",
        "Cheers, {biz}",
    ),
}

VI_FAMILY = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Huỳnh",
    "Phan",
    "Võ",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
)
VI_MIDDLE = ("T.", "V.", "N.", "H.", "M.", "Q.", "K.", "B.", "Đ.", "P.")
VI_GIVEN = (
    "Lan",
    "Hương",
    "Minh",
    "Tuấn",
    "Hùng",
    "Thảo",
    "Vy",
    "Khoa",
    "Nhi",
    "Phúc",
    "Trang",
    "Dũng",
    "Linh",
    "Quân",
    "Hà",
    "Long",
    "Ngân",
    "Tâm",
    "Duy",
    "Yến",
    "My",
    "Nam",
    "Bảo",
    "Châu",
)
VI_DOUBLE = (
    "Minh Anh",
    "Bảo Ngọc",
    "Gia Huy",
    "Thanh Tâm",
    "Khánh Linh",
    "Hoài An",
    "Ngọc Trâm",
    "Quốc Bảo",
    "Phương Thảo",
    "Tuấn Kiệt",
    "Thu Hà",
    "Đức Anh",
)
EN_GIVEN = (
    "Sam",
    "Emma",
    "Liam",
    "Olivia",
    "Noah",
    "Ava",
    "Jack",
    "Chloe",
    "Ben",
    "Grace",
    "Tom",
    "Mia",
    "Lucas",
    "Hannah",
    "Daniel",
    "Ruby",
    "Oscar",
    "Leah",
    "Max",
    "Zoe",
    "Ethan",
    "Isla",
)

# Teencode: (pattern, replacements); "không gian" (space) is never shortened.
TEENCODE = (
    (re.compile(r"\bkhông\b(?! gian)", re.IGNORECASE), ("ko", "k", "hông", "hok")),
    (re.compile(r"\bđược\b", re.IGNORECASE), ("đc", "dc")),
    (re.compile(r"\bgì\b"), ("j",)),
    (re.compile(r"\bbình thường\b", re.IGNORECASE), ("bt",)),
    (re.compile(r"\bnhân viên\b", re.IGNORECASE), ("nv",)),
    (re.compile(r"\brồi\b"), ("r",)),
    (re.compile(r"\bmọi người\b", re.IGNORECASE), ("mn",)),
    (re.compile(r"\bvới\b"), ("vs",)),
)

POSITIVE_BASE = {1: 0.05, 2: 0.12, 3: 0.45, 4: 0.85, 5: 0.95, 6: 1.0}
STARS_BY_RUNG: dict[int, tuple[tuple[int, float], ...]] = {
    1: ((1, 0.9), (2, 0.1)),
    2: ((1, 0.3), (2, 0.55), (3, 0.15)),
    3: ((2, 0.08), (3, 0.75), (4, 0.17)),
    4: ((3, 0.05), (4, 0.65), (5, 0.30)),
    5: ((4, 0.08), (5, 0.92)),
    6: ((5, 1.0),),
}
DAY_WEIGHTS = (1.0, 0.9, 1.0, 1.1, 1.3, 1.7, 1.6)  # Monday..Sunday
HOUR_WEIGHTS = (
    0.2,
    0.1,
    0.05,
    0.05,
    0.05,
    0.2,
    0.6,
    1.2,
    1.6,
    1.5,
    1.2,
    1.3,
    1.6,
    1.4,
    1.1,
    1.1,
    1.2,
    1.3,
    1.5,
    1.9,
    2.0,
    1.9,
    1.4,
    0.7,
)  # local time (UTC+7)
LOCAL_OFFSET_HOURS = 7
CONFLICT_RATE = 0.027  # of reviews whose text is not rung 3: about 2% overall
SARCASM_RATE_WHEN_LOW = 0.04
SHORT_RATE = 0.012
LONG_RATE = 0.04
LONG = 4  # remarks in a long review


@dataclass(frozen=True)
class _Text:
    body: str
    title: str | None
    remarks: tuple[tuple[str, bool], ...]  # (dimension, positive) in the order written


def build_world(now: datetime, *, seed: int = 7, weeks: int = 16) -> tuple[DemoBusiness, ...]:
    """Ours first, then competitors."""
    if now.tzinfo is None:
        raise ValueError("build_world needs a timezone-aware `now`, e.g. datetime.now(UTC)")
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks}")
    anchor = week_anchor(now)
    return tuple(_build_business(p, anchor, seed, weeks) for p in PROFILES)


def week_anchor(now: datetime) -> datetime:
    """Monday 00:00 UTC of the ISO week holding `now`; every demo date lies before it."""
    day = now.astimezone(UTC).date()
    monday = day - timedelta(days=day.weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=UTC)


def _build_business(profile: _Profile, anchor: datetime, seed: int, weeks: int) -> DemoBusiness:
    rng = _rng_for(seed, profile.slug)
    drafts: list[DemoReview] = []
    for week in range(weeks):
        progress = week / (weeks - 1) if weeks > 1 else 1.0
        week_start = anchor - (weeks - week) * WEEK
        for rung in _weekly_rungs(rng, profile, progress, _weekly_count(rng, profile, progress)):
            drafts.append(_draft_review(rng, profile, rung, progress, week_start, anchor))
    drafts.sort(key=lambda r: r.published_at)
    numbered = [
        replace(r, native_id=f"{profile.id_prefix}-{i:04d}") for i, r in enumerate(drafts, start=1)
    ]
    return DemoBusiness(
        slug=profile.slug,
        name=profile.name,
        is_self=profile.is_self,
        story=profile.story,
        reviews=tuple(reversed(numbered)),
    )


def _rng_for(seed: int, slug: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}/{slug}".encode()).digest()
    # Not cryptographic: a reproducible stream for fictional demo data.
    return random.Random(int.from_bytes(digest[:8], "big"))  # noqa: S311


def _lerp(span: Span, progress: float) -> float:
    return span[0] + (span[1] - span[0]) * progress


def _weekly_count(rng: random.Random, profile: _Profile, progress: float) -> int:
    expected = _lerp(profile.weekly_reviews, progress)
    return max(3, round(expected * math.exp(rng.gauss(0.0, 0.22))))


def _draft_review(
    rng: random.Random,
    profile: _Profile,
    rung: int,
    progress: float,
    week_start: datetime,
    anchor: datetime,
) -> DemoReview:
    lang = "vi" if rng.random() < profile.vi_share else "en"
    text, stars = _write_text(rng, profile, rung, lang, progress)
    published = _published_at(rng, week_start)
    reply_body, replied_at = _reply(
        rng, profile, progress, stars, lang, text.remarks, published, anchor
    )
    return DemoReview(
        native_id="",
        rating=stars,
        title=text.title,
        body=text.body,
        lang=lang,
        author=_author(rng, lang),
        published_at=published,
        reply_body=reply_body,
        replied_at=replied_at,
    )


def _weekly_rungs(rng: random.Random, profile: _Profile, progress: float, count: int) -> list[int]:
    """The week's rungs by systematic sampling: close to the profile's mix, in random order.

    Independent draws would let a 20-review week wander so far that the scenario (who climbs,
    who falls) could flip with the seed; the week-to-week variation stays natural anyway.
    """
    weights = [
        _lerp((a, b), progress) for a, b in zip(profile.rungs_start, profile.rungs_end, strict=True)
    ]
    total = sum(weights)
    bounds = [sum(weights[: k + 1]) / total for k in range(6)]
    offset = rng.random()
    rungs = [
        next(k for k, bound in enumerate(bounds, start=1) if (offset + i) / count <= bound)
        for i in range(count)
    ]
    rng.shuffle(rungs)
    return rungs


def _stars_for(rng: random.Random, rung: int) -> int:
    options = STARS_BY_RUNG[rung]
    return rng.choices([s for s, _ in options], weights=[w for _, w in options])[0]


def _write_text(
    rng: random.Random, profile: _Profile, rung: int, lang: str, progress: float
) -> tuple[_Text, int]:
    """Body, title and stars; stars follow the text's rung except for the odd conflict."""
    roll = rng.random()
    if rung <= 2 and roll < SARCASM_RATE_WHEN_LOW:
        return _sarcastic_text(rng, profile, lang), rng.choice((1, 1, 2))
    if (lang, rung) in SHORT and roll > 1.0 - SHORT_RATE:
        body = _surface(rng, lang, rung, [rng.choice(SHORT[(lang, rung)])], short=True)
        return _Text(body=body, title=None, remarks=()), _stars_for(rng, rung)
    size = LONG if rng.random() < LONG_RATE else rng.choice((1, 1, 2, 2, 2))
    text = _composed_text(rng, profile, rung, lang, progress, size)
    stars = _stars_for(rng, rung)
    if rng.random() < CONFLICT_RATE and rung != 3:
        stars = 1 if rung >= 4 else 5  # a mis-tap or a joke: text and stars disagree
    return text, stars


def _slots(rng: random.Random, profile: _Profile, lang: str) -> dict[str, object]:
    menu, drinks = (
        (profile.menu_vi, profile.drinks_vi)
        if lang == "vi"
        else (profile.menu_en, profile.drinks_en)
    )
    drink = rng.choice(drinks)
    return {
        "dish": rng.choice(menu),
        "drink": drink,
        "a_drink": ("an " if drink[0] in "aeiou" else "a ") + drink,
        "group": rng.choice(GROUPS[lang]),
        "n": rng.choice(range(30, 95, 5)),
        "k": rng.randint(2, 12),
        "price": rng.choice(range(45, 260, 5)),
    }


def _composed_text(
    rng: random.Random, profile: _Profile, rung: int, lang: str, progress: float, size: int
) -> _Text:
    slots = _slots(rng, profile, lang)
    mood = 1 if rung >= 4 else (0 if rung == 3 else -1)
    sentences: list[str] = []
    if rng.random() < 0.7 or size == LONG:
        sentences.append(rng.choice(OPENINGS[lang]))
    if rng.random() < 0.4 or size == LONG or not sentences:
        food_mood = mood if rng.random() < 0.75 else rng.choice((-1, 0, 1))
        sentences.append(rng.choice(FOOD[(lang, food_mood)]))
    if size == LONG or rng.random() < 0.12:
        sentences.append(rng.choice(FILLERS[lang]))
    remarks = _remarks(rng, profile, rung, progress, size)
    sentences.extend(_remark_sentences(rng, profile, lang, remarks))
    if size == LONG:
        sentences.insert(0 if rng.random() < 0.5 else len(sentences), rng.choice(LONG_ASIDES[lang]))
    if (lang, rung) in STORIES and (rung == 6 or size == LONG or rng.random() < 0.3):
        sentences.append(rng.choice(STORIES[(lang, rung)]))
    sentences.append(rng.choice(INTENTS[(lang, rung)]))
    filled = [s.format(**slots) for s in sentences]
    body = _surface(rng, lang, rung, filled, short=False)
    title = _title(rng, lang, rung, remarks)
    return _Text(body=body, title=_match_script(body, title), remarks=remarks)


def _sarcastic_text(rng: random.Random, profile: _Profile, lang: str) -> _Text:
    """A positive word next to a complaint ("great, only waited 2 hours"), then a plain one."""
    slots = _slots(rng, profile, lang)
    sentences = [rng.choice(SARCASM[lang])]
    if rng.random() < 0.6:
        sentences.insert(0, rng.choice(OPENINGS[lang]))
    remarks: tuple[tuple[str, bool], ...] = ((RESPONSIVENESS, False),)
    if rng.random() < 0.5:
        sentences.append(rng.choice(INTENTS[(lang, 2)]))
    else:
        dimension = rng.choice((RELIABILITY, ASSURANCE, EMPATHY))
        sentences.append(rng.choice(REMARKS[(lang, dimension, False)]))
        remarks += ((dimension, False),)
    body = _surface(rng, lang, 2, [s.format(**slots) for s in sentences], short=False)
    title = rng.choice(SARCASM_TITLES[lang]) if rng.random() < 0.5 else None
    return _Text(body=body, title=_match_script(body, title), remarks=remarks)


def _pick_dimensions(
    rng: random.Random, profile: _Profile, rung: int, progress: float, count: int
) -> list[str]:
    """Weighted draw without replacement; a tilted dimension is remarked on more at its end."""
    pool = {
        d: profile.mentions.get(d, 1.0) * math.exp(1.2 * _tilt(profile, d, progress) * (rung - 3))
        for d in DIMENSIONS
    }
    chosen: list[str] = []
    for _ in range(min(count, len(pool))):
        names = list(pool)
        pick = rng.choices(names, weights=[pool[n] for n in names])[0]
        chosen.append(pick)
        del pool[pick]
    return chosen


def _tilt(profile: _Profile, dimension: str, progress: float) -> float:
    return _lerp(profile.tilts.get(dimension, (0.0, 0.0)), progress)


def _remarks(
    rng: random.Random, profile: _Profile, rung: int, progress: float, count: int
) -> tuple[tuple[str, bool], ...]:
    """(dimension, positive) pairs; at most one goes against the rung, and it is written first."""
    remarks = [
        (d, _is_positive(rng, profile, d, rung, progress))
        for d in _pick_dimensions(rng, profile, rung, progress, count)
    ]
    if rung == 6:
        return tuple((d, True) for d, _ in remarks)
    if rung == 3:
        return tuple(remarks)
    agreeing = rung >= 4
    remarks = _at_most_one(remarks, not agreeing)
    return tuple(sorted(remarks, key=lambda r: r[1] == agreeing))


def _at_most_one(remarks: list[tuple[str, bool]], polarity: bool) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for dimension, positive in remarks:
        seen = any(p == polarity for _, p in out)
        out.append((dimension, not positive if seen and positive == polarity else positive))
    return out


def _is_positive(
    rng: random.Random, profile: _Profile, dimension: str, rung: int, progress: float
) -> bool:
    """The rung sets the odds; the profile's tilt moves them, most where the rung is undecided."""
    base = POSITIVE_BASE[rung]
    chance = base + _tilt(profile, dimension, progress) * (1.0 - abs(2.0 * base - 1.0) / 2.0)
    return rng.random() < min(0.98, max(0.02, chance))


def _remark_text(
    rng: random.Random, profile: _Profile, lang: str, dimension: str, positive: bool
) -> str:
    voiced = profile.reply_voice == (1 if positive else -1)
    if dimension == RESPONSIVENESS and voiced and rng.random() < 0.45:
        return rng.choice(REPLY_VOICE[(lang, positive)])
    return rng.choice(REMARKS[(lang, dimension, positive)])


def _remark_sentences(
    rng: random.Random, profile: _Profile, lang: str, remarks: Sequence[tuple[str, bool]]
) -> list[str]:
    """One sentence per remark; two remarks of opposite polarity are joined with 'but'."""
    texts = [_remark_text(rng, profile, lang, d, pos) for d, pos in remarks]
    if len(remarks) == 2 and remarks[0][1] != remarks[1][1] and rng.random() < 0.7:
        joiner = ", nhưng " if lang == "vi" else ", but "
        return [texts[0] + joiner + texts[1]]
    return texts


def _title(
    rng: random.Random, lang: str, rung: int, remarks: Sequence[tuple[str, bool]]
) -> str | None:
    if rng.random() < 0.5:
        return None
    if remarks and rng.random() < 0.5:
        dimension, positive = remarks[0]
        return rng.choice(TITLES_BY_REMARK[(lang, dimension, positive)])
    return rng.choice(TITLES_BY_RUNG[(lang, rung)])


def _surface(rng: random.Random, lang: str, rung: int, sentences: list[str], *, short: bool) -> str:
    """Punctuation, capitals, emoji and (Vietnamese) teencode or missing diacritics."""
    casual = rng.random() < (0.3 if lang == "vi" else 0.08)
    parts: list[str] = []
    for i, sentence in enumerate(sentences):
        if i:
            parts.append(
                rng.choice(
                    (". ", ". ", ". ", ", ", "... ") if lang == "vi" else (". ", ". ", ". ", ", ")
                )
            )
        starts = i == 0 or parts[-1] != ", "
        parts.append(sentence if casual or not starts else _capitalise(sentence))
    text = "".join(parts)
    if not short:
        text += _ending(rng, lang, rung)
    if lang == "vi":
        text = _vietnamese_style(rng, text)
    return unicodedata.normalize("NFC", text)


def _ending(rng: random.Random, lang: str, rung: int) -> str:
    mood = 1 if rung >= 4 else (0 if rung == 3 else -1)
    if rng.random() < (0.2 if lang == "vi" else 0.1):
        return " " + rng.choice(EMOJI[mood])
    if mood > 0:
        return rng.choice((".", "!", "!!", "") if lang == "vi" else (".", "!", "!"))
    return rng.choice((".", "", "...") if lang == "vi" else (".", "."))


def _capitalise(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def _vietnamese_style(rng: random.Random, text: str) -> str:
    unaccented = rng.random() < 0.15
    if rng.random() < (0.6 if unaccented else 0.25):
        text = _teencode(rng, text)
    return strip_diacritics(text) if unaccented else text


def _teencode(rng: random.Random, text: str) -> str:
    for pattern, replacements in TEENCODE:
        if rng.random() < 0.75:
            text = pattern.sub(rng.choice(replacements), text)
    return text


def strip_diacritics(text: str) -> str:
    """Vietnamese as typed without a Vietnamese keyboard: 'phục vụ' → 'phuc vu', 'đ' → 'd'."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _match_script(body: str, title: str | None) -> str | None:
    """A reviewer who typed the body without diacritics typed the title the same way."""
    if title is None or body != strip_diacritics(body):
        return title
    return strip_diacritics(title)


def _published_at(rng: random.Random, week_start: datetime) -> datetime:
    day = rng.choices(range(7), weights=DAY_WEIGHTS)[0]
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    seconds = day * 86400 + (hour - LOCAL_OFFSET_HOURS) * 3600 + rng.randrange(3600)
    return week_start + timedelta(seconds=seconds % int(WEEK.total_seconds()))


def _author(rng: random.Random, lang: str) -> str:
    if lang == "en" and rng.random() < 0.6:
        return f"{rng.choice(EN_GIVEN)} {rng.choice('ABCDEFGHJKLMNPRSTW')}."
    style = rng.random()
    if style < 0.45:
        return f"{rng.choice(VI_FAMILY)} {rng.choice(VI_MIDDLE)} {rng.choice(VI_GIVEN)}"
    if style < 0.75:
        return rng.choice(VI_DOUBLE)
    return f"{rng.choice(VI_GIVEN)} {rng.choice(VI_FAMILY)[0]}."


def _reply(
    rng: random.Random,
    profile: _Profile,
    progress: float,
    stars: int,
    lang: str,
    remarks: Sequence[tuple[str, bool]],
    published: datetime,
    anchor: datetime,
) -> tuple[str | None, datetime | None]:
    """The owner's reply, if any; one that would land on or after the anchor is not written yet."""
    rate = profile.reply_rate_negative if stars <= 2 else _lerp(profile.reply_rate, progress)
    if rng.random() >= rate:
        return None, None
    hours = _lerp(profile.reply_hours, progress) * math.exp(rng.gauss(0.0, profile.reply_spread))
    replied_at = published + timedelta(
        minutes=max(1, round(max(hours, profile.reply_min_hours) * 60))
    )
    body = _reply_body(rng, profile.name, stars, lang, remarks)
    if replied_at >= anchor:
        return None, None
    return body, replied_at


def _reply_body(
    rng: random.Random, business: str, stars: int, lang: str, remarks: Sequence[tuple[str, bool]]
) -> str:
    mood = 1 if stars >= 4 else (0 if stars == 3 else -1)
    greeting = rng.choice(REPLY_GREETINGS[lang])
    thanks = rng.choice(REPLY_THANKS[(lang, mood)])
    separator = ", " if lang == "vi" and greeting != "Dạ" else " "
    lines = [f"{greeting}{separator}{thanks}".format(biz=business)]
    fitting = [r for r in remarks if mood == 0 or r[1] == (mood > 0)]
    if fitting and rng.random() < 0.8:
        dimension, positive = rng.choice(fitting)
        lines.append(rng.choice(REPLY_REMARK_LINES[(lang, dimension, positive)]))
    if rng.random() < 0.7 or len(lines) == 1:
        lines.append(rng.choice(REPLY_GENERIC[(lang, mood)]))
    signoff = rng.choice(REPLY_SIGNOFFS[lang]).format(biz=business)
    return ". ".join(lines) + ". " + signoff
