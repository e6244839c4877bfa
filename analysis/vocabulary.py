"""The ladder's words: the six rungs and the five service dimensions, their names in English and
Vietnamese, and the rung a score sits on. Light on purpose: every view imports it."""

from __future__ import annotations

import math

RUNGS = (1, 2, 3, 4, 5, 6)
#: The SERVQUAL dimensions a review can speak about.
DIMENSIONS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
#: Positions are computed overall and per dimension.
DIMENSION_KEYS = ("overall", *DIMENSIONS)


RUNG_NAMES = {
    "en": {1: "Bad", 2: "Basic", 3: "Normal", 4: "Good", 5: "Surprising", 6: "Unbelievable"},
    "vi": {
        1: "Tệ",
        2: "Cơ bản",
        3: "Bình thường",
        4: "Tốt",
        5: "Đáng ngạc nhiên",
        6: "Không thể tin nổi",
    },
}


DIMENSION_NAMES = {
    "en": {
        "overall": "Overall",
        "tangibles": "Tangibles",
        "reliability": "Reliability",
        "responsiveness": "Responsiveness",
        "assurance": "Assurance",
        "empathy": "Empathy",
    },
    "vi": {
        "overall": "Tổng thể",
        "tangibles": "Hữu hình",
        "reliability": "Tin cậy",
        "responsiveness": "Đáp ứng",
        "assurance": "Đảm bảo",
        "empathy": "Đồng cảm",
    },
}


def rung_of(score: float) -> int:
    """The rung a ladder score sits on: 3.4 is Normal (3), 3.5 is Good (4)."""
    return min(6, max(1, math.floor(score + 0.5)))
