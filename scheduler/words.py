"""What the terminal says, in the report's language (``[report] language``; English without a
config), and numbers written the way that language writes them (3,39 in Vietnamese).

Error messages stay in English: they are searched for, quoted in bug reports and read in logs.
"""

from __future__ import annotations

from typing import Any

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "crawl": "Crawl",
        "crawling": "crawling {label} (crawl run {run})",
        "starting": "starting…",
        "running": "crawling",
        "done": "done",
        "source": "source",
        "pages": "pages",
        "reviews": "reviews",
        "new": "new",
        "changed": "changed",
        "dropped": "dropped",
        "health": "health",
        "ok": "ok",
        "unhealthy": "UNHEALTHY",
        "skipped": "skipped",
        "skipped_because": "skipped, {why}",
        "businesses": "Businesses",
        "business": "business",
        "mean_rating": "mean rating",
        "reply_rate": "reply rate",
        "newest": "newest review",
        "languages": "languages",
        "us": "{name} (us)",
        "lang_vi": "vi",
        "lang_en": "en",
        "lang_unknown": "unknown",
        "demo_sites": "Demo sites on {url}/; config {config}",
        "stored": "{total} reviews in {database} ({new} new in this run).",
        "report": "Weekly report: {subject}",
        "open": "Open {html} (the email: report.eml)",
        "browse": "Browse the data: ladder --config {config} serve (then docs/queries.md)",
        "classified_current": "Classified {n} new reviews; the weekly tables were already current.",
        "classified_no_week": "Classified {n} reviews; no complete week of reviews yet.",
        "classified": "Classified {n} reviews (analysis {version}); computed {weeks} weeks, "
        "{first} to {last}{floods}.",
        "floods": ", {n} flood day(s) down-weighted",
        "signals_title": "Service signals (latest crawl of each site{replies})",
        "signals_replies": "; owner replies over the weeks to {week}",
        "signal": "signal",
        "no_change": "No change since the previous crawl of each site.",
        "since": "since {day}",
        "rate_of": "{share:.0%} ({low:.0%}–{high:.0%} of {n})",
        "segment_all": "all",
        "segment_repeat": "repeat customers",
        "segment_source": "source: {kind}",
    },
    "vi": {
        "crawl": "Thu thập",
        "crawling": "đang thu thập {label} (lần thu thập {run})",
        "starting": "đang bắt đầu…",
        "running": "đang thu thập",
        "done": "xong",
        "source": "nguồn",
        "pages": "trang",
        "reviews": "đánh giá",
        "new": "mới",
        "changed": "đã sửa",
        "dropped": "bỏ qua",
        "health": "tình trạng",
        "ok": "ổn",
        "unhealthy": "CÓ LỖI",
        "skipped": "bỏ lượt",
        "skipped_because": "bỏ lượt, {why}",
        "businesses": "Doanh nghiệp",
        "business": "doanh nghiệp",
        "mean_rating": "sao trung bình",
        "reply_rate": "tỉ lệ trả lời",
        "newest": "đánh giá mới nhất",
        "languages": "ngôn ngữ",
        "us": "{name} (chúng ta)",
        "lang_vi": "tiếng Việt",
        "lang_en": "tiếng Anh",
        "lang_unknown": "chưa rõ",
        "demo_sites": "Các trang demo ở {url}/; cấu hình {config}",
        "stored": "{total} đánh giá trong {database} ({new} mới trong lần chạy này).",
        "report": "Báo cáo tuần: {subject}",
        "open": "Mở {html} (thư email: report.eml)",
        "browse": "Xem dữ liệu: ladder --config {config} serve (rồi đọc docs/queries.md)",
        "classified_current": "Đã xếp bậc {n} đánh giá mới; các bảng theo tuần đã cập nhật sẵn.",
        "classified_no_week": "Đã xếp bậc {n} đánh giá; chưa có tuần nào trọn vẹn.",
        "classified": "Đã xếp bậc {n} đánh giá (phân tích {version}); đã tính {weeks} tuần, "
        "từ {first} đến {last}{floods}.",
        "floods": ", {n} ngày dồn đánh giá đã được giảm trọng số",
        "signals_title": "Tín hiệu dịch vụ (lần thu thập gần nhất của mỗi trang{replies})",
        "signals_replies": "; chủ quán trả lời trong các tuần đến {week}",
        "signal": "tín hiệu",
        "no_change": "Không có thay đổi nào so với lần thu thập trước của mỗi trang.",
        "since": "từ {day}",
        "rate_of": "{share:.0%} ({low:.0%}–{high:.0%} trên {n})",
        "segment_all": "tất cả",
        "segment_repeat": "khách quay lại",
        "segment_source": "nguồn: {kind}",
    },
}


def words(language: str | None) -> dict[str, str]:
    """The phrases of ``language``, English for any other."""
    return WORDS.get(language or "en", WORDS["en"])


def segment_name(segment: str, language: str | None) -> str:
    """``"all"``, ``"repeat"`` or ``"source:KIND"`` as the reader says it."""
    said = words(language)
    if segment.startswith("source:"):
        return said["segment_source"].format(kind=segment.removeprefix("source:"))
    return said.get(f"segment_{segment}", segment)


class Number(float):
    """A number that formats as its language writes it: ``f"{Number(3.386, 'vi'):.2f}"`` is
    ``"3,39"``, and a value that rounds to zero never shows as ``-0.00``."""

    language: str

    def __new__(cls, value: float, language: str | None) -> Number:
        number = super().__new__(cls, value)
        number.language = language or "en"
        return number

    def __format__(self, spec: str) -> str:
        text = format(float(self), spec)
        if text.lstrip("+-−").strip("0.,%") == "":  # rounds to zero: no sign but the asked "+"
            text = format(0.0, spec)
        if self.language == "vi" and not spec.endswith("%"):
            text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
        return text


def localised(language: str | None, **values: Any) -> dict[str, Any]:
    """``values`` with their floats as :class:`Number` of ``language`` (for ``str.format``)."""
    return {
        key: Number(value, language) if isinstance(value, float) else value
        for key, value in values.items()
    }
