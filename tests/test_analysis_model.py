"""The ladder's model: its solvers against what they must satisfy, its file, its training on
labelled reviews (deterministic, cross-validated honestly), and ``ladder train``."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from analysis.evaluate import evaluate, read_labels
from analysis.features import (
    DECISION_FEATURES,
    TEXT_FEATURES,
    WIDTH,
    decision_matrix,
    hashed_words,
    pair_column,
    word_columns,
)
from analysis.ladder import analysis_version, classify
from analysis.linear import SparseRows, fit_logistic, fit_ridge, fit_softmax, softmax
from analysis.model import ModelError, blank_model, default_model, load_model, read_model
from analysis.tokens import tokenize
from analysis.training import (
    Labelled,
    Row,
    StarReview,
    _calibration,
    _fit_word_heads,
    _head_targets,
    _held_out_heads,
    cross_validate,
    fit_labelled,
    fit_satisfaction,
    folds_of,
)
from scheduler.cli import cli
from tests.conftest import write_config

LABELS = Path(__file__).parent / "fixtures" / "ladder"
RNG = np.random.default_rng(3)


def test_ridge_solves_its_normal_equations() -> None:
    x = RNG.normal(size=(80, 6))
    y = x @ RNG.normal(size=6) + 0.5 + RNG.normal(size=80) * 0.1
    w, b = fit_ridge(x, y, 2.0)
    residual = x @ w + b - y
    np.testing.assert_allclose(x.T @ residual + 2.0 * w, 0, atol=1e-6)  # ∂/∂w
    assert abs(residual.sum()) < 1e-6  # ∂/∂b: the intercept is not penalised


def test_sparse_rows_are_the_dense_matrix_they_stand_for() -> None:
    rows = [[3, 1, 3], [0], [], [4, 2]]
    sparse = SparseRows.from_rows(rows, 5)
    dense = np.zeros((4, 5))
    for i, row in enumerate(rows):
        for column in set(row):
            dense[i, column] = 1 / np.sqrt(len(set(row)))
    v, u = RNG.normal(size=5), RNG.normal(size=4)
    np.testing.assert_allclose(sparse.dot(v), dense @ v)
    np.testing.assert_allclose(sparse.tdot(u), dense.T @ u)
    np.testing.assert_allclose(sparse.take([3, 0]).dot(v), (dense @ v)[[3, 0]])


def test_logistic_and_softmax_reach_their_optimum() -> None:
    x = RNG.normal(size=(120, 4))
    y = (x[:, 0] - x[:, 1] + RNG.normal(size=120) * 0.5 > 0).astype(float)
    w, b = fit_logistic(x, y, 1.0)
    p = 1 / (1 + np.exp(-(x @ w + b)))
    np.testing.assert_allclose(x.T @ (p - y) + w, 0, atol=1e-4)  # the gradient vanishes
    classes = np.digitize(x[:, 0], [-0.5, 0.5])
    weights, bias = fit_softmax(x, classes, 3, 1.0)
    predicted = np.argmax(x @ weights.T + bias, axis=1)
    assert (predicted == classes).mean() > 0.8


@pytest.fixture(scope="module")
def small_model() -> object:
    """A model fitted in a second on a few reviews written for these tests."""
    stars = [
        StarReview(text, rating, lang)
        for text, rating, lang in [
            ("rất tệ, thất vọng, không quay lại", 1, "vi"),
            ("tệ, giao sai, không hài lòng", 2, "vi"),
            ("bình thường, tạm được", 3, "vi"),
            ("tốt, hài lòng, sẽ quay lại", 4, "vi"),
            ("tuyệt vời, xuất sắc, rất hài lòng", 5, "vi"),
            ("terrible, rude, never again", 1, "en"),
            ("disappointing and slow", 2, "en"),
            ("it was okay, average", 3, "en"),
            ("good service, friendly staff", 4, "en"),
            ("amazing, loved it, highly recommend", 5, "en"),
        ]
        * 5
    ]
    satisfaction = fit_satisfaction(stars)
    items = read_labels(LABELS / "holdout.jsonl")
    return fit_labelled(items, replace(blank_model(), satisfaction=satisfaction))


def test_satisfaction_reads_words_in_each_language(small_model: object) -> None:
    model = small_model

    def stars(language: str, text: str) -> float:
        satisfaction, _, _ = model.read_many([language], [hashed_words(tokenize(text))], [[]])
        return satisfaction[0][0]

    assert stars("vi", "tuyệt vời") > stars("vi", "rất tệ")
    assert stars("en", "amazing") > stars("en", "terrible")


def test_a_negated_word_is_its_own_column_but_the_dimensions_read_it_plainly() -> None:
    (clean,), (clean_dimension,) = word_columns(tokenize("sạch"))
    words, dimensions = word_columns(tokenize("không sạch"))
    assert len(words) == 3
    assert words[1] != clean  # "sạch" in the scope of "không"
    assert len(dimensions) == 2  # "không" is a function word: left out
    assert dimensions[0] == clean_dimension
    assert dimensions[1] != words[2]  # the pair as written, not as negated
    assert pair_column(*tokenize("không sạch")) == dimensions[1]
    assert word_columns(tokenize("không. Sạch"))[0][1] == clean  # a new clause
    assert hashed_words(tokenize("không sạch")) == words


def test_a_model_file_reads_back_the_same(tmp_path: Path, small_model: object) -> None:
    path = tmp_path / "model.npz"
    small_model.save(path)
    again = load_model(str(path))
    for text, rating in [("Rất hài lòng, sẽ quay lại", 5), ("Terrible, I want a refund", 1)]:
        assert classify(text, rating, model=again) == classify(text, rating, model=small_model)
    assert again.digest != default_model().digest
    assert analysis_version(again) != analysis_version()  # a changed model reclassifies


def test_fitting_is_deterministic(small_model: object) -> None:
    items = read_labels(LABELS / "holdout.jsonl")
    again = fit_labelled(items, replace(small_model, info={}))
    np.testing.assert_array_equal(again.decision_weights, small_model.decision_weights)
    np.testing.assert_array_equal(again.text_decision_weights, small_model.text_decision_weights)
    np.testing.assert_array_equal(again.word_weights, small_model.word_weights)
    for name in ("trees", "text_trees"):
        np.testing.assert_array_equal(
            getattr(again, name).values, getattr(small_model, name).values
        )


def test_a_model_file_keeps_every_part(tmp_path: Path, small_model: object) -> None:
    path = tmp_path / "model.npz"
    small_model.save(path)
    again = load_model(str(path))
    for name in (
        "word_weights",
        "word_bias",
        "decision_weights",
        "text_decision_weights",
        "calibration",
    ):
        np.testing.assert_allclose(getattr(again, name), getattr(small_model, name), rtol=1e-6)
    assert np.abs(again.word_weights).sum() > 0  # the labelled words' heads were fitted
    for name in ("trees", "text_trees"):
        kept, fitted = getattr(again, name), getattr(small_model, name)
        for part in ("features", "thresholds", "values", "bias"):
            np.testing.assert_array_equal(getattr(kept, part), getattr(fitted, part))
        assert np.abs(fitted.values).sum() > 0  # the trees were fitted


def test_a_decision_averages_the_regression_with_its_trees(small_model: object) -> None:
    x = np.array([0.5] * len(DECISION_FEATURES))
    alone = replace(small_model, trees=None)
    regression = alone.rung_probabilities(x)
    trees = softmax(small_model.trees.scores(x))[0]
    np.testing.assert_allclose(small_model.rung_probabilities(x), (regression + trees) / 2)
    assert not np.allclose(regression, trees)


def test_a_model_written_before_the_trees_is_read_without_them(
    tmp_path: Path, small_model: object
) -> None:
    """A format 2 file (no trees) still reads: its decisions are the regressions alone."""
    path = tmp_path / "model.npz"
    small_model.save(path)
    with np.load(path) as arrays:
        kept = {name: arrays[name] for name in arrays.files if "trees" not in name}
    header = json.loads(kept["header"].tobytes().decode())
    kept["header"] = np.frombuffer(json.dumps({**header, "format": 2}).encode(), dtype=np.uint8)
    np.savez(path, **kept)
    old = load_model(str(path))
    assert old.trees is None
    assert old.text_trees is None
    text = "Nhân viên nhiệt tình, đồ ăn ngon"
    plain = replace(small_model, trees=None, text_trees=None)
    assert (
        classify(text, 4, model=old).probabilities == classify(text, 4, model=plain).probabilities
    )
    header["format"] = 1
    kept["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(path, **kept)
    with pytest.raises(ModelError, match="format 1, this version reads formats 2, 3"):
        read_model(path.read_bytes(), str(path))


def test_the_decision_learns_from_held_out_word_heads() -> None:
    """Each review's words' heads, as the decision is fitted on them, come from heads that never
    saw that review: a word found in one review only says nothing of its rung there."""
    words = SparseRows.from_rows([[index] for index in range(40)], 64)  # one word each
    targets = np.array([_head_targets(1 + index % 5) for index in range(40)])
    rungs = [Labelled("", 1 + index % 5) for index in range(40)]
    held = _held_out_heads(words, targets, np.ones(40), folds_of(rungs, 5))
    fitted, bias = _fit_word_heads(words, targets, np.ones(40))
    in_sample = np.column_stack([words.dot(fitted[:, k]) for k in range(3)]) + bias
    # in sample, a unique word recalls its own rung; held out, it knows only the others' mean
    assert np.corrcoef(in_sample[:, 0], targets[:, 0])[0, 1] > 0.9
    assert np.corrcoef(held[:, 0], targets[:, 0])[0, 1] < 0.3
    assert np.abs(held[:, 0] - 3).max() < 0.5  # the other folds' mean rung


def test_confidence_is_how_often_held_out_decisions_were_right() -> None:
    """Labels that no feature predicts: a decision fitted on them is sure of itself in sample and
    right one time in five held out; its confidence must say the second."""
    rng = np.random.default_rng(11)
    rows = [Row(rng.normal(size=40), int(rng.integers(1, 6)), 1.0, None) for _ in range(300)]
    a, b = _calibration(rows, 0.01)
    model = replace(blank_model(), calibration=np.array([[a, b], [a, b]]))
    assert model.calibrated(0.95, stars=False) < 0.4
    assert blank_model().calibrated(0.95, stars=False) == pytest.approx(0.95)


def test_classify_says_the_calibrated_confidence(small_model: object) -> None:
    text = "Nhân viên nhiệt tình, đồ ăn ngon"
    raw = replace(small_model, calibration=np.array([[0.0, 1.0], [0.0, 1.0]]))
    found, plain = classify(text, 4, model=small_model), classify(text, 4, model=raw)
    assert found.rung == plain.rung
    chance = plain.probabilities[plain.rung - 1]
    assert found.confidence == round(small_model.calibrated(chance, stars=True), 2)


def test_a_review_without_stars_is_decided_by_the_text_decision(small_model: object) -> None:
    text = "Nhân viên nhiệt tình, sẽ quay lại"
    found = classify(text, None, model=small_model)
    # the same text with stars is decided by the other decision: swapping them changes it
    swapped = replace(
        small_model,
        text_decision_weights=small_model.decision_weights,
        text_decision_bias=small_model.decision_bias,
        text_feature_mean=small_model.feature_mean,
        text_feature_scale=small_model.feature_scale,
        text_trees=small_model.trees,
    )
    assert classify(text, None, model=swapped).probabilities != found.probabilities
    assert (
        classify(text, 4, model=swapped).probabilities
        == classify(text, 4, model=small_model).probabilities
    )


def test_a_broken_model_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    path.write_bytes(b"not a model")
    with pytest.raises(ModelError, match=r"model\.npz: not a ladder model"):
        read_model(path.read_bytes(), str(path))


def test_cross_validation_never_predicts_a_line_it_was_fitted_on(small_model: object) -> None:
    items = read_labels(LABELS / "holdout.jsonl")
    assignment = folds_of(items, 5)
    assert sorted(set(assignment)) == [0, 1, 2, 3, 4]
    for rung in {item.rung for item in items}:  # stratified: each fold holds every rung
        folds = {f for item, f in zip(items, assignment, strict=True) if item.rung == rung}
        assert len(folds) == min(5, sum(item.rung == rung for item in items))
    # a line that only its own fold holds is predicted by a model that never saw it: a label
    # nobody could guess (a rung-1 line written as praise) is missed
    odd = Labelled("Tuyệt vời, rất hài lòng, sẽ quay lại", 1, 5.0, "vi")
    predictions = cross_validate([*items, odd], small_model, folds=5)
    assert predictions[-1].rung != 1


def test_evaluate_cross_validates_what_the_model_was_fitted_on(small_model: object) -> None:
    items = read_labels(LABELS / "holdout.jsonl")
    assert all(small_model.trained_on(item.text) for item in items)
    evaluation = evaluate(items, small_model)
    assert evaluation.cross_validated == 5
    fresh = [Labelled("Một câu chưa ai thấy, rất hài lòng", 4, 4.0, "vi")]
    assert evaluate(fresh, small_model).cross_validated == 0


def test_every_decision_feature_has_a_name_and_a_weight() -> None:
    model = default_model()
    assert model.decision_weights.shape == (5, len(DECISION_FEATURES))
    assert model.text_decision_weights.shape == (5, len(DECISION_FEATURES))
    assert len(set(DECISION_FEATURES)) == len(DECISION_FEATURES)
    assert model.dimension_weights.shape[0] == WIDTH


def test_each_decision_feature_is_the_quantity_it_names() -> None:
    text = np.arange(1, len(TEXT_FEATURES) + 1, dtype=np.float64)
    named = dict(zip(TEXT_FEATURES, text, strict=True))
    heads = [0.5, 0.25, 0.125]
    rows = decision_matrix(
        np.array([text, text, text]), [1, 5, None], np.array([heads] * 3), [True, False, True]
    )
    one_star, five_stars, no_stars = (
        dict(zip(DECISION_FEATURES, row, strict=True)) for row in rows
    )
    assert one_star["labelled words: rung 1"] == 0.25
    assert (one_star["stars=1"], one_star["stars=5"], one_star["no stars"]) == (1, 0, 0)
    assert one_star["stars=1 × anger"] == named["anger"]
    assert one_star["stars=5 × enthuse"] == 0
    assert one_star["English × stars=1 × anger"] == named["anger"]
    assert (one_star["English"], one_star["English × stars=1"]) == (1, 1)
    assert five_stars["stars=5 × enthuse"] == named["enthuse"]
    assert not any(v for k, v in five_stars.items() if k.startswith("English"))  # Vietnamese
    assert no_stars["no stars × rung 1 cues"] == named["rung 1 cues"]
    assert no_stars["English × no stars"] == 1
    assert no_stars["English × stars=5 × enthuse"] == 0


def test_ladder_train_writes_a_model_the_config_uses(tmp_path: Path) -> None:
    labels = tmp_path / "labels.jsonl"
    source = (LABELS / "holdout.jsonl").read_text(encoding="utf-8").splitlines()
    labels.write_text("\n".join(source[:80]) + "\n", encoding="utf-8")
    stars = tmp_path / "stars.jsonl"
    stars.write_text(
        "\n".join(
            json.dumps({"text": text, "rating": rating, "lang": "vi"}, ensure_ascii=False)
            for text, rating in [("rất tệ", 1), ("tạm được", 3), ("tuyệt vời", 5)] * 10
        )
        + "\n",
        encoding="utf-8",
    )
    config = write_config(tmp_path, {"Ours": ["https://example.com/r"]})
    result = CliRunner().invoke(
        cli, ["--config", str(config), "train", str(labels), "--stars", str(stars)]
    )
    assert result.exit_code == 0, result.output
    written = tmp_path / "ladder-model.npz"
    assert written.exists()
    assert "the new model" in result.output
    assert "cross-validated" in result.output
    config.write_text(
        config.read_text(encoding="utf-8") + '\n[analysis]\nmodel = "ladder-model.npz"\n',
        encoding="utf-8",
    )
    line = json.dumps({"text": "rất tệ", "rating": 1}, ensure_ascii=False)
    classified = CliRunner().invoke(cli, ["--config", str(config), "classify", "-"], input=line)
    assert classified.exit_code == 0, classified.output
    config.write_text(config.read_text(encoding="utf-8").replace("ladder-model", "missing"))
    missing = CliRunner().invoke(cli, ["--config", str(config), "classify", "-"], input=line)
    assert missing.exit_code == 1
    assert "no such model file" in missing.output


def test_labels_with_an_unknown_dimension_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text('{"text": "ok", "rung": 3, "dimensions": ["speed"]}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["evaluate", str(path)])
    assert result.exit_code == 1
    assert "labels.jsonl:1" in result.output
