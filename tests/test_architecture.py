"""The layers, as a test (docs/architecture.md draws them).

* ``scheduler`` (the composition root) may import everything; ``crawler`` and ``analysis`` import
  ``db`` and never ``scheduler``; ``db`` imports nothing else of ours.
* ``analysis`` knows of the database only its row types and exceptions (``db.rows``,
  ``db.exceptions``): it is handed rows and returns results.
* ``db`` is the one door to SQL: no module elsewhere imports ``sqlite3``, runs ``.execute()`` or
  holds SQL text.
* The Scrapyd egg ships ``crawler`` and ``db`` (:data:`scheduler.crawl.nodes.EGG_PACKAGES`):
  nothing a spider loads may need another package of ours.
* No import cycle between modules (type-only imports under ``TYPE_CHECKING`` do not count).

Each rule is checked on the project, and on a small tree with one violation to prove it would
fail.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from scheduler.crawl.nodes import EGG_PACKAGES

ROOT = Path(__file__).parent.parent
PACKAGES = ("db", "crawler", "analysis", "scheduler")
#: What each package may import of ours.
ALLOWED = {
    "db": {"db"},
    "crawler": {"crawler", "db"},
    "analysis": {"analysis", "db"},
    "scheduler": set(PACKAGES),
}
#: What the analysis may import of ``db``.
ANALYSIS_DB = {"db.rows", "db.exceptions"}
#: The modules Scrapy loads in a crawl on a node: the settings and the spiders (and all they import).
EGG_ENTRY = ("crawler.settings", "crawler.spiders")
_SQL = re.compile(
    r"\b(?:SELECT\s[\s\S]*\bFROM|INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM"
    r"|CREATE\s+(?:TEMP\s+|UNIQUE\s+|VIRTUAL\s+)?(?:TABLE|VIEW|INDEX|TRIGGER)|DROP\s+(?:TABLE|VIEW"
    r"|INDEX|TRIGGER)|ALTER\s+TABLE|PRAGMA\s+\w+|BEGIN\s+(?:IMMEDIATE|EXCLUSIVE|DEFERRED))\b"
)
_EXECUTE = frozenset({"execute", "executemany", "executescript", "query"})


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the module imported (for `from a import b`: a.b when it is a module, else a)
    line: int
    top_level: bool  # at module level (not inside a function)
    type_only: bool  # under `if TYPE_CHECKING:`


@dataclass
class Module:
    name: str
    path: Path
    tree: ast.Module


def read_modules(root: Path) -> dict[str, Module]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            name = ".".join(parts)
            modules[name] = Module(name, path, ast.parse(path.read_text(encoding="utf-8")))
    return modules


def _ours(name: str) -> bool:
    return name.split(".")[0] in PACKAGES


def imports(modules: dict[str, Module]) -> Iterator[Import]:
    for module in modules.values():
        yield from _imports_of(module, modules, module.tree.body, top_level=True, type_only=False)


def _imports_of(
    module: Module,
    modules: dict[str, Module],
    body: list[ast.stmt],
    *,
    top_level: bool,
    type_only: bool,
) -> Iterator[Import]:
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield from _targets(module, modules, node, top_level=top_level, type_only=type_only)
        elif isinstance(node, ast.If):
            checking = isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
            for branch in (node.body, node.orelse):
                yield from _imports_of(
                    module, modules, branch, top_level=top_level, type_only=type_only or checking
                )
        elif isinstance(node, ast.Try | ast.With):
            for block in (node.body, *(h.body for h in getattr(node, "handlers", ()))):
                yield from _imports_of(
                    module, modules, block, top_level=top_level, type_only=type_only
                )
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            # every import anywhere inside is a lazy one (a class body's runs at import time, but
            # counting it as lazy only makes the cycle check more lenient)
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    yield from _targets(
                        module, modules, inner, top_level=False, type_only=type_only
                    )


def _targets(
    module: Module,
    modules: dict[str, Module],
    node: ast.Import | ast.ImportFrom,
    *,
    top_level: bool,
    type_only: bool,
) -> Iterator[Import]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if _ours(alias.name):
                yield Import(module.name, alias.name, node.lineno, top_level, type_only)
    elif node.module and not node.level and _ours(node.module):
        for alias in node.names:
            submodule = f"{node.module}.{alias.name}"
            target = submodule if submodule in modules else node.module
            yield Import(module.name, target, node.lineno, top_level, type_only)


def where(modules: dict[str, Module], name: str, line: int) -> str:
    """``crawler/x.py:3``: the module's file, relative to the tree's root."""
    path = modules[name].path
    depth = len(name.split(".")) - (path.name != "__init__.py")
    return f"{path.relative_to(path.parents[depth]).as_posix()}:{line}"


def layer_violations(root: Path) -> list[str]:
    """Imports of a package of ours that the importing package may not use."""
    modules = read_modules(root)
    found = []
    for item in imports(modules):
        package, target = item.module.split(".")[0], item.target.split(".")[0]
        if target not in ALLOWED[package]:
            found.append(
                f"{where(modules, item.module, item.line)}: {package} imports {item.target} "
                f"({package} may import {', '.join(sorted(ALLOWED[package]))})"
            )
        elif package == "analysis" and target == "db" and item.target not in ANALYSIS_DB:
            found.append(
                f"{where(modules, item.module, item.line)}: analysis imports {item.target} "
                f"(of db it may import only {', '.join(sorted(ANALYSIS_DB))}: rows in, "
                "results out)"
            )
    return found


def _docstrings(tree: ast.Module) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def sql_violations(root: Path) -> list[str]:
    """SQL, ``sqlite3`` and ``.execute()`` outside ``db``."""
    modules = read_modules(root)
    found = []
    for module in modules.values():
        if module.name.split(".")[0] == "db":
            continue
        skip = _docstrings(module.tree) | {
            id(part)
            for node in ast.walk(module.tree)
            if isinstance(node, ast.JoinedStr)
            for part in node.values
        }
        for node in ast.walk(module.tree):
            spot = where(modules, module.name, getattr(node, "lineno", 0))
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = (
                    [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
                )
                if any(name and name.split(".")[0] == "sqlite3" for name in names):
                    found.append(f"{spot}: imports sqlite3 (only db/ talks to SQLite)")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in _EXECUTE:
                    found.append(f"{spot}: calls .{node.func.attr}() (queries belong in db/)")
            elif isinstance(node, ast.JoinedStr):
                text = "".join(
                    v.value
                    for v in node.values
                    if isinstance(v, ast.Constant) and isinstance(v.value, str)
                )
                if _SQL.search(text):
                    found.append(f"{spot}: holds SQL (queries belong in db/)")
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in skip
                and _SQL.search(node.value)
            ):
                found.append(f"{spot}: holds SQL (queries belong in db/)")
    return found


def egg_violations(root: Path, shipped: tuple[str, ...] = EGG_PACKAGES) -> list[str]:
    """Modules of ours that the spiders need, transitively, outside the packages the egg ships."""
    modules = read_modules(root)
    edges: dict[str, set[str]] = {}
    for item in imports(modules):
        edges.setdefault(item.module, set()).add(item.target)
    entries = [m for m in modules if any(m == e or m.startswith(e + ".") for e in EGG_ENTRY)]
    seen, stack, found = set(entries), list(entries), []
    while stack:
        name = stack.pop()
        for target in sorted(edges.get(name, ())):
            if target.split(".")[0] not in shipped:
                found.append(f"{name} needs {target}, which the Scrapyd egg does not ship")
            elif target not in seen:
                seen.add(target)
                stack.append(target)
    return found


def cycles(root: Path) -> list[list[str]]:
    """Import cycles between modules, through module-level imports (not type-only ones)."""
    modules = read_modules(root)
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for item in imports(modules):
        if (
            item.top_level
            and not item.type_only
            and item.target in modules
            and item.target != item.module
            and not item.module.startswith(item.target + ".")
        ):
            edges[item.module].add(item.target)
    found, state, path = [], {}, []

    def visit(name: str) -> None:
        state[name] = "open"
        path.append(name)
        for target in sorted(edges[name]):
            if state.get(target) == "open":
                found.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[name] = "done"

    for name in sorted(modules):
        if name not in state:
            visit(name)
    return found


# The project ----------------------------------------------------------------------------------


def test_the_layers_hold() -> None:
    assert layer_violations(ROOT) == []


def test_only_db_talks_to_sqlite() -> None:
    assert sql_violations(ROOT) == []


def test_the_scrapyd_egg_ships_everything_a_spider_needs() -> None:
    assert egg_violations(ROOT) == []


def test_no_import_cycles() -> None:
    assert cycles(ROOT) == []


# Each rule would fail ------------------------------------------------------------------------


def tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for package in PACKAGES:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("crawler/x.py", "from scheduler.config import Config\n", "crawler imports scheduler"),
        ("analysis/x.py", "def f():\n    import scheduler.cli\n", "analysis imports scheduler"),
        ("db/x.py", "from analysis import ladder\n", "db imports analysis"),
        ("db/x.py", "import crawler.items\n", "db imports crawler.items"),
        ("analysis/x.py", "from db.store import utc_iso\n", "analysis imports db.store"),
        ("analysis/x.py", "from db import open_db\n", "analysis imports db "),
        ("crawler/x.py", "from analysis.ladder import classify\n", "crawler imports analysis"),
    ],
)
def test_a_crossed_layer_is_named(tmp_path: Path, name: str, text: str, expected: str) -> None:
    found = layer_violations(tree(tmp_path, {name: text}))
    assert len(found) == 1
    assert expected in found[0]
    assert found[0].startswith(name)


def test_allowed_imports_pass(tmp_path: Path) -> None:
    files = {
        "analysis/x.py": "from db.rows import GapRow\nfrom db.exceptions import LadderError\n",
        "crawler/x.py": "from db.store import ReviewWriter\n",
        "scheduler/x.py": "from analysis import x\nfrom crawler import x as y\n",
    }
    assert layer_violations(tree(tmp_path, files)) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("import sqlite3\n", "imports sqlite3"),
        ("from sqlite3 import Error\n", "imports sqlite3"),
        ("def f(db):\n    return db.execute('x')\n", "calls .execute()"),
        ("Q = 'SELECT name FROM businesses'\n", "holds SQL"),
        ("def f(t):\n    return f'DELETE FROM {t} WHERE 1'\n", "holds SQL"),
        ("Q = ('INSERT INTO reviews (a) '\n     'VALUES (1)')\n", "holds SQL"),
        ("Q = 'PRAGMA table_info(x)'\n", "holds SQL"),
    ],
)
def test_sql_outside_db_is_named(tmp_path: Path, text: str, expected: str) -> None:
    found = sql_violations(tree(tmp_path, {"scheduler/x.py": text}))
    assert len(found) == 1
    assert expected in found[0]


def test_sql_in_db_and_words_in_docstrings_pass(tmp_path: Path) -> None:
    files = {
        "db/x.py": "import sqlite3\nQ = 'SELECT a FROM b'\n",
        "scheduler/x.py": '"""Run sqlite3 x.db \'SELECT count(*) FROM reviews\'."""\n'
        "HELP = 'select the reviews from one week'\n",
    }
    assert sql_violations(tree(tmp_path, files)) == []


def test_a_spider_needing_another_package_is_named(tmp_path: Path) -> None:
    files = {
        "crawler/settings.py": "",
        "crawler/spiders/__init__.py": "",
        "crawler/spiders/shop.py": "from crawler.base import Spider\n",
        "crawler/base.py": "def f():\n    from analysis.ladder import classify\n",
    }
    found = egg_violations(tree(tmp_path, files), shipped=("crawler", "db"))
    assert found == ["crawler.base needs analysis.ladder, which the Scrapyd egg does not ship"]


def test_an_import_cycle_is_named(tmp_path: Path) -> None:
    files = {
        "scheduler/jobs.py": "from scheduler.cluster import run\n",
        "scheduler/cluster.py": "from scheduler.jobs import CrawlTarget\n",
        "scheduler/fine.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    from scheduler.other import X\n",
        "scheduler/other.py": "from scheduler.fine import Y\n",
    }
    assert cycles(tree(tmp_path, files)) == [
        ["scheduler.cluster", "scheduler.jobs", "scheduler.cluster"]
    ]
