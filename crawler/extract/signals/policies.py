"""Customer-service promises and policies stated on a page, Vietnamese or English.

Detects:

- ``returns.window_days`` ("days"): schema.org ``MerchantReturnPolicy.merchantReturnDays``; "đổi trả
  trong 7 ngày", "đổi trả miễn phí 30 ngày", "30 ngày đổi trả", "1 đổi 1 trong 30 ngày",
  "30-day returns", "return within 14 days", "refund within 2 weeks". A number that belongs to
  something else is not a window: "giao hàng trong 7 ngày", "7 ngày trong tuần", "founded 30 years
  ago", "30 days of summer sale", "returns processed 7 days a week".
- ``warranty.months`` ("months"): "bảo hành 12 tháng", "bảo hành 1 năm" (12), "2-year warranty" (24).
- ``response.promise_hours`` ("hours"): "phản hồi trong 24h", "trả lời trong vòng 2 giờ",
  "we reply within one business day" (24), "respond within 48 hours".
- ``shipping.free_threshold`` ("VND", "USD", "EUR", "GBP"): "miễn phí vận chuyển cho đơn từ
  300.000đ" (also "300k", "300 nghìn", "1,5 triệu"), "đơn từ 500k được freeship", "free shipping
  on orders over $50".
- ``delivery.promise_hours`` ("hours"): "giao hàng trong 2h", "giao nhanh trong 24 giờ", "giao
  trong 2-3 ngày" (72, the upper bound), "giao hàng trong ngày" / "same-day delivery" (12),
  "next-day delivery" (24), "delivered within 3-5 business days".
- ``payment.cod`` (True): "thanh toán khi nhận hàng", "COD", "cash on delivery".
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from crawler.extract.signals import Page, Signal

_WORDS = {
    "mot": 1, "one": 1, "a": 1, "an": 1, "hai": 2, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "ten": 10, "twelve": 12, "fourteen": 14, "fifteen": 15, "twenty": 20,
    "thirty": 30, "sixty": 60, "ninety": 90, "forty-eight": 48, "twenty-four": 24,
}  # fmt: skip
_NUM = r"(?<![a-z\d.,])(?:\d{1,3}(?:[.,]5)?|" + "|".join(sorted(_WORDS, key=len)[::-1]) + ")"
_HOURS = {"h": 1.0, "gio": 1.0, "tieng": 1.0, "hour": 1.0, "hr": 1.0, "phut": 1 / 60}
_HOURS |= {"minute": 1 / 60, "min": 1 / 60, "ngay": 24.0, "day": 24.0, "tuan": 168.0}
_HOURS["week"] = 168.0
_DAYS = {"ngay": 1.0, "day": 1.0, "tuan": 7.0, "week": 7.0, "thang": 30.0, "month": 30.0}
_DAYS |= {"h": 1 / 24, "gio": 1 / 24, "tieng": 1 / 24, "hour": 1 / 24, "nam": 365.0, "year": 365.0}
_MONTHS = {"thang": 1.0, "month": 1.0, "nam": 12.0, "year": 12.0, "yr": 12.0, "ngay": 1 / 30}
_MONTHS |= {"day": 1 / 30, "tuan": 7 / 30, "week": 7 / 30}
_UNITS = sorted({*_HOURS, *_DAYS, *_MONTHS}, key=len)[::-1]
_UNIT = r"(?:business |working |lam viec )?(?P<unit>" + "|".join(_UNITS) + r")s?"
_UNIT += r"(?:\s*lam viec)?(?![a-z])"
_GAP = r"[^.!?\n\d]{0,40}?"
_WITHIN = r"(?:(?:trong(?: vong)?|within|in|up to|for|toi da|sau|under|chi)\s*)?"
_RANGE = rf"(?:{_NUM}\s*(?:-|–|to|den)\s*)?(?P<number>{_NUM})[\s-]{{0,3}}{_UNIT}"
_RANGE += r"(?!\s*(?:-|–|den)\s*\d)"  # "8h-17h" is a time of day, not a duration

_RETURNS = r"(?:doi tra|doi hang|tra hang|hoan tra|hoan tien|doi san pham|1 doi 1|returns?|refunds?"
_RETURNS += r"|exchanges?|money[- ]back)"
_WARRANTY = r"(?:bao hanh|warrant(?:y|ies))"
_REPLY = r"(?:phan hoi|tra loi|lien he lai|goi lai|repl(?:y|ies)|respond|response|get back to you)"
_FREE = r"(?:mien phi (?:van chuyen|giao hang|ship)|free ?ship(?:ping)?|free (?:standard |uk |us )?"
_FREE += r"(?:delivery|shipping)|(?:ship|giao hang|van chuyen) mien phi|mien ship)"
_DELIVER = r"(?:giao hang|giao|van chuyen|deliver(?:y|ed)?)"

_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "returns": (
        re.compile(rf"(?<![a-z]){_RETURNS}(?![a-z])(?P<gap>{_GAP}){_WITHIN}{_RANGE}"),
        re.compile(
            rf"(?<![\d.,]){_RANGE}[\s-]*(?:free |mien phi )?(?:de |to )?{_RETURNS}(?![a-z])"
        ),
    ),
    "warranty": (
        re.compile(rf"(?<![a-z]){_WARRANTY}(?P<gap>{_GAP}){_WITHIN}{_RANGE}"),
        re.compile(rf"(?<![\d.,]){_RANGE}[\s-]*(?:limited |chinh hang )?{_WARRANTY}"),
    ),
    "reply": (
        re.compile(rf"(?<![a-z]){_REPLY}(?![a-z])(?P<gap>{_GAP}){_WITHIN}{_RANGE}"),
        re.compile(rf"(?<![\d.,]){_RANGE}[\s-]*(?:response|phan hoi)"),
    ),
    "delivery": (
        re.compile(
            rf"(?<![a-z]){_DELIVER}(?![a-z])(?P<gap>[^.!?\n\d]{{0,25}}?)"
            rf"(?:trong(?: vong)?|chi|toi da|within|in|sau|trong khoang|tu|mat)\s*{_RANGE}"
        ),
        re.compile(rf"(?<![a-z])(?:giao|ship) (?:hang )?(?:hoa toc|sieu toc|nhanh) {_RANGE}"),
        re.compile(rf"(?<![\d.,]){_RANGE}[\s-]*(?:express |fast )?delivery"),
    ),
}
# Words between a keyword and a number that give the number to something else.
_BLOCKERS = {
    "returns": re.compile(
        r"giao|van chuyen|ship|deliver|bao hanh|warrant|ago|phan hoi|repl"
        # how long a refund takes to process, not how long the customer has to return
        r"|allow|process|xu ly|ngan hang|bank|credit|appear|take"
    ),
    "warranty": re.compile(r"doi tra|return|refund|giao|deliver|phan hoi|repl"),
    "reply": re.compile(r"giao|deliver|ship|doi tra|return|refund|bao hanh|warrant"),
    "delivery": re.compile(r"doi tra|return|refund|phan hoi|repl|bao hanh|khung gio"),
}
_NOT_AFTER = re.compile(r"\s*(?:trong tuan|/\s*tuan|a week|per week|/\s*7|ago|truoc)")
_SAME_DAY = re.compile(
    r"(?<![a-z])(?:(?:giao hang|giao)(?: hoa toc| sieu toc| nhanh| ngay)? trong ngay|same[- ]day deliver(?:y|ed)"
    r"|deliver(?:y|ed) (?:the )?same day)"
)
_NEXT_DAY = re.compile(
    r"(?<![a-z])next[- ](?:working |business )?day deliver(?:y|ed)|giao hang ngay hom sau"
)
_VND = r"(\d{1,3}(?:[.,]\d{3})+|\d+(?:[.,]\d+)?)\s*(k|nghin|ngan|trieu|tr|d|vnd|dong|₫)(?![a-z])"
_FOREIGN = r"(\$|€|£|us\$)\s*(\d[\d,]*(?:\.\d{1,2})?)|(\d[\d,]*(?:\.\d{1,2})?)\s*(usd|eur|gbp)\b"
_AMOUNT = rf"(?:{_VND}|{_FOREIGN})"
_OVER = r"(?:tu|tren|>=|≥|from|over|above|of|at least|hon|>)"
_THRESHOLDS = (
    re.compile(rf"{_FREE}[^.!?\n]{{0,50}}?{_OVER}\s*{_AMOUNT}"),
    re.compile(
        rf"(?:don hang|hoa don|don|orders?)[^.!?\n\d]{{0,20}}?{_OVER}\s*{_AMOUNT}"
        rf"[^.!?\n]{{0,40}}?(?:{_FREE}|ship(?:s|ping)? (?:for )?free)"
    ),
)
_CURRENCIES = {"$": "USD", "us$": "USD", "usd": "USD", "€": "EUR", "eur": "EUR", "£": "GBP"}
_CURRENCIES["gbp"] = "GBP"
_SCALE = {"k": 1e3, "nghin": 1e3, "ngan": 1e3, "trieu": 1e6, "tr": 1e6}
_COD = re.compile(
    r"thanh toan (?:tien mat )?khi (?:nhan|giao) hang|nhan hang (?:roi |moi |truoc khi )?thanh toan"
    r"|cash on delivery|pay(?:ment)? on delivery"
)
_COD_ACRONYM = re.compile(r"(?<![A-Za-z])COD(?![A-Za-z])")
_SIGNALS = {
    "returns": ("returns.window_days", "days", _DAYS, (1.0, 365.0)),
    "warranty": ("warranty.months", "months", _MONTHS, (0.5, 600.0)),
    "reply": ("response.promise_hours", "hours", _HOURS, (1 / 60, 24 * 14)),
    "delivery": ("delivery.promise_hours", "hours", _HOURS, (0.25, 24 * 60)),
}


def extract(page: Page) -> list[Signal]:
    signals = list(_schema_returns(page))
    for family, patterns in _PATTERNS.items():
        name, unit, _, _ = _SIGNALS[family]
        for pattern in patterns:
            for match in pattern.finditer(page.folded):
                value = _duration(match, family)
                if value is not None:
                    signals.append(page.signal(name, value, unit, page.snippet(*match.span())))
    for pattern, hours in ((_SAME_DAY, 12.0), (_NEXT_DAY, 24.0)):
        for match in pattern.finditer(page.folded):
            seen = page.snippet(*match.span())
            signals.append(page.signal("delivery.promise_hours", hours, "hours", seen))
    signals.extend(_thresholds(page))
    cod = _COD.search(page.folded) or _COD_ACRONYM.search(page.text)
    if cod is not None:
        signals.append(page.signal("payment.cod", True, None, page.snippet(*cod.span())))
    return signals


def _duration(match: re.Match[str], family: str) -> float | None:
    """The promise in the family's unit (a range's upper bound), or None when the number is for
    something else ("7 ngày trong tuần") or out of range."""
    _, _, factors, (low, high) = _SIGNALS[family]
    gap = match.groupdict().get("gap") or ""
    if _BLOCKERS[family].search(gap) or _NOT_AFTER.match(match.string, match.end()):
        return None
    number, factor = _number(match.group("number")), factors.get(match.group("unit"))
    if number is None or factor is None or not low <= number * factor <= high:
        return None
    return round(number * factor, 2)


def _number(text: str) -> float | None:
    if text in _WORDS:
        return float(_WORDS[text])
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def _schema_returns(page: Page) -> Iterator[Signal]:
    for node in page.nodes:
        days = node.get("merchantReturnDays")
        category = str(node.get("returnPolicyCategory") or "")
        if days is None or category.endswith("MerchantReturnNotPermitted"):
            continue
        value = _number(str(days).strip())
        if value is not None and value > 0:
            seen = f"schema.org MerchantReturnPolicy merchantReturnDays={days}"
            yield page.signal("returns.window_days", value, "days", seen)


def _thresholds(page: Page) -> Iterator[Signal]:
    for pattern in _THRESHOLDS:
        for match in pattern.finditer(page.folded):
            amount = _amount(match)
            if amount is not None:
                seen = page.snippet(*match.span())
                yield page.signal("shipping.free_threshold", amount[0], amount[1], seen)


def _amount(match: re.Match[str]) -> tuple[float, str] | None:
    number, scale, symbol, foreign, foreign_number, code = match.groups()[-6:]
    if number is not None:
        if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", number):
            value = float(re.sub(r"[.,]", "", number))
        else:
            value = float(number.replace(",", "."))
        value *= _SCALE.get(scale, 1.0)
        return (value, "VND") if value >= 1000 else None
    if foreign is not None:
        return float(foreign.replace(",", "")), _CURRENCIES[symbol]
    if foreign_number is not None:
        return float(foreign_number.replace(",", "")), _CURRENCIES[code]
    return None
