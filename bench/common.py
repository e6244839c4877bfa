"""What the benchmark scripts share: their paths, their child processes, their results files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results"


def child_env() -> dict[str, str]:
    """The environment for the benchmarks' child processes: Python bytecode cached (under
    bench/data/pycache), as in any normal install. This machine sets ``PYTHONDONTWRITEBYTECODE``,
    which makes every crawl process compile the project's modules again (about 0.2 s CPU each)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": str(DATA / "pycache")}


def run_child(what: str, code: str, *args: str) -> dict[str, Any]:
    """Run ``code`` in a fresh Python with ``args``; its figures are the JSON of its last line."""
    output = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=child_env(),
        check=False,
    )
    if output.returncode:
        raise RuntimeError(f"{what} failed:\n{output.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    return figures


def write_result(name: str, result: dict[str, Any]) -> None:
    """Write ``result`` to bench/results/<name>.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
