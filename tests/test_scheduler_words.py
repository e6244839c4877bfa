"""What the terminal says in the configured language: phrases, segment names and numbers."""

from __future__ import annotations

import pytest

from scheduler.words import WORDS, Number, localised, segment_name, words


@pytest.mark.parametrize(
    ("value", "spec", "language", "shown"),
    [
        (3.386, ".2f", "vi", "3,39"),
        (3.386, ".2f", "en", "3.39"),
        (-0.004, "+.2f", "en", "+0.00"),  # rounds to zero: never "-0.00"
        (-0.004, "+.2f", "vi", "+0,00"),
        (-0.004, ".2f", "vi", "0,00"),
        (-0.3, ".0f", "en", "0"),
        (-0.62, "+.2f", "vi", "-0,62"),
        (-10.004, ".2f", "en", "-10.00"),
        (300000.0, ",.0f", "vi", "300.000"),
        (300000.0, ",.0f", "en", "300,000"),
        (0.305, ".0%", "vi", "30%"),
    ],
)
def test_numbers_are_written_as_the_language_writes_them(
    value: float, spec: str, language: str, shown: str
) -> None:
    assert format(Number(value, language), spec) == shown


def test_phrases_format_their_numbers_in_the_language() -> None:
    line = words("vi")["classified"].format(
        **localised("vi", n=3, version="v", weeks=16, first="2026-W33", last="2026-W48", floods="")
    )
    assert line.startswith("Đã xếp bậc 3 đánh giá")
    assert "{" not in line


def test_every_language_has_every_phrase_and_english_is_the_fallback() -> None:
    assert set(WORDS["vi"]) == set(WORDS["en"])
    assert words("fr") is WORDS["en"]
    assert words(None) is WORDS["en"]
    assert segment_name("all", "vi") == "tất cả"
    assert segment_name("source:tiki", "en") == "source: tiki"
    assert words("en")["lang_unknown"] == "unknown"  # not "?"
