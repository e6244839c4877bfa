"""Commands that put reviews on the ladder and rank the businesses: ``classify``, ``evaluate``,
``analyze``, ``rank``, ``explain``."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import TextIO

import click

from scheduler.cli.app import cli, load


@cli.command("classify")
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-")
def classify_command(source: TextIO) -> None:
    """Put reviews on the ladder: JSON lines in, JSON lines out.

    Each input line is an object with "text", and optionally "rating" (1–5) and "lang" ("vi" or
    "en"). Each output line is that object with "rung", "confidence", "evidence", "dimensions" and
    "conflict" added, in the same order. A line that cannot be read gets an "error" instead, and
    the command exits 1 at the end.

    \b
    Example:
      echo '{"text": "Sẽ không quay lại", "rating": 2}' | ladder classify
      ladder classify reviews.jsonl > rungs.jsonl
    """
    from analysis.ladder import classify_line

    failed = 0
    for number, line in enumerate(source, 1):
        if not line.strip():
            continue
        result = classify_line(line, number)
        failed += "error" in result
        click.echo(json.dumps(result, ensure_ascii=False))
    if failed:
        raise click.ClickException(f'{failed} line(s) could not be classified; see their "error"')


@cli.command()
@click.argument("labels", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--errors", is_flag=True, help="Also print the lines the ladder gets wrong.")
def evaluate(labels: Path, errors: bool) -> None:
    """Measure the ladder against labelled reviews, next to two baselines.

    LABELS is JSON lines with "text", a gold "rung" (1–6) and optionally "rating" (1–5) and
    "lang". Prints exact and within-one accuracy, macro-F1 and quadratic-weighted kappa for the
    ladder (with and without stars), stars alone and, on English lines, VADER.

    \b
    Example:
      ladder evaluate tests/fixtures/ladder/dev.jsonl --errors
    """
    from analysis.evaluate import evaluate as run
    from analysis.evaluate import misclassified, read_labels
    from scheduler.cli.tables import console, evaluation_table

    items = read_labels(labels)
    console.print(evaluation_table(run(items), labels.name))
    if errors:
        for wrong in misclassified(items):
            click.echo(json.dumps(wrong, ensure_ascii=False))


@cli.command()
@click.option("--force", is_flag=True, help="Recompute every week even if nothing changed.")
@click.pass_context
def analyze(ctx: click.Context, force: bool) -> None:
    """Classify new reviews and recompute the weekly positions, gaps and races.

    `ladder rank` does this by itself when the data changed; run it from cron after a crawl to
    have the weeks ready.

    \b
    Example:
      ladder crawl && ladder analyze
    """
    from db import open_db
    from scheduler.analyze.refresh import describe_analysis, run_analysis
    from scheduler.cli.tables import console

    config = load(ctx)
    with contextlib.closing(open_db(config.database)) as db:
        outcome = run_analysis(db, config, force=force)
    console.print(describe_analysis(outcome))


@cli.command()
@click.option("--week", help="ISO week, e.g. 2026-W47 (default: the last complete week).")
@click.option("--segment", default="all", show_default=True, help="all, repeat or source:KIND.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def rank(ctx: click.Context, week: str | None, segment: str, as_json: bool) -> None:
    """Rank the businesses on the ladder for a week, with bands, changes and velocity.

    Below the table: where we stand, the gaps worth closing, who climbs faster than us, our
    strengths and reply behaviour. The analysis is brought up to date first.

    \b
    Example:
      ladder rank
      ladder rank --week 2026-W47 --segment repeat --json
    """
    from db import open_db
    from scheduler.analyze.readers import choose_week
    from scheduler.analyze.refresh import run_analysis
    from scheduler.cli.tables import console, show_rank

    config = load(ctx)
    with contextlib.closing(open_db(config.database)) as db:
        run_analysis(db, config)
        week = choose_week(db, week, segment)
        result = show_rank(db, week, segment, config.report.language, as_json=as_json)
    if as_json:
        click.echo(result)
    else:
        console.print(result)


@cli.command()
@click.argument("business")
@click.option("--week", help="ISO week, e.g. 2026-W47 (default: the last complete week).")
@click.pass_context
def explain(ctx: click.Context, business: str, week: str | None) -> None:
    """Show why BUSINESS stands where it does: scores per dimension against the median and the
    best competitor, and the review phrases behind them.

    \b
    Example:
      ladder explain "Highlands Corner"
    """
    from db import open_db
    from scheduler.analyze.readers import choose_week
    from scheduler.analyze.refresh import run_analysis
    from scheduler.cli.tables import console, show_explanation

    config = load(ctx)
    with contextlib.closing(open_db(config.database)) as db:
        run_analysis(db, config)
        week = choose_week(db, week, "all")
        console.print(show_explanation(db, config, business, week))
