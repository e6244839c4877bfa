"""The report's two PNG charts: ladder scores over the weeks, and this week's rung mix.

Each chart is drawn on its own ``Figure`` with the Agg canvas (never pyplot) and no rcParams are
changed, so drawing leaves matplotlib's global state alone and charts can be drawn side by side in
threads. Sizes are fixed: 6.4 in wide at 200 dpi, i.e. 1280 px, shown 592 px wide in the email (the
report's column), where no text is smaller than 11 px (:data:`TEXT_SIZE` points at least).
Every text is plain text (names and titles may hold ``$``; mathtext and TeX are off) set in DejaVu
Sans, which ships with matplotlib and covers Vietnamese. The same input gives the same bytes.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from numpy.typing import NDArray

RUNGS = 6
WIDTH = 6.4  # inches; at DPI this is 1280 px, displayed at 640
DPI = 200
FONT = "DejaVu Sans"
LONGEST_NAME = 28  # letters of a business name shown; longer names end in "…"
#: Pixels across the report shows a chart at, and the least height of a letter there.
SHOWN_WIDTH = 592
SMALLEST_TEXT_PX = 11
#: Points of the chart's text (its title is larger): 11 px at :data:`SHOWN_WIDTH` is 8.6 pt.
TEXT_SIZE = 9.0
TITLE_SIZE = 11.0
#: Our line and our label.
SELF_COLOUR = "#111827"
#: Competitors' lines, muted and told apart by hue; after ten the line style changes.
COMPETITOR_COLOURS = (
    "#4878d0",
    "#ee854a",
    "#6acc64",
    "#d65f5f",
    "#956cb4",
    "#8c613c",
    "#dc7ec0",
    "#8a8a8a",
    "#c9ad4f",
    "#5fb7d9",
)
_LINE_STYLES = ("-", "--", ":")
#: Rung 1 (Bad) red, through grey for 3 (Normal), to green and blue for 6 (Unbelievable).
RUNG_COLOURS = {
    1: "#c0392b",
    2: "#ec9a73",
    3: "#c4c4c4",
    4: "#9dd08f",
    5: "#3a9a5b",
    6: "#2166ac",
}
_DARK_RUNGS = frozenset({1, 5, 6})  # white percentages on these
_BAND = "#f1f3f6"
_MUTED_TEXT = "#4b5563"
_FAINT_TEXT = "#8a919c"
_WEEK = re.compile(r"(\d{4})-W(\d{2})")
_T = TypeVar("_T")


#: Writes a number with so many decimals, as the report's language does (``Formats.number``).
Number = Callable[[float, int], str]


def _plain(value: float, digits: int) -> str:
    return f"{value:.{digits}f}"


@dataclass(frozen=True)
class Series:
    """One business's weekly ladder scores, ``None`` where it had too few reviews."""

    name: str
    is_self: bool
    scores: Sequence[float | None]


def score_chart(
    weeks: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    rung_names: Mapping[int, str],
    missing: str = "",
    no_data: str = "No data",
    number: Number | None = None,
) -> bytes:
    """Ladder scores per business over ``weeks`` as a PNG; see :func:`score_figure`."""
    return to_png(
        score_figure(
            weeks,
            series,
            title=title,
            rung_names=rung_names,
            missing=missing,
            no_data=no_data,
            number=number,
        )
    )


def rung_chart(
    rows: Sequence[tuple[str, bool, Sequence[float]]],
    *,
    title: str,
    rung_names: Mapping[int, str],
    no_data: str = "No data",
) -> bytes:
    """This week's rung shares per business as a PNG; see :func:`rung_figure`."""
    return to_png(rung_figure(rows, title=title, rung_names=rung_names, no_data=no_data))


def score_figure(
    weeks: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    rung_names: Mapping[int, str],
    missing: str = "",
    no_data: str = "No data",
    number: Number | None = None,
) -> Figure:
    """One line per business over ``weeks`` (``2026-W47`` is shown as ``W47``), ours thick, dark,
    on top and labelled with its latest score; a gap where a score is ``None``, and ``missing``
    (say, "A gap: fewer than 5 reviews that week") written under the chart when there is one. The
    y axis spans the rungs the scores reach (at least two), each rung a band from ``k - 0.5`` to
    ``k + 0.5`` numbered at its middle and named by ``rung_names`` ("Normal 3"), its edges
    numbered too ("3.5"). ``number(value, digits)`` writes a number as the report's text does (our
    latest score with two digits, "3,36" in Vietnamese); by default with a point. Nothing to draw
    gives a small figure saying ``no_data``.
    """
    number = number or _plain
    for line in series:
        if len(line.scores) != len(weeks):
            raise ValueError(
                f"series {line.name!r} has {len(line.scores)} scores for {len(weeks)} weeks; "
                "give one score (or None) per week"
            )
    values = [s for line in series for s in line.scores if s is not None and math.isfinite(s)]
    if not weeks or not values:
        return _empty(title, no_data)
    ordered = sorted(series, key=lambda line: not line.is_self)  # stable: ours first
    note = missing if any(s is None for line in series for s in line.scores) else ""
    ncols = _legend_columns([_short(line.name) for line in ordered], fontsize=TEXT_SIZE, extra=0.45)
    rows = math.ceil(len(ordered) / ncols)
    fig = _figure(3.0 + 0.22 * rows + (0.2 if note else 0.0))
    ax = fig.add_subplot()
    low, high = _rung_span(min(values), max(values))
    for rung in range(low - 1, high + 2):  # a sliver of the rungs beyond shows in the margins
        if rung % 2 == 0:
            ax.axhspan(rung - 0.5, rung + 0.5, color=_BAND, linewidth=0, zorder=0)
    ax.set_ylim(low - 0.56, high + 0.56)  # a score on a rung's edge keeps its whole marker inside
    ax.set_yticks(
        range(low, high + 1),
        [f"{rung_names.get(rung, '')} {number(rung, 0)}".strip() for rung in range(low, high + 1)],
    )
    edges = [rung + 0.5 for rung in range(low - 1, high + 1)]
    ax.set_yticks(edges, [number(edge, 1) for edge in edges], minor=True)
    ax.tick_params(axis="y", which="both", length=0, labelsize=TEXT_SIZE, labelcolor=_MUTED_TEXT)
    ax.tick_params(axis="y", which="minor", labelcolor=_FAINT_TEXT)
    ax.set_xlim(-0.3, len(weeks) - 0.6)  # our latest score is written to the right
    ax.set_xticks(range(len(weeks)), _week_labels(weeks))
    ax.tick_params(axis="x", labelsize=TEXT_SIZE, labelcolor=_MUTED_TEXT, color="#c0c4cc", length=3)
    x = np.arange(len(weeks))
    handles: list[Line2D] = []
    for index, line in enumerate(ordered):  # zorder puts ours on top
        y = np.array([np.nan if s is None else s for s in line.scores], dtype=float)
        handles += ax.plot(x, y, label=line.name, marker="o", **_line_style(ordered, index))
        if line.is_self:
            _label_latest(ax, y, number)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color("#c0c4cc")
    ax.set_title(title, loc="left", fontsize=TITLE_SIZE, fontweight="bold", color=SELF_COLOUR)
    legend = fig.legend(
        _row_major(handles, ncols),
        _row_major([_short(line.name) for line in ordered], ncols),
        loc="outside lower center",
        ncols=ncols,
        frameon=False,
        fontsize=TEXT_SIZE,
        handlelength=2.2,
        columnspacing=1.4,
    )
    for text, line in zip(legend.get_texts(), _row_major(ordered, ncols), strict=True):
        if line.is_self:
            text.set_fontweight("bold")
    if note:
        ax.set_xlabel(note, fontsize=TEXT_SIZE, color=_MUTED_TEXT, loc="left", labelpad=4)
    return fig


def rung_figure(
    rows: Sequence[tuple[str, bool, Sequence[float]]],
    *,
    title: str,
    rung_names: Mapping[int, str],
    no_data: str = "No data",
) -> Figure:
    """One 100% stacked bar per business (name, is_self, shares of rungs 1..6), ours on top with
    its name bold, each share of 8% or more written on its segment, a legend of ``rung_names``.
    Shares are scaled to sum to 1; a business whose shares are all 0 gets an empty bar."""
    for name, _, given in rows:
        if len(given) != RUNGS or any(share < 0 for share in given):
            raise ValueError(
                f"{name!r} has shares {list(given)!r}; give {RUNGS} shares ≥ 0, rungs 1 to {RUNGS}"
            )
    if not rows:
        return _empty(title, no_data)
    ordered = sorted(rows, key=lambda row: not row[1])
    names = [rung_names.get(rung, str(rung)) for rung in range(1, RUNGS + 1)]
    ncols = RUNGS if _legend_columns(names, fontsize=TEXT_SIZE, extra=0.3) >= RUNGS else 3
    fig = _figure(1.1 + 0.34 * len(ordered) + 0.22 * math.ceil(RUNGS / ncols))
    ax = fig.add_subplot()
    y = np.arange(len(ordered))
    shares = np.array([row[2] for row in ordered], dtype=float)
    totals = shares.sum(axis=1, keepdims=True)
    shares = np.divide(shares, totals, out=np.zeros_like(shares), where=totals > 0)
    left = np.zeros(len(ordered))
    for rung in range(1, RUNGS + 1):
        width = shares[:, rung - 1]
        bars = ax.barh(
            y,
            width,
            left=left,
            height=0.68,
            color=RUNG_COLOURS[rung],
            edgecolor="white",
            linewidth=0.6,
            label=names[rung - 1],
        )
        ax.bar_label(
            bars,
            [f"{share:.0%}" if share >= 0.08 else "" for share in width],
            label_type="center",
            fontsize=TEXT_SIZE,
            color="white" if rung in _DARK_RUNGS else SELF_COLOUR,
        )
        left = left + width
    ax.set_ylim(len(ordered) - 0.5, -0.5)  # first row on top
    ax.set_yticks(y, [_short(row[0]) for row in ordered])
    ax.tick_params(axis="y", length=0, labelsize=TEXT_SIZE, labelcolor=_MUTED_TEXT)
    for label, (_, is_self, _) in zip(ax.get_yticklabels(), ordered, strict=True):
        if is_self:
            label.set_fontweight("bold")
            label.set_color(SELF_COLOUR)
    ax.set_xlim(0, 1)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0%", "25%", "50%", "75%", "100%"])
    ax.tick_params(axis="x", labelsize=TEXT_SIZE, labelcolor=_MUTED_TEXT, color="#c0c4cc", length=2)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_title(title, loc="left", fontsize=TITLE_SIZE, fontweight="bold", color=SELF_COLOUR)
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(
        _row_major(handles, ncols),
        _row_major(labels, ncols),
        loc="outside lower center",
        ncols=ncols,
        frameon=False,
        fontsize=TEXT_SIZE,
        handlelength=1.2,
        columnspacing=1.0,
    )
    return fig


def to_png(fig: Figure) -> bytes:
    """The figure as PNG bytes at :data:`DPI`, without a timestamp or version, so equal figures
    give equal bytes. Every text is made plain first (no mathtext, no TeX, DejaVu Sans)."""
    for artist in fig.findobj(Text):
        assert isinstance(artist, Text)
        artist.set_parse_math(False)
        artist.set_usetex(False)
        artist.set_fontfamily(FONT)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None}, facecolor="white")
    return buffer.getvalue()


def _figure(height: float) -> Figure:
    fig = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained", facecolor="white")
    FigureCanvasAgg(fig)
    return fig


def _empty(title: str, no_data: str) -> Figure:
    fig = _figure(1.4)
    fig.text(0.02, 0.88, title, fontsize=TITLE_SIZE, fontweight="bold", color=SELF_COLOUR, va="top")
    fig.text(0.5, 0.4, no_data, fontsize=TEXT_SIZE, color=_MUTED_TEXT, ha="center", va="center")
    return fig


def _rung_span(lowest: float, highest: float) -> tuple[int, int]:
    """The rungs the scores sit on (3.4 is 3, 3.5 is 4); one rung is widened to two, toward the
    side of the rung the scores lean to."""
    low, high = (min(RUNGS, max(1, math.floor(s + 0.5))) for s in (lowest, highest))
    if low == high:
        leans_up = (lowest + highest) / 2 >= low
        if (leans_up and high < RUNGS) or low == 1:
            high += 1
        else:
            low -= 1
    return low, high


def _week_labels(weeks: Sequence[str]) -> list[str]:
    """``W47`` for ``2026-W47``, with the year under the first label of each year; with more
    than 13 weeks only every few are labelled, always the latest."""
    step = math.ceil(len(weeks) / 13)
    labels = []
    year = None
    for index, week in enumerate(weeks):
        if (len(weeks) - 1 - index) % step:
            labels.append("")
        elif (match := _WEEK.fullmatch(week)) is None:
            labels.append(week)
        else:
            labels.append(f"W{match[2]}" if match[1] == year else f"W{match[2]}\n{match[1]}")
            year = match[1]
    return labels


def _short(name: str) -> str:
    """A name cut to :data:`LONGEST_NAME` letters, so the plot keeps its width."""
    return name if len(name) <= LONGEST_NAME else name[: LONGEST_NAME - 1].rstrip() + "…"


def _legend_columns(labels: Sequence[str], *, fontsize: float, extra: float) -> int:
    """How many legend entries fit side by side across the figure; a letter of DejaVu Sans is
    about 0.56 em wide, ``extra`` inches go to the handle and the spacing."""
    widest = max((len(label) for label in labels), default=1)
    fits = int((WIDTH - 0.3) // (extra + 0.56 * fontsize / 72 * widest))
    return max(1, min(len(labels), fits))


def _row_major(items: Sequence[_T], ncols: int) -> list[_T]:
    """Reordered so that a legend, which fills column after column, reads row after row."""
    return [items[i] for column in range(ncols) for i in range(column, len(items), ncols)]


def _line_style(ordered: Sequence[Series], index: int) -> dict[str, Any]:
    """Ours thick, dark and haloed; competitors thin, each its own muted colour in order."""
    if ordered[index].is_self:
        return {
            "color": SELF_COLOUR,
            "linewidth": 2.8,
            "markersize": 4,
            "zorder": 5,
            "path_effects": [patheffects.withStroke(linewidth=4.6, foreground="white")],
        }
    nth = sum(1 for line in ordered[:index] if not line.is_self)
    return {
        "color": COMPETITOR_COLOURS[nth % len(COMPETITOR_COLOURS)],
        "linestyle": _LINE_STYLES[nth // len(COMPETITOR_COLOURS) % len(_LINE_STYLES)],
        "linewidth": 1.4,
        "markersize": 2.4,
        "zorder": 3,
    }


def _label_latest(ax: Axes, y: NDArray[np.float64], number: Number) -> None:
    """Our latest score, written just right of our latest point as the text writes it."""
    known = np.flatnonzero(~np.isnan(y))
    if len(known):
        last = int(known[-1])
        ax.annotate(
            number(float(y[last]), 2),
            (last, y[last]),
            xytext=(6, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=TEXT_SIZE,
            fontweight="bold",
            color=SELF_COLOUR,
            zorder=6,
            annotation_clip=False,
        )
