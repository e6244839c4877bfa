"""`ladder rank` and `ladder explain` on the demo world: the scenario it was built with is found."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from click.testing import CliRunner

from analysis.weeks import last_complete_week, week_label
from scheduler.cli import cli
from scheduler.demo.world import build_world
from tests.conftest import FROZEN_NOW

STORIES = {b.slug: b.name for b in build_world(FROZEN_NOW)}
OURS, CLIMBER, EDGE = STORIES["moc-cafe"], STORIES["nha-song-kitchen"], STORIES["la-chanh-kitchen"]


def run(demo: Path, *args: str) -> Any:
    result = CliRunner().invoke(cli, ["--config", str(demo / "ladder.toml"), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_rank_finds_the_climber_the_reply_edge_and_our_strength(demo_output: Path) -> None:
    rows = {row["business"]: row for row in json.loads(run(demo_output, "rank", "--json"))}
    assert set(rows) == set(STORIES.values())
    ours, climber, edge = rows[OURS], rows[CLIMBER], rows[EDGE]
    assert ours["is_self"]
    assert sorted(row["rank"] for row in rows.values()) == [1, 2, 3, 4, 5]
    for row in rows.values():
        assert row["low"] < row["score"] < row["high"]
        assert row["rung_name"]
    # the fast climber climbs faster than we do, and we are falling behind it relatively
    assert climber["velocity"] > ours["velocity"] > 0
    races = [g for g in climber["gaps"] if g["kind"] == "velocity"]
    assert [g["verdict"] for g in races] == ["behind"]
    # the competitor with the reply-rate edge is ahead of us on responsiveness
    responsiveness = {g["kind"]: g for g in edge["gaps"] if g["dimension"] == "responsiveness"}
    assert responsiveness["score"]["verdict"] == "behind"
    assert responsiveness["reply_rate"]["verdict"] == "behind"
    assert responsiveness["reply_rate"]["theirs"] > 0.8 > 0.4 > responsiveness["reply_rate"]["ours"]


def test_rank_table_says_it_in_the_configured_language(demo_output: Path) -> None:
    output = run(demo_output, "rank")
    assert "Bậc thang dịch vụ khách hàng" in output
    assert "tụt lại tương đối" in output  # falling behind relatively
    assert "Thế mạnh: Hữu hình" in output  # our strength: tangibles
    assert f"{EDGE} trả lời" in output  # its reply rate and time


def test_rank_for_another_week_and_segment(demo_output: Path) -> None:
    rows = json.loads(run(demo_output, "rank", "--json", "--segment", "repeat"))
    assert rows
    earlier = last_complete_week(FROZEN_NOW, ZoneInfo("Asia/Ho_Chi_Minh")) - timedelta(weeks=4)
    assert json.loads(run(demo_output, "rank", "--json", "--week", week_label(earlier)))
    bad = CliRunner().invoke(
        cli, ["--config", str(demo_output / "ladder.toml"), "rank", "--week", "soon"]
    )
    assert bad.exit_code == 2  # a usage error, before anything is read
    assert "not an ISO week" in bad.output


def test_explain_shows_dimensions_and_evidence(demo_output: Path) -> None:
    output = run(demo_output, "explain", OURS)
    assert "Hữu hình" in output  # tangibles, in Vietnamese
    assert "tangibles +" in output
    unknown = CliRunner().invoke(
        cli, ["--config", str(demo_output / "ladder.toml"), "explain", "Nobody"]
    )
    assert unknown.exit_code == 1
    assert "no business named 'Nobody'" in unknown.output


def test_rank_and_the_report_name_the_same_gaps_in_the_same_order(demo_output: Path) -> None:
    """`ladder rank` and the weekly report render one list of gaps to close (analysis.standings):
    the report shows its first ones, in the order rank prints them."""
    ranked = re.findall(r"^\d+\. Thua (.+) về (.+): ", run(demo_output, "rank"), re.M)
    text = (demo_output / "report" / "report.txt").read_text(encoding="utf-8")
    reported = [
        (business, dimension)
        for dimension, business in re.findall(r"^\d+\. (.+): (.+) làm tốt hơn: ", text, re.M)
    ]
    assert len(reported) >= 2
    assert reported == ranked[: len(reported)]
