"""The four top-level packages are ours alone; every source kind has its spider and back."""

from __future__ import annotations

import importlib
import pkgutil
from importlib.metadata import distributions
from pathlib import Path

import crawler.spiders
from crawler.extract import EXTRACTORS
from crawler.source_spider import ReviewSpider, SourceSpider
from crawler.sources import SIGNAL_KINDS, SOURCE_KINDS

PACKAGES = ("crawler", "scheduler", "analysis", "db")


def test_no_other_distribution_provides_our_packages() -> None:
    owners: dict[str, set[str]] = {package: set() for package in PACKAGES}
    for distribution in distributions():
        name = distribution.metadata["Name"]
        top_level = (distribution.read_text("top_level.txt") or "").split()
        files = {str(path).split("/", 1)[0] for path in distribution.files or ()}
        for package in PACKAGES:
            if package in top_level or package in files:
                owners[package].add(name)
    for package, names in owners.items():
        assert names <= {"service-ladder"}, f"{package!r} is also installed by {sorted(names)}"


def test_every_spider_module_is_named_after_its_spider() -> None:
    modules = [info.name for info in pkgutil.iter_modules(crawler.spiders.__path__)]
    assert sorted(modules) == sorted(SOURCE_KINDS)
    for module_name in modules:
        module = importlib.import_module(f"crawler.spiders.{module_name}")
        spiders = [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, SourceSpider)
            and value not in (SourceSpider, ReviewSpider)
        ]
        assert len(spiders) == 1, f"crawler/spiders/{module_name}.py must hold one spider"
        (spider,) = spiders
        assert spider.name == module_name
        assert spider.__name__ == f"{module_name.capitalize()}Spider"
        assert module_name in EXTRACTORS or module_name in SIGNAL_KINDS


def test_every_source_kind_has_its_documentation_page() -> None:
    docs = Path(__file__).parent.parent / "docs"
    configuration = (docs / "configuration.md").read_text(encoding="utf-8")
    for kind, spec in SOURCE_KINDS.items():
        page = docs / "sources" / f"{kind}.md"
        assert page.exists(), f"docs/sources/{kind}.md is missing"
        assert "**Terms:**" in page.read_text(encoding="utf-8")
        for option in spec.options:
            assert f"`{option}`" in configuration, f"docs/configuration.md lacks {kind}'s {option}"
