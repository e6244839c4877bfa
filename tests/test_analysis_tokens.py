"""Normalisation: tone placement, unaccented typing, teencode, English contractions, language."""

from __future__ import annotations

import pytest

from analysis import tokens
from analysis.tokens import detect_language, fingerprint, fold, tokenize, word_keys


@pytest.mark.parametrize(
    ("old", "new"),
    [("hoà", "hòa"), ("thuý", "thúy"), ("khoẻ", "khỏe"), ("loà", "lòa"), ("quý", "quý")],
)
def test_both_tone_placements_are_one_word(old: str, new: str) -> None:
    assert word_keys(old)[0] == word_keys(new)[0]


def test_decomposed_and_composed_text_agree() -> None:
    composed = tokenize("Sẽ quay lại")
    decomposed = tokenize("Se\u0303 quay la\u0323i")
    assert [t.canon for t in composed] == [t.canon for t in decomposed]


def test_marks_are_kept_apart_from_the_letters() -> None:
    canon, folded, marked = word_keys("được")
    assert (canon, folded, marked) == ("đươc5", "duoc", True)
    assert word_keys("tệ")[0] != word_keys("tê")[0]  # bad is not numb
    assert word_keys("ngon") == ("ngon", "ngon", False)


def test_unaccented_text_folds_to_the_same_letters() -> None:
    assert fold("Không bao giờ quay lại!") == fold("khong bao gio quay lai")


@pytest.mark.parametrize(
    ("teencode", "meaning"),
    [
        ("ko ngon", "không ngon"),
        ("k thích", "không thích"),
        ("hông đc", "không được"),
        ("dc lắm", "được lắm"),
        ("nv dễ thương", "nhân viên dễ thương"),
        ("sp bt", "sản phẩm bình thường"),
        ("hỏi j cũng ko bik", "hỏi gì cũng không biết"),
    ],
)
def test_teencode_is_expanded(teencode: str, meaning: str) -> None:
    assert [t.canon for t in tokenize(teencode)] == [t.canon for t in tokenize(meaning)]


def test_expanded_words_keep_the_span_they_came_from() -> None:
    text = "nv ok"
    first, second, third = tokenize(text)
    assert (first.canon, second.canon) == ("nhân", "viên")
    assert text[first.start : first.end] == text[second.start : second.end] == "nv"
    assert text[third.start : third.end] == "ok"


def test_english_contractions_keep_their_negation() -> None:
    assert [t.canon for t in tokenize("We won't be back, didn't care")] == [
        "we", "will", "not", "be", "back", "did", "not", "care",
    ]  # fmt: skip
    assert [t.canon for t in tokenize("I’m sure")] == ["i", "sure"]


def test_amounts_are_not_teencode() -> None:
    assert tokenize("50k một ly")[0].canon == "50k"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Nhân viên nhiệt tình, đồ ăn ngon", "vi"),
        ("nhan vien nhiet tinh, do an ngon, se quay lai", "vi"),
        ("The staff were friendly and the food was great", "en"),
        ("Quán đẹp, nhân viên nice, the coffee is really good and we will be back", "mixed"),
        ("", "en"),
    ],
)
def test_language_detection(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_fingerprints_ignore_case_marks_punctuation_and_numbers() -> None:
    a = fingerprint("Quán này quá tệ, đợi 45 phút mới có món!!!")
    b = fingerprint("quan nay qua te doi 30 phut moi co mon")
    assert a is not None
    assert a == b
    assert fingerprint("Ngon lắm") is None  # short texts repeat naturally
    assert a != fingerprint("Quán này quá tệ, đợi 45 phút mới có nước!!!")


def test_the_words_kept_for_the_process_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "_KEYS", {})
    monkeypatch.setattr(tokens, "_KEYS_KEPT", 3)
    text = "một hai ba bốn năm sáu bảy"
    first = tokenize(text)
    assert len(tokens._KEYS) <= 3
    assert tokenize(text) == first  # read the same whatever was kept
