"""Weekly positions, rankings, gaps, races, reply behaviour and flood flags, per ISO week.

:class:`WeekWalker` walks the weeks oldest first, handed one week at a time (:class:`WeekInput`:
the week's rung counts, owner-reply figures and reply signatures, as the database aggregates them).
Each business keeps, per segment and dimension, its recency-weighted rung counts; a new week
multiplies them by ``0.5 ** (7 / half_life)`` and adds the week's reviews, each weighted by its age
at the end of the week. Memory does not grow with the number of reviews, only with businesses.

Reviews with no readable date (``estimated``: dated when first seen) count in positions, but
velocity, a slope over weeks, is measured without them: a first crawl would put every such review
in its own week. Until a week holds one, the positions are the velocity's.

Pure: rows and settings in, the week's rows for the weekly tables out. The composition root reads
the weeks from the database and stores each week's rows in one transaction
(:mod:`scheduler.analyze.refresh`).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

import numpy as np

from analysis.position import (
    FloatArray,
    Position,
    flood_threshold,
    positions,
    recency_weight,
    usual_day,
)
from analysis.rank import AHEAD, BEHIND, EVEN, compare, race, ranks, theil_sen, theil_sen_draws
from analysis.replies import ReplyWindow
from analysis.settings import AnalysisSettings
from analysis.vocabulary import DIMENSION_KEYS
from analysis.weeks import last_complete_week, monday_of, week_label
from db.rows import Business, ReplyStats, RungCount

#: Days of history a flood is measured against.
DAYS_REMEMBERED = 28
#: Weeks of history computed at most (older reviews weigh next to nothing).
MAX_WEEKS = 156


def segments_of(kinds: list[str]) -> list[str]:
    """Every segment with positions: all reviews, repeat reviewers, and each platform when there
    is more than one."""
    return ["all", "repeat", *(f"source:{kind}" for kind in kinds if len(kinds) > 1)]


@dataclass
class _Track:
    """One segment × dimension: every business's decayed counts."""

    counts: FloatArray
    weight: FloatArray
    weight_sq: FloatArray
    reviews: FloatArray

    @classmethod
    def empty(cls, size: int) -> _Track:
        return cls(np.zeros((size, 6)), np.zeros(size), np.zeros(size), np.zeros(size))

    def age(self, decay: float) -> None:
        self.counts *= decay
        self.weight *= decay
        self.weight_sq *= decay * decay
        self.reviews[:] = 0


@dataclass(frozen=True)
class _Standing:
    """Every business's position in one segment and dimension this week, with its score draws."""

    positions: list[Position]
    draws: FloatArray  # businesses × draws


Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class WeekInput:
    """One week's reviews, as the database aggregates them (:mod:`db.queries`): rung counts,
    owner-reply figures, and the reply signatures ``(business_id, blob)``."""

    monday: date
    counts: Sequence[RungCount]
    replies: Sequence[ReplyStats]
    reply_signatures: Sequence[tuple[int, bytes]]


def weeks_to_compute(oldest: datetime, now: datetime, tz: tzinfo) -> tuple[date, date]:
    """The first and last Monday to compute: from the week of the oldest review (at most
    :data:`MAX_WEEKS` back) to the last complete week."""
    last = last_complete_week(now, tz)
    return max(monday_of(oldest, tz), last - timedelta(weeks=MAX_WEEKS)), last


class WeekWalker:
    """Walks the weeks oldest first, keeping what a week needs of the ones before."""

    def __init__(
        self,
        businesses: Sequence[Business],
        kinds: Sequence[str],
        settings: AnalysisSettings,
        *,
        computed_at: str,
        version: str,
    ) -> None:
        self.settings = settings
        self.computed_at = computed_at
        self.businesses = list(businesses)
        self.index = {b.id: i for i, b in enumerate(self.businesses)}
        self.ours = next((i for i, b in enumerate(self.businesses) if b.is_self), None)
        self.segments = segments_of(list(kinds))
        size = len(self.businesses)
        self.tracks = {(s, d): _Track.empty(size) for s in self.segments for d in DIMENSION_KEYS}
        #: Per segment, the overall counts without reviews of estimated date (for velocity).
        self.dated = {s: _Track.empty(size) for s in self.segments}
        self.estimated_seen = False
        self.rng = np.random.default_rng(settings.seed)
        self.decay = 0.5 ** (7 / settings.half_life_days)
        ages = 7 - (np.arange(7, dtype=float) + 0.5)  # a review's age at the end of its week
        self.day_weight = np.asarray(recency_weight(ages, settings.half_life_days))
        self.daily = np.zeros((size, DAYS_REMEMBERED))  # trailing daily counts, a ring
        self.days_seen = 0
        self.previous: dict[tuple[str, str, int], float] = {}
        self.history: dict[tuple[str, int], deque[tuple[float, FloatArray]]] = {}
        self.replies = ReplyWindow(settings.reply_window_weeks)
        self.version = version

    def week(self, week: WeekInput) -> dict[str, Rows]:
        """The rows of the weekly tables for ``week``, the week after the one handed before."""
        monday = week.monday
        label = week_label(monday)
        tables: dict[str, Rows] = {
            "weekly_positions": [],
            "weekly_gaps": [],
            "weekly_replies": [],
            "weekly_flags": [],
        }
        counts = list(week.counts)
        self.estimated_seen = self.estimated_seen or any(c.estimated for c in counts)
        multipliers = self._floods(label, monday, counts, tables["weekly_flags"])
        for segment in self.segments:
            self._add(segment, [c for c in counts if _in_segment(c, segment)], multipliers)
            standings = {d: self._standing(segment, d) for d in DIMENSION_KEYS}
            dated = self._dated_standing(segment, standings["overall"])
            for dimension, standing in standings.items():
                tables["weekly_positions"] += self._position_rows(
                    label, segment, dimension, standing, dated
                )
            tables["weekly_gaps"] += self._gaps(label, segment, standings)
            tables["weekly_gaps"] += self._races(label, segment)
        replies, reply_gaps = self._replies(label, week)
        tables["weekly_replies"] += replies
        tables["weekly_gaps"] += reply_gaps
        return tables

    def _floods(self, label: str, monday: date, counts: list[RungCount], flags: Rows) -> FloatArray:
        """Day weights: 1, or less for a day far above the business's trailing 28 days."""
        size = len(self.businesses)
        daily, copies, weights = np.zeros((size, 7)), np.zeros((size, 7)), np.zeros((size, 7))
        for row in counts:
            if row.dimension == "overall" and 0 <= row.day < 7:
                b = self.index[row.business_id]
                daily[b, row.day] += row.reviews
                copies[b, row.day] += row.duplicates
                weights[b, row.day] += row.weight
        multipliers = np.ones((size, 7))
        for day in range(7):
            count = daily[:, day]
            kept = count
            known = min(self.days_seen, DAYS_REMEMBERED)
            if known >= 7:
                past = self.daily[:, :known]
                flooded = (count > 0) & (count > flood_threshold(past, self.settings.flood_k))
                usual = usual_day(past)
                # a flood weighs as a usual day of the business, and stays out of its baseline
                kept = np.where(flooded, usual, count)
                for i in map(int, np.flatnonzero(flooded)):
                    multipliers[i, day] = usual[i] / count[i]
                    flags.append(
                        self._flag(
                            label, i, monday, day, "flood", count[i], usual[i], usual[i] / count[i]
                        )
                    )
            for i in map(int, np.flatnonzero(copies[:, day] >= 3)):
                share = float(weights[i, day] / count[i])
                flags.append(
                    self._flag(label, i, monday, day, "duplicates", copies[i, day], None, share)
                )
            self.daily[:, self.days_seen % DAYS_REMEMBERED] = kept
            self.days_seen += 1
        return multipliers

    def _flag(
        self,
        label: str,
        b: int,
        monday: date,
        day: int,
        kind: str,
        reviews: float,
        expected: float | None,
        weight: float,
    ) -> dict[str, Any]:
        return {
            "week": label,
            "business_id": self.businesses[b].id,
            "day": (monday + timedelta(days=day)).isoformat(),
            "kind": kind,
            "reviews": int(reviews),
            "expected": None if expected is None else round(float(expected), 2),
            "weight": round(float(weight), 4),
        }

    def _add(self, segment: str, counts: list[RungCount], multipliers: FloatArray) -> None:
        for dimension in DIMENSION_KEYS:
            self.tracks[segment, dimension].age(self.decay)
        self.dated[segment].age(self.decay)
        for row in counts:
            if not 0 <= row.day < 7:
                continue
            b = self.index[row.business_id]
            recency = self.day_weight[row.day] * multipliers[b, row.day]
            tracks = [self.tracks[segment, row.dimension]]
            if row.dimension == "overall" and not row.estimated:
                tracks.append(self.dated[segment])
            for track in tracks:
                track.counts[b, row.rung - 1] += row.weight * recency
                track.weight[b] += row.weight * recency
                track.weight_sq[b] += row.weight_sq * recency * recency
                track.reviews[b] += row.reviews

    def _standing(self, segment: str, dimension: str) -> _Standing:
        return self._standing_of(self.tracks[segment, dimension])

    def _dated_standing(self, segment: str, overall: _Standing) -> _Standing:
        """The overall standing without reviews of estimated date, which velocity is measured
        on: the overall standing itself while no review of estimated date was seen."""
        return self._standing_of(self.dated[segment]) if self.estimated_seen else overall

    def _standing_of(self, track: _Track) -> _Standing:
        settings = self.settings
        market = track.counts.sum(axis=0)
        prior = market / market.sum() if market.sum() > 0 else np.full(6, 1 / 6)
        found, draws = positions(
            track.counts,
            track.weight,
            track.weight_sq,
            prior,
            alpha=settings.prior_strength,
            min_effective=settings.min_effective_reviews,
            rng=self.rng,
            draws=settings.draws,
        )
        return _Standing(found, draws)

    def _position_rows(
        self, label: str, segment: str, dimension: str, standing: _Standing, dated: _Standing
    ) -> Rows:
        """The rows of one segment and dimension; velocity (overall only) from ``dated``, the
        standing without reviews of estimated date."""
        track = self.tracks[segment, dimension]
        ranked = ranks({b: p.score for b, p in enumerate(standing.positions) if p.enough})
        rows = []
        for b, pos in enumerate(standing.positions):
            business_id = self.businesses[b].id
            previous = self.previous.get((segment, dimension, business_id))
            velocity = None
            if pos.enough:
                self.previous[segment, dimension, business_id] = pos.score
                if dimension == "overall" and dated.positions[b].enough:
                    velocity = self._velocity(segment, b, dated.positions[b], dated.draws[b])
            rows.append(
                {
                    "week": label,
                    "business_id": business_id,
                    "segment": segment,
                    "dimension": dimension,
                    "reviews": int(track.reviews[b]),
                    "weight": round(pos.weight, 4),
                    "n_effective": round(pos.n_effective, 3),
                    "score": round(pos.score, 4),
                    "low": round(pos.low, 4),
                    "high": round(pos.high, 4),
                    "rung_held": pos.rung_held,
                    "losing_share": round(pos.losing_share, 4),
                    "losing_upper": round(pos.losing_upper, 4),
                    "shares": json.dumps(pos.shares),
                    "enough": int(pos.enough),
                    "rank": ranked.get(b),
                    "delta": round(pos.score - previous, 4) if pos.enough and previous else None,
                    "velocity": velocity,
                    "version": self.version,
                    "computed_at": self.computed_at,
                }
            )
        return rows

    def _velocity(self, segment: str, b: int, pos: Position, draws: FloatArray) -> float | None:
        """Rungs per week over the last weeks (Theil–Sen), once there are four of them."""
        key = (segment, b)
        history = self.history.setdefault(key, deque(maxlen=self.settings.velocity_weeks))
        history.append((pos.score, draws))
        if len(history) < 4:
            return None
        return round(theil_sen([score for score, _ in history]), 5)

    def _gap_row(
        self,
        label: str,
        segment: str,
        dimension: str,
        kind: str,
        versus: str,
        versus_id: int | None,
    ) -> dict[str, Any]:
        assert self.ours is not None
        return {
            "week": label,
            "segment": segment,
            "business_id": self.businesses[self.ours].id,
            "versus": versus,
            "versus_business_id": versus_id,
            "dimension": dimension,
            "kind": kind,
        }

    def _gaps(self, label: str, segment: str, standings: dict[str, _Standing]) -> Rows:
        """Our score against each competitor's, their median and the best, per dimension."""
        if self.ours is None:
            return []
        settings, ours, rows = self.settings, self.ours, []
        for dimension, standing in standings.items():
            if not standing.positions[ours].enough:
                continue
            rivals = [b for b, p in enumerate(standing.positions) if p.enough and b != ours]
            if not rivals:
                continue
            score = {b: standing.positions[b].score for b in range(len(standing.positions))}
            best = max(rivals, key=lambda b: score[b])
            targets: list[tuple[str, int | None, float, FloatArray]] = [
                (self.businesses[b].name, self.businesses[b].id, score[b], standing.draws[b])
                for b in rivals
            ]
            median_draws = np.median(standing.draws[rivals], axis=0)
            targets.append(
                ("median", None, float(np.median([score[b] for b in rivals])), median_draws)
            )
            targets.append(("best", self.businesses[best].id, score[best], standing.draws[best]))
            for versus, versus_id, theirs, their_draws in targets:
                result = compare(
                    score[ours],
                    theirs,
                    standing.draws[ours],
                    their_draws,
                    threshold=settings.gap_threshold,
                    probability=settings.gap_probability,
                )
                rows.append(
                    self._gap_row(label, segment, dimension, "score", versus, versus_id)
                    | {
                        "ours": round(result.ours, 4),
                        "theirs": round(result.theirs, 4),
                        "gap": round(result.gap, 4),
                        "probability": round(max(result.p_behind, result.p_ahead), 4),
                        "verdict": result.verdict,
                        "note": None,
                    }
                )
        return rows

    def _races(self, label: str, segment: str) -> Rows:
        """Velocity against each competitor: are we falling behind relatively?"""
        if self.ours is None:
            return []
        our_key = (segment, self.businesses[self.ours].id)
        ours = self.history.get((segment, self.ours))
        if not ours or len(ours) < 4 or (segment, "overall", our_key[1]) not in self.previous:
            return []
        slopes = {b: self._slopes(segment, b) for b in range(len(self.businesses))}
        our_slopes = slopes[self.ours]
        rows = []
        for b, business in enumerate(self.businesses):
            their_slopes = slopes[b]
            if b == self.ours or their_slopes is None or our_slopes is None:
                continue
            result = race(
                our_slopes,
                their_slopes,
                ours[-1][0],
                self.history[segment, b][-1][0],
                probability=self.settings.race_probability,
            )
            note = None
            if result.weeks_to_one_rung is not None and result.verdict == BEHIND:
                note = (
                    f"at these speeds {business.name} leads by a whole rung "
                    f"in {result.weeks_to_one_rung:.0f} weeks"
                )
            rows.append(
                self._gap_row(label, segment, "overall", "velocity", business.name, business.id)
                | {
                    "ours": round(result.ours, 5),
                    "theirs": round(result.theirs, 5),
                    "gap": round(result.ours - result.theirs, 5),
                    "probability": round(result.p_faster, 4),
                    "verdict": result.verdict,
                    "note": note,
                }
            )
        return rows

    def _slopes(self, segment: str, b: int) -> FloatArray | None:
        """Theil–Sen slopes of one business's weekly score draws (a subset of the draws: the
        race probabilities need no more)."""
        history = self.history.get((segment, b))
        if not history or len(history) < 4:
            return None
        series = np.stack([draws[:RACE_DRAWS] for _, draws in history])
        return theil_sen_draws(series)

    def _replies(self, label: str, week: WeekInput) -> tuple[Rows, Rows]:
        """Owner replies over the trailing weeks (:class:`analysis.replies.ReplyWindow`), and
        where we answer reviews less often or more slowly than a competitor."""
        self.replies.add(week.replies, week.reply_signatures)
        rows = self.replies.rows(label)
        return rows, self._reply_gaps(label, rows)

    def _reply_gaps(self, label: str, rows: Rows) -> Rows:
        if self.ours is None:
            return []
        by_id = {row["business_id"]: row for row in rows}
        ours = by_id.get(self.businesses[self.ours].id)
        if ours is None or not ours["reviews"]:
            return []
        draws = self.settings.draws
        our_draws = self.rng.beta(ours["replies"] + 1, ours["reviews"] - ours["replies"] + 1, draws)
        gaps = []
        for business in self.businesses:
            theirs = by_id.get(business.id)
            if business.is_self or theirs is None or not theirs["reviews"]:
                continue
            their_draws = self.rng.beta(
                theirs["replies"] + 1, theirs["reviews"] - theirs["replies"] + 1, draws
            )
            result = compare(
                ours["reply_rate"],
                theirs["reply_rate"],
                our_draws,
                their_draws,
                threshold=REPLY_RATE_GAP,
                probability=self.settings.gap_probability,
            )
            gaps.append(
                self._gap_row(
                    label, "all", "responsiveness", "reply_rate", business.name, business.id
                )
                | {
                    "ours": ours["reply_rate"],
                    "theirs": theirs["reply_rate"],
                    "gap": round(result.gap, 4),
                    "probability": round(max(result.p_behind, result.p_ahead), 4),
                    "verdict": result.verdict,
                    "note": None,
                }
            )
            latency = _latency_verdict(ours["median_latency_hours"], theirs["median_latency_hours"])
            if latency is not None:
                gaps.append(
                    self._gap_row(
                        label, "all", "responsiveness", "reply_latency", business.name, business.id
                    )
                    | {
                        "ours": ours["median_latency_hours"],
                        "theirs": theirs["median_latency_hours"],
                        "gap": round(
                            ours["median_latency_hours"] - theirs["median_latency_hours"], 2
                        ),
                        "probability": None,
                        "verdict": latency,
                        "note": "median hours from review to owner reply",
                    }
                )
        return gaps


#: Draws used for the velocity races (of ``AnalysisSettings.draws``).
RACE_DRAWS = 250
#: A reply-rate difference smaller than this (10 points) is not called a gap.
REPLY_RATE_GAP = 0.10


def _in_segment(count: RungCount, segment: str) -> bool:
    if segment == "all":
        return True
    if segment == "repeat":
        return count.repeat
    return count.kind == segment.removeprefix("source:")


def _latency_verdict(ours: float | None, theirs: float | None) -> str | None:
    """Slower means behind: at least twice as slow and half a day more."""
    if ours is None or theirs is None:
        return None
    if ours >= 2 * theirs and ours - theirs >= 12:
        return BEHIND
    if theirs >= 2 * ours and theirs - ours >= 12:
        return AHEAD
    return EVEN
