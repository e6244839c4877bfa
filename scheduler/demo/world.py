"""A fictional, deterministic "demo world" of café and restaurant reviews in Hồ Chí Minh City.

`build_world(now)` returns five made-up businesses with 16 weeks of made-up reviews, so the whole
pipeline (store → ladder → position → report) can be shown without crawling anyone. The scenario
is what the analysis should rediscover from the text, the stars and the owner replies alone:

* **Mộc Café (ours)** climbs slowly. Its strength is Tangibles (a beautiful, spotless space and
  careful take-away packaging), better than every competitor; its weakness is Responsiveness
  (waits, slow answers). It replies to about 30% of reviews, usually 2-4 days later.
* **Nhà Sóng Kitchen** starts below us and ends above us: it climbs much faster than we do.
* **Quán Bà Tư** is steadily good (mostly rung 4, some 5) with a flat trend; its space is cramped.
* **Phố Xưa Bistro** starts good and slides: more rude staff, long waits and wrong orders lately.
* **Lá Chanh Kitchen** gives average service, but its owner replies to ~90% of reviews within a
  few hours, and customers praise how quickly it responds: it is ahead of us on Responsiveness.

Reviews are composed from phrase banks (a context, one or two SERVQUAL remarks whose polarity
follows the business's profile, and an intent cue for the rung), in
Vietnamese (with diacritics, without them, with teencode) and English, plus a few oddities:
star/text conflicts, sarcasm, very short and long reviews. The same seed and the same ISO week of
`now` give identical output: all dates fall in the `weeks` full weeks before the Monday 00:00 (in the
world's time zone, Hồ Chí Minh City's) that starts `now`'s ISO week there, and review ids count up
from the oldest review.

The text is data (:mod:`scheduler.demo.phrasebook` reads it): the phrase banks, names and teencode
of each language in ``phrases/vi.toml`` and ``phrases/en.toml`` (emoji in
``phrases/common.toml``), the five businesses (names, stories, menus, the numbers of each trend)
in ``businesses.toml``. Any change moves the seeded draws, so the world changes from there on:
``tests/test_scheduler_demo_world.py`` checks that it still tells the scenario above.
"""

from __future__ import annotations

import hashlib
import math
import random
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from scheduler.demo.phrasebook import (
    ASSURANCE,
    DIMENSIONS,
    EMPATHY,
    RELIABILITY,
    RESPONSIVENESS,
    Profile,
    Span,
    load_phrases,
    load_profiles,
)

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class DemoReview:
    native_id: str
    rating: int
    title: str | None
    body: str
    lang: str
    author: str
    published_at: datetime
    reply_body: str | None
    replied_at: datetime | None


@dataclass(frozen=True)
class DemoBusiness:
    slug: str
    name: str
    is_self: bool
    story: str
    reviews: tuple[DemoReview, ...]


POSITIVE_BASE = {1: 0.05, 2: 0.12, 3: 0.45, 4: 0.85, 5: 0.95, 6: 1.0}
STARS_BY_RUNG: dict[int, tuple[tuple[int, float], ...]] = {
    1: ((1, 0.9), (2, 0.1)),
    2: ((1, 0.3), (2, 0.55), (3, 0.15)),
    3: ((2, 0.08), (3, 0.75), (4, 0.17)),
    4: ((3, 0.05), (4, 0.65), (5, 0.30)),
    5: ((4, 0.08), (5, 0.92)),
    6: ((5, 1.0),),
}
DAY_WEIGHTS = (1.0, 0.9, 1.0, 1.1, 1.3, 1.7, 1.6)  # Monday..Sunday
# fmt: off
HOUR_WEIGHTS = (  # local time (UTC+7), from midnight
    0.2, 0.1, 0.05, 0.05, 0.05, 0.2, 0.6, 1.2, 1.6, 1.5, 1.2, 1.3,
    1.6, 1.4, 1.1, 1.1, 1.2, 1.3, 1.5, 1.9, 2.0, 1.9, 1.4, 0.7,
)
# fmt: on
CONFLICT_RATE = 0.027  # of reviews whose text is not rung 3: about 2% overall
SARCASM_RATE_WHEN_LOW = 0.04
SHORT_RATE = 0.012
LONG_RATE = 0.04
LONG = 4  # remarks in a long review


@dataclass(frozen=True)
class _Text:
    body: str
    title: str | None
    remarks: tuple[tuple[str, bool], ...]  # (dimension, positive) in the order written


#: The demo world's time zone: its businesses are in Hồ Chí Minh City (and the demo's config says
#: so: "this week" is the same week for the world and for the analysis).
DEMO_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


def build_world(
    now: datetime, *, seed: int = 7, weeks: int = 16, tz: tzinfo = DEMO_ZONE
) -> tuple[DemoBusiness, ...]:
    """Ours first, then competitors."""
    if now.tzinfo is None:
        raise ValueError("build_world needs a timezone-aware `now`, e.g. datetime.now(UTC)")
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks}")
    anchor = week_anchor(now, tz)
    return tuple(_build_business(p, anchor, seed, weeks) for p in load_profiles())


def week_anchor(now: datetime, tz: tzinfo = DEMO_ZONE) -> datetime:
    """Monday 00:00 in ``tz`` of the ISO week holding ``now`` there (as a UTC instant): every demo
    date lies in the complete weeks before it, so the last complete week is always full."""
    day = now.astimezone(tz).date()
    monday = day - timedelta(days=day.weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=tz).astimezone(UTC)


def _build_business(profile: Profile, anchor: datetime, seed: int, weeks: int) -> DemoBusiness:
    rng = _rng_for(seed, profile.slug)
    drafts: list[DemoReview] = []
    for week in range(weeks):
        progress = week / (weeks - 1) if weeks > 1 else 1.0
        week_start = anchor - (weeks - week) * WEEK
        for rung in _weekly_rungs(rng, profile, progress, _weekly_count(rng, profile, progress)):
            drafts.append(_draft_review(rng, profile, rung, progress, week_start, anchor))
    drafts.sort(key=lambda r: r.published_at)
    numbered = [
        replace(r, native_id=f"{profile.id_prefix}-{i:04d}") for i, r in enumerate(drafts, start=1)
    ]
    return DemoBusiness(
        slug=profile.slug,
        name=profile.name,
        is_self=profile.is_self,
        story=profile.story,
        reviews=tuple(reversed(numbered)),
    )


def _rng_for(seed: int, slug: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}/{slug}".encode()).digest()
    # Not cryptographic: a reproducible stream for fictional demo data.
    return random.Random(int.from_bytes(digest[:8], "big"))  # noqa: S311


def _lerp(span: Span, progress: float) -> float:
    return span[0] + (span[1] - span[0]) * progress


def _weekly_count(rng: random.Random, profile: Profile, progress: float) -> int:
    expected = _lerp(profile.weekly_reviews, progress)
    return max(3, round(expected * math.exp(rng.gauss(0.0, 0.22))))


def _draft_review(
    rng: random.Random,
    profile: Profile,
    rung: int,
    progress: float,
    week_start: datetime,
    anchor: datetime,
) -> DemoReview:
    lang = "vi" if rng.random() < profile.vi_share else "en"
    text, stars = _write_text(rng, profile, rung, lang, progress)
    published = _published_at(rng, week_start)
    reply_body, replied_at = _reply(
        rng, profile, progress, stars, lang, text.remarks, published, anchor
    )
    return DemoReview(
        native_id="",
        rating=stars,
        title=text.title,
        body=text.body,
        lang=lang,
        author=_author(rng, lang),
        published_at=published,
        reply_body=reply_body,
        replied_at=replied_at,
    )


def _weekly_rungs(rng: random.Random, profile: Profile, progress: float, count: int) -> list[int]:
    """The week's rungs by systematic sampling: close to the profile's mix, in random order.

    Independent draws would let a 20-review week wander so far that the scenario (who climbs,
    who falls) could flip with the seed; the week-to-week variation stays natural anyway.
    """
    weights = [
        _lerp((a, b), progress) for a, b in zip(profile.rungs_start, profile.rungs_end, strict=True)
    ]
    total = sum(weights)
    bounds = [sum(weights[: k + 1]) / total for k in range(6)]
    offset = rng.random()
    rungs = [
        next(k for k, bound in enumerate(bounds, start=1) if (offset + i) / count <= bound)
        for i in range(count)
    ]
    rng.shuffle(rungs)
    return rungs


def _stars_for(rng: random.Random, rung: int) -> int:
    options = STARS_BY_RUNG[rung]
    return rng.choices([s for s, _ in options], weights=[w for _, w in options])[0]


def _write_text(
    rng: random.Random, profile: Profile, rung: int, lang: str, progress: float
) -> tuple[_Text, int]:
    """Body, title and stars; stars follow the text's rung except for the odd conflict."""
    shorts = load_phrases().short
    roll = rng.random()
    if rung <= 2 and roll < SARCASM_RATE_WHEN_LOW:
        return _sarcastic_text(rng, profile, lang), rng.choice((1, 1, 2))
    if (lang, rung) in shorts and roll > 1.0 - SHORT_RATE:
        body = _surface(rng, lang, rung, [rng.choice(shorts[lang, rung])], short=True)
        return _Text(body=body, title=None, remarks=()), _stars_for(rng, rung)
    size = LONG if rng.random() < LONG_RATE else rng.choice((1, 1, 2, 2, 2))
    text = _composed_text(rng, profile, rung, lang, progress, size)
    stars = _stars_for(rng, rung)
    if rng.random() < CONFLICT_RATE and rung != 3:
        stars = 1 if rung >= 4 else 5  # a mis-tap or a joke: text and stars disagree
    return text, stars


def _slots(rng: random.Random, profile: Profile, lang: str) -> dict[str, object]:
    drink = rng.choice(profile.drinks[lang])
    return {
        "dish": rng.choice(profile.menu[lang]),
        "drink": drink,
        "a_drink": ("an " if drink[0] in "aeiou" else "a ") + drink,
        "group": rng.choice(load_phrases().groups[lang]),
        "n": rng.choice(range(30, 95, 5)),
        "k": rng.randint(2, 12),
        "price": rng.choice(range(45, 260, 5)),
    }


def _composed_text(
    rng: random.Random, profile: Profile, rung: int, lang: str, progress: float, size: int
) -> _Text:
    phrases = load_phrases()
    slots = _slots(rng, profile, lang)
    mood = 1 if rung >= 4 else (0 if rung == 3 else -1)
    sentences: list[str] = []
    if rng.random() < 0.7 or size == LONG:
        sentences.append(rng.choice(phrases.openings[lang]))
    if rng.random() < 0.4 or size == LONG or not sentences:
        food_mood = mood if rng.random() < 0.75 else rng.choice((-1, 0, 1))
        sentences.append(rng.choice(phrases.food[lang, food_mood]))
    if size == LONG or rng.random() < 0.12:
        sentences.append(rng.choice(phrases.fillers[lang]))
    remarks = _remarks(rng, profile, rung, progress, size)
    sentences.extend(_remark_sentences(rng, profile, lang, remarks))
    if size == LONG:
        at = 0 if rng.random() < 0.5 else len(sentences)
        sentences.insert(at, rng.choice(phrases.long_asides[lang]))
    if (lang, rung) in phrases.stories and (rung == 6 or size == LONG or rng.random() < 0.3):
        sentences.append(rng.choice(phrases.stories[lang, rung]))
    sentences.append(rng.choice(phrases.intents[lang, rung]))
    filled = [s.format(**slots) for s in sentences]
    body = _surface(rng, lang, rung, filled, short=False)
    title = _title(rng, lang, rung, remarks)
    return _Text(body=body, title=_match_script(body, title), remarks=remarks)


def _sarcastic_text(rng: random.Random, profile: Profile, lang: str) -> _Text:
    """A positive word next to a complaint ("great, only waited 2 hours"), then a plain one."""
    phrases = load_phrases()
    slots = _slots(rng, profile, lang)
    sentences = [rng.choice(phrases.sarcasm[lang])]
    if rng.random() < 0.6:
        sentences.insert(0, rng.choice(phrases.openings[lang]))
    remarks: tuple[tuple[str, bool], ...] = ((RESPONSIVENESS, False),)
    if rng.random() < 0.5:
        sentences.append(rng.choice(phrases.intents[lang, 2]))
    else:
        dimension = rng.choice((RELIABILITY, ASSURANCE, EMPATHY))
        sentences.append(rng.choice(phrases.remarks[lang, dimension, False]))
        remarks += ((dimension, False),)
    body = _surface(rng, lang, 2, [s.format(**slots) for s in sentences], short=False)
    title = rng.choice(phrases.sarcasm_titles[lang]) if rng.random() < 0.5 else None
    return _Text(body=body, title=_match_script(body, title), remarks=remarks)


def _pick_dimensions(
    rng: random.Random, profile: Profile, rung: int, progress: float, count: int
) -> list[str]:
    """Weighted draw without replacement; a tilted dimension is remarked on more at its end."""
    pool = {
        d: profile.mentions.get(d, 1.0) * math.exp(1.2 * _tilt(profile, d, progress) * (rung - 3))
        for d in DIMENSIONS
    }
    chosen: list[str] = []
    for _ in range(min(count, len(pool))):
        names = list(pool)
        pick = rng.choices(names, weights=[pool[n] for n in names])[0]
        chosen.append(pick)
        del pool[pick]
    return chosen


def _tilt(profile: Profile, dimension: str, progress: float) -> float:
    return _lerp(profile.tilts.get(dimension, (0.0, 0.0)), progress)


def _remarks(
    rng: random.Random, profile: Profile, rung: int, progress: float, count: int
) -> tuple[tuple[str, bool], ...]:
    """(dimension, positive) pairs; at most one goes against the rung, and it is written first."""
    remarks = [
        (d, _is_positive(rng, profile, d, rung, progress))
        for d in _pick_dimensions(rng, profile, rung, progress, count)
    ]
    if rung == 6:
        return tuple((d, True) for d, _ in remarks)
    if rung == 3:
        return tuple(remarks)
    agreeing = rung >= 4
    remarks = _at_most_one(remarks, not agreeing)
    return tuple(sorted(remarks, key=lambda r: r[1] == agreeing))


def _at_most_one(remarks: list[tuple[str, bool]], polarity: bool) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for dimension, positive in remarks:
        seen = any(p == polarity for _, p in out)
        out.append((dimension, not positive if seen and positive == polarity else positive))
    return out


def _is_positive(
    rng: random.Random, profile: Profile, dimension: str, rung: int, progress: float
) -> bool:
    """The rung sets the odds; the profile's tilt moves them, most where the rung is undecided."""
    base = POSITIVE_BASE[rung]
    chance = base + _tilt(profile, dimension, progress) * (1.0 - abs(2.0 * base - 1.0) / 2.0)
    return rng.random() < min(0.98, max(0.02, chance))


def _remark_text(
    rng: random.Random, profile: Profile, lang: str, dimension: str, positive: bool
) -> str:
    phrases = load_phrases()
    voiced = profile.reply_voice == (1 if positive else -1)
    if dimension == RESPONSIVENESS and voiced and rng.random() < 0.45:
        return rng.choice(phrases.reply_voice[lang, positive])
    return rng.choice(phrases.remarks[lang, dimension, positive])


def _remark_sentences(
    rng: random.Random, profile: Profile, lang: str, remarks: Sequence[tuple[str, bool]]
) -> list[str]:
    """One sentence per remark; two remarks of opposite polarity are joined with 'but'."""
    texts = [_remark_text(rng, profile, lang, d, pos) for d, pos in remarks]
    if len(remarks) == 2 and remarks[0][1] != remarks[1][1] and rng.random() < 0.7:
        joiner = ", nhưng " if lang == "vi" else ", but "
        return [texts[0] + joiner + texts[1]]
    return texts


def _title(
    rng: random.Random, lang: str, rung: int, remarks: Sequence[tuple[str, bool]]
) -> str | None:
    if rng.random() < 0.5:
        return None
    phrases = load_phrases()
    if remarks and rng.random() < 0.5:
        dimension, positive = remarks[0]
        return rng.choice(phrases.titles_by_remark[lang, dimension, positive])
    return rng.choice(phrases.titles_by_rung[lang, rung])


def _surface(rng: random.Random, lang: str, rung: int, sentences: list[str], *, short: bool) -> str:
    """Punctuation, capitals, emoji and (Vietnamese) teencode or missing diacritics."""
    casual = rng.random() < (0.3 if lang == "vi" else 0.08)
    parts: list[str] = []
    for i, sentence in enumerate(sentences):
        if i:
            parts.append(
                rng.choice(
                    (". ", ". ", ". ", ", ", "... ") if lang == "vi" else (". ", ". ", ". ", ", ")
                )
            )
        starts = i == 0 or parts[-1] != ", "
        parts.append(sentence if casual or not starts else _capitalise(sentence))
    text = "".join(parts)
    if not short:
        text += _ending(rng, lang, rung)
    if lang == "vi":
        text = _vietnamese_style(rng, text)
    return unicodedata.normalize("NFC", text)


def _ending(rng: random.Random, lang: str, rung: int) -> str:
    mood = 1 if rung >= 4 else (0 if rung == 3 else -1)
    if rng.random() < (0.2 if lang == "vi" else 0.1):
        return " " + rng.choice(load_phrases().emoji[mood])
    if mood > 0:
        return rng.choice((".", "!", "!!", "") if lang == "vi" else (".", "!", "!"))
    return rng.choice((".", "", "...") if lang == "vi" else (".", "."))


def _capitalise(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def _vietnamese_style(rng: random.Random, text: str) -> str:
    unaccented = rng.random() < 0.15
    if rng.random() < (0.6 if unaccented else 0.25):
        text = _teencode(rng, text)
    return strip_diacritics(text) if unaccented else text


def _teencode(rng: random.Random, text: str) -> str:
    for pattern, replacements in load_phrases().teencode:
        if rng.random() < 0.75:
            text = pattern.sub(rng.choice(replacements), text)
    return text


def strip_diacritics(text: str) -> str:
    """Vietnamese as typed without a Vietnamese keyboard: 'phục vụ' → 'phuc vu', 'đ' → 'd'."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _match_script(body: str, title: str | None) -> str | None:
    """A reviewer who typed the body without diacritics typed the title the same way."""
    if title is None or body != strip_diacritics(body):
        return title
    return strip_diacritics(title)


def _published_at(rng: random.Random, week_start: datetime) -> datetime:
    day = rng.choices(range(7), weights=DAY_WEIGHTS)[0]
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    seconds = day * 86400 + hour * 3600 + rng.randrange(3600)  # week_start is a local midnight
    return week_start + timedelta(seconds=seconds % int(WEEK.total_seconds()))


def _author(rng: random.Random, lang: str) -> str:
    phrases = load_phrases()
    if lang == "en" and rng.random() < 0.6:
        return f"{rng.choice(phrases.en_given)} {rng.choice('ABCDEFGHJKLMNPRSTW')}."
    style = rng.random()
    if style < 0.45:
        family, middle, given = phrases.vi_family, phrases.vi_middle, phrases.vi_given
        return f"{rng.choice(family)} {rng.choice(middle)} {rng.choice(given)}"
    if style < 0.75:
        return rng.choice(phrases.vi_double)
    return f"{rng.choice(phrases.vi_given)} {rng.choice(phrases.vi_family)[0]}."


def _reply(
    rng: random.Random,
    profile: Profile,
    progress: float,
    stars: int,
    lang: str,
    remarks: Sequence[tuple[str, bool]],
    published: datetime,
    anchor: datetime,
) -> tuple[str | None, datetime | None]:
    """The owner's reply, if any; one that would land on or after the anchor is not written yet."""
    rate = profile.reply_rate_negative if stars <= 2 else _lerp(profile.reply_rate, progress)
    if rng.random() >= rate:
        return None, None
    hours = _lerp(profile.reply_hours, progress) * math.exp(rng.gauss(0.0, profile.reply_spread))
    replied_at = published + timedelta(
        minutes=max(1, round(max(hours, profile.reply_min_hours) * 60))
    )
    body = _reply_body(rng, profile.name, stars, lang, remarks)
    if replied_at >= anchor:
        return None, None
    return body, replied_at


def _reply_body(
    rng: random.Random, business: str, stars: int, lang: str, remarks: Sequence[tuple[str, bool]]
) -> str:
    phrases = load_phrases()
    mood = 1 if stars >= 4 else (0 if stars == 3 else -1)
    greeting = rng.choice(phrases.reply_greetings[lang])
    thanks = rng.choice(phrases.reply_thanks[lang, mood])
    separator = ", " if lang == "vi" and greeting != "Dạ" else " "
    lines = [f"{greeting}{separator}{thanks}".format(biz=business)]
    fitting = [r for r in remarks if mood == 0 or r[1] == (mood > 0)]
    if fitting and rng.random() < 0.8:
        dimension, positive = rng.choice(fitting)
        lines.append(rng.choice(phrases.reply_remark_lines[lang, dimension, positive]))
    if rng.random() < 0.7 or len(lines) == 1:
        lines.append(rng.choice(phrases.reply_generic[lang, mood]))
    signoff = rng.choice(phrases.reply_signoffs[lang]).format(biz=business)
    return ". ".join(lines) + ". " + signoff
