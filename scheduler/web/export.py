"""``ladder export``: a table or view written as CSV, a JSON list or JSON lines, for spreadsheets
and other tools (the rows come from :func:`db.queries.export_rows`).

Review text is written by anyone, and a CSV is opened in spreadsheets and printed in terminals, so
every text cell of the CSV is made safe (:func:`csv_cell`):

* escape sequences and control characters are removed (TAB and line breaks stay);
* a cell that starts with ``=``, ``+``, ``-``, ``@``, TAB or a line break gets a leading ``'``
  (OWASP's rule against CSV injection), so a spreadsheet shows it as text instead of running it as a formula;
  numbers are written as numbers, a rating of -1.5 stays -1.5;
* a cell longer than :data:`CELL_LIMIT` characters is cut, with a marker saying how long it was
  (a spreadsheet cell holds at most 32,767).

JSON escapes every C0 control character itself; DEL and C1 ones are escaped here too, so JSON
output holds the text unchanged and whole, with nothing a terminal acts on.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from typing import Any, TextIO

from analysis.report.text_safety import printable

FORMATS = ("csv", "json", "jsonl")
#: The longest CSV cell, marker included (below a spreadsheet's 32,767).
CELL_LIMIT = 32_000
#: What starts a formula in a spreadsheet (OWASP's CSV injection list), and LF: a leading CR is
#: written as LF, and the cell stays as guarded as it would have been.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
#: DEL and the C1 controls, which ``json.dumps(ensure_ascii=False)`` leaves raw.
_JSON_RAW_CONTROLS = re.compile(r"[\x7f-\x9f]")


def csv_cell(value: Any) -> Any:
    """A value as its CSV cell: text made printable, formula-proof and cut to :data:`CELL_LIMIT`;
    numbers, booleans and None (an empty cell) as they are."""
    if not isinstance(value, str):
        return value
    length = len(value)
    text = printable(value)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    if len(text) > CELL_LIMIT:
        marker = f"…[cut: {length:,} characters in all]"
        text = text[: CELL_LIMIT - len(marker)] + marker
    return text


def _json(item: dict[str, Any]) -> str:
    text = json.dumps(item, ensure_ascii=False)
    return _JSON_RAW_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def write_export(columns: list[str], rows: Iterator[tuple[Any, ...]], out: TextIO, fmt: str) -> int:
    """Write rows as CSV (with a header), a JSON list, or JSON lines; returns how many."""
    count = 0
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow([csv_cell(name) for name in columns])
        for row in rows:
            writer.writerow([csv_cell(value) for value in row])
            count += 1
        return count
    if fmt == "jsonl":
        for row in rows:
            out.write(_json(dict(zip(columns, row, strict=True))) + "\n")
            count += 1
        return count
    out.write("[")
    for row in rows:
        item = _json(dict(zip(columns, row, strict=True)))
        out.write(("," if count else "") + "\n" + item)
        count += 1
    out.write("\n]\n")
    return count
