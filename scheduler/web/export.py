"""``ladder export``: a table or view written as CSV, a JSON list or JSON lines, for spreadsheets
and other tools (the rows come from :func:`db.queries.export_rows`)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, TextIO

FORMATS = ("csv", "json", "jsonl")


def write_export(columns: list[str], rows: Iterator[tuple[Any, ...]], out: TextIO, fmt: str) -> int:
    """Write rows as CSV (with a header), a JSON list, or JSON lines; returns how many."""
    count = 0
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(row)
            count += 1
        return count
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False) + "\n")
            count += 1
        return count
    out.write("[")
    for row in rows:
        item = json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False)
        out.write(("," if count else "") + "\n" + item)
        count += 1
    out.write("\n]\n")
    return count
