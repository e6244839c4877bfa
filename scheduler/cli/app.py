"""The ``ladder`` group: its options, its error handling and its exit codes.

Each command parses, loads the config, calls one library function and formats the result. Every
error Service Ladder raises on purpose derives from :class:`db.exceptions.LadderError` and becomes
``Error: …`` with exit code 1; anything else is a bug and shows its traceback.

Every command exits with one of the codes of :class:`Exit` (docs/cli.md's table is this one; a
test walks every command through it).
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path
from typing import Any

import click

from db.exceptions import LadderError
from scheduler import __version__
from scheduler.config import Config, find_config, load_config


class Exit(IntEnum):
    """What a command's exit code says, the same for every command."""

    #: it did what was asked
    OK = 0
    #: an error the message explains (``Error: …``): a config problem, a business, job or week
    #: that is not there, an unreadable database, page or file
    ERROR = 1
    #: wrong usage: an unknown command or option, a missing argument, a value of the wrong form
    #: (a week that is not like 2026-W47, a file argument that does not exist)
    USAGE = 2
    #: it ran, but a source is unhealthy: a crawl failed or read nothing, or ``ladder status``
    #: found a broken source
    UNHEALTHY = 3
    #: a report could not be delivered; it waits in the outbox
    UNDELIVERED = 4
    #: nothing was done because another run holds the lock (a crawl of the same source)
    BUSY = 5


#: The exit code of a run of crawls, by :func:`scheduler.crawl.targets.crawl_state`.
CRAWL_EXIT = {"ok": Exit.OK, "unhealthy": Exit.UNHEALTHY, "busy": Exit.BUSY}


def week_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--week``: an ISO week like 2026-W47 (a usage error otherwise), written canonically."""
    from analysis.weeks import parse_week, week_label

    if value is None:
        return None
    try:
        return week_label(parse_week(value))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO week; write it like 2026-W47") from None


class LadderGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LadderError as error:
            raise click.ClickException(str(error)) from None


def load(ctx: click.Context) -> Config:
    """The config of this invocation (``--config``, ``$LADDER_CONFIG`` or ``./ladder.toml``)."""
    return load_config(ctx.obj["config"])


def load_optional(ctx: click.Context) -> Config | None:
    """The config when there is one (for the contact and time zone), else None."""
    path = find_config(ctx.obj["config"])
    return load_config(path) if path.exists() else None


@click.group(cls=LadderGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="ladder.toml to use (default: $LADDER_CONFIG, else ./ladder.toml).",
)
@click.version_option(__version__, prog_name="ladder")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """Service Ladder: where your customer service stands against your competitors.

    \b
    Example:
      ladder init && ladder crawl
    """
    ctx.ensure_object(dict)
    ctx.obj["config"] = config_path


def main() -> None:
    cli(prog_name="ladder")
