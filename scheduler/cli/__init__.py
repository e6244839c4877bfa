"""The ``ladder`` command line: the group, its errors and exit codes in :mod:`scheduler.cli.app`;
the commands in one module per purpose; how results look in a terminal in the rest."""

from scheduler.cli import analysing, browsing, crawling, project, reporting, running
from scheduler.cli.app import Exit, cli, main

# The command modules register their commands on `cli` when imported.
__all__ = [
    "Exit",
    "analysing",
    "browsing",
    "cli",
    "crawling",
    "main",
    "project",
    "reporting",
    "running",
]
