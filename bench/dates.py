"""Date reading cost: CPU ms per 10,000 review dates, before and after dates are searched for
inside sentences (issue 21), on a realistic mix of what date selectors return.

The mix (``--reviews``, default 10,000): ISO 8601 from JSON-LD and ``<time datetime>`` (40%),
numeric dates (15%), relative phrases in Vietnamese and English (20%), dates inside sentences
("Reviewed in the United States on July 1, 2024", "Đã đánh giá vào 3 tuần trước", 20%), months
without a day (3%) and texts with no date (2%). "Before" is ``parse_date`` as it was at commit
``BEFORE``, loaded from git into a temporary module at run time; "after" is today's
``crawler.extract.dates.read_date``. Each is also timed on the fast-path texts alone and the
sentence texts alone. When dateparser is importable (it is no dependency of the project), its
``search_dates`` is timed on the sentences for comparison. Writes bench/results/dates.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

from common import ROOT, write_result

from crawler.extract.dates import read_date

BEFORE = "33121e3"  # the last commit whose parse_date read whole texts only
NOW = datetime(2026, 11, 29, 17, tzinfo=UTC)
SAIGON = ZoneInfo("Asia/Ho_Chi_Minh")

FAST = {
    "iso": ["2024-06-21T10:47:53.000Z", "2024-06-21T10:00:00+07:00", "2024-06-21", "2025-01-03"],
    "numeric": ["12/05/2024", "05/13/2024", "12/03/2024 14:05", "03.11.2025"],
    "relative": ["3 ngày trước", "2 tuần trước", "2 weeks ago", "5 giờ trước", "hôm qua", "a month ago"],
}  # fmt: skip
SENTENCES = {
    "sentence": [
        "Reviewed in the United States on July 1, 2024",
        "Đã đánh giá vào 3 tuần trước",
        "Được đăng ngày 05/11",
        "Dined on November 2, 2026",
        "Đánh giá vào ngày 12 tháng 3 năm 2024",
        "Posted 2 weeks ago",
        "il y a 2 jours",
    ],
    "month": ["Tháng 11, 2026", "November 2025"],
    "none": ["Great food, friendly staff", "Ordered 2024 units of the thing"],
}
SHARES = {"iso": 40, "numeric": 15, "relative": 20, "sentence": 20, "month": 3, "none": 2}


def mix(size: int) -> list[str]:
    """``size`` texts in the shares above, each kind cycling through its examples."""
    kinds = {**FAST, **SENTENCES}
    texts: list[str] = []
    for kind, share in SHARES.items():
        examples = kinds[kind]
        texts += [examples[i % len(examples)] for i in range(size * share // 100)]
    return texts


def old_module() -> ModuleType:
    """crawler/extract/dates.py as it was at ``BEFORE``, imported from a temporary file."""
    source = subprocess.run(
        [shutil.which("git") or "git", "show", f"{BEFORE}:crawler/extract/dates.py"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "dates_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("dates_before", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["dates_before"] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def ms_per_10k(read: Callable[[str], object], texts: list[str], runs: int) -> float:
    """Median CPU milliseconds to read 10,000 of ``texts``."""
    times = []
    for _ in range(runs):
        started = time.process_time()
        for text in texts:
            read(text)
        times.append((time.process_time() - started) / len(texts) * 10_000 * 1000)
    return statistics.median(times)


def dateparser_figures(texts: list[str]) -> dict[str, float] | None:
    """dateparser's import, first call and per-call cost on ``texts``, if it is installed."""
    started = time.perf_counter()
    try:
        from dateparser.search import search_dates  # type: ignore[import-not-found]
    except ImportError:
        return None
    imported = time.perf_counter() - started
    settings = {"RELATIVE_BASE": NOW.replace(tzinfo=None)}
    started = time.perf_counter()
    search_dates(texts[0], settings=settings)
    first = time.perf_counter() - started
    started = time.perf_counter()
    for text in texts:
        search_dates(text, settings=settings)
    every = (time.perf_counter() - started) / len(texts)
    started = time.perf_counter()
    for text in texts:
        search_dates(text, languages=["vi", "en", "fr"], settings=settings)
    three = (time.perf_counter() - started) / len(texts)
    return {
        "import_s": round(imported, 3),
        "first_call_s": round(first, 3),
        "ms_per_text_all_locales": round(every * 1000, 2),
        "ms_per_text_vi_en_fr": round(three * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reviews", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    try:
        before = old_module().parse_date
    except (OSError, subprocess.CalledProcessError):  # no git, or a shallow clone without it
        print(f"crawler/extract/dates.py at {BEFORE} is not in this checkout: 'before' skipped")
        before = None
    texts = mix(args.reviews)
    fast = [t for t in texts if any(t in examples for examples in FAST.values())]
    searched = [t for t in texts if t not in fast]

    def old(text: str) -> object:
        assert before is not None
        return before(text, now=NOW, tz=SAIGON)

    def new(text: str) -> object:
        return read_date(text, now=NOW, tz=SAIGON)

    result: dict[str, object] = {"reviews": len(texts), "runs": args.runs, "commit_before": BEFORE}
    for name, read in (("before", old), ("after", new))[before is None :]:
        result[name] = {
            "ms_per_10k_mix": round(ms_per_10k(read, texts, args.runs), 1),
            "ms_per_10k_fast_path": round(ms_per_10k(read, fast, args.runs), 1),
            "ms_per_10k_sentences": round(ms_per_10k(read, searched, args.runs), 1),
            "read_of_mix": sum(read(t) is not None for t in texts),
        }
    sentences = [t for kind in ("sentence", "month", "none") for t in SENTENCES[kind]]
    result["dateparser"] = dateparser_figures(sentences)
    write_result("dates", result)
    b, a = result.get("before"), result["after"]
    assert isinstance(a, dict)
    if not isinstance(b, dict):  # only today's figures
        b = dict.fromkeys(a, "–")
    print(
        f"dates, CPU ms per 10,000 ({len(texts):,} texts, median of {args.runs}): mix "
        f"{b['ms_per_10k_mix']} → {a['ms_per_10k_mix']}; fast-path texts "
        f"{b['ms_per_10k_fast_path']} → {a['ms_per_10k_fast_path']}; sentences and months "
        f"{b['ms_per_10k_sentences']} → {a['ms_per_10k_sentences']}; read {b['read_of_mix']:,} "
        f"→ {a['read_of_mix']:,} of {len(texts):,}"
    )
    if result["dateparser"] is not None:
        print(f"dateparser.search_dates on the sentences: {result['dateparser']}")
    else:
        print("dateparser not installed: not compared", file=sys.stderr)


if __name__ == "__main__":
    main()
