"""Commands that put reviews on the ladder and rank the businesses: ``classify``, ``evaluate``,
``analyze``, ``rank``, ``explain``."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import TextIO

import click

from scheduler.cli.app import cli, load, load_optional, week_option


@cli.command("classify")
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-")
@click.pass_context
def classify_command(ctx: click.Context, source: TextIO) -> None:
    """Put reviews on the ladder: JSON lines in, JSON lines out.

    Each input line is an object with "text", and optionally "rating" (1–5) and "lang" ("vi" or
    "en"). Each output line is that object with "rung", "confidence", "evidence", "dimensions" and
    "conflict" added, in the same order. A line that cannot be read gets an "error" instead, and
    the command exits 1 at the end. The model is [analysis] model's when a config names one.

    \b
    Example:
      echo '{"text": "Sẽ không quay lại", "rating": 2}' | ladder classify
      ladder classify reviews.jsonl > rungs.jsonl
    """
    from analysis.ladder import classify_lines
    from scheduler.analyze.refresh import ladder_model

    config = load_optional(ctx)
    model = ladder_model(config.analysis) if config else None
    failed = 0
    for result in classify_lines(source, model=model):
        failed += "error" in result
        click.echo(json.dumps(result, ensure_ascii=False))
    if failed:
        raise click.ClickException(f'{failed} line(s) could not be classified; see their "error"')


@cli.command()
@click.argument("labels", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--errors", is_flag=True, help="Also print the lines the ladder gets wrong.")
@click.option(
    "--model",
    "model_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A model file to measure (default: [analysis] model, else the one shipped).",
)
@click.option(
    "--also",
    "also_paths",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Other labelled lines the model was fitted on: added to every fold's fit in the "
    "cross-validation, never scored (repeatable).",
)
@click.pass_context
def evaluate(
    ctx: click.Context,
    labels: Path,
    errors: bool,
    model_path: Path | None,
    also_paths: tuple[Path, ...],
) -> None:
    """Measure the ladder against labelled reviews, next to stars alone and VADER.

    LABELS is JSON lines with "text", a gold "rung" (1–6) and optionally "rating" (1–5), "lang"
    and the service dimensions the reader saw ("dimensions", or "dimensions_a" and
    "dimensions_b"). Prints exact and within-one accuracy, macro-F1 and quadratic-weighted kappa
    for the ladder with and without stars, per language, stars alone and, on English lines,
    VADER; the dimensions' micro-F1; and how often the ladder is right at each confidence. When
    the model was fitted on some of these lines, its figures are 5-fold cross-validated (name
    the other lines it was fitted on with --also, so each fold is fitted as the model was).

    \b
    Example:
      ladder evaluate my-labels.jsonl --errors
      ladder evaluate part-1.jsonl --also part-2.jsonl
    """
    from analysis.evaluate import evaluate as run
    from analysis.evaluate import misclassified, read_labels
    from analysis.model import LadderModel, load_model
    from scheduler.analyze.refresh import ladder_model
    from scheduler.cli.tables import console, evaluation_table

    config = load_optional(ctx)
    model: LadderModel | None = None
    if model_path is not None:
        model = load_model(str(model_path))
    elif config is not None:
        model = ladder_model(config.analysis)
    items = read_labels(labels)
    also = [item for path in also_paths for item in read_labels(path)]
    evaluation = run(items, model, also=also)
    console.print(evaluation_table(evaluation, labels.name))
    if errors:
        for wrong in misclassified(items, evaluation.predictions):
            click.echo(json.dumps(wrong, ensure_ascii=False))


@cli.command()
@click.argument("labels", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--stars",
    "star_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON lines of star-rated reviews (text, rating 1–5, lang) to fit the text's "
    "satisfaction on (repeatable; default: keep the current model's).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the model (default: ladder-model.npz beside the database).",
)
@click.pass_context
def train(ctx: click.Context, labels: Path, star_files: tuple[Path, ...], out: Path | None) -> None:
    """Fit the ladder's rung decisions and dimensions to your own labelled reviews.

    LABELS is JSON lines as `ladder evaluate` reads them (a few hundred of your own reviews,
    placed on the ladder by someone who read docs/ladder.md). With --stars, the text's
    satisfaction is fitted again too, on your market's star-rated reviews. Prints the
    cross-validated figures of the current model and of the new one on LABELS, writes the new
    model, and says how to use it ([analysis] model in ladder.toml).

    \b
    Example:
      ladder train my-labels.jsonl --stars my-rated-reviews.jsonl
    """
    from scheduler.analyze.training import train_model
    from scheduler.cli.tables import console, evaluation_table

    config = load_optional(ctx)
    outcome = train_model(labels, star_files, out, config, on_progress=console.log)
    console.print(evaluation_table(outcome.before, f"{labels.name}, the current model"))
    console.print(evaluation_table(outcome.after, f"{labels.name}, the new model"))
    console.print(f"Wrote {outcome.path}.")
    console.print(
        f'To use it, set `model = "{outcome.path}"` under \\[analysis] in '
        f"{config.path if config else 'ladder.toml'}; the next `ladder analyze` classifies every "
        "review again with it."
    )


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
    console.print(describe_analysis(outcome, config.report.language))


@cli.command()
@click.option(
    "--week",
    callback=week_option,
    help="ISO week, e.g. 2026-W47 (default: the last complete week).",
)
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
@click.option(
    "--week",
    callback=week_option,
    help="ISO week, e.g. 2026-W47 (default: the last complete week).",
)
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
