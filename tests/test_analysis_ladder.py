"""One review → one rung: cues in both languages, stars, negation, sarcasm, conflicts."""

from __future__ import annotations

import gc
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from analysis.evaluate import evaluate, quadratic_kappa, read_labels, score
from analysis.features import pair_column, word_columns
from analysis.ladder import (
    _rung_evidence,
    classify,
    classify_line,
    classify_many,
    dimension_rung,
)
from analysis.model import LadderModel, default_model
from analysis.reading import read
from analysis.tokens import tokenize
from analysis.vocabulary import DIMENSIONS
from scheduler.cli import cli

LABELS = Path(__file__).parent / "fixtures" / "ladder"


@pytest.mark.parametrize(
    ("text", "rung"),
    [
        ("Bất ngờ đầu tiên: chưa bao giờ được phục vụ như vậy, nhớ mãi, gặp ai cũng kể", 6),
        ("Nhân viên thái độ như hạch, tôi đã phản ánh với quản lý và đòi hoàn tiền", 1),
        ("Hơi thất vọng, chắc không quay lại lần hai", 2),
        ("Vượt mong đợi, sẽ giới thiệu cho bạn bè", 5),
        ("Rất hài lòng, chắc chắn sẽ quay lại", 4),
        ("Bình thường, không có gì đặc biệt, được cái gần nhà", 3),
        ("Blown away. The best experience of my life, I tell everyone about them", 6),
        ("Rude and unprofessional. I want a refund and I will report you", 1),
        ("Very disappointing, we won't be back", 2),
        ("Exceeded my expectations, highly recommend", 5),
        ("Friendly staff, exactly what I wanted, will be back", 4),
        ("It was okay, nothing special, only because it's close", 3),
    ],
)
def test_each_rung_in_each_language_from_text_alone(text: str, rung: int) -> None:
    assert classify(text).rung == rung


@pytest.mark.parametrize(
    ("text", "rung"),
    [
        ("khong bao gio quay lai quan nay", 2),  # typed without marks
        ("sẽ ko quay lại nữa", 2),  # teencode
        ("vuot mong doi, se gioi thieu cho ban be", 5),
        ("Phục vụ nhanh, hoà nhã, rất hài lòng", 4),  # old tone placement
    ],
)
def test_vietnamese_typed_any_way(text: str, rung: int) -> None:
    assert classify(text).rung == rung


@pytest.mark.parametrize(
    ("text", "rung", "signal"),
    [
        ("Không tệ, giá ổn", 3, "rung 3"),
        ("Not bad, not great", 3, "rung 3"),
        ("Sẽ không quay lại", 2, "rung 2"),
        ("Tôi không quay lại đâu", 2, "negated rung 4 → 2"),
        ("Never disappointed here", 4, "negated rung 2 → 4"),
        ("Cô ấy không hài lòng", 2, "rung 2"),
    ],
)
def test_negation(text: str, rung: int, signal: str) -> None:
    result = classify(text)
    assert result.rung == rung
    assert signal in [e.signal for e in result.evidence]


def test_negation_stops_at_the_end_of_a_clause() -> None:
    assert classify("Không! Sẽ quay lại").rung == 4
    assert classify("Đồ ăn không ngon nhưng nhân viên nhiệt tình, sẽ quay lại").rung == 4


@pytest.mark.parametrize(
    "text",
    ["Great, only waited 2 hours for a coffee.", "Tuyệt vời, đợi có 2 tiếng đồng hồ mới có món."],
)
def test_sarcasm_next_to_a_complaint_is_negative(text: str) -> None:
    result = classify(text)
    assert result.rung == 2
    assert "sarcasm" in [e.signal for e in result.evidence]


def test_praise_without_a_complaint_is_not_sarcasm() -> None:
    result = classify("Tuyệt vời! Sẽ quay lại ủng hộ")
    assert result.rung in (4, 5)
    assert "sarcasm" not in [e.signal for e in result.evidence]


@pytest.mark.parametrize(("stars", "rungs"), [(1, {2}), (2, {2, 3}), (3, {3}), (4, {4}), (5, {4})])
def test_stars_are_the_prior_when_the_text_says_nothing(stars: int, rungs: set[int]) -> None:
    # One star without a demand, an accusation or anger is a quiet exit (rung 2), as careful
    # readers place it; five stars without more than satisfaction is Good.
    result = classify("Đã ăn ở đây.", stars)
    assert result.rung in rungs
    assert not result.conflict


def test_rung_six_is_never_given_from_stars_alone_nor_against_low_stars() -> None:
    assert classify("Great food", 5).rung in (4, 5)
    assert classify("Unbelievable, never forget", 2).rung != 6


def test_text_and_stars_two_rungs_apart_is_a_conflict() -> None:
    result = classify("Great, will be back!", 1)
    assert result.rung <= 3  # the text moves a review at most one rung past its stars
    assert result.conflict
    assert result.confidence <= 0.35
    agreeing = classify("Great, will be back!", 4)
    assert not agreeing.conflict
    assert agreeing.confidence > result.confidence


def test_evidence_quotes_the_text_exactly() -> None:
    text = "Quán đẹp. Nhưng nv ko nhiệt tình, SẼ KHÔNG QUAY LẠI!"
    result = classify(text)
    assert result.rung == 2
    for evidence in result.evidence:
        if evidence.text:
            assert text[evidence.start : evidence.end] == evidence.text
    assert "SẼ KHÔNG QUAY LẠI" in [e.text for e in result.evidence]


def test_dimensions_with_polarity() -> None:
    result = classify("Không gian sạch sẽ nhưng đợi lâu, gọi không ai nghe")
    assert result.dimensions["tangibles"] > 0
    assert result.dimensions["responsiveness"] < 0
    english = classify("The staff were rude but the place is spotless")
    assert english.dimensions == {"assurance": -1.0, "tangibles": 1.0}


def test_a_lone_word_on_a_dimension_the_model_rules_out_is_not_a_remark() -> None:
    model = default_model()
    ruled_out = replace(
        model,
        dimension_weights=np.zeros_like(model.dimension_weights),
        dimension_bias=np.full_like(model.dimension_bias, -10.0),  # P ≈ 0 for every dimension
        dimension_floor=0.1,
    )
    text = "Phòng bẩn, gọi không ai nghe"  # "bẩn": one word; "gọi không ai nghe": a phrase
    kept = classify(text, 2, model=replace(ruled_out, dimension_floor=0.0))
    assert set(kept.dimensions) == {"tangibles", "responsiveness"}
    found = classify(text, 2, model=ruled_out)
    assert set(found.dimensions) == {"responsiveness"}
    assert [e.text for e in found.evidence if e.signal.startswith("tangibles")] == []
    assert "gọi không ai nghe" in [e.text for e in found.evidence]
    effort = classify("Gọi mấy lần không ai nghe", 2, model=ruled_out)  # customer effort
    assert effort.dimensions == {"responsiveness": -1.0}


def _only_assurance(pair_weight: float) -> LadderModel:
    """A model sure that every review speaks of assurance, whose strongest word for it is "viên"
    (1.0), and the pair "nhân viên" ``pair_weight``."""
    model = default_model()
    weights = np.zeros_like(model.dimension_weights)
    bias = np.full_like(model.dimension_bias, -10.0)
    assurance = DIMENSIONS.index("assurance")
    bias[assurance] = 10.0
    tokens = tokenize("nhân viên")
    weights[word_columns(tokens)[0][1], assurance] = 1.0
    weights[pair_column(tokens[0], tokens[1]), assurance] = pair_weight
    return replace(model, dimension_weights=weights, dimension_bias=bias)


def test_a_dimension_the_model_finds_is_quoted_with_its_word_pair() -> None:
    def quoted(text: str, model: LadderModel) -> list[str]:
        result = classify(text, 3, model=model)
        return [e.text for e in result.evidence if e.signal.startswith("assurance")]

    assert quoted("Hôm nay nhân viên đến", _only_assurance(0.6)) == ["nhân viên"]
    assert quoted("Hôm nay nhân viên đến", _only_assurance(0.4)) == ["viên"]  # the pair says less
    assert quoted("Hôm nay nhân, viên đến", _only_assurance(0.6)) == ["viên"]  # not across a comma
    numbered = _only_assurance(0.6)
    numbered.dimension_weights[word_columns(tokenize("1"))[0][0], DIMENSIONS.index("assurance")] = 2
    assert quoted("Hôm nay 1 nhân viên đến", numbered) == ["nhân viên"]  # never a number alone


def test_a_rung_without_a_cue_of_its_own_quotes_the_nearest_cues() -> None:
    reading = read("I bought it for my son and it is awesome", 5)
    assert [(e.text, e.signal) for e in _rung_evidence(reading, 4)] == [
        ("awesome", "weak 5"),
        ("", "stars 5"),
    ]
    both = read("Disappointing starters, great dessert")  # a cue a rung either side of Normal
    assert {e.text for e in _rung_evidence(both, 3)} == {"Disappointing", "great"}
    nearer = read("Terrible delivery, awesome food")  # Basic (harsh) is nearer than Surprising
    assert [e.text for e in _rung_evidence(nearer, 3)] == ["Terrible"]
    assert [e.text for e in _rung_evidence(read("We went on Tuesday"), 3)] == []


def test_classifying_leaves_the_garbage_collector_as_it_found_it() -> None:
    assert gc.isenabled()
    classify_many([("Phục vụ chậm", 2, None), ("Great", 5, None)])
    assert gc.isenabled()
    with pytest.raises(TypeError):
        classify_many([(None, 2, None), (3, 2, None)])  # type: ignore[list-item]
    assert gc.isenabled()
    gc.disable()
    try:
        classify_many([("Phục vụ chậm", 2, None)])
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_word_typed_with_marks_matches_only_itself() -> None:
    # "thời gian" (time) is not "gián" (cockroach); typed without marks it could be either
    assert "tangibles" not in classify("thời gian mình quý lắm").dimensions


def test_dimension_rungs_follow_the_remark() -> None:
    assert dimension_rung(2, +1.0) == 4  # praise inside a poor review
    assert dimension_rung(5, -1.0) == 3  # a complaint inside a good one
    assert dimension_rung(5, +1.0) == 5
    assert dimension_rung(1, -1.0) == 1


def test_classify_line_adds_fields_and_reports_errors() -> None:
    line = json.dumps({"text": "Rất thất vọng", "rating": 2, "id": 7}, ensure_ascii=False)
    result = classify_line(line, 1)
    assert (result["id"], result["rung"], result["conflict"]) == (7, 2, False)
    assert {"confidence", "evidence", "dimensions"} <= set(result)
    assert "error" in classify_line("{not json", 2)
    assert "error" in classify_line('{"text": "ok", "rating": 9}', 3)
    assert "error" in classify_line('{"rating": 3}', 4)


def test_ladder_classify_streams_json_lines_in_order() -> None:
    lines = [
        {"text": "Tuyệt vời, vượt mong đợi, sẽ giới thiệu cho bạn bè", "rating": 5},
        {"text": "Worst service ever"},
        {"text": "bình thường", "lang": "vi"},
    ]
    stdin = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n"
    result = CliRunner().invoke(cli, ["classify", "-"], input=stdin)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [row["rung"] for row in rows] == [5, 2, 3]  # "worst" without a demand: rung 2
    assert [row["text"] for row in rows] == [line["text"] for line in lines]
    bad = CliRunner().invoke(cli, ["classify", "-"], input='{"text": "ok"}\nnot json\n')
    assert bad.exit_code == 1
    assert len(bad.output.strip().splitlines()) == 3  # two lines, then the error message


def test_ladder_classify_writes_one_line_per_input_line() -> None:
    """A blank line is answered too (not classified, not an error): outputs pair with inputs."""
    stdin = '{"text": "Rất ngon"}\n\n   \n{"text": "Dở tệ", "rating": 1}\n'
    result = CliRunner().invoke(cli, ["classify", "-"], input=stdin)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 4
    assert rows[1] == {"line": 2, "skipped": "blank line"}
    assert rows[2] == {"line": 3, "skipped": "blank line"}
    assert [rows[0]["text"], rows[3]["text"]] == ["Rất ngon", "Dở tệ"]
    assert all("rung" in rows[i] for i in (0, 3))


def test_metrics_against_hand_worked_numbers() -> None:
    perfect = score([1, 2, 3, 4], [1, 2, 3, 4])
    assert (perfect.exact, perfect.within_one, perfect.macro_f1, perfect.kappa) == (1, 1, 1, 1)
    off_by_one = score([1, 2, 3, 4], [2, 3, 4, 5])
    assert (off_by_one.exact, off_by_one.within_one) == (0, 1)
    # By hand, weights (i − j)²/25: observed disagreement 4 · 1/25 = 0.16; chance: every gold rung
    # 1–4 meets every predicted rung 2–5 a quarter of the time, Σ(i − j)² = 56, so 56/25/4 = 0.56;
    # kappa = 1 − 0.16/0.56.
    assert quadratic_kappa([1, 2, 3, 4], [2, 3, 4, 5]) == pytest.approx(1 - 0.16 / 0.56)


def test_the_ladder_beats_both_baselines_on_reviews_it_never_saw() -> None:
    evaluation = evaluate(read_labels(LABELS / "holdout.jsonl"))
    assert evaluation.cross_validated == 0  # the model was not fitted on these lines
    rows = {(row.method, row.subset): row.scores for row in evaluation.rows}
    ladder, stars = rows["ladder, text + stars", "rated"], rows["stars alone", "rated"]
    assert ladder.exact > stars.exact
    assert ladder.kappa > stars.kappa
    english, vader = rows["ladder, text only", "English"], rows["VADER", "English"]
    assert english.exact > vader.exact
    assert english.kappa > vader.kappa


def test_ladder_evaluate_prints_the_table() -> None:
    result = CliRunner().invoke(cli, ["evaluate", str(LABELS / "holdout.jsonl")])
    assert result.exit_code == 0, result.output
    for method in ("ladder", "stars alone", "VADER"):
        assert method in result.output


def test_a_negated_remark_is_quoted_with_its_negator() -> None:
    result = classify("Phục vụ nhanh, không sai món nào", 5)
    quoted = {e.text: e.signal for e in result.evidence}
    assert quoted.get("không sai món") == "reliability +"
    assert "sai món" not in quoted  # a quote never says the opposite of the review


def test_warmth_is_never_an_assurance_complaint() -> None:
    result = classify("Nhân viên nhiệt tình, thái độ nhiệt tình")
    assert result.dimensions["assurance"] > 0
    assert not [e for e in result.evidence if e.signal == "assurance −"]


def test_shorthand_without_marks_is_read() -> None:
    result = classify("nv ko nhiet tinh… se ko quay lai")
    assert result.rung == 2
    signals = {e.text: e.signal for e in result.evidence}
    assert signals["se ko quay lai"] == "rung 2"
    assert result.dimensions.get("assurance", 0) < 0


def test_a_quote_never_starts_inside_a_word_of_another_script() -> None:
    text = "chiều kháchक़0 sao"
    for evidence in classify(text).evidence:
        if evidence.text:
            assert evidence.start == 0 or not text[evidence.start - 1].isalnum()


def test_many_at_once_is_one_at_a_time() -> None:
    reviews = [
        ("Rất hài lòng, sẽ quay lại", 5.0, None),
        ("Worst service ever, I want a refund", 1.0, "en"),
        ("", None, None),
        ("bình thường", None, "vi"),
    ]
    together = classify_many(reviews)
    alone = [classify(text, rating, lang) for text, rating, lang in reviews]
    assert together == alone
