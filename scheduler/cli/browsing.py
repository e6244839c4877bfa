"""Commands for people who ask their own questions: ``serve`` (Datasette) and ``export``."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from scheduler.cli.app import cli, load, week_option


@cli.command()
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True)
@click.pass_context
def serve(ctx: click.Context, port: int) -> None:
    """Browse and query the database in Datasette on 127.0.0.1 (read-only; the 'ui' extra:
    pip install -e '.[ui]'). Canned queries answer the usual questions; review text can be
    searched with or without Vietnamese marks. Keeps working while crawls write.

    \b
    Example:
      ladder serve --port 8001   # then open http://127.0.0.1:8001/
    """
    from db import open_db
    from scheduler.web.browse import datasette_command, write_metadata

    config = load(ctx)
    with contextlib.closing(open_db(config.database)):  # migrations applied, views current
        pass
    command = datasette_command(config, write_metadata(config), port)
    click.echo(f"Serving {config.database} read-only on http://127.0.0.1:{port}/ (Ctrl-C stops)")
    sys.stdout.flush()
    # Datasette takes this process's place, so Ctrl-C and SIGTERM reach it directly.
    os.execv(command[0], command)  # noqa: S606 - our own argument list


@cli.command("export")
@click.argument("name", metavar="TABLE_OR_VIEW")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json", "jsonl"]), default="csv", show_default=True
)
@click.option(
    "--week", callback=week_option, help="Only this ISO week (tables and views with a week column)."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (default: standard output).",
)
@click.pass_context
def export(ctx: click.Context, name: str, fmt: str, week: str | None, out: Path | None) -> None:
    """Export a table or view (see docs/queries.md) as CSV, a JSON list or JSON lines, for
    spreadsheets and other tools.

    \b
    Example:
      ladder export latest_ranking --format csv --out ranking.csv
      ladder export gaps --week 2026-W47 --format jsonl | jq .
    """
    from db import open_db
    from db.queries import export_rows
    from scheduler.web.export import write_export

    config = load(ctx)
    with contextlib.closing(open_db(config.database)) as db:
        columns, rows = export_rows(db, name, week=week)
        if out is None:
            write_export(columns, rows, sys.stdout, fmt)
            return
        with out.open("w", encoding="utf-8", newline="") as file:
            count = write_export(columns, rows, file, fmt)
    click.echo(f"Wrote {count} rows of {name} to {out}", err=True)
