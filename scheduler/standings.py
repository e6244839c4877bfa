"""``ladder rank`` and ``ladder explain``: the stored weekly standings, as a table, sentences a
manager can act on, or JSON. Rung and dimension names follow ``[report].language``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.markup import escape
from rich.table import Table

from analysis.ladder import DIMENSION_NAMES, RUNG_NAMES, rung_of
from db.queries import EvidenceRow, GapRow, PositionRow

WEEKS_PER_MONTH = 52 / 12

COLUMNS = {
    "en": {
        "rank": (
            "#",
            "business",
            "score [90% band]",
            "rung",
            "Δ week",
            "rungs/month",
            "reviews",
        ),
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
        "explain": (
            "khía cạnh",
            "điểm [khoảng 90%]",
            "bậc",
            "so với trung vị",
            "so với tốt nhất",
        ),
    },
}

TEXT = {
    "en": {
        "title": "Customer service ladder, {week} ({segment})",
        "us": "{name} (us)",
        "not_enough": "not enough reviews",
        "position": "We are at {score:.2f} [{low:.2f}–{high:.2f}] ({rung}){rank}.",
        "rank": ", rank {rank} of {of}",
        "gap": "Behind {versus} on {dimension}: {gap:+.2f} rungs (probability {p:.0%}).",
        "race": "{versus} climbs faster: {theirs:+.2f} against our {ours:+.2f} rungs a month "
        "(probability {p:.0%}): we are falling behind relatively.",
        "race_note": " At these speeds {versus} leads by a whole rung in about {weeks:.0f} weeks.",
        "strength": "Strength: {dimension}, ahead of every competitor (by {lead:+.2f} rungs or more).",
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
        "gap": "Thua {versus} về {dimension}: {gap:+.2f} bậc (xác suất {p:.0%}).",
        "race": "{versus} leo nhanh hơn: {theirs:+.2f} so với {ours:+.2f} bậc mỗi tháng của chúng ta "
        "(xác suất {p:.0%}): chúng ta đang tụt lại tương đối.",
        "race_note": " Với tốc độ này, {versus} sẽ hơn chúng ta cả một bậc sau khoảng {weeks:.0f} tuần.",
        "strength": "Thế mạnh: {dimension}, hơn mọi đối thủ (ít nhất {lead:+.2f} bậc).",
        "reply_rate": "{versus} trả lời {theirs:.0%} đánh giá, chúng ta {ours:.0%}.",
        "reply_latency": "{versus} trả lời trong khoảng {theirs:.0f} giờ, chúng ta khoảng {ours:.0f} giờ.",
        "flood": "Chống dồn đánh giá: {count} ngày có lượng đánh giá bất thường đã được giảm trọng số.",
        "no_gaps": "Tuần này không có khoảng cách nào đủ lớn và đủ chắc để nêu.",
        "explain_title": "{name}, {week}: theo khía cạnh",
        "evidence": "Khách hàng nói gì ({weeks} tuần)",
    },
}


def per_month(velocity: float | None) -> float | None:
    return None if velocity is None else velocity * WEEKS_PER_MONTH


@dataclass(frozen=True)
class Standing:
    """What `ladder rank` shows for one business."""

    position: PositionRow
    gaps: list[GapRow]  # our comparisons against it (against the median and the best, for us)

    def as_json(self, language: str) -> dict[str, Any]:
        p = self.position
        rung = rung_of(p.score)
        return {
            "business": p.business,
            "is_self": p.is_self,
            "rank": p.rank,
            "score": round(p.score, 3),
            "low": round(p.low, 3),
            "high": round(p.high, 3),
            "rung": rung,
            "rung_name": RUNG_NAMES[language][rung],
            "rung_held": p.rung_held,
            "enough": p.enough,
            "n_effective": round(p.n_effective, 1),
            "reviews_this_week": p.reviews,
            "losing_share": round(p.losing_share, 3),
            "delta": None if p.delta is None else round(p.delta, 3),
            "velocity": None if p.velocity is None else round(per_month(p.velocity) or 0.0, 3),
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
                for g in self.gaps
            ],
        }


def standings(positions: Sequence[PositionRow], gaps: Sequence[GapRow]) -> list[Standing]:
    """Each business with the comparisons that concern it (ties of "even" left out)."""
    decided = [g for g in gaps if g.verdict != "even"]
    result = []
    for position in positions:
        if position.is_self:
            mine = [g for g in decided if g.versus in ("median", "best")]
        else:
            mine = [g for g in decided if g.versus == position.business]
        result.append(Standing(position, mine))
    return result


def _signed(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:+.{digits}f}"


def rank_table(rows: Sequence[Standing], *, week: str, segment: str, language: str) -> Table:
    text = TEXT[language]
    table = Table(title=text["title"].format(week=week, segment=segment))
    for index, column in enumerate(COLUMNS[language]["rank"]):
        table.add_column(column, justify="left" if index in (1, 3) else "right")
    for standing in rows:
        p = standing.position
        name = escape(text["us"].format(name=p.business) if p.is_self else p.business)
        if p.is_self:
            name = f"[bold]{name}[/bold]"
        if not p.enough:
            table.add_row("–", name, text["not_enough"], "", "", "", f"{p.n_effective:.0f}")
            continue
        table.add_row(
            str(p.rank or "–"),
            name,
            f"{p.score:.2f} [{p.low:.2f}–{p.high:.2f}]",
            RUNG_NAMES[language][rung_of(p.score)],
            _signed(p.delta),
            _signed(per_month(p.velocity)),
            f"{p.n_effective:.0f}",
        )
    return table


def findings(
    rows: Sequence[Standing], gaps: Sequence[GapRow], flood_days: int, *, language: str
) -> list[str]:
    """Sentences about us: position, gaps, races, strengths, replies, floods."""
    text, names = TEXT[language], DIMENSION_NAMES[language]
    ours = next((s.position for s in rows if s.position.is_self), None)
    if ours is None:
        return []
    lines = []
    if ours.enough:
        ranked = sum(1 for s in rows if s.position.rank is not None)
        rank = text["rank"].format(rank=ours.rank, of=ranked) if ours.rank else ""
        rung = RUNG_NAMES[language][rung_of(ours.score)]
        lines.append(
            text["position"].format(
                score=ours.score, low=ours.low, high=ours.high, rung=rung, rank=rank
            )
        )
    else:
        lines.append(text["not_enough"])
    named = [g for g in gaps if g.versus not in ("median", "best")]
    behind = [g for g in named if g.kind == "score" and g.verdict == "behind"]
    for gap in sorted(behind, key=lambda g: g.gap or 0)[:8]:
        lines.append(
            text["gap"].format(
                versus=gap.versus,
                dimension=names[gap.dimension],
                gap=gap.gap,
                p=gap.probability or 0,
            )
        )
    scores = {s.position.business: s.position.score for s in rows if s.position.enough}
    for gap in (g for g in named if g.kind == "velocity" and g.verdict == "behind"):
        ours_v, theirs_v = gap.ours or 0.0, gap.theirs or 0.0
        line = text["race"].format(
            versus=gap.versus,
            theirs=theirs_v * WEEKS_PER_MONTH,
            ours=ours_v * WEEKS_PER_MONTH,
            p=gap.probability or 0,
        )
        lead = scores.get(gap.versus, ours.score) - ours.score
        if theirs_v > ours_v and lead < 1:
            weeks = (1 - lead) / (theirs_v - ours_v)
            line += text["race_note"].format(versus=gap.versus, weeks=weeks)
        lines.append(line)
    for dimension, lead in strengths(gaps):
        lines.append(text["strength"].format(dimension=names[dimension], lead=lead))
    for gap in (
        g for g in named if g.kind in ("reply_rate", "reply_latency") and g.verdict == "behind"
    ):
        lines.append(text[gap.kind].format(versus=gap.versus, theirs=gap.theirs, ours=gap.ours))
    if not behind:
        lines.append(text["no_gaps"])
    if flood_days:
        lines.append(text["flood"].format(count=flood_days))
    return lines


def strengths(gaps: Sequence[GapRow]) -> list[tuple[str, float]]:
    """Dimensions where we lead every competitor with confidence, with the smallest lead."""
    by_dimension: dict[str, list[GapRow]] = {}
    for gap in gaps:
        if (
            gap.kind == "score"
            and gap.versus not in ("median", "best")
            and gap.dimension != "overall"
        ):
            by_dimension.setdefault(gap.dimension, []).append(gap)
    return [
        (dimension, min(g.gap or 0.0 for g in rows))
        for dimension, rows in by_dimension.items()
        if rows and all(g.verdict == "ahead" for g in rows)
    ]


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
            f"{p.score:.2f} [{p.low:.2f}–{p.high:.2f}]",
            RUNG_NAMES[language][rung_of(p.score)],
            _signed(median.gap if median else None),
            _signed(best.gap if best else None),
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
