"""``ladder import``: reviews exported elsewhere (CSV, JSON lines, a JSON list, or a Google Business
Profile export), validated, deduplicated and stored exactly like crawled ones.

Columns are found by their header names ("text", "comment", "rating", "stars", "date",
"created_at", "reply" …, in English and Vietnamese) or mapped explicitly (``text=Nội dung``);
a mapping may name a nested field with dots (``author=reviewer.displayName``). The file is read
as a stream and written in batches, so its size does not matter.
"""

from __future__ import annotations

import contextlib
import csv
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from crawler.items import RawReview
from crawler.normalize import SourceContext, normalize_page
from db.exceptions import ImportFailed
from db.reviews import ReviewWriter
from db.rows import utc_iso
from db.store import author_salt, start_crawl_run, sync_business, sync_source, update_crawl_run

KIND = "import"
BATCH = 500
#: Header names recognised for each field (compared without case, marks or punctuation).
COLUMNS = {
    "text": ("text", "body", "review", "comment", "content", "review text", "noi dung",
             "binh luan", "danh gia", "nhan xet"),
    "rating": ("rating", "stars", "star", "score", "n star", "rating star", "star rating",
               "so sao", "diem"),
    "title": ("title", "headline", "tieu de"),
    "date": ("date", "published at", "published", "created at", "create time", "time",
             "datetime", "review date", "ngay", "thoi gian"),
    "author": ("author", "name", "user", "username", "reviewer", "customer", "khach hang",
               "nguoi danh gia"),
    "reply": ("reply", "response", "owner reply", "reply text", "phan hoi", "tra loi"),
    "reply_date": ("reply date", "replied at", "response date", "reply time"),
    "id": ("id", "review id", "native id", "cmt id", "ma"),
    "lang": ("lang", "language", "ngon ngu"),
}  # fmt: skip
#: A Google Business Profile export ({"reviews": [...]}) and its field names.
GOOGLE_EXPORT = {
    "text": "comment",
    "rating": "starRating",
    "date": "createTime",
    "author": "reviewer.displayName",
    "reply": "reviewReply.comment",
    "reply_date": "reviewReply.updateTime",
    "id": "reviewId",
}
_STAR_WORDS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}


@dataclass
class ImportResult:
    run_id: int
    rows: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    columns: dict[str, str] = field(default_factory=dict)


def _key(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.lower().replace("đ", "d"))
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(re.split(r"[^a-z0-9]+", folded)).strip()


def find_columns(headers: list[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """Each field's column: from ``mapping`` when given, else by header name."""
    unknown = set(mapping) - set(COLUMNS)
    if unknown:
        raise ImportFailed(
            f"cannot map {', '.join(sorted(unknown))}: the fields are {', '.join(COLUMNS)}"
        )
    by_key = {_key(header): header for header in headers}
    columns = dict(mapping)
    for name, aliases in COLUMNS.items():
        if name not in columns:
            found = next((by_key[a] for a in aliases if a in by_key), None)
            if found is not None:
                columns[name] = found
    if "text" not in columns and "rating" not in columns:
        raise ImportFailed(
            f"found neither a text nor a rating column among {', '.join(headers) or 'no columns'}; "
            "name them with --map text=COLUMN --map rating=COLUMN"
        )
    if "date" not in columns:
        raise ImportFailed(
            f"found no date column among {', '.join(headers)}; name it with --map date=COLUMN "
            "(every review is placed in a week)"
        )
    return columns


def _value(row: Mapping[str, Any], column: str) -> Any:
    if column in row:
        return row[column]
    value: Any = row
    for part in column.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


@contextlib.contextmanager
def open_rows(path: Path) -> Iterator[tuple[list[str], Iterator[Any], bool]]:
    """``(headers, rows, google)`` of a CSV, JSON-lines or JSON file, rows read lazily; the file
    is closed on leaving, however that happens."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
        start = handle.read(1)
        handle.seek(0)
    except OSError as error:
        raise ImportFailed(f"{path}: cannot read ({error.strerror or error})") from None
    except UnicodeDecodeError:
        handle.close()
        raise ImportFailed(f"{path}: not UTF-8 text; save it as UTF-8 CSV or JSON") from None
    with handle:
        if start == "[" or (start == "{" and path.suffix.lower() == ".json"):
            yield _json_document(path, handle)
        elif start == "{":
            first = json.loads(handle.readline())
            handle.seek(0)
            yield sorted(first), _json_lines(path, handle), False
        else:
            reader = csv.DictReader(handle)
            yield list(reader.fieldnames or []), iter(reader), False


def _json_document(path: Path, handle: Any) -> tuple[list[str], Iterator[Any], bool]:
    try:
        data = json.load(handle)
    except ValueError as error:
        raise ImportFailed(f"{path}: not valid JSON ({error})") from None
    google = isinstance(data, dict) and isinstance(data.get("reviews"), list)
    items = data["reviews"] if google else data
    if not isinstance(items, list):
        raise ImportFailed(f'{path}: expected a list of reviews or {{"reviews": [...]}}')
    if google:
        return list(GOOGLE_EXPORT.values()), iter(items), True
    headers = sorted({key for item in items[:100] if isinstance(item, dict) for key in item})
    return headers, iter(items), False


def _json_lines(path: Path, handle: Any) -> Iterator[Any]:
    for number, line in enumerate(handle, 1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except ValueError:
            raise ImportFailed(f"{path}:{number}: not a JSON object") from None


def raw_review(row: Mapping[str, Any], columns: Mapping[str, str], scale: float) -> RawReview:
    values = {name: _value(row, column) for name, column in columns.items()}
    rating = values.get("rating")
    if isinstance(rating, str) and rating.strip().upper() in _STAR_WORDS:
        rating = _STAR_WORDS[rating.strip().upper()]
    native_id = values.get("id")
    return RawReview(
        native_id=str(native_id) if native_id not in (None, "") else None,
        rating=rating if rating != "" else None,
        best_rating=scale,
        title=values.get("title"),
        body=values.get("text"),
        lang=values.get("lang"),
        published=values.get("date"),
        author=values.get("author"),
        reply_body=values.get("reply"),
        replied=values.get("reply_date"),
    )


def import_reviews(
    db: Database,
    path: Path,
    *,
    business: str,
    label: str,
    mapping: Mapping[str, str] | None = None,
    scale: float = 5.0,
    salt: str | None = None,
    tz: tzinfo = UTC,
    day_first: bool = True,
    now: datetime | None = None,
) -> ImportResult:
    """Import one file as source ``import:LABEL`` of ``business``; rerunning it adds nothing."""
    context = SourceContext(
        business=business,
        kind=KIND,
        host=label,
        salt=salt or author_salt(db),
        now=now or datetime.now(UTC),
        tz=tz,
        day_first=day_first,
    )
    with open_rows(path) as (headers, rows, google):
        columns = find_columns(headers, GOOGLE_EXPORT if google and not mapping else mapping or {})
        return _import(db, rows, columns, context, scale)


def _import(
    db: Database, rows: Iterator[Any], columns: dict[str, str], context: SourceContext, scale: float
) -> ImportResult:
    business_id = sync_business(db, context.business)
    source_id = sync_source(db, business_id, KIND, f"{KIND}:{context.host}")
    result = ImportResult(run_id=start_crawl_run(db, source_id, KIND), columns=columns)
    writer = ReviewWriter(db, source_id)
    batch: list[RawReview] = []
    for row in rows:
        if isinstance(row, Mapping):
            batch.append(raw_review(row, columns, scale))
        else:
            result.dropped["not_a_record"] += 1
        if len(batch) >= BATCH:
            _store(batch, context, writer, business_id, source_id, result)
            batch = []
    _store(batch, context, writer, business_id, source_id, result)
    _finish(db, result)
    return result


def _store(
    batch: list[RawReview],
    context: SourceContext,
    writer: ReviewWriter,
    business_id: int,
    source_id: int,
    result: ImportResult,
) -> None:
    result.rows += len(batch)
    reviews, dropped = normalize_page(batch, context)
    result.dropped.update(dropped)
    rows = [dict(vars(r), business_id=business_id, source_id=source_id) for r in reviews]
    counts = writer.write(rows, context.now)
    result.new += counts.new
    result.changed += counts.changed
    result.unchanged += counts.unchanged
    if counts.rejected:
        result.dropped["rejected_by_database"] += counts.rejected


def _finish(db: Database, result: ImportResult) -> None:
    dropped = sum(result.dropped.values())
    ok = result.rows > 0 and dropped <= result.rows / 2
    health = (
        f"read {result.rows} rows"
        if ok
        else f"dropped {dropped} of {result.rows} rows: {dict(result.dropped)}"
    )
    update_crawl_run(
        db,
        result.run_id,
        finished_at=utc_iso(),
        pages=1,
        reviews_parsed=result.rows,
        reviews_new=result.new,
        reviews_changed=result.changed,
        dropped=dropped,
        dropped_reasons=dict(result.dropped),
        finish_reason="finished",
        ok=int(ok),
        health=health,
    )
