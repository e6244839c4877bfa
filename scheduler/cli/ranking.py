"""``ladder rank`` and ``ladder explain``: a week's standings (:mod:`analysis.standings`, the same
the weekly report shows) as a table, sentences a manager can act on, or JSON. Rung and dimension
names follow ``[report].language``."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from rich.markup import escape
from rich.table import Table

from analysis.rank import EVEN
from analysis.standings import Standing, WeekStandings, is_named
from analysis.vocabulary import DIMENSION_NAMES, RUNG_NAMES, rung_of
from db.rows import EvidenceRow, GapRow, PositionRow
from scheduler.words import Number, localised, segment_name

COLUMNS = {
    "en": {
        "rank": ("#", "business", "score [90% band]", "rung", "Δ week", "rungs/month", "reviews"),
        "explain": ("dimension", "score [90% band]", "rung", "vs median", "vs best"),
    },
    "vi": {
        "rank": (
            "#",
            "doanh nghiệp",
            "điểm [khoảng 90%]",
            "bậc",
            "Δ tuần",
            "bậc/tháng",
            "đánh giá",
        ),
        "explain": ("khía cạnh", "điểm [khoảng 90%]", "bậc", "so với trung vị", "so với tốt nhất"),
    },
}

TEXT = {
    "en": {
        "title": "Customer service ladder, {week} ({segment})",
        "us": "{name} (us)",
        "not_enough": "not enough reviews",
        "position": "We are at {score:.2f} [{low:.2f}–{high:.2f}] ({rung}){rank}.",
        "rank": ", rank {rank} of {of}",
        "priorities": "Close these gaps first (the size of the gap times how much the dimension "
        "separates this market's leaders from the rest):",
        "priority": "{number}. Behind {versus} on {dimension}: {gap:+.2f} rungs (probability {p:.0%}).",
        "race": "{versus} climbs faster: {theirs:+.2f} against our {ours:+.2f} rungs a month "
        "(probability {p:.0%}).",
        "race_relative": " We are climbing too, but falling behind relatively.",
        "race_note": " At these speeds {versus} leads by a whole rung in about {weeks:.0f} weeks.",
        "strength": "Strength: {dimension}, ahead of every competitor (by {lead:+.2f} rungs or more).",
        "best": "Our best: {dimension}, {lead:+.2f} rungs above the competitors' median.",
        "reply_rate": "{versus} replies to {theirs:.0%} of reviews, we to {ours:.0%}.",
        "reply_latency": "{versus} replies in about {theirs:.0f} h, we in about {ours:.0f} h.",
        "flood": "Flood guard: {count} day(s) with a burst of reviews were down-weighted.",
        "no_gaps": "No gap is large and certain enough to call this week.",
        "explain_title": "{name}, {week}: by dimension",
        "evidence": "What reviews say ({weeks} weeks)",
    },
    "vi": {
        "title": "Bậc thang dịch vụ khách hàng, {week} ({segment})",
        "us": "{name} (chúng ta)",
        "not_enough": "chưa đủ đánh giá",
        "position": "Chúng ta đang ở {score:.2f} [{low:.2f}–{high:.2f}] ({rung}){rank}.",
        "rank": ", hạng {rank}/{of}",
        "priorities": "Ưu tiên thu hẹp các khoảng cách này (độ lớn khoảng cách nhân với mức khía "
        "cạnh đó phân biệt các doanh nghiệp dẫn đầu thị trường với phần còn lại):",
        "priority": "{number}. Thua {versus} về {dimension}: {gap:+.2f} bậc (xác suất {p:.0%}).",
        "race": "{versus} leo nhanh hơn: {theirs:+.2f} so với {ours:+.2f} bậc mỗi tháng của chúng ta "
        "(xác suất {p:.0%}).",
        "race_relative": " Chúng ta cũng đang leo, nhưng đang tụt lại tương đối.",
        "race_note": " Với tốc độ này, {versus} sẽ hơn chúng ta cả một bậc sau khoảng {weeks:.0f} tuần.",
        "strength": "Thế mạnh: {dimension}, hơn mọi đối thủ (ít nhất {lead:+.2f} bậc).",
        "best": "Điểm mạnh nhất: {dimension}, hơn trung vị các đối thủ {lead:+.2f} bậc.",
        "reply_rate": "{versus} trả lời {theirs:.0%} đánh giá, chúng ta {ours:.0%}.",
        "reply_latency": "{versus} trả lời trong khoảng {theirs:.0f} giờ, chúng ta khoảng {ours:.0f} giờ.",
        "flood": "Chống dồn đánh giá: {count} ngày có lượng đánh giá bất thường đã được giảm trọng số.",
        "no_gaps": "Tuần này không có khoảng cách nào đủ lớn và đủ chắc để nêu.",
        "explain_title": "{name}, {week}: theo khía cạnh",
        "evidence": "Khách hàng nói gì ({weeks} tuần)",
    },
}


def _concerning(standing: Standing, gaps: Sequence[GapRow]) -> list[GapRow]:
    """Our decided comparisons (not "even") that concern one business: against it, or, for us,
    against the competitors' median and the best."""
    decided = [g for g in gaps if g.verdict != EVEN]
    if standing.is_self:
        return [g for g in decided if not is_named(g)]
    return [g for g in decided if g.versus == standing.business]


def rank_json(week: WeekStandings, language: str) -> str:
    """The standings as JSON: one object per business, with the comparisons that concern it."""
    return json.dumps(
        [
            {
                "business": s.business,
                "is_self": s.is_self,
                "rank": s.rank,
                "score": round(s.score, 3),
                "low": round(s.low, 3),
                "high": round(s.high, 3),
                "rung": s.rung,
                "rung_name": RUNG_NAMES[language][s.rung],
                "rung_held": s.rung_held,
                "enough": s.enough,
                "n_effective": round(s.reviews, 1),
                "reviews_this_week": s.reviews_this_week,
                "losing_share": round(s.losing_share, 3),
                "delta": None if s.delta is None else round(s.delta, 3),
                "velocity": None if s.per_month is None else round(s.per_month, 3),
                "gaps": [
                    {
                        "dimension": g.dimension,
                        "kind": g.kind,
                        "versus": g.versus,
                        "ours": g.ours,
                        "theirs": g.theirs,
                        "gap": g.gap,
                        "probability": g.probability,
                        "verdict": g.verdict,
                    }
                    for g in _concerning(s, week.gaps)
                ],
            }
            for s in week.standings
        ],
        ensure_ascii=False,
        indent=2,
    )


def _signed(value: float | None, language: str, digits: int = 2) -> str:
    return "–" if value is None else f"{Number(value, language):+.{digits}f}"


def _band(score: float, low: float, high: float, language: str) -> str:
    n = localised(language, score=score, low=low, high=high)
    return "{score:.2f} [{low:.2f}–{high:.2f}]".format(**n)


def rank_table(week: WeekStandings, *, language: str) -> Table:
    text = TEXT[language]
    segment = segment_name(week.segment, language)
    table = Table(title=text["title"].format(week=week.week, segment=segment))
    for index, column in enumerate(COLUMNS[language]["rank"]):
        table.add_column(column, justify="left" if index in (1, 3) else "right")
    for s in week.standings:
        name = escape(text["us"].format(name=s.business) if s.is_self else s.business)
        if s.is_self:
            name = f"[bold]{name}[/bold]"
        if not s.enough:
            table.add_row("–", name, text["not_enough"], "", "", "", f"{s.reviews:.0f}")
            continue
        table.add_row(
            str(s.rank or "–"),
            name,
            _band(s.score, s.low, s.high, language),
            RUNG_NAMES[language][s.rung],
            _signed(s.delta, language),
            _signed(s.per_month, language),
            f"{s.reviews:.0f}",
        )
    return table


def findings(week: WeekStandings, *, language: str) -> list[str]:
    """Sentences about us, in the order of the weekly report: position, the gaps to close first,
    who climbs faster, strengths, replies, floods."""
    text, names = TEXT[language], DIMENSION_NAMES[language]
    ours = week.ours
    if ours is None:
        return []
    lines = []
    if ours.enough:
        rank = text["rank"].format(rank=ours.rank, of=week.ranked) if ours.rank else ""
        rung = RUNG_NAMES[language][ours.rung]
        lines.append(
            text["position"].format(
                **localised(language, score=ours.score, low=ours.low, high=ours.high),
                rung=rung,
                rank=rank,
            )
        )
    else:
        lines.append(text["not_enough"])
    if week.priorities:
        lines.append(text["priorities"])
    for number, priority in enumerate(week.priorities, 1):
        lines.append(
            text["priority"].format(
                number=number,
                versus=priority.versus,
                dimension=names[priority.dimension],
                **localised(language, gap=priority.gap, p=priority.probability),
            )
        )
    for race in week.races:
        line = text["race"].format(
            versus=race.versus,
            **localised(language, theirs=race.theirs, ours=race.ours, p=race.probability),
        )
        if race.ours > 0:
            line += text["race_relative"]
        if race.weeks_to_rung is not None:
            line += text["race_note"].format(versus=race.versus, weeks=race.weeks_to_rung)
        lines.append(line)
    for strength in week.strengths:
        key = "strength" if strength.unique else "best"
        lines.append(
            text[key].format(
                dimension=names[strength.dimension], **localised(language, lead=strength.lead)
            )
        )
    for gap in week.reply_gaps:
        lines.append(
            text[gap.kind].format(
                versus=gap.versus, **localised(language, theirs=gap.theirs, ours=gap.ours)
            )
        )
    if not week.priorities:
        lines.append(text["no_gaps"])
    flooded = sum(week.flood_days.values())
    if flooded:
        lines.append(text["flood"].format(count=flooded))
    return lines


def explain_table(
    name: str, positions: Sequence[PositionRow], gaps: Sequence[GapRow], *, week: str, language: str
) -> Table:
    """One business's dimensions, against the median and the best competitor."""
    text, names = TEXT[language], DIMENSION_NAMES[language]
    table = Table(title=text["explain_title"].format(name=name, week=week))
    for index, column in enumerate(COLUMNS[language]["explain"]):
        table.add_column(column, justify="left" if index in (0, 2) else "right")
    versus = {(g.dimension, g.versus): g for g in gaps if g.kind == "score"}
    for p in positions:
        if not p.enough:
            table.add_row(names[p.dimension], text["not_enough"], "", "", "")
            continue
        median, best = versus.get((p.dimension, "median")), versus.get((p.dimension, "best"))
        table.add_row(
            names[p.dimension],
            _band(p.score, p.low, p.high, language),
            RUNG_NAMES[language][rung_of(p.score)],
            _signed(median.gap if median else None, language),
            _signed(best.gap if best else None, language),
        )
    return table


def evidence_summary(
    evidence: Sequence[EvidenceRow], *, per_signal: int = 4
) -> list[tuple[str, list[tuple[str, int]]]]:
    """The most frequent spans behind each signal ("responsiveness −": "đợi lâu" ×12, …)."""
    spans: dict[str, Counter[str]] = {}
    for row in evidence:
        spans.setdefault(row.signal, Counter())[row.text.lower()] += 1
    ordered = sorted(spans.items(), key=lambda item: -sum(item[1].values()))
    return [(signal, counter.most_common(per_signal)) for signal, counter in ordered]
