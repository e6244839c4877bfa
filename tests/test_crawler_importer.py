"""`ladder import`: CSV, JSON lines and Google exports, stored like crawled reviews."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from crawler.importer import import_reviews
from db.exceptions import ImportFailed
from scheduler.cli import cli
from tests.conftest import write_config

CSV = """Mã,Khách hàng,Số sao,Nội dung,Ngày,Phản hồi
r1,Nguyễn An,5,"Nhân viên nhiệt tình, sẽ quay lại",12/11/2026,Cảm ơn anh!
r2,Bình,1,Giao sai món rồi còn cãi,13/11/2026,
r3,Chi,4,,14/11/2026,
r4,Dũng,9,Điểm lạ,14/11/2026,
r5,Én,3,Ngày không rõ,không rõ,
"""


def test_csv_with_vietnamese_headers(tmp_path: Path, db: Database) -> None:
    path = tmp_path / "export.csv"
    path.write_text(CSV, encoding="utf-8")
    result = import_reviews(db, path, business="Mộc", label="google", salt="s")
    assert result.columns == {
        "text": "Nội dung", "rating": "Số sao", "date": "Ngày", "author": "Khách hàng",
        "reply": "Phản hồi", "id": "Mã",
    }  # fmt: skip
    assert (result.rows, result.new) == (5, 4)
    assert dict(result.dropped) == {"rating_out_of_range": 1}
    rows = {row["native_id"]: row for row in db["reviews"].rows}
    assert rows["r5"]["date_precision"] == "estimated"  # no readable date: kept, dated on import
    assert rows["r1"]["reply_body"] == "Cảm ơn anh!"
    assert rows["r1"]["published_at"] == "2026-11-12T00:00:00Z"
    assert rows["r3"]["body"] is None  # a rating alone is a review
    assert "Nguyễn" not in json.dumps(list(db["reviews"].rows), ensure_ascii=False)
    (source,) = db["sources"].rows
    assert (source["kind"], source["url"]) == ("import", "import:google")
    (run,) = db["crawl_runs"].rows
    assert (run["reviews_parsed"], run["reviews_new"], run["dropped"], run["ok"]) == (5, 4, 1, 1)

    again = import_reviews(db, path, business="Mộc", label="google", salt="s")
    assert (again.new, again.unchanged) == (0, 4)  # the undated one too: its key has no date
    assert db["reviews"].count == 4


def test_json_lines_with_a_mapping(tmp_path: Path, db: Database) -> None:
    path = tmp_path / "zalo.jsonl"
    lines = [
        {"noi_dung": "Quán sạch sẽ", "sao": 5, "luc": "2026-11-10T08:00:00+07:00"},
        {"noi_dung": "Đợi lâu quá", "sao": 2, "luc": "2026-11-11T09:00:00+07:00"},
    ]
    path.write_text(
        "\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8"
    )
    result = import_reviews(
        db,
        path,
        business="Mộc",
        label="zalo",
        mapping={"text": "noi_dung", "rating": "sao", "date": "luc"},
    )
    assert result.new == 2
    assert {row["body"] for row in db["reviews"].rows} == {"Quán sạch sẽ", "Đợi lâu quá"}


def test_a_google_business_profile_export(tmp_path: Path, db: Database) -> None:
    export = {
        "reviews": [
            {
                "reviewId": "g1",
                "reviewer": {"displayName": "A Person"},
                "starRating": "FOUR",
                "comment": "Good coffee, friendly staff",
                "createTime": "2026-11-01T10:00:00Z",
                "reviewReply": {"comment": "Thanks!", "updateTime": "2026-11-02T10:00:00Z"},
            },
            {"reviewId": "g2", "starRating": "ONE", "createTime": "2026-11-03T10:00:00Z"},
        ]
    }
    path = tmp_path / "reviews.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    result = import_reviews(db, path, business="Mộc", label="google")
    assert result.new == 2
    rows = {row["native_id"]: row for row in db["reviews"].rows}
    assert (rows["g1"]["rating"], rows["g1"]["reply_body"], rows["g1"]["replied_at"]) == (
        4.0, "Thanks!", "2026-11-02T10:00:00Z",
    )  # fmt: skip
    assert rows["g2"]["rating"] == 1.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("a,b\n1,2\n", "neither a text nor a rating column"),
        ("text,rating\nok,5\n", "no date column"),
        ("[1, 2", "not valid JSON"),
    ],
)
def test_files_that_cannot_be_imported_say_why(
    tmp_path: Path, db: Database, content: str, message: str
) -> None:
    path = tmp_path / ("x.json" if content.startswith("[") else "x.csv")
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportFailed, match=message):
        import_reviews(db, path, business="Mộc", label="x")


def test_ladder_import_command(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"Mộc": ["https://moc.example/r"]})
    path = tmp_path / "export.csv"
    path.write_text(CSV, encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["--config", str(config), "import", str(path), "--business", "Mộc", "--source", "google"],
    )
    assert result.exit_code == 0, result.output
    assert "Read 5 rows" in result.output
    assert "4 new" in result.output  # r5 has no readable date: kept, dated on import
    # the reasons in words, not a Python dict
    assert "1 dropped (rating out of range 1)" in result.output
    assert "{" not in result.output
    unknown = CliRunner().invoke(
        cli, ["--config", str(config), "import", str(path), "--business", "Nobody", "--source", "g"]
    )
    assert unknown.exit_code == 1  # a name that is not there: an error the message explains
    assert "no business named 'Nobody'" in unknown.output
    bad_map = CliRunner().invoke(
        cli,
        [
            "--config",
            str(config),
            "import",
            str(path),
            "--business",
            "Mộc",
            "--source",
            "g",
            "--map",
            "colour=x",
        ],
    )
    assert bad_map.exit_code == 1
    assert "cannot map colour" in bad_map.output
