"""``python -m scheduler …`` is ``ladder …``."""

from scheduler.cli import cli

cli(prog_name="ladder")
