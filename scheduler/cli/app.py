"""The ``ladder`` group: its options, its error handling and its exit codes.

Each command parses, loads the config, calls one library function and formats the result. Every
error Service Ladder raises on purpose derives from :class:`db.exceptions.LadderError` and becomes
``Error: …`` with exit code 1; anything else is a bug and shows its traceback.

Exit codes: 0 success; 1 error (the message says what to fix); 2 usage error; 3 the command ran but
a source is unhealthy (``ladder crawl``, ``ladder demo``); 4 a report could not be delivered and
waits in the outbox (``ladder report --send``, ``ladder outbox --flush``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from db.exceptions import LadderError
from scheduler import __version__
from scheduler.config import Config, find_config, load_config

EXIT_UNHEALTHY = 3
EXIT_UNDELIVERED = 4


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
