"""The demo world: deterministic, well-formed, and carrying the scenario the analysis must find.

The scenario checks read only what a crawler would see (stars, dates, text, owner replies) and
use their own cue lists, not the generator's phrase banks. The last section checks the data files
the generator reads (phrase banks, businesses) and the errors a broken one raises.
"""

from __future__ import annotations

import re
import shutil
import statistics
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone
from importlib.resources import files
from itertools import chain, combinations, product
from pathlib import Path
from string import Formatter

import pytest

from scheduler.demo.phrasebook import (
    Phrases,
    load_phrases,
    load_profiles,
    read_phrases,
    read_profiles,
)
from scheduler.demo.world import DemoBusiness, DemoReview, build_world

NOW = datetime(2025, 11, 19, 10, 30, tzinfo=UTC)  # a Wednesday
ICT = timezone(timedelta(hours=7))  # Hồ Chí Minh City, the demo world's zone (no daylight saving)
ANCHOR = datetime(2025, 11, 17, tzinfo=ICT)  # Monday 00:00 there, NOW's ISO week
WEEKS = 16
WEEK = timedelta(days=7)

OURS = "moc-cafe"
FAST_CLIMBER = "nha-song-kitchen"
STEADY = "quan-ba-tu"
FALLING = "pho-xua-bistro"
REPLY_EDGE = "la-chanh-kitchen"


@pytest.fixture(scope="module")
def world() -> tuple[DemoBusiness, ...]:
    return build_world(NOW)


def business(world: tuple[DemoBusiness, ...], slug: str) -> DemoBusiness:
    return next(b for b in world if b.slug == slug)


def all_reviews(world: Iterable[DemoBusiness]) -> list[DemoReview]:
    return [r for b in world for r in b.reviews]


def week_of(review: DemoReview) -> int:
    """0 for the oldest week of the window, WEEKS - 1 for the newest."""
    return WEEKS - 1 - (ANCHOR - review.published_at) // WEEK


def mean_rating(b: DemoBusiness, weeks: range) -> float:
    return statistics.mean(r.rating for r in b.reviews if week_of(r) in weeks)


def rating_change(b: DemoBusiness) -> float:
    """Mean stars of the last 4 weeks minus the first 4."""
    return mean_rating(b, range(WEEKS - 4, WEEKS)) - mean_rating(b, range(4))


def fold(text: str) -> str:
    """Lower case without diacritics, as a matcher of unaccented Vietnamese would see it."""
    text = text.lower().replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def share(reviews: list[DemoReview], test: Callable[[DemoReview], bool]) -> float:
    return sum(1 for r in reviews if test(r)) / len(reviews)


def latency_hours(r: DemoReview) -> float:
    assert r.replied_at is not None
    return (r.replied_at - r.published_at).total_seconds() / 3600


# --- determinism -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "same_week",
    [
        datetime(2025, 11, 17, 0, 0, tzinfo=ICT),  # the anchor itself
        datetime(2025, 11, 16, 17, 0, tzinfo=UTC),  # the same instant, written in UTC
        datetime(2025, 11, 23, 23, 59, 59, tzinfo=ICT),  # the last second of the week
        datetime(2025, 11, 23, 16, 59, 59, tzinfo=UTC),  # the same, in UTC
        datetime(2025, 11, 21, 9, 0, tzinfo=timezone(timedelta(hours=-5))),  # another zone
    ],
)
def test_any_moment_of_the_same_iso_week_gives_the_same_world(
    world: tuple[DemoBusiness, ...], same_week: datetime
) -> None:
    assert build_world(same_week) == world
    assert repr(build_world(same_week)) == repr(world)


def test_the_week_turns_at_local_midnight_not_utc_midnight() -> None:
    """Sunday 17:00 UTC is Monday 00:00 in Hồ Chí Minh City: the world moves a week there."""
    before = build_world(datetime(2025, 11, 23, 16, 59, 59, tzinfo=UTC))
    after = build_world(datetime(2025, 11, 23, 17, 0, tzinfo=UTC))
    assert ANCHOR - WEEK <= max(r.published_at for r in all_reviews(before)) < ANCHOR
    assert ANCHOR <= max(r.published_at for r in all_reviews(after)) < ANCHOR + WEEK


def test_next_week_moves_the_window() -> None:
    later = build_world(NOW + WEEK)
    newest = max(r.published_at for r in all_reviews(later))
    assert ANCHOR <= newest < ANCHOR + WEEK


def test_same_seed_repeats_and_another_seed_differs(world: tuple[DemoBusiness, ...]) -> None:
    assert build_world(NOW, seed=7) == world
    other = build_world(NOW, seed=8)
    assert [b.slug for b in other] == [b.slug for b in world]
    bodies = {r.body for r in all_reviews(world)}
    other_bodies = {r.body for r in all_reviews(other)}
    assert len(bodies & other_bodies) < 0.05 * len(bodies)


def test_rejects_a_naive_now_and_an_empty_window() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build_world(datetime(2025, 11, 19, 10, 30))
    with pytest.raises(ValueError, match="weeks"):
        build_world(NOW, weeks=0)


# --- shape -------------------------------------------------------------------------------------


def test_cast_has_exactly_one_self_and_it_comes_first(world: tuple[DemoBusiness, ...]) -> None:
    assert len(world) >= 5
    assert [b.is_self for b in world].count(True) == 1
    assert world[0].is_self
    assert world[0].slug == OURS
    slugs = [b.slug for b in world]
    assert len(set(slugs)) == len(slugs)
    for b in world:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", b.slug)
        assert b.name.strip()
        assert b.story.strip()
        assert "\n" not in b.story


def test_dates_fill_the_window_before_the_anchor(world: tuple[DemoBusiness, ...]) -> None:
    start = ANCHOR - WEEKS * WEEK
    for r in all_reviews(world):
        assert r.published_at.utcoffset() == timedelta(0)
        assert start <= r.published_at < ANCHOR
    for b in world:
        dates = [r.published_at for r in b.reviews]
        assert max(dates) - min(dates) >= 12 * WEEK
        assert {week_of(r) for r in b.reviews} == set(range(WEEKS))


def test_weeks_parameter_sets_the_window() -> None:
    short = build_world(NOW, weeks=4)
    for r in all_reviews(short):
        assert ANCHOR - 4 * WEEK <= r.published_at < ANCHOR
    assert 200 < len(all_reviews(short)) < 700


def test_volumes(world: tuple[DemoBusiness, ...]) -> None:
    assert len(all_reviews(world)) >= 1300
    for b in world:
        assert 250 <= len(b.reviews) <= 400, b.slug
        weekly = Counter(week_of(r) for r in b.reviews)
        assert len(set(weekly.values())) >= 5, f"{b.slug}: weekly counts look constant"
        assert max(weekly.values()) >= 1.3 * min(weekly.values())


def test_fields_are_well_formed(world: tuple[DemoBusiness, ...]) -> None:
    for r in all_reviews(world):
        assert r.rating in {1, 2, 3, 4, 5}
        assert r.lang in {"vi", "en"}
        assert r.body.strip() == r.body
        assert r.body
        assert r.title is None or r.title.strip()
        assert r.author.strip()
        assert r.body == unicodedata.normalize("NFC", r.body)


def test_native_ids_are_unique(world: tuple[DemoBusiness, ...]) -> None:
    ids = [r.native_id for r in all_reviews(world)]
    assert len(set(ids)) == len(ids)
    for b in world:
        assert len({r.native_id.rsplit("-", 1)[0] for r in b.reviews}) == 1


def test_reviews_are_newest_first(world: tuple[DemoBusiness, ...]) -> None:
    for b in world:
        dates = [r.published_at for r in b.reviews]
        assert dates == sorted(dates, reverse=True)


def test_both_languages_in_every_business(world: tuple[DemoBusiness, ...]) -> None:
    for b in world:
        vi = share(list(b.reviews), lambda r: r.lang == "vi")
        assert 0.45 <= vi <= 0.75, f"{b.slug}: {vi:.2f} Vietnamese"


def test_titles_on_about_half(world: tuple[DemoBusiness, ...]) -> None:
    for b in world:
        assert 0.35 <= share(list(b.reviews), lambda r: r.title is not None) <= 0.65


def test_authors_mix_vietnamese_and_english_names(world: tuple[DemoBusiness, ...]) -> None:
    authors = {r.author for r in all_reviews(world)}
    assert any(fold(a) != a.lower() for a in authors)  # Nguyễn T. Lan
    assert any(re.fullmatch(r"[A-Z][a-z]+ [A-Z]\.", a) for a in authors)  # Sam K.
    assert len(authors) > 300


# --- owner replies -----------------------------------------------------------------------------


def test_reply_invariants(world: tuple[DemoBusiness, ...]) -> None:
    for r in all_reviews(world):
        assert (r.reply_body is None) == (r.replied_at is None)
        if r.replied_at is not None:
            assert r.replied_at.utcoffset() == timedelta(0)
            assert r.published_at < r.replied_at < ANCHOR


def test_replies_speak_the_review_language_and_never_name_the_reviewer(
    world: tuple[DemoBusiness, ...],
) -> None:
    replied = [r for r in all_reviews(world) if r.reply_body is not None]
    for r in replied:
        assert r.reply_body is not None
        assert r.author not in r.reply_body
        if r.lang == "vi":
            assert "anh/chị" in r.reply_body
        else:
            assert "anh/chị" not in r.reply_body
            assert re.search(r"\bthank|\bwe\b|\bwe'", r.reply_body, re.IGNORECASE)


def test_replies_are_not_one_template(world: tuple[DemoBusiness, ...]) -> None:
    replies = [r.reply_body for r in business(world, REPLY_EDGE).reviews if r.reply_body]
    assert len(set(replies)) >= 0.9 * len(replies)


def test_reply_edge_answers_fast_and_we_answer_late(world: tuple[DemoBusiness, ...]) -> None:
    edge = list(business(world, REPLY_EDGE).reviews)
    ours = list(business(world, OURS).reviews)
    edge_rate = share(edge, lambda r: r.reply_body is not None)
    assert edge_rate >= 0.8
    assert share([r for r in edge if r.rating <= 2], lambda r: r.reply_body is not None) >= 0.9
    assert statistics.median(latency_hours(r) for r in edge if r.replied_at) < 12
    assert 0.2 <= share(ours, lambda r: r.reply_body is not None) <= 0.4
    our_median = statistics.median(latency_hours(r) for r in ours if r.replied_at)
    assert 24 < our_median < 96  # "usually 2-4 days"
    for b in world:
        if b.slug != REPLY_EDGE:
            assert share(list(b.reviews), lambda r: r.reply_body is not None) < edge_rate


# --- the scenario, from stars and text ---------------------------------------------------------


def test_fast_climber_starts_below_us_ends_above_us_and_climbs_faster(
    world: tuple[DemoBusiness, ...],
) -> None:
    ours, fast = business(world, OURS), business(world, FAST_CLIMBER)
    first, last = range(4), range(WEEKS - 4, WEEKS)
    assert mean_rating(fast, first) < mean_rating(ours, first)
    assert mean_rating(fast, last) > mean_rating(ours, last)
    assert rating_change(ours) > 0
    assert rating_change(fast) - rating_change(ours) >= 0.5


def test_fast_climber_share_of_good_reviews_rises(world: tuple[DemoBusiness, ...]) -> None:
    fast = list(business(world, FAST_CLIMBER).reviews)
    shares = [
        share([r for r in fast if week_of(r) in block], lambda r: r.rating >= 4)
        for block in (range(0, 4), range(4, 8), range(8, 12), range(12, 16))
    ]
    assert shares == sorted(shares)
    assert shares[-1] - shares[0] >= 0.3


def test_falling_declines_with_more_complaints(world: tuple[DemoBusiness, ...]) -> None:
    falling = business(world, FALLING)
    assert rating_change(falling) <= -0.6
    reviews = list(falling.reviews)
    early = share([r for r in reviews if week_of(r) < 4], lambda r: r.rating <= 2)
    late = share([r for r in reviews if week_of(r) >= WEEKS - 4], lambda r: r.rating <= 2)
    assert late >= max(0.3, 1.6 * early)


def test_steady_is_good_and_flat(world: tuple[DemoBusiness, ...]) -> None:
    steady = business(world, STEADY)
    assert abs(rating_change(steady)) < 0.4
    assert statistics.mean(r.rating for r in steady.reviews) >= 3.8
    assert share(list(steady.reviews), lambda r: r.rating >= 4) >= 0.7


TANGIBLE_PRAISE = re.compile(
    r"sach se|khong gian (dep|thoang)|decor|dong goi (can than|chac chan)|view dep"
    r"|spotless|super clean|beautiful|lovely decor|well packaged|packaging is gorgeous"
)
QUICK_RESPONSE = re.compile(
    r"phan hoi nhanh|phuc vu nhanh|ho tro nhanh|tra loi (ngay|danh gia rat nhanh)|xu ly lien"
    r"|chua toi \d+ (tieng|phut)|(nhan vien|nv) toi lien|quan phan hoi va xin loi"
    r"|quick service|quick, helpful|right away|instantly|within (minutes|hours)|the same morning"
    r"|answer every review quickly"
)
WAITING = re.compile(
    r"doi lau|cho moi mon|(khong|ko|k|hong|hok) ai (ra|nghe)|seen (khong|ko|k|hong|hok) rep"
    r"|cho chut roi di mat|moi thay phan hoi|moi duoc tra loi|moi tra loi"
    r"|waited \d+ minutes|three times|left on read|no one answered|ignored us|two days|took them days"
    r"|much later"
)
SARCASM = re.compile(
    r"only waited 2 hours|truly impressive|talent$|five-star experience|still stood at the door"
    r"|lesson in patience|doi co 2 tieng|nhanh ghe|dung la bat ngo|dich vu 5 sao luon"
    r"|dinh that|tinh kien nhan"
)


def test_our_strength_is_tangibles(world: tuple[DemoBusiness, ...]) -> None:
    praise = {
        b.slug: share(list(b.reviews), lambda r: bool(TANGIBLE_PRAISE.search(fold(r.body))))
        for b in world
    }
    best_competitor = max(v for slug, v in praise.items() if slug != OURS)
    assert praise[OURS] >= 1.5 * best_competitor, praise


def test_reply_edge_is_praised_for_responsiveness_and_we_are_not(
    world: tuple[DemoBusiness, ...],
) -> None:
    def quick(r: DemoReview) -> bool:
        return bool(QUICK_RESPONSE.search(fold(r.body)))

    def waiting(r: DemoReview) -> bool:
        return bool(WAITING.search(fold(r.body)))

    praise = {b.slug: share(list(b.reviews), quick) for b in world}
    assert max(praise, key=praise.__getitem__) == REPLY_EDGE, praise
    assert praise[REPLY_EDGE] >= 1.5 * praise[OURS]
    ours, edge = list(business(world, OURS).reviews), list(business(world, REPLY_EDGE).reviews)
    assert share(ours, waiting) > share(edge, waiting)


# --- realism and oddities ----------------------------------------------------------------------

WILL_RETURN = re.compile(r"(?<!khong )(?<!ko )(?<!k )se quay lai|\bwill be back|will come back")
WONT_RETURN = re.compile(r"(se|bao gio) (khong|ko|k|hong|hok) quay lai|won't be back|won't return")


def test_stars_mostly_agree_with_return_intent_but_not_always(
    world: tuple[DemoBusiness, ...],
) -> None:
    reviews = all_reviews(world)
    returning = [r for r in reviews if WILL_RETURN.search(fold(r.body))]
    leaving = [r for r in reviews if WONT_RETURN.search(fold(r.body))]
    assert len(returning) > 50
    assert len(leaving) > 20
    assert share(returning, lambda r: r.rating >= 4) >= 0.85
    assert share(leaving, lambda r: r.rating <= 3) >= 0.85
    conflicts = [r for r in returning if r.rating == 1] + [r for r in leaving if r.rating == 5]
    assert conflicts, "expected a few 1★ 'will be back' (or 5★ 'won't be back') oddities"


def test_sarcasm_short_and_long_reviews_exist(world: tuple[DemoBusiness, ...]) -> None:
    reviews = all_reviews(world)
    sarcastic = [r for r in reviews if SARCASM.search(fold(r.body).rstrip(".!"))]
    assert len(sarcastic) >= 3
    assert all(r.rating <= 2 for r in sarcastic)
    short = [r for r in reviews if len(r.body.split()) <= 3]
    long = [r for r in reviews if len(r.body.split()) >= 70]
    assert 5 <= len(short) <= 0.05 * len(reviews)
    assert 5 <= len(long) <= 0.1 * len(reviews)


def test_vietnamese_comes_with_and_without_diacritics_and_teencode(
    world: tuple[DemoBusiness, ...],
) -> None:
    vi = [r for r in all_reviews(world) if r.lang == "vi"]
    unaccented = share(vi, lambda r: fold(r.body) == r.body.lower())
    assert 0.08 <= unaccented <= 0.25
    teencode = re.compile(r"\b(ko|k|hong|hok|dc|j|bt|nv|mn|vs)\b")
    assert share(vi, lambda r: bool(teencode.search(fold(r.body)))) >= 0.1
    assert any(re.search("[\U0001f300-\U0001faff]", r.body) for r in vi)


def test_few_identical_bodies_and_only_short_ones(world: tuple[DemoBusiness, ...]) -> None:
    counts = Counter(r.body for r in all_reviews(world))
    repeated = {body: n for body, n in counts.items() if n > 1}
    assert sum(n - 1 for n in repeated.values()) <= 10, repeated
    assert all(len(re.findall(r"\w+", body)) <= 5 for body in repeated), repeated


def shingles(text: str) -> frozenset[tuple[str, ...]]:
    words = re.findall(r"\w+", fold(text))
    return frozenset(zip(words, words[1:], words[2:], strict=False))


def test_near_duplicates_are_rare(world: tuple[DemoBusiness, ...]) -> None:
    """A flood detector must not find accidental floods in the demo."""
    for b in world:
        sets = [s for s in (shingles(r.body) for r in b.reviews) if len(s) >= 6]
        close = sum(1 for x, y in combinations(sets, 2) if len(x & y) >= 0.7 * len(x | y))
        assert close <= 3, f"{b.slug}: {close} near-duplicate pairs"


# --- the data files ----------------------------------------------------------------------------

LANGS = ("vi", "en")
MOODS = (1, 0, -1)
RUNGS = range(1, 7)
DIMS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
SLOTS = {"dish", "drink", "a_drink", "group", "n", "k", "price"}


def test_every_phrase_bank_the_generator_uses_is_there_and_full() -> None:
    phrases = load_phrases()
    keyed: dict[str, tuple[object, ...]] = {}
    for names, keys in [
        ("groups openings long_asides fillers sarcasm sarcasm_titles", LANGS),
        ("reply_greetings reply_signoffs", LANGS),
        ("food reply_thanks reply_generic", product(LANGS, MOODS)),
        ("intents titles_by_rung", product(LANGS, RUNGS)),
        ("reply_voice", product(LANGS, (True, False))),
        ("remarks titles_by_remark reply_remark_lines", product(LANGS, DIMS, (True, False))),
        ("emoji", MOODS),
    ]:
        keyed |= dict.fromkeys(names.split(), tuple(keys))
    for name, keys in keyed.items():
        bank = getattr(phrases, name)
        assert set(bank) == set(keys), name
        assert all(bank[key] and all(p.strip() for p in bank[key]) for key in keys), name
    some_rungs = ("stories", "short")  # only the rungs that have them
    for name in some_rungs:
        bank = getattr(phrases, name)
        assert bank, name
        assert set(bank) <= set(product(LANGS, RUNGS)), name
        assert all(bank.values()), name
    names = ("vi_family", "vi_middle", "vi_given", "vi_double", "en_given")
    assert all(getattr(phrases, name) for name in names)
    assert phrases.teencode
    assert all(pattern.pattern and replacements for pattern, replacements in phrases.teencode)
    checked = {*keyed, *some_rungs, *names, "teencode"}
    assert checked == {spec.name for spec in fields(Phrases)}, "a new bank needs checking here"


def test_phrases_use_only_the_slots_their_bank_fills() -> None:
    """A misspelt slot ("{dsh}") would raise only when its phrase is drawn, weeks later."""
    filled = {"openings", "food", "long_asides", "fillers", "sarcasm", "remarks", "reply_voice"}
    filled |= {"intents", "stories"}
    with_business = {"reply_greetings", "reply_thanks", "reply_signoffs"}
    phrases = load_phrases()
    for spec in fields(Phrases):
        if spec.name == "teencode":
            continue
        bank = getattr(phrases, spec.name)
        allowed = SLOTS if spec.name in filled else {"biz"} if spec.name in with_business else set()
        banks = bank.values() if isinstance(bank, Mapping) else [bank]
        for phrase in chain.from_iterable(banks):
            slots = {name for _, name, _, _ in Formatter().parse(phrase) if name is not None}
            assert slots <= allowed, (spec.name, phrase)


def copy_of(name: str, tmp_path: Path) -> Path:
    """A copy of the bundled data file or folder ``name`` (beside world.py), to edit."""
    source, copy = Path(str(files("scheduler.demo") / name)), tmp_path / name
    if source.is_dir():
        shutil.copytree(source, copy)
    else:
        shutil.copyfile(source, copy)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "old", "new", "error"),
    [
        ("en.toml", "[intents]", "[intent]", r"en\.toml: intents is missing"),
        (
            "vi.toml",
            "[food]\npositive",
            "[food]\npostive",
            r"vi\.toml: food\.postive is not one of",
        ),
        ("vi.toml", "\n[remarks.empathy]\npositive", "\n[remarks.empathy]\nx", "empathy.x is not"),
        (
            "vi.toml",
            "[stories]\n",
            "[stories]\n[elsewhere]\n",
            r"vi\.toml: stories must be a table",
        ),
        ("common.toml", '["🙂", "😐", "🤔"]', "[]", r"common\.toml: emoji\.neutral is empty"),
        (
            "en.toml",
            "\n[titles]\nsarcasm = [",
            "\n[titles]\nsarcasm = [1, ",
            "titles.sarcasm must be",
        ),
        ("vi.toml", "'\\bgì\\b'", "'\\bgì\\b('", r"teencode\.'.*' is not a regular expression"),
        ("en.toml", "\n[names]", "\n[names]\n= broken", r"en\.toml: cannot read"),
    ],
)
def test_a_malformed_phrase_file_names_the_file_and_key(
    tmp_path: Path, file: str, old: str, new: str, error: str
) -> None:
    folder = copy_of("phrases", tmp_path)
    read_phrases(folder)  # the copy reads as is
    edit(folder / file, old, new)
    with pytest.raises(ValueError, match=error):
        read_phrases(folder)


def test_a_missing_phrase_file_is_named(tmp_path: Path) -> None:
    folder = copy_of("phrases", tmp_path)
    (folder / "common.toml").unlink()
    with pytest.raises(ValueError, match=r"common\.toml: cannot read"):
        read_phrases(folder)


def test_a_business_without_a_field_or_with_a_stray_one_is_named(tmp_path: Path) -> None:
    path = copy_of("businesses.toml", tmp_path)
    assert len(read_profiles(path)) == 5
    edit(path, "vi_share = 0.63\n", "")
    with pytest.raises(ValueError, match=r"businesses\.toml: business\[0\]\.vi_share is missing"):
        read_profiles(path)
    edit(path, "reply_voice = -1\n", "reply_voice = -1\nvi_share = 0.6\nvoice = 1\n")
    with pytest.raises(ValueError, match=r"business\[0\]\.voice is not a field of a business"):
        read_profiles(path)


def test_businesses_are_keyed_by_dimensions_and_languages(world: tuple[DemoBusiness, ...]) -> None:
    profiles = load_profiles()
    assert [p.slug for p in profiles] == [b.slug for b in world]
    for p in profiles:
        assert set(p.mentions) | set(p.tilts) <= set(DIMS), p.slug
        assert set(p.menu) == set(p.drinks) == set(LANGS), p.slug
        assert all(len(span) == 2 for span in (*p.tilts.values(), p.weekly_reviews, p.reply_rate))
        assert len(p.rungs_start) == len(p.rungs_end) == 6, p.slug
