"""The weekly report from a real database: what it leads with, how it is worded in both languages,
and that review text is always text, never markup."""

from __future__ import annotations

import dataclasses
import itertools
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import lxml.html
import pytest
from sqlite_utils import Database

from analysis.report.charts import SHOWN_WIDTH
from analysis.report.i18n import LOCALE, Formats, read_po, translations
from analysis.report.model import Report, SourceStatus, build_report
from analysis.report.quotes import Quoted, most_said, quote_of
from analysis.report.render import render_report, subject
from analysis.report.text_safety import printable
from analysis.settings import AnalysisSettings
from analysis.signals import LABELS, VENDORS
from analysis.vocabulary import DIMENSION_NAMES
from analysis.weeks import week_label
from db.exceptions import CatalogueError
from db.reviews import ReviewWriter
from db.rows import Quote
from db.store import record_signals, sync_business, sync_source
from scheduler.analyze.readers import read_report_inputs
from scheduler.analyze.refresh import analyze

ROOT = Path(__file__).parent.parent / "analysis" / "report"
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
LAST_MONDAY = datetime(2026, 11, 16, tzinfo=UTC)
SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(2)>'
EVIL_NAME = 'Quán <b>Ngon</b> & "Co"'
OURS = {
    3: "Bình thường, không có gì đặc biệt để kể",
    4: "Rất hài lòng, chắc chắn sẽ quay lại lần nữa",
    2: f"{SCRIPT} {ATTRIBUTE} nhân viên thờ ơ, khách vào không ai chào, chắc không quay lại",
}
THEIRS = {
    5: "Vượt mong đợi, nhân viên chu đáo, nhớ tên khách, sẽ giới thiệu cho bạn bè",
    4: "Rất hài lòng, nhân viên chu đáo, chắc chắn sẽ quay lại",
}
_serial = itertools.count()


def add(db: Database, name: str, monday: datetime, rungs: list[int], texts: dict[int, str]) -> None:
    business_id = sync_business(db, name, is_self=name == "Ours")
    source_id = sync_source(db, business_id, "schemaorg", f"https://{len(name)}.example/r")
    rows = []
    for index, rung in enumerate(rungs):
        number = next(_serial)
        published = monday + timedelta(days=index % 7, hours=8 + index % 10)
        rows.append(
            {
                "review_key": f"k{number}",
                "business_id": business_id,
                "source_id": source_id,
                "rating": float(rung),
                "body": f"{texts[rung]} (đơn {''.join('abcdefghij'[int(d)] for d in str(number))})",
                "published_at": published.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "reply_body": "Cảm ơn bạn đã góp ý" if rung <= 2 and name != "Ours" else None,
                "replied_at": published.strftime("%Y-%m-%dT%H:%M:%SZ") if rung <= 2 else None,
            }
        )
    ReviewWriter(db, source_id).write(rows)


@pytest.fixture
def report(db: Database) -> Report:
    for weeks_ago in range(8, -1, -1):
        monday = LAST_MONDAY - timedelta(weeks=weeks_ago)
        add(db, "Ours", monday, [3, 4, 2, 3, 2, 4, 3, 2], OURS)
        add(db, EVIL_NAME, monday, [5, 4, 5, 4, 5, 4, 5, 4], THEIRS)
    site = sync_source(db, sync_business(db, EVIL_NAME), "signals", "https://evil.example/")
    record_signals(db, site, [{"name": "help.centre", "value": True}], run_id=None, now=NOW)
    record_signals(
        db,
        site,
        [{"name": "help.centre", "value": True}, {"name": "chat.vendor", "value": "tawk.to"}],
        run_id=None,
        now=NOW + timedelta(minutes=5),
    )
    analyze(db, AnalysisSettings(), UTC, now=NOW)
    sources = [
        SourceStatus("Ours", "schemaorg", "https://4.example/r", "ok", "read 8 reviews", None),
        SourceStatus(EVIL_NAME, "schemaorg", "https://x/r", "broken", "the site <changed>", None),
    ]
    inputs = read_report_inputs(db, week_label(LAST_MONDAY.date()), tz=UTC, sources=sources)
    return build_report(inputs, now=NOW + timedelta(hours=1), tz=UTC)


def test_the_report_leads_with_our_rank_and_the_gap_to_close(report: Report) -> None:
    assert report.week == "2026-W47"
    assert (report.ours.business, report.ours.rank, report.ranked) == ("Ours", 2, 2)
    assert report.priorities, "behind on some dimension"
    first = report.priorities[0]
    assert first.versus == EVIL_NAME
    assert first.gap < 0
    assert any(SCRIPT in quote for quote in first.ours_say)
    assert all("chu đáo" in quote for quote in first.they_say)
    assert [c.name for c in report.changes] == ["chat.vendor"]
    assert report.trust.unhealthy[0].state == "broken"
    assert len(report.history_weeks) == 9
    assert report.history["Ours"][-1] == pytest.approx(report.ours.score)


@pytest.mark.parametrize("language", ["en", "vi"])
def test_review_text_and_names_are_text_never_markup(report: Report, language: str) -> None:
    rendered = render_report(report, language, charts=False)
    page = lxml.html.fromstring(rendered.html)
    assert not page.xpath("//script")
    assert not page.xpath("//*[@onerror]")
    assert not page.xpath("//b")  # the business name's <b> is shown, not applied
    assert [img.get("src") for img in page.xpath("//img")] == []  # charts off: no image at all
    text = page.text_content()
    assert SCRIPT in text
    assert ATTRIBUTE in text
    assert EVIL_NAME in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert "the site &lt;changed&gt;" in rendered.html
    # The plain-text part carries the same quote, unescaped (text/plain is never markup).
    assert SCRIPT in rendered.text
    assert EVIL_NAME in rendered.text


def test_the_html_is_email_safe(report: Report) -> None:
    rendered = render_report(report, "en")
    page = lxml.html.fromstring(rendered.html)
    assert not page.xpath("//style|//link|//script|//iframe|//form")
    assert all(src.startswith("cid:") for src in page.xpath("//img/@src"))
    assert all(img.get("alt") for img in page.xpath("//img"))
    external = re.findall(r"(?:src|href)=\"(https?:[^\"]+)", rendered.html)
    assert external == []
    on_disk = lxml.html.fromstring(rendered.html_file)
    assert on_disk.xpath("//img/@src") == ["scores.png", "rungs.png"]
    assert {c.cid for c in rendered.charts} == {"scores@ladder", "rungs@ladder"}
    assert all(c.png.startswith(b"\x89PNG") for c in rendered.charts)


def test_both_languages_say_the_same_things(report: Report) -> None:
    english = render_report(report, "en", charts=False)
    vietnamese = render_report(report, "vi", charts=False)
    first = report.priorities[0].dimension  # the subject names the gap to close first
    assert english.subject == (
        f"Week 47: you rank 2 of 2 — behind {EVIL_NAME} on {DIMENSION_NAMES['en'][first]}"
    )
    assert vietnamese.subject.startswith(
        f"Tuần 47: Bạn xếp thứ 2/2 — tụt hậu về {DIMENSION_NAMES['vi'][first]}"
    )
    assert "Close these gaps first" in english.text
    assert "Thu hẹp những khoảng cách này trước" in vietnamese.text
    assert "added live chat (Tawk.to)" in english.text
    assert "thêm chat trực tuyến (Tawk.to)" in vietnamese.text
    assert "16–22 Nov 2026" in english.text
    assert "16–22/11/2026" in vietnamese.text
    score = report.ours.score
    assert f"{score:.2f}" in english.text
    assert f"{score:.2f}".replace(".", ",") in vietnamese.text
    for rendered in (english, vietnamese):  # the text part has what the HTML has
        html_text = " ".join(lxml.html.fromstring(rendered.html).text_content().split())
        for quote in report.priorities[0].they_say:
            assert quote in rendered.text
            assert quote in html_text


def test_not_enough_reviews_is_said_not_ranked(db: Database) -> None:
    add(db, "Ours", LAST_MONDAY, [4], OURS)
    add(db, "Them", LAST_MONDAY, [5, 4], THEIRS)
    analyze(db, AnalysisSettings(), UTC, now=NOW)
    report = build_report(read_report_inputs(db, "2026-W47", tz=UTC), now=NOW, tz=UTC)
    assert report.ours.rank is None
    assert subject(report, "en") == "Week 47: not enough reviews to rank you yet"
    text = render_report(report, "vi", charts=False).text
    assert "Tuần này chưa đủ đánh giá để xếp hạng chúng ta." in text


def quoted(body: str, remark: str, *, praise: bool, limit: int = 140) -> Quoted | None:
    start = body.index(remark)
    return quote_of(Quote(None, body, None, start, start + len(remark), ""), praise, limit)


def test_a_quote_is_the_clause_around_the_evidence() -> None:
    body = "Không gian đẹp. Nhưng nhân viên thờ ơ, gọi mãi không ai ra! Món ăn ổn."
    fault = quoted(body, "thờ ơ", praise=False)
    assert fault is not None
    assert fault.text == "Nhưng nhân viên thờ ơ, gọi mãi không ai ra!"
    long = quoted("x" * 300 + " thờ ơ " + "y" * 300, "thờ ơ", praise=False, limit=60)
    assert long is not None
    assert "thờ ơ" in long.text
    assert long.text.startswith("…")
    assert long.text.endswith("…")
    assert len(long.text) <= 62


@pytest.mark.parametrize(
    ("body", "remark", "praise", "shown"),
    [
        (
            "Gọi hotline không ai nghe, nhưng chủ quán hỏi han từng bàn rất dễ thương.",
            "hỏi han",
            True,
            "…chủ quán hỏi han từng bàn rất dễ thương.",
        ),
        ("Đồ ăn ngon, nhưng nhân viên thờ ơ.", "thờ ơ", False, "…nhân viên thờ ơ."),
        ("The food was great but the staff were rude.", "great", True, "The food was great…"),
        ("The food was great but the staff were rude.", "rude", False, "…the staff were rude."),
        (  # typed without marks, "hoi han" also reads "hối hận" (regret): the remark is praise
            "chu quan hoi han tung ban rat de thuong.",
            "hoi han",
            True,
            "chu quan hoi han tung ban rat de thuong.",
        ),
        (  # nothing to cut away: the whole sentence
            "Nhân viên lịch sự, tư vấn có tâm, sẽ quay lại.",
            "lịch sự",
            True,
            "Nhân viên lịch sự, tư vấn có tâm, sẽ quay lại.",
        ),
    ],
)
def test_a_quote_is_cut_where_the_sentence_turns_to_the_opposite(
    body: str, remark: str, praise: bool, shown: str
) -> None:
    made = quoted(body, remark, praise=praise)
    assert made is not None
    assert made.text == shown


def test_a_remark_in_a_clause_that_says_the_opposite_is_not_quoted() -> None:
    assert quoted("Great, only waited 2 hours for a coffee.", "Great", praise=True) is None
    assert quoted("Gọi hotline không ai nghe dễ thương ghê.", "dễ thương", praise=True) is None


def test_the_remark_made_most_is_counted_however_it_is_typed() -> None:
    said = [
        quoted("Giao sai món, chán.", "Giao sai", praise=False),
        quoted("Lần này thiếu món, về mới thấy.", "thiếu món", praise=False),
        quoted("Thiếu món.", "Thiếu món", praise=False),
        quoted("giao sai mon roi.", "giao sai", praise=False),
        quoted("thieu mon nua.", "thieu mon", praise=False),
    ]
    assert most_said([made for made in said if made is not None]) == "Thiếu món"
    assert most_said([]) is None


CONCEDED = "Gọi hotline không ai nghe, nhưng chủ quán hỏi han từng bàn rất dễ thương."


@pytest.fixture
def conceded(db: Database) -> Report:
    """Our reviews fault Empathy and Assurance; the competitor's praise both in one sentence that
    first concedes a complaint (the issue's "Gọi hotline không ai nghe, nhưng…")."""
    ours = {2: "Nhân viên thờ ơ, thái độ cộc lốc, không quay lại", 3: "Bình thường, không có gì"}
    theirs = {5: CONCEDED, 4: "Rất hài lòng, sẽ quay lại"}
    for weeks_ago in range(6, -1, -1):
        monday = LAST_MONDAY - timedelta(weeks=weeks_ago)
        add(db, "Ours", monday, [2, 3, 2, 3, 2, 3], ours)
        add(db, "Them", monday, [5, 4, 5, 4, 5, 4], theirs)
    analyze(db, AnalysisSettings(), UTC, now=NOW)
    inputs = read_report_inputs(db, week_label(LAST_MONDAY.date()), tz=UTC)
    return build_report(inputs, now=NOW, tz=UTC)


def test_praise_is_never_quoted_with_the_complaint_it_concedes(conceded: Report) -> None:
    assert {p.dimension for p in conceded.priorities} >= {"empathy", "assurance"}
    praise = [quote for p in conceded.priorities for quote in p.they_say]
    assert praise == ["…chủ quán hỏi han từng bàn rất dễ thương."]  # once, not once a priority
    text = render_report(conceded, "vi", charts=False).text
    assert "không ai nghe" not in text


def test_no_quote_is_shown_twice_in_a_report(conceded: Report, report: Report) -> None:
    for made in (conceded, report):
        shown = [q for p in made.priorities for q in (*p.ours_say, *p.they_say)]
        assert shown
        assert len(shown) == len(set(shown))


def test_each_gap_says_in_one_line_what_to_do_next(conceded: Report) -> None:
    english = render_report(conceded, "en", charts=False)
    vietnamese = render_report(conceded, "vi", charts=False)
    for priority in conceded.priorities:
        assert priority.complaint in {"Nhân viên thờ ơ", "thái độ cộc lốc"}
        assert priority.practice == "chủ quán hỏi han từng bàn rất dễ thương"
        line = (
            f"Next: stop what our customers fault most, “{priority.complaint}”, and do what "
            f"Them's customers praise most, “{priority.practice}”."
        )
        assert line in english.text
        assert line in " ".join(lxml.html.fromstring(english.html).text_content().split())
        assert (
            f"Việc cần làm: chấm dứt điều khách chê chúng ta nhiều nhất, “{priority.complaint}”, "
            f"và làm điều khách của Them khen nhiều nhất, “{priority.practice}”."
        ) in vietnamese.text
    only_ours = dataclasses.replace(conceded.priorities[0], practice=None)
    alone = dataclasses.replace(conceded, priorities=(only_ours,))
    assert f"Next: stop what our customers fault most, “{only_ours.complaint}”." in (
        render_report(alone, "en", charts=False).text
    )


def test_what_to_do_next_is_text_never_markup(report: Report) -> None:
    first = dataclasses.replace(report.priorities[0], complaint=SCRIPT, practice=ATTRIBUTE)
    rendered = render_report(dataclasses.replace(report, priorities=(first,)), "en", charts=False)
    page = lxml.html.fromstring(rendered.html)
    assert not page.xpath("//script|//*[@onerror]")
    assert f"“{SCRIPT}”" in page.text_content()
    assert ATTRIBUTE in page.text_content()


def test_the_gaps_say_how_they_are_ordered_in_both_languages(report: Report) -> None:
    english = render_report(report, "en", charts=False)
    vietnamese = render_report(report, "vi", charts=False)
    for rendered, words in (
        (english, "Largest first: the rungs we trail by, times how much the dimension"),
        (vietnamese, "Lớn nhất trước: số bậc chúng ta tụt lại, nhân với mức độ khía cạnh"),
    ):
        for part in (rendered.text, rendered.html):
            assert words in part
            assert "ladder rank)." in part  # the CLI's order, said so


OK_SOURCE = SourceStatus("Ours", "schemaorg", "https://4.example/r", "ok", "read 8 reviews", None)


def test_healthy_sources_are_one_line(report: Report) -> None:
    # one broken, one healthy: the broken one in the table, the healthy one only counted
    rendered = render_report(report, "en", charts=False)
    page = lxml.html.fromstring(rendered.html)
    rows = page.xpath("//tr[not(.//table)][td[contains(., '· schemaorg')]]")
    assert len(rows) == 1
    assert " ".join(rows[0].itertext()).split() == [
        *f"{EVIL_NAME} · schemaorg".split(),
        "broken",
        *"the site <changed> –".split(),
    ]
    assert "Healthy: the other 1 source(s)." in rendered.text
    assert "Ours · schemaorg" not in rendered.text
    # every source healthy: one line, no table
    healthy = (OK_SOURCE, dataclasses.replace(OK_SOURCE, business=EVIL_NAME))
    well = dataclasses.replace(report, trust=dataclasses.replace(report.trust, sources=healthy))
    for language, line in (
        ("en", "All 2 sources are healthy."),
        ("vi", "Cả 2 nguồn đều hoạt động tốt."),
    ):
        rendered = render_report(well, language, charts=False)
        assert line in rendered.text
        page = lxml.html.fromstring(rendered.html)
        assert line in page.text_content()
        assert not page.xpath("//tr[not(.//table)][td[contains(., '· schemaorg')]]")
        assert "· schemaorg" not in rendered.text


def test_the_charts_are_shown_at_the_width_their_text_is_sized_for(report: Report) -> None:
    page = lxml.html.fromstring(render_report(report, "en").html)
    for image in page.xpath("//img"):
        assert f"max-width:{SHOWN_WIDTH}px" in image.get("style")


# The catalogue


def _msgids() -> set[str]:
    found = set()
    for path in [*ROOT.glob("templates/*.j2"), ROOT / "render.py"]:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r'_\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)', text):
            found.add("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', match.group(1))))
    from analysis.report.render import STATES, UNITS

    vendors = {VENDORS["unknown"]}  # a vendor is named as it names itself, but for this one
    return (
        found
        | set(LABELS.values())
        | set(UNITS.values())
        | set(STATES.values())
        | {"yes", "no"}
        | vendors
    )


def test_every_message_has_a_vietnamese_translation_with_the_same_placeholders() -> None:
    entries = read_po(LOCALE / "vi.po")
    missing = sorted(m for m in _msgids() if (m, None) not in entries)
    assert missing == []
    placeholder = re.compile(r"%\(\w+\)s|%%")
    for (msgid, _), msgstr in entries.items():
        assert sorted(placeholder.findall(msgid)) == sorted(placeholder.findall(msgstr)), msgid
    unused = sorted(m for m, _ in entries if m not in _msgids())
    assert unused == []


def test_read_po_handles_continued_lines_plurals_and_says_where_it_fails(tmp_path: Path) -> None:
    po = tmp_path / "x.po"
    po.write_text(
        '# comment\nmsgid ""\nmsgstr "Language: vi\\n"\n\n'
        'msgid "one "\n"line"\nmsgstr "một "\n"dòng"\n\n'
        'msgid "%(n)s day"\nmsgid_plural "%(n)s days"\nmsgstr[0] "%(n)s ngày"\n\n'
        'msgid "untranslated"\nmsgstr ""\n',
        encoding="utf-8",
    )
    entries = read_po(po)
    assert entries == {("one line", None): "một dòng", ("%(n)s day", 0): "%(n)s ngày"}
    po.write_text('msgid "a"\nmsgstr b\n', encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"x\.po:2"):
        read_po(po)
    assert translations("vi").gettext("Where we stand") == "Chúng ta đang ở đâu"
    assert translations("vi").gettext("not in the catalogue") == "not in the catalogue"


def test_numbers_and_dates_as_each_language_writes_them() -> None:
    vi, en = Formats("vi"), Formats("en")
    assert (vi.number(1234.5, 1), en.number(1234.5, 1)) == ("1.234,5", "1,234.5")
    assert (vi.number(-0.004, signed=True), en.number(-0.62, signed=True)) == ("+0,00", "−0.62")
    assert vi.percent(0.876) == "88%"
    first, last = LAST_MONDAY.date(), LAST_MONDAY.date() + timedelta(days=6)
    assert (vi.span(first, last), en.span(first, last)) == ("16–22/11/2026", "16–22 Nov 2026")
    december = first + timedelta(days=14)
    assert en.span(december, december + timedelta(days=6)) == "30 Nov 2026 – 6 Dec 2026"


#: Review text that would clear a terminal, ring its bell, retitle its window and cut a string at
#: the NUL, as a page could hold it.
HOSTILE = "Nhân viên\x1b[2J thờ ơ\x07\x00 quá\x1b]0;pwned\x07 chán\x9b31m đỏ\x7f"
HOSTILE_SHOWN = "Nhân viên thờ ơ quá chán đỏ"
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.mark.parametrize("language", ["en", "vi"])
def test_control_characters_in_review_text_never_reach_any_output(
    report: Report, language: str
) -> None:
    """report.txt and the email's text part are read in terminals: review text, names and the
    next step lose their escape sequences and control characters, and keep their words."""
    first = dataclasses.replace(
        report.priorities[0],
        versus="Quán\x1b[31m Đỏ\x00",
        complaint=HOSTILE,
        ours_say=(HOSTILE, *report.priorities[0].ours_say[1:]),
    )
    hostile = dataclasses.replace(report, priorities=(first,))
    rendered = render_report(hostile, language, charts=False)
    for name, output in [
        ("text", rendered.text),
        ("html", rendered.html),
        ("html_file", rendered.html_file),
        ("subject", rendered.subject),
    ]:
        assert not _CONTROLS.search(output), f"{name}: {_CONTROLS.findall(output)!r}"
        for leftover in ("[2J", "pwned", "31m"):
            assert leftover not in output, name
    assert f"“{HOSTILE_SHOWN}”" in rendered.text
    assert "Quán Đỏ" in rendered.text
    assert "Quán Đỏ" in rendered.subject
    assert HOSTILE_SHOWN in lxml.html.fromstring(rendered.html).text_content()
    assert "\n" in rendered.text  # line breaks stay


def test_printable_keeps_text_tabs_and_line_breaks() -> None:
    """Only what a terminal would act on goes; CR and CRLF become LF."""
    assert printable("a\x1b[2Jb\x07\x00c\r\nd\re") == "abc\nd\ne"
    assert printable("cột\tmột\nhai 😀 ư") == "cột\tmột\nhai 😀 ư"
    assert printable("x\x1b]0;title\x1b\\y\x1bcz\x1b") == "xyz"
