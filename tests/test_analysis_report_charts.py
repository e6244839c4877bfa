"""The report's charts, really rendered: PNG size, Vietnamese glyphs, same bytes for the same input,
our line on top, plain-text names, and a picture even with nothing to draw."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.lines import Line2D
from matplotlib.text import Text
from numpy.typing import NDArray

from analysis.report.charts import (
    COMPETITOR_COLOURS,
    RUNG_COLOURS,
    SELF_COLOUR,
    SHOWN_WIDTH,
    SMALLEST_TEXT_PX,
    WIDTH,
    Series,
    rung_chart,
    rung_figure,
    score_chart,
    score_figure,
    to_png,
)
from analysis.report.i18n import Formats
from analysis.vocabulary import RUNG_NAMES

WEEKS = [f"2026-W{week}" for week in range(36, 48)]
EN = RUNG_NAMES["en"]
VI = RUNG_NAMES["vi"]


def scores(start: float, step: float) -> list[float | None]:
    return [round(start + step * week, 2) for week in range(len(WEEKS))]


def five(names: list[str]) -> list[Series]:
    """Five businesses over 12 weeks, ours first, scores between 2.5 and 4.8."""
    starts = [(3.4, 0.1), (4.6, -0.02), (3.0, 0.03), (2.6, 0.01), (4.0, -0.1)]
    return [
        Series(name, index == 0, scores(*start))
        for index, (name, start) in enumerate(zip(names, starts, strict=True))
    ]


SERIES_EN = five(["Harbour Noodle Bar", "Pho Corner", "Blue Lotus", "Golden Spoon", "Daily Grind"])
SERIES_VI = five(["Quán Bà Tư", "Nhà Sóng Kitchen", "Phở Hà Nội Xưa", "Bún Chả Đắc Kim", "Góc Phố"])
SHARES = [0.05, 0.1, 0.25, 0.4, 0.15, 0.05]


def size(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk, which must come first."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind, width, height = struct.unpack(">I4sII", png[8:24])
    assert (length, kind) == (13, b"IHDR")
    return width, height


def pixels(png: bytes) -> NDArray[np.float32]:
    image: NDArray[np.float32] = imread(io.BytesIO(png), format="png")
    return image[..., :3]


def painted(png: bytes, colour: str) -> NDArray[np.bool_]:
    """Where the picture is (within rounding) exactly ``colour``."""
    return np.all(np.abs(pixels(png) - np.array(to_rgb(colour))) < 1.5 / 255, axis=-1)


def glyph_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_both_charts_are_pngs_1280_px_wide_and_small() -> None:
    score = score_chart(WEEKS, SERIES_EN, title="Ladder score, 12 weeks", rung_names=EN)
    rungs = rung_chart(
        [(line.name, line.is_self, SHARES) for line in SERIES_EN], title="This week", rung_names=EN
    )
    width, height = size(score)
    assert width == 1280
    assert 600 <= height <= 740  # 3.0-3.7 in at 200 dpi
    width, height = size(rungs)
    assert width == 1280
    assert 400 <= height <= 740
    assert len(score) < 150_000
    assert len(rungs) < 150_000


def test_vietnamese_text_has_every_glyph() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        score_chart(
            WEEKS,
            SERIES_VI,
            title="Điểm bậc thang 12 tuần",
            rung_names={**VI, 5: "Bất ngờ"},
            missing="Khoảng trống: dưới 5 đánh giá trong tuần",
        )
        rung_chart(
            [(line.name, line.is_self, SHARES) for line in SERIES_VI],
            title="Đánh giá tuần này theo bậc",
            rung_names=VI,
        )
    assert glyph_warnings(caught) == []


def test_a_missing_glyph_would_be_noticed() -> None:
    # The check above is only worth something if matplotlib does warn: DejaVu Sans has no kanji.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        score_chart(WEEKS, [Series("寿司", True, scores(3, 0.1))], title="t", rung_names=EN)
    assert len(glyph_warnings(caught)) == 2


def test_same_input_same_bytes_and_other_data_other_bytes() -> None:
    first = score_chart(WEEKS, SERIES_EN, title="Score", rung_names=EN)
    assert score_chart(WEEKS, SERIES_EN, title="Score", rung_names=EN) == first
    assert b"matplotlib" not in first  # no version stamp: a rebuild on a newer matplotlib may match
    changed = [*SERIES_EN[:-1], Series("Daily Grind", False, scores(4.0, -0.09))]
    assert score_chart(WEEKS, changed, title="Score", rung_names=EN) != first
    rows = [("Ours", True, SHARES), ("Theirs", False, SHARES[::-1])]
    assert rung_chart(rows, title="t", rung_names=EN) == rung_chart(rows, title="t", rung_names=EN)


def test_charts_drawn_in_threads_are_the_same_bytes() -> None:
    expected = score_chart(WEEKS, SERIES_VI, title="Điểm", rung_names=VI)
    with ThreadPoolExecutor(4) as pool:
        drawn = list(
            pool.map(lambda _: score_chart(WEEKS, SERIES_VI, title="Điểm", rung_names=VI), range(4))
        )
    assert drawn == [expected] * 4


def test_our_line_is_thicker_than_a_competitors() -> None:
    line = scores(3.2, 0.1)
    ours = painted(
        score_chart(WEEKS, [Series("A", True, line)], title="t", rung_names=EN), SELF_COLOUR
    )
    theirs = painted(
        score_chart(WEEKS, [Series("A", False, line)], title="t", rung_names=EN),
        COMPETITOR_COLOURS[0],
    )
    assert ours.sum() > 1.6 * theirs.sum() > 0


def test_our_line_is_drawn_over_the_competitors() -> None:
    line = scores(3.2, 0.1)
    alone = score_chart(WEEKS, [Series("Ours", True, line)], title="t", rung_names=EN)
    # Three competitors with exactly our scores: had they been drawn last they would hide it.
    crowded = score_chart(
        WEEKS,
        [Series(name, False, line) for name in ("B", "C")] + [Series("Ours", True, line)],
        title="t",
        rung_names=EN,
    )
    assert size(crowded) == size(alone)
    assert painted(crowded, SELF_COLOUR).sum() >= 0.97 * painted(alone, SELF_COLOUR).sum()


def test_a_missing_week_leaves_a_gap() -> None:
    full = scores(3.2, 0.1)
    gapped = [None if week in (5, 6) else score for week, score in enumerate(full)]
    whole = score_chart(WEEKS, [Series("Ours", True, full)], title="t", rung_names=EN)
    broken = score_chart(WEEKS, [Series("Ours", True, gapped)], title="t", rung_names=EN)
    assert painted(broken, SELF_COLOUR).sum() < 0.85 * painted(whole, SELF_COLOUR).sum()


@pytest.mark.parametrize(
    ("weeks", "series"),
    [
        ([], []),
        (WEEKS, []),
        (WEEKS, [Series("Ours", True, [None] * len(WEEKS))]),
    ],
)
def test_nothing_to_draw_still_gives_a_small_png(weeks: list[str], series: list[Series]) -> None:
    png = score_chart(weeks, series, title="Điểm bậc thang", rung_names=VI, no_data="Chưa có")
    width, height = size(png)
    assert width == 1280
    assert height < 400
    assert score_chart(weeks, series, title="Điểm bậc thang", rung_names=VI) != png  # the text
    assert size(rung_chart([], title="Đánh giá", rung_names=VI))[1] < 400


def test_names_and_titles_are_plain_text() -> None:
    name = "Pho $x^$ Corner"
    figure = Figure()
    figure.text(0, 0, name)
    with pytest.raises(ValueError, match="x\\^"):  # what mathtext would have done with it
        figure.savefig(io.BytesIO(), format="png")
    figure = score_figure(
        WEEKS,
        [Series(name, True, scores(3, 0.1)), Series("Cafe $5 $x^2$", False, scores(4, 0))],
        title="$\\alpha$ beats $",
        rung_names={**EN, 3: "$Normal$"},
    )
    png = to_png(figure)
    assert size(png)[0] == 1280
    texts = [artist for artist in figure.findobj(Text) if isinstance(artist, Text)]
    shown = {text.get_text() for text in texts}
    assert {name, "Cafe $5 $x^2$", "$\\alpha$ beats $", "$Normal$ 3"} <= shown
    assert not any(text.get_parse_math() or text.get_usetex() for text in texts)
    rung_chart([(name, True, SHARES)], title="$x^$", rung_names=EN)


def test_weeks_are_shown_short_with_the_year_where_it_changes() -> None:
    weeks = ["2026-W51", "2026-W52", "2026-W53", "2027-W01", "2027-W02"]
    figure = score_figure(weeks, [Series("Ours", True, [3.0] * 5)], title="t", rung_names=EN)
    labels = [label.get_text() for label in figure.axes[0].get_xticklabels()]
    assert labels == ["W51\n2026", "W52", "W53", "W01\n2027", "W02"]
    rungs = [label.get_text() for label in figure.axes[0].get_yticklabels()]
    assert rungs == ["Normal 3", "Good 4"]  # 3.0 exactly sits on Normal; the next rung up is shown


def test_twelve_businesses_each_get_their_own_line_and_ours_leads_the_legend() -> None:
    series = [Series(f"Rival {n}", False, scores(2.6 + n / 10, 0.01)) for n in range(11)]
    series.insert(4, Series("Ours", True, scores(3.5, 0.05)))
    figure = score_figure(WEEKS, series, title="t", rung_names=EN)
    legend = figure.legends[0]
    assert legend.get_texts()[0].get_text() == "Ours"
    assert legend.get_texts()[0].get_fontweight() == "bold"
    assert len(legend.get_texts()) == 12
    lines = [line for line in figure.axes[0].get_lines() if isinstance(line, Line2D)]
    looks = {(line.get_color(), line.get_linestyle()) for line in lines}
    assert len(looks) == 12
    assert max(lines, key=lambda line: line.get_zorder()).get_label() == "Ours"
    assert size(to_png(figure))[0] == 1280


def test_rung_bars_put_ours_on_top_in_rung_colours() -> None:
    rows = [("Theirs", False, [1, 0, 0, 0, 0, 0]), ("Ours", True, [0, 0, 0, 0, 0, 3])]
    png = rung_chart(rows, title="t", rung_names=EN)
    blue_rows = np.flatnonzero(painted(png, RUNG_COLOURS[6]).sum(axis=1) > 500)
    red_rows = np.flatnonzero(painted(png, RUNG_COLOURS[1]).sum(axis=1) > 500)
    assert len(blue_rows) > 0
    assert len(red_rows) > 0
    assert blue_rows.max() < red_rows.min()  # ours (all Unbelievable) above theirs (all Bad)


def test_bad_shapes_are_refused_with_what_to_give() -> None:
    with pytest.raises(ValueError, match="give 6 shares"):
        rung_chart([("Ours", True, [0.5, 0.5])], title="t", rung_names=EN)
    with pytest.raises(ValueError, match="one score \\(or None\\) per week"):
        score_chart(WEEKS, [Series("Ours", True, [3.0])], title="t", rung_names=EN)


def test_drawing_changes_no_global_state() -> None:
    before = dict(matplotlib.rcParams)
    score_chart(WEEKS, SERIES_EN, title="t", rung_names=EN)
    assert dict(matplotlib.rcParams) == before
    code = (
        "import sys; from analysis.report.charts import Series, score_chart; "
        "score_chart(['2026-W47'], [Series('A', True, [3.0])], title='t', rung_names={}); "
        "assert 'matplotlib.pyplot' not in sys.modules"
    )
    subprocess.run([sys.executable, "-W", "error", "-c", code], check=True, timeout=60)


@pytest.mark.parametrize(
    ("language", "latest", "edges"), [("en", "3.36", "2.5 3.5 4.5"), ("vi", "3,36", "2,5 3,5 4,5")]
)
def test_the_score_axis_has_numbers_written_as_the_report_writes_them(
    language: str, latest: str, edges: str
) -> None:
    line = [*scores(3.0, 0.03)[:-1], 3.36]
    figure = score_figure(
        WEEKS,
        [Series("Ours", True, line), Series("Them", False, scores(3.5, 0.0))],
        title="t",
        rung_names=RUNG_NAMES[language],
        number=Formats(language).number,
    )
    axes = figure.axes[0]
    names = RUNG_NAMES[language]
    assert [label.get_text() for label in axes.get_yticklabels()] == [
        f"{names[3]} 3",
        f"{names[4]} 4",
    ]
    assert [label.get_text() for label in axes.get_yticklabels(minor=True)] == edges.split()
    assert [text.get_text() for text in axes.texts] == [latest]  # as the text says, not "3.4"


def test_no_text_is_smaller_than_11_px_where_the_report_shows_it() -> None:
    gapped = [*SERIES_VI[:-1], Series("Góc Phố", False, [None, *scores(4.0, -0.1)[1:]])]
    figures = [
        score_figure(WEEKS, gapped, title="Điểm", rung_names=VI, missing="Khoảng trống"),
        rung_figure(
            [(line.name, line.is_self, SHARES) for line in SERIES_VI], title="t", rung_names=VI
        ),
    ]
    for figure in figures:
        to_png(figure)  # drawn: every tick label exists
        texts = [
            text
            for text in figure.findobj(Text)
            if isinstance(text, Text) and text.get_visible() and text.get_text().strip()
        ]
        assert len(texts) > 20
        smallest = min(text.get_fontsize() for text in texts)
        assert smallest / 72 * SHOWN_WIDTH / WIDTH >= SMALLEST_TEXT_PX  # points → shown pixels
