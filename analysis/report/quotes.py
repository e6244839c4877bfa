"""The review quotes a report shows, and the phrase each side says most.

A quote is the part of one sentence that carries the remark the database found (the evidence
span of a dimension's praise or fault), read again with the lexicon (:func:`analysis.reading.read`):
the sentence is cut at its commas and joining words ("nhưng", "mà", "but", "and" …) wherever the
next part says the opposite, so praise is never shown with the complaint it was conceded against
("Gọi hotline không ai nghe, nhưng chủ quán hỏi han từng bàn" is shown as "…chủ quán hỏi han từng
bàn", or not at all as a complaint). A review whose remark sits in a clause that itself says the
opposite is not quoted. Across a report, a review and a text are quoted once.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from analysis.ladder import review_text
from analysis.reading import Evidence, Reading, read
from analysis.tokens import Token, tokenize, word_keys
from db.rows import Quote

#: Characters of a quote at most (the remark's clause is trimmed around the remark beyond this).
QUOTE_CHARS = 140
#: Families of cues that fault, and that praise (the others, a contact, a manager named, "very",
#: a concession, are neither).
COMPLAINT_FAMILIES = frozenset(
    {"demand", "accuse", "anger", "refusal", "harsh", "churn", "letdown"}
)
PRAISE_FAMILIES = frozenset(
    {"praise", "again", "loyal", "enthuse", "superlative", "recommend", "exceed", "value"}
)
_SENTENCE = re.compile(r"[.!?…\n;]")
#: Where a sentence may be cut: after these marks, and around these (unmarked) joining words.
_BREAKS = re.compile(r"[,:;()]")
_JOINING_WORDS = ("nhưng", "mà", "và", "tuy", "but", "and", "however", "although", "though")
_JOINING = frozenset(word_keys(word)[0] for word in _JOINING_WORDS)
_JOINING_UNMARKED = frozenset(word_keys(word)[1] for word in _JOINING_WORDS)


@dataclass(frozen=True)
class Quoted:
    text: str  # the quote as shown
    remark: tuple[Token, ...]  # the remark's words
    clause: str  # the least clause that holds the remark ("nhân viên thờ ơ")


def quote_of(quote: Quote, praise: bool, limit: int = QUOTE_CHARS) -> Quoted | None:
    """The part of the sentence around ``quote``'s remark that says what the remark says (praise
    when ``praise``, else a fault), trimmed to ``limit`` characters with ellipses; ``None`` when
    the remark's own clause says the opposite. Never the whole review (nor the reviewer's name,
    which is not stored)."""
    text = review_text(quote.title, quote.body, quote.answers)
    start = max(0, min(quote.start, len(text)))
    end = max(start, min(quote.end, len(text)))
    before = [m.end() for m in _SENTENCE.finditer(text, 0, start)]
    sentence_start = before[-1] if before else 0
    after = _SENTENCE.search(text, end)
    sentence_end = after.start() + 1 if after else len(text)
    parts = _parts(text, sentence_start, sentence_end)
    inside = [i for i, (a, b) in enumerate(parts) if a < max(end, start + 1) and start < b]
    clause_start, clause_end = sentence_start, sentence_end
    clause = " ".join(text[start:end].split())
    if inside:  # else the remark is a mark or a joining word: its sentence
        # the remark itself is the database's reading ("hoi han" is also "hối hận" unmarked)
        opposite = [
            e for e in _opposite(read(text), praise) if not start <= e.start <= e.end <= end
        ]
        first, last = inside[0], inside[-1]
        own_start, own_end = _span(parts, first, last, start, end)
        if _says(opposite, own_start, own_end):
            return None
        clause = " ".join(text[own_start:own_end].split())
        while first > 0 and not _says(opposite, *parts[first - 1]):
            first -= 1
        while last < len(parts) - 1 and not _says(opposite, *parts[last + 1]):
            last += 1
        if first > 0:
            clause_start = min(parts[first][0], start)
        if last < len(parts) - 1:
            clause_end = max(parts[last][1], end)
    clause_start = max(clause_start, end - limit)
    clause_end = min(clause_end, max(end, clause_start + limit))
    snippet = " ".join(text[clause_start:clause_end].split())
    if clause_start > 0 and not _SENTENCE.match(text[clause_start - 1 : clause_start] or "."):
        snippet = "…" + snippet
    if clause_end < len(text) and not snippet.endswith((".", "!", "?", "…")):
        snippet = snippet.rstrip(",:;") + "…"
    return Quoted(snippet, tuple(tokenize(text[start:end])), clause)


def _parts(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The pieces of ``text[start:end]`` between its cut points (marks and joining words)."""
    cuts = [(m.start(), m.end()) for m in _BREAKS.finditer(text, start, end)]
    cuts += [(t.start, t.end) for t in tokenize(text) if start <= t.start < end and _joins(t)]
    parts, at = [], start
    for cut_start, cut_end in sorted(cuts):
        if text[at:cut_start].strip():
            parts.append(_trimmed(text, at, cut_start))
        at = max(at, cut_end)
    if text[at:end].strip():
        parts.append(_trimmed(text, at, end))
    return parts


def _joins(token: Token) -> bool:
    """A joining word, as written ("mà", not "má") or typed without marks ("ma")."""
    return token.canon in _JOINING or (not token.marked and token.folded in _JOINING_UNMARKED)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _span(
    parts: Sequence[tuple[int, int]], first: int, last: int, start: int, end: int
) -> tuple[int, int]:
    return min(parts[first][0], start), max(parts[last][1], end)


def _opposite(reading: Reading, praise: bool) -> list[Evidence]:
    """The spans of ``reading`` that say the opposite of praise (or of a fault)."""
    if praise:
        rungs = [
            e
            for rung in (1, 2)
            for e in (*reading.strong.get(rung, ()), *reading.weak.get(rung, ()))
        ]
        families = COMPLAINT_FAMILIES
        sign = "−"
    else:
        rungs = [
            e
            for rung in (4, 5, 6)
            for e in (*reading.strong.get(rung, ()), *reading.weak.get(rung, ()))
        ]
        families = PRAISE_FAMILIES
        sign = "+"
    found = rungs + [e for name in families for e in reading.families.get(name, ())]
    found += [e for e in reading.dimension_evidence if e.signal.endswith(sign)]
    if praise and reading.sarcasm is not None:
        found.append(reading.sarcasm)
    return [e for e in found if e.end > e.start]


def _says(spans: Iterable[Evidence], start: int, end: int) -> bool:
    return any(e.start < end and start < e.end for e in spans)


def _words(text: str) -> tuple[str, ...]:
    """The words of ``text`` however typed: shorthand expanded, without case or marks."""
    return tuple(token.folded for token in tokenize(text))


@dataclass
class QuotePicker:
    """Chooses a report's quotes: a review quoted once in the whole report, and a text never
    shown twice, nor inside another shown (phrase banks and copied reviews repeat sentences)."""

    shown: int
    limit: int = QUOTE_CHARS
    reviews: set[tuple[str | None, str | None, str | None]] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)

    def pick(self, found: Sequence[Quote], praise: bool) -> tuple[tuple[str, ...], str | None]:
        """Up to :attr:`shown` quotes from ``found`` (newest first) not shown before, and the
        remark made most often across ``found`` where it is made cleanly, in the least clause that
        made it (the shortest; the newest of those)."""
        quoted = [(q, quote_of(q, praise, self.limit)) for q in found]
        usable = [(q, made) for q, made in quoted if made is not None]
        chosen: list[str] = []
        for q, made in usable:
            review = (q.title, q.body, q.answers)
            words = f" {' '.join(_words(made.text))} "
            if len(chosen) == self.shown or review in self.reviews or self._seen(words):
                continue
            self.reviews.add(review)
            self.texts.append(words)
            chosen.append(made.text)
        return tuple(chosen), most_said([made for _, made in usable])

    def _seen(self, words: str) -> bool:
        return any(words in shown or shown in words for shown in self.texts)


def most_said(quoted: Sequence[Quoted]) -> str | None:
    """The clause of the remark made most often, however typed ("thiếu món", "Thiếu món", "thieu
    mon"), in its shortest clause written with marks (the first of those)."""
    marked = {_unmarked(made.remark): _canon(made.remark) for made in quoted if _marked(made)}
    key = {
        id(made): _canon(made.remark)
        if _marked(made)
        else marked.get(_unmarked(made.remark), _unmarked(made.remark))
        for made in quoted
    }
    counts = Counter(key[id(made)] for made in quoted if made.remark)
    if not counts:
        return None
    top = max(counts.values())
    remark = next(key[id(made)] for made in quoted if counts[key[id(made)]] == top)
    said = [made for made in quoted if key[id(made)] == remark]
    best = min(said, key=lambda made: (not _marked(made), len(made.clause)))
    return best.clause.rstrip(".,;:!?…")


def _marked(made: Quoted) -> bool:
    return any(token.marked for token in made.remark)


def _canon(words: Sequence[Token]) -> tuple[str, ...]:
    return tuple(token.canon for token in words)


def _unmarked(words: Sequence[Token]) -> tuple[str, ...]:
    return tuple(token.folded for token in words)
