"""Dates, ratings, text, identity: raw review values → what is stored, or why it is dropped."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from crawler.extract.cleaning import clean_text, guess_language
from crawler.extract.dates import parse_date
from crawler.items import RawReview
from crawler.normalize import (
    DROP_REASONS,
    SourceContext,
    author_hash,
    normalize_rating,
    normalize_review,
)
from db.exceptions import Dropped

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SAIGON = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-06-21T10:47:53.000Z", "2024-06-21T10:47:53+00:00"),
        ("2024-06-21T10:00:00+07:00", "2024-06-21T03:00:00+00:00"),
        ("2024-06-21", "2024-06-20T17:00:00+00:00"),  # midnight in Saigon
        ("12/05/2024", "2024-05-11T17:00:00+00:00"),  # day first
        ("05/13/2024", "2024-05-12T17:00:00+00:00"),  # impossible day-first: read month first
        ("14:05 12/05/2024", "2024-05-12T07:05:00+00:00"),
        ("12/05/2024 14:05", "2024-05-12T07:05:00+00:00"),
        ("May 3, 2024", "2024-05-02T17:00:00+00:00"),
        ("3rd May 2024", "2024-05-02T17:00:00+00:00"),
        ("3 tháng 5, 2024", "2024-05-02T17:00:00+00:00"),
        ("Ngày 03 tháng 05 năm 2024", "2024-05-02T17:00:00+00:00"),
        ("Tháng 5 3, 2024", "2024-05-02T17:00:00+00:00"),
        # relative dates are as precise as the phrase: a day is the local day, an hour the hour
        ("3 ngày trước", "2026-11-20T17:00:00+00:00"),
        ("3 ngay truoc", "2026-11-20T17:00:00+00:00"),
        ("2 tuần trước", "2026-11-09T17:00:00+00:00"),
        ("5 giờ trước", "2026-11-24T07:00:00+00:00"),
        ("10 phút trước", "2026-11-24T11:50:00+00:00"),
        ("2 weeks ago", "2026-11-09T17:00:00+00:00"),
        ("a month ago", "2026-10-24T17:00:00+00:00"),
        ("hôm qua", "2026-11-22T17:00:00+00:00"),  # yesterday in Saigon
        ("Yesterday", "2026-11-22T17:00:00+00:00"),
        ("vừa xong", "2026-11-24T12:00:00+00:00"),
        ("1700000000", "2023-11-14T22:13:20+00:00"),
        ("1700000000000", "2023-11-14T22:13:20+00:00"),
    ],
)
def test_dates(text: str, expected: str) -> None:
    parsed = parse_date(text, now=NOW, tz=SAIGON)
    assert parsed is not None
    assert parsed.isoformat() == expected


def test_month_first_sites() -> None:
    parsed = parse_date("03/05/2024", now=NOW, tz=UTC, day_first=False)
    assert parsed is not None
    assert (parsed.month, parsed.day) == (3, 5)


@pytest.mark.parametrize(
    "text", ["", "soon", "31/02/2024", "2024-13-01", "Smarch 3, 2024", "x" * 500, "99 ngày sau"]
)
def test_unreadable_dates_give_none(text: str) -> None:
    assert parse_date(text, now=NOW) is None


@pytest.mark.parametrize("value", [None, True, [], {"a": 1}, float("nan"), 10**30])
def test_dates_of_other_types_never_raise(value: object) -> None:
    assert parse_date(value, now=NOW) is None


@pytest.mark.parametrize(
    ("value", "best", "worst", "expected"),
    [
        (5, None, None, 5.0),
        ("1", "5", "1", 1.0),
        ("4,5", None, None, 4.5),
        ("8.0", "10", "0", 4.2),
        ("0", "10", "0", 1.0),
        ("10", "10", "1", 5.0),
        ("4/5", None, None, 4.0),
        (None, None, None, None),
    ],
)
def test_ratings_on_any_scale_become_one_to_five(
    value: object, best: object, worst: object, expected: float | None
) -> None:
    assert normalize_rating(value, best, worst)[0] == expected


@pytest.mark.parametrize(
    ("value", "best", "worst", "reason"),
    [
        ("abc", None, None, "bad_rating"),
        ("6", "5", "1", "rating_out_of_range"),
        (-1, None, None, "rating_out_of_range"),
        ("4", "1", "5", "bad_scale"),
        ("4", "five", None, "bad_scale"),
        ("nan", None, None, "bad_rating"),
        (True, None, None, "bad_rating"),
    ],
)
def test_bad_ratings_are_dropped_with_a_reason(
    value: object, best: object, worst: object, reason: str
) -> None:
    with pytest.raises(Dropped) as caught:
        normalize_rating(value, best, worst)
    assert caught.value.reason == reason
    assert reason in DROP_REASONS


def test_clean_text() -> None:
    assert clean_text("  Ph&#7903; ngon<br>sẽ   quay lại\u00a0 ") == "Phở ngon\nsẽ quay lại"
    assert clean_text("<p></p>  ") is None
    # decomposed input (NFD) is stored composed (NFC)
    assert clean_text("quay la\u0323i") == "quay lại"
    translated = "(Translated by Google) Good coffee (Original) Cà phê ngon"
    assert clean_text(translated) == "Cà phê ngon"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Quán ngon, nhân viên dễ thương", "vi"),
        ("phuc vu nhanh, se quay lai", "vi"),
        ("ko ngon, nv thai do te", "vi"),
        ("The staff were friendly and the food was great", "en"),
        ("ok", None),
        ("", None),
        ("Slow.", "en"),  # no function word, but "sl" cannot start a Vietnamese syllable
        ("Overpriced!", "en"),
        ("ngon", None),
    ],
)
def test_language_guess(text: str, language: str | None) -> None:
    assert guess_language(text) == language


def _context(**changes: object) -> SourceContext:
    fields: dict[str, object] = {
        "business": "Mộc",
        "kind": "schemaorg",
        "host": "moc.example",
        "salt": "s1",
        "now": NOW,
        "tz": SAIGON,
    }
    fields.update(changes)
    return SourceContext(**fields)  # type: ignore[arg-type]


def test_review_key_uses_the_native_id_when_there_is_one() -> None:
    raw = RawReview(native_id="42", rating=5, body="Ngon", published="2026-11-01")
    edited = RawReview(native_id="42", rating=4, body="Ngon, hơi đắt", published="2026-11-01")
    assert (
        normalize_review(raw, _context()).review_key
        == normalize_review(edited, _context()).review_key
    )
    other_site = normalize_review(raw, _context(host="other.example")).review_key
    assert other_site != normalize_review(raw, _context()).review_key


def test_review_key_without_an_id_follows_date_and_text() -> None:
    one = normalize_review(
        RawReview(rating=5, body="Ngon  lắm", published="2026-11-01T08:00"), _context()
    )
    same = normalize_review(
        RawReview(rating=5, body="ngon lắm", published="2026-11-01T09:00"), _context()
    )
    other = normalize_review(
        RawReview(rating=5, body="Ngon lắm", published="2026-11-02"), _context()
    )
    assert one.review_key == same.review_key
    assert one.review_key != other.review_key


def test_reviewer_names_are_stored_only_as_salted_hashes() -> None:
    review = normalize_review(
        RawReview(rating=5, body="Ngon", published="2026-11-01", author="Nguyễn Văn A"), _context()
    )
    assert review.author_hash is not None
    assert "Nguyễn" not in repr(review)
    assert review.author_hash == author_hash("nguyễn  văn a", "s1")  # same person, same hash
    assert review.author_hash != author_hash("Nguyễn Văn A", "s2")  # another salt, unlinkable
    assert author_hash(None, "s1") is None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (RawReview(published="2026-11-01"), "empty_review"),
        (RawReview(rating=4, body="ok", published="2030-01-01"), "date_in_future"),
        (RawReview(rating=4, body="ok", published="1900-01-01"), "date_too_old"),
        (RawReview(rating="abc", body="ok", published="2026-11-01"), "bad_rating"),
    ],
)
def test_invalid_reviews_are_dropped_with_a_reason(raw: RawReview, reason: str) -> None:
    with pytest.raises(Dropped) as caught:
        normalize_review(raw, _context())
    assert caught.value.reason == reason


def test_text_only_reviews_are_kept_and_an_unreadable_reply_date_is_not_a_drop() -> None:
    review = normalize_review(
        RawReview(body="Good", published="2026-11-01", reply_body="Thanks!", replied="whenever"),
        _context(),
    )
    assert (review.rating, review.reply_body, review.replied_at) == (None, "Thanks!", None)
