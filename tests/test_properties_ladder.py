"""Properties of the ladder: ``classify`` always answers with a rung, a confidence and evidence
quoted from the text; reply signatures keep their shape and find templated replies as a pairwise
comparison would, in any order.
"""

from __future__ import annotations

import json
import math
from typing import Any
from unicodedata import combining

import numpy as np
from hypothesis import example, given
from hypothesis import strategies as st

from analysis import replies
from analysis.ladder import classify
from analysis.tokens import _WORD, _nfc_with_origin, tokenize
from tests.conftest import budget
from tests.strategies import ANY_REVIEW_TEXT, NFC_REVIEW_TEXT, PHRASES

RATINGS = st.none() | st.floats(1, 5) | st.integers(1, 5) | st.sampled_from([math.nan, math.inf])
LANGS = st.none() | st.sampled_from(["vi", "en", "mixed", "fr", ""]) | st.text(max_size=3)


def assert_classification(text: str, rating: float | None, lang: str | None) -> None:
    result = classify(text, rating, lang)
    assert result.rung in range(1, 7)
    assert 0 <= result.confidence <= 1
    assert isinstance(result.conflict, bool)
    assert result.lang in ("vi", "en", "mixed")
    assert all(-1 <= polarity <= 1 for polarity in result.dimensions.values())
    for evidence in result.evidence:
        start, end = evidence.start, evidence.end
        assert 0 <= start <= end <= len(text)
        assert evidence.text == text[start:end]
        if start < end:  # a quote of whole words ("stars 5" quotes nothing)
            assert text[start].isalnum()
            # a word ends where letters end, or at a mark NFC cannot compose ("s" + U+0300)
            assert start == 0 or not text[start - 1].isalnum()
            assert end == len(text) or not text[end].isalnum() or combining(text[end - 1])
    json.dumps(result.as_json(), allow_nan=False)


@budget(300)
@given(text=NFC_REVIEW_TEXT, rating=RATINGS, lang=LANGS)
def test_classify_answers_within_its_ranges(
    text: str, rating: float | None, lang: str | None
) -> None:
    assert_classification(text, rating, lang)


@budget(200)
@given(text=ANY_REVIEW_TEXT, rating=RATINGS, lang=LANGS)
@example(text="nha\u0300 ha\u0300ng rất tệ", rating=1, lang=None)
def test_classify_quotes_evidence_from_any_text(
    text: str, rating: float | None, lang: str | None
) -> None:
    assert_classification(text, rating, lang)


@budget(200)
@given(text=ANY_REVIEW_TEXT)
@example(text="ab_ab ab, ab̀ab don’t")
def test_tokens_are_the_words_the_pattern_finds_in_order(text: str) -> None:
    normal, origin = _nfc_with_origin(text)
    expected = [
        m.span() if origin is None else (origin[m.start()][0], origin[m.end() - 1][1])
        for m in _WORD.finditer(normal)
    ]
    spans = list(dict.fromkeys((token.start, token.end) for token in tokenize(text)))
    assert spans == expected  # a teencode word that expands to two keeps one span


REPLY_TEXTS = st.lists(
    ANY_REVIEW_TEXT | st.sampled_from(["", "!!!", "Cảm ơn anh Minh đã ủng hộ quán"]), max_size=12
)


@budget(200)
@given(texts=REPLY_TEXTS)
def test_reply_signatures_have_their_shape_and_survive_storage(texts: list[str]) -> None:
    signatures = replies.signatures(texts)
    assert signatures.shape == (len(texts), replies.PERMUTATIONS)
    assert signatures.dtype == np.uint32
    flags = replies.templated(signatures)
    assert flags.shape == (len(texts),)
    assert flags.dtype == np.bool_
    assert np.array_equal(replies.from_blobs(replies.to_blobs(signatures)), signatures)
    for text, flag in zip(texts, flags, strict=True):
        if not replies.words(text):
            assert not flag  # a reply without words is never a template


@budget(200)
@given(
    texts=REPLY_TEXTS, copied=st.sampled_from(PHRASES) | ANY_REVIEW_TEXT, copies=st.integers(2, 4)
)
def test_identical_replies_are_templated(texts: list[str], copied: str, copies: int) -> None:
    flags = replies.templated(replies.signatures([*texts, *[copied] * copies]))
    assert all(flags[len(texts) :]) == bool(replies.words(copied))


def near_copies_by_brute_force(signatures: np.ndarray, threshold: float) -> list[bool]:
    """Every pair compared: equal signatures, or a shared band and enough equal values."""
    rows = replies.PERMUTATIONS // replies.BANDS
    found = [False] * len(signatures)
    pairs = [(i, j) for i in range(len(signatures)) for j in range(i + 1, len(signatures))]
    for i, j in pairs:
        a, b = signatures[i], signatures[j]
        if a[0] == replies._EMPTY or b[0] == replies._EMPTY:
            continue
        bands = any(
            np.array_equal(a[k * rows : (k + 1) * rows], b[k * rows : (k + 1) * rows])
            for k in range(replies.BANDS)
        )
        if np.array_equal(a, b) or (bands and (a == b).mean() >= threshold):
            found[i] = found[j] = True
    return found


@budget(200)
@given(
    texts=st.lists(
        st.lists(
            st.sampled_from(
                [
                    "cảm ơn",
                    "anh",
                    "Minh",
                    "đã",
                    "ủng hộ",
                    "quán",
                    "hẹn gặp lại",
                    "chị",
                    "Lan",
                    "!",
                    "thanks",
                    "for",
                    "visiting",
                    "we",
                    "hope",
                ]
            ),
            max_size=10,
        ).map(" ".join),
        max_size=10,
    ),
    order=st.randoms(use_true_random=False),
)
def test_templated_matches_pairwise_comparison_in_any_order(texts: list[str], order: Any) -> None:
    signatures = replies.signatures(texts)
    flags = replies.templated(signatures)
    assert list(flags) == near_copies_by_brute_force(signatures, replies.THRESHOLD)
    permutation = list(range(len(texts)))
    order.shuffle(permutation)
    shuffled = replies.templated(replies.signatures([texts[i] for i in permutation]))
    assert list(shuffled) == [flags[i] for i in permutation]
