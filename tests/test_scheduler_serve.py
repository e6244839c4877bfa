"""The database for people: the documented views, `ladder export`, the examples of
docs/queries.md, and `ladder serve` (Datasette as a real process on 127.0.0.1)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from analysis.vocabulary import DIMENSION_NAMES, RUNG_NAMES
from db import open_db
from db.canned import QUERIES
from db.views import VIEWS
from scheduler.cli import cli
from tests.conftest import write_config
from tests.test_db_search import BODIES, WAITING, write_reviews

DOCS = Path(__file__).parent.parent / "docs" / "queries.md"


@pytest.fixture
def demo(demo_output: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database and a config pointing at it."""
    shutil.copy(demo_output / "ladder.db", tmp_path / "ladder.db")
    text = (demo_output / "ladder.toml").read_text(encoding="utf-8")
    (tmp_path / "ladder.toml").write_text(text, encoding="utf-8")
    return tmp_path


def test_the_views_have_the_documented_columns(demo_output: Path) -> None:
    docs = DOCS.read_text(encoding="utf-8")
    with contextlib.closing(open_db(demo_output / "ladder.db")) as db:
        for name, (_, columns, units) in VIEWS.items():
            actual = [row[1] for row in db.execute(f"PRAGMA table_info([{name}])")]
            assert actual == list(columns), name
            assert set(units) <= set(columns)
            assert f"`{name}`" in docs, f"docs/queries.md does not describe {name}"
            section = docs.split(f"`{name}`")[-1]
            for column in columns:
                assert f"`{column}`" in section, f"{name}.{column} is not in docs/queries.md"
            count = db.execute(f"SELECT count(*) FROM [{name}]").fetchone()[0]  # noqa: S608
            assert count > 0, name
        rungs = {row[0]: row[1:3] for row in db.execute("SELECT rung, name, name_vi FROM rungs")}
        dimensions = {
            row[0]: row[1:] for row in db.execute("SELECT dimension, name, name_vi FROM dimensions")
        }
    assert rungs == {k: (RUNG_NAMES["en"][k], RUNG_NAMES["vi"][k]) for k in range(1, 7)}
    assert dimensions == {
        key: (DIMENSION_NAMES["en"][key], DIMENSION_NAMES["vi"][key])
        for key in DIMENSION_NAMES["en"]
    }


def test_the_latest_ranking_is_the_last_week_best_first(demo_output: Path) -> None:
    with contextlib.closing(open_db(demo_output / "ladder.db")) as db:
        rows = db.execute(
            "SELECT week, rank, score, rung, rung_name FROM latest_ranking"
        ).fetchall()
        (last,) = db.execute("SELECT max(week) FROM weekly_positions").fetchone()
    assert {row[0] for row in rows} == {last}
    assert [row[1] for row in rows] == sorted(row[1] for row in rows)
    for _, _, score, rung, name in rows:
        assert rung == min(6, max(1, int(score + 0.5)))
        assert name == RUNG_NAMES["en"][rung]


def _examples() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("number", range(len(_examples())))
def test_every_sql_example_in_the_docs_returns_rows(demo_output: Path, number: int) -> None:
    sql = _examples()[number]
    with contextlib.closing(open_db(demo_output / "ladder.db")) as db:
        rows = db.execute(sql).fetchall()
    assert rows, sql


def test_there_are_ten_questions() -> None:
    assert len(re.findall(r"^### \d+\. ", DOCS.read_text(encoding="utf-8"), re.M)) == 10
    assert len(_examples()) >= 10


def test_export_csv_json_and_one_week(demo: Path) -> None:
    config = str(demo / "ladder.toml")
    result = CliRunner().invoke(cli, ["--config", config, "export", "latest_ranking"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == 5
    assert rows[0]["rank"] == "1"
    with contextlib.closing(open_db(demo / "ladder.db")) as db:
        (week,) = db.execute("SELECT max(week) FROM weekly_gaps").fetchone()
        expected = db.execute("SELECT count(*) FROM gaps WHERE week = ?", [week]).fetchone()[0]
    out = demo / "gaps.jsonl"
    result = CliRunner().invoke(
        cli,
        [
            "--config",
            config,
            "export",
            "gaps",
            "--week",
            week,
            "--format",
            "jsonl",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == expected
    assert {line["week"] for line in lines} == {week}
    as_json = CliRunner().invoke(cli, ["--config", config, "export", "rungs", "--format", "json"])
    assert [row["name_vi"] for row in json.loads(as_json.output)][2] == "Bình thường"


def test_export_refuses_what_it_should(demo: Path) -> None:
    config = str(demo / "ladder.toml")
    unknown = CliRunner().invoke(cli, ["--config", config, "export", "reviews; DROP TABLE x"])
    assert unknown.exit_code == 1
    assert "choose one of" in unknown.output
    secret = CliRunner().invoke(cli, ["--config", config, "export", "settings"])
    assert secret.exit_code == 1  # the salt of the reviewer hashes stays in the database
    no_week = CliRunner().invoke(cli, ["--config", config, "export", "rungs", "--week", "2026-W47"])
    assert "has no week column" in no_week.output


# `ladder serve`, a real Datasette process


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    """`ladder serve` over ``folder``'s ladder.toml, as a real process; yields the database's URL."""
    port = _free_port()
    log = folder / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "scheduler", "--config", str(folder / "ladder.toml"), "serve",
             "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/-/versions.json", timeout=5):
                    break
            except OSError:  # not listening yet, or still starting
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"ladder serve did not start: {log.read_text()}")
                time.sleep(0.2)
        yield f"{base}/ladder"
    finally:
        process.terminate()  # Datasette itself: `ladder serve` execs it
        process.wait(timeout=10)


@pytest.fixture
def served(demo: Path) -> Iterator[str]:
    with serving(demo) as url:
        yield url


def get(url: str, **params: str) -> Any:
    query = urllib.parse.urlencode({**params, "_shape": "array"})
    with urllib.request.urlopen(f"{url}?{query}", timeout=10) as response:
        return json.loads(response.read())


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def status(url: str, *, data: bytes | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_serve_answers_every_canned_query(served: str, demo: Path) -> None:
    answers = {
        "ranking_of_week": get(f"{served}/ranking_of_week.json", week=""),
        "gaps_of_week": get(f"{served}/gaps_of_week.json", week="", business="Quán Bà Tư"),
        "reviews_of_business": get(f"{served}/reviews_of_business.json", business="Mộc Café"),
        "complaints": get(f"{served}/complaints.json", business="Lá Chanh Kitchen"),
        "replies_of_week": get(f"{served}/replies_of_week.json", week=""),
        "service_changes": get(f"{served}/service_changes.json"),
        "source_health": get(f"{served}/source_health.json"),
        "search_reviews": get(f"{served}/search_reviews.json", words="quay lai"),
    }
    assert set(answers) == set(QUERIES)
    assert all(answers.values()), [name for name, rows in answers.items() if not rows]
    assert [row["rank"] for row in answers["ranking_of_week"]] == [1, 2, 3, 4, 5]
    assert {row["versus"] for row in answers["gaps_of_week"]} == {"Quán Bà Tư"}
    assert {row["business"] for row in answers["complaints"]} == {"Lá Chanh Kitchen"}
    assert answers["service_changes"][0]["signal"] == "chat.vendor"
    assert len(answers["source_health"]) == 13
    metadata = get(f"{served.rsplit('/', 1)[0]}/-/metadata.json")
    assert metadata  # titles and descriptions are served


def test_full_text_search_ignores_vietnamese_marks(served: str) -> None:
    rows = get(f"{served}/reviews.json", _search="quay lai", _size="max")
    bodies = [f"{row['title'] or ''} {row['body'] or ''}".lower() for row in rows]
    assert any("quay lại" in body for body in bodies)  # typed without marks, found with them
    assert any("quay lai" in body for body in bodies)
    assert all("quay" in body for body in bodies)
    waiting = get(f"{served}/search_reviews.json", words="doi lau")
    assert any("đợi lâu" in (row["body"] or "").lower() for row in waiting)


def test_writes_are_refused_and_the_salt_is_not_served(served: str, demo: Path) -> None:
    with contextlib.closing(open_db(demo / "ladder.db")) as db:
        before = db.execute("SELECT count(*) FROM reviews").fetchone()[0]
    delete = urllib.parse.quote("DELETE FROM reviews")
    assert status(f"{served}.json?sql={delete}") == 400
    assert status(f"{served}/complaints", data=b"business=x") >= 400
    salt = urllib.parse.quote("SELECT value FROM settings")
    assert status(f"{served}.json?sql={salt}") >= 400
    assert status(f"{served}/settings.json") == 403  # forbidden, not a server error
    assert status(f"{served}/settings") == 403
    tables = {table["name"] for table in get_json(f"{served}.json")["tables"]}
    assert "reviews" in tables
    assert "settings" not in tables
    with contextlib.closing(open_db(demo / "ladder.db")) as db:
        assert db.execute("SELECT count(*) FROM reviews").fetchone()[0] == before


def test_serve_sees_what_a_crawl_writes_meanwhile(served: str, demo: Path) -> None:
    (before,) = get(f"{served}.json", sql="SELECT count(*) AS n FROM reviews")
    with contextlib.closing(open_db(demo / "ladder.db")) as db, db.conn:
        business_id, source_id = db.execute(
            "SELECT business_id, id FROM sources LIMIT 1"
        ).fetchone()
        db.execute(
            "INSERT INTO reviews (review_key, business_id, source_id, rating, body, published_at, "
            "content_hash, first_seen_at, last_seen_at) VALUES ('new-one', ?, ?, 5, 'Tuyệt vời', "
            "'2026-11-23T10:00:00Z', 'h', '2026-11-23T10:00:00Z', '2026-11-23T10:00:00Z')",
            [business_id, source_id],
        )
    (after,) = get(f"{served}.json", sql="SELECT count(*) AS n FROM reviews")
    assert after["n"] == before["n"] + 1


# Search with or without marks, đ included, in the served database


@pytest.fixture
def served_reviews(tmp_path: Path) -> Iterator[str]:
    """`ladder serve` over a small database of reviews written with marks, without and in capitals."""
    write_config(tmp_path, {"Quán Bà Tư": ["https://ba-tu.example/reviews"]})
    with contextlib.closing(open_db(tmp_path / "ladder.db")) as db:
        write_reviews(db)
    with serving(tmp_path) as url:
        yield url


WAITING_BODIES = {BODIES[key] for key in WAITING}


@pytest.mark.parametrize("words", ["đợi lâu", "doi lau", "Đợi LÂU"])
def test_the_search_box_folds_d_with_stroke(served_reviews: str, words: str) -> None:
    for field in ("_search", "_search_body"):
        rows = get(f"{served_reviews}/reviews.json", **{field: words})
        assert {row["body"] for row in rows} == WAITING_BODIES, field
    canned = get(f"{served_reviews}/search_reviews.json", words=words)
    assert {row["body"] for row in canned} == WAITING_BODIES


def test_the_canned_search_without_words_answers_200(served_reviews: str) -> None:
    assert get(f"{served_reviews}/search_reviews.json", words="") == []
    assert get(f"{served_reviews}/search_reviews.json") == []
    assert status(f"{served_reviews}/search_reviews") == 200
    assert status(f"{served_reviews}/search_reviews?words=") == 200
