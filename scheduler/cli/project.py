"""Commands that set a project up and show it: ``init``, ``config``, ``demo``."""

from __future__ import annotations

import contextlib
from importlib.resources import files
from pathlib import Path

import click

from scheduler import clock
from scheduler.cli.app import CRAWL_EXIT, cli, load
from scheduler.words import words


@cli.command()
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
@click.pass_context
def init(ctx: click.Context, force: bool) -> None:
    """Write a starter ladder.toml and create its database.

    \b
    Example:
      ladder init                      # ./ladder.toml and ./ladder.db
      ladder --config shop/ladder.toml init
    """
    from db import open_db
    from scheduler.config import find_config, load_config

    path = find_config(ctx.obj["config"])
    if path.exists() and not force:
        raise click.ClickException(f"{path}: exists already; use --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(files("scheduler").joinpath("ladder.example.toml").read_text("utf-8"), "utf-8")
    config = load_config(path)
    with contextlib.closing(open_db(config.database)):
        pass
    click.echo(f"Wrote {path} and created {config.database}.")
    click.echo(f"Next: edit {path} (your business, competitors, contact), then run `ladder crawl`.")


@cli.command("config")
@click.pass_context
def show_config(ctx: click.Context) -> None:
    """Print the resolved config, defaults filled in and secrets redacted.

    \b
    Example:
      LADDER_CONFIG=shop/ladder.toml ladder config
    """
    from scheduler.config import dump_config

    click.echo(dump_config(load(ctx)), nl=False)


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-output"),
    show_default=True,
    help="Folder for the demo's ladder.toml, database and crawl logs.",
)
@click.pass_context
def demo(ctx: click.Context, out: Path) -> None:
    """Serve the bundled demo sites on 127.0.0.1, crawl them into OUT/ladder.db, analyse them and
    show what a manager would see: a summary per business and the ranking.

    Rerunning it adds nothing, on any day: the demo world is dated from the current week, and a
    review whose shown date moved is known by what it says.

    \b
    Example:
      ladder demo --out /tmp/ladder-demo
      sqlite3 /tmp/ladder-demo/ladder.db 'select count(*) from reviews'
    """
    from db import open_db
    from db.queries import business_summaries, count_reviews
    from scheduler.analyze.readers import choose_week
    from scheduler.analyze.refresh import describe_analysis, run_analysis
    from scheduler.cli.tables import (
        CrawlProgress,
        business_table,
        console,
        print_crawl,
        show_rank,
        show_signals,
    )
    from scheduler.config import load_config
    from scheduler.crawl.engine import crawl_sources
    from scheduler.crawl.targets import crawl_state, select_targets
    from scheduler.deliver.dispatch import write_report
    from scheduler.demo.launch import demo_port, serve_demo, write_demo_config

    # one instant for the whole run: the world's dates, the crawl, the analysis and the report
    with clock.held(clock.now()) as now:
        with serve_demo(now, port=demo_port(out)) as (server, sites):
            config = load_config(write_demo_config(out, server.url, sites))
            said = words(config.report.language)
            console.print(said["demo_sites"].format(url=server.url, config=config.path))
            with contextlib.closing(open_db(config.database)) as db:
                before = count_reviews(db)
            progress = CrawlProgress(config)
            with progress.shown():
                outcomes = crawl_sources(config, select_targets(config), on_start=progress.started)
                # "a week later": the sites are read again, and one competitor has added live chat
                crawl_sources(config, select_targets(config, kind="signals"))
        language = config.report.language
        print_crawl(outcomes, language)
        with contextlib.closing(open_db(config.database)) as db:
            console.print(business_table(business_summaries(db), language))
            after = count_reviews(db)
            console.print(
                said["stored"].format(total=after, database=config.database, new=after - before)
            )
            console.print(describe_analysis(run_analysis(db, config), language))
            week = choose_week(db, None, "all")
            console.print(show_rank(db, week, "all", config.report.language, as_json=False))
            console.print(show_signals(db, language=language))
            written = write_report(db, config, now=now, folder=out / "report")
        console.print(said["report"].format(subject=written.rendered.subject))
        console.print(said["open"].format(html=written.folder / "report.html"))
        console.print(said["browse"].format(config=config.path))
    ctx.exit(CRAWL_EXIT[crawl_state(outcomes)])
