"""Commands that read the sites: ``crawl``, ``deploy``, ``extract``, ``import``, ``status``, ``signals``."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from crawler.sources import SOURCE_KINDS, source_options
from scheduler import clock
from scheduler.cli.app import CRAWL_EXIT, Exit, cli, load, load_optional


@cli.command()
@click.argument("businesses", nargs=-1)
@click.option("--source", "kind", type=click.Choice(sorted(SOURCE_KINDS)), help="Only this kind.")
@click.option(
    "--full", is_flag=True, help="Read every page, not only up to the first page of known reviews."
)
@click.pass_context
def crawl(ctx: click.Context, businesses: tuple[str, ...], kind: str | None, full: bool) -> None:
    """Crawl every source (or those of BUSINESSES), in one Scrapy process per CPU core.

    Crawls are incremental: each source is read newest first until a page holds no new review.
    Run with --full now and then (weekly, say) to pick up edited reviews and late owner replies.
    Exits 3 when any source failed or read nothing (the table says why), 5 when the only ones
    not crawled were skipped because another crawl of them was running.

    \b
    Example:
      ladder crawl
      ladder crawl "Highlands Corner" --source schemaorg --full
    """
    from scheduler.cli.tables import CrawlProgress, print_crawl
    from scheduler.crawl.engine import crawl_sources
    from scheduler.crawl.targets import crawl_state, select_targets

    config = load(ctx)
    targets = select_targets(config, businesses, kind)
    progress = CrawlProgress(config)
    with progress.shown():
        outcomes = crawl_sources(config, targets, on_start=progress.started, full=full)
    print_crawl(outcomes, config.report.language)
    for outcome in outcomes:
        if outcome.retried:
            click.echo(f"{outcome.target.label}: retried on another node ({outcome.retried})")
    ctx.exit(CRAWL_EXIT[crawl_state(outcomes)])


@cli.command()
@click.option("--version", "version", help="The version to upload (default: the time, UTC).")
@click.pass_context
def deploy(ctx: click.Context, version: str | None) -> None:
    """Package the Scrapy project and upload it to every Scrapyd node.

    Builds the egg in a temporary folder and posts it to each node of [crawl].scrapyd_nodes
    (addversion.json). Run it after every upgrade. Credentials, if the nodes ask for them, come
    from LADDER_SCRAPYD_USERNAME and LADDER_SCRAPYD_PASSWORD. Exits 1 when a node refused it.

    \b
    Example:
      ladder deploy
    """
    from scheduler.crawl.nodes import deploy as deploy_project

    config = load(ctx)
    if not config.crawl.scrapyd_nodes:
        raise click.ClickException(
            f"{config.path}: no Scrapyd nodes; add [crawl].scrapyd_nodes (docs/scaling.md)"
        )
    results = deploy_project(config, version=version)
    for result in results:
        click.echo(f"{result.node}: {'ok' if result.ok else 'FAILED'}: {result.message}")
    if not all(result.ok for result in results):
        ctx.exit(1)


@cli.command()
@click.option(
    "--source",
    "kind",
    type=click.Choice(sorted(SOURCE_KINDS)),
    required=True,
    help="The source kind whose extractor reads the page.",
)
@click.option("--option", "options", multiple=True, metavar="NAME=VALUE", help="A source option.")
@click.option(
    "--timezone",
    "zone",
    metavar="ZONE",
    help="Read dates without a zone in ZONE (default: the config's [schedule] timezone, else UTC).",
)
@click.argument("page")
@click.pass_context
def extract(
    ctx: click.Context, kind: str, options: tuple[str, ...], zone: str | None, page: str
) -> None:
    """Show what a source kind reads on one saved page or URL, as JSON lines.

    One object per item: "review" (normalised as it would be stored), "dropped" (with the reason),
    "aggregate", "next" (the next page) and "problem". Nothing is stored. A date without a zone is
    read in the config's time zone, as the crawl reads it (--timezone to override).

    \b
    Example:
      ladder extract --source schemaorg saved-page.html
      ladder extract --source schemaorg --option next=a.pager-next https://example.com/reviews
    """
    from crawler.preview import preview_page
    from scheduler.crawl.fetch import read_page

    parsed = _parse_options(kind, options)
    if urlparse(page).scheme not in ("http", "https") and not Path(page).is_file():
        raise click.BadParameter(
            f"{page!r} is neither an http(s) URL nor a file", param_hint="PAGE"
        )
    config = load_optional(ctx)
    tz = _zone(zone) if zone else ZoneInfo(config.schedule.timezone) if config else UTC
    body, url = read_page(page, config)
    for item in preview_page(kind, body, url, parsed, now=clock.now(), tz=tz):
        click.echo(json.dumps(item, ensure_ascii=False))


def _zone(name: str) -> tzinfo:
    """The time zone named ``name``, or a usage error saying what to write."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(
            f"{name!r} is not a time zone; use e.g. Asia/Ho_Chi_Minh or UTC",
            param_hint="--timezone",
        ) from None


def _parse_options(kind: str, pairs: tuple[str, ...]) -> dict[str, Any]:
    known = source_options(kind)
    options: dict[str, Any] = {}
    for pair in pairs:
        name, _, text = pair.partition("=")
        if name not in known or not _:
            raise click.BadParameter(
                f"{pair!r}: write NAME=VALUE with NAME one of {', '.join(known)}",
                param_hint="--option",
            )
        kind_of = known[name].type
        try:
            options[name] = (
                text.lower() in ("1", "true", "yes") if kind_of is bool else kind_of(text)
            )
        except ValueError:
            raise click.BadParameter(
                f"{pair!r}: not a {kind_of.__name__}", param_hint="--option"
            ) from None
    return options


@cli.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Show every source's health: ok, stale, degraded or broken, with its last success, its last
    crawl's figures and the reason. Exits 3 when any source is broken.

    \b
    Example:
      ladder status || echo "a source needs attention"
    """
    from crawler.health import BROKEN
    from db import open_db
    from scheduler.analyze.readers import source_states
    from scheduler.cli.tables import console, status_table

    config = load(ctx)
    with contextlib.closing(open_db(config.database)) as db:
        rows = source_states(db, config, clock.now())
    console.print(status_table(rows, config.timezone))
    if any(health.state == BROKEN for _, health in rows):
        ctx.exit(Exit.UNHEALTHY)


@cli.command()
@click.argument("business", required=False)
@click.pass_context
def signals(ctx: click.Context, business: str | None) -> None:
    """Show the service signals of every business's site side by side (channels, live chat,
    hours, return window, promises), and what changed since each site's previous crawl.

    \b
    Example:
      ladder crawl --source signals && ladder signals
      ladder signals "Highlands Corner"
    """
    from db import open_db
    from scheduler.cli.tables import console, show_signals

    config = load(ctx)
    with contextlib.closing(open_db(config.database)) as db:
        console.print(show_signals(db, business, config.report.language))


@cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--business", required=True, help="The business the reviews are about.")
@click.option(
    "--source", "label", required=True, help='A name for where they came from, e.g. "google".'
)
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Which column holds a field (text, rating, title, date, author, reply, reply_date, id, lang).",
)
@click.option("--scale", type=float, default=5.0, show_default=True, help="The best rating.")
@click.option("--month-first", is_flag=True, help="Read 03/05/2024 as March 5 (American files).")
@click.pass_context
def import_command(
    ctx: click.Context,
    file: Path,
    business: str,
    label: str,
    mappings: tuple[str, ...],
    scale: float,
    month_first: bool,
) -> None:
    """Import reviews exported elsewhere: CSV, JSON lines, a JSON list, or a Google Business
    Profile export. Validated, deduplicated and stored like crawled reviews; rerunning adds nothing.

    Columns are recognised by name (text, comment, rating, stars, date, created_at, reply …, also
    in Vietnamese); name the others with --map.

    \b
    Example:
      ladder import reviews.csv --business "Cà Phê Mộc" --source google
      ladder import export.jsonl --business "Mộc" --source zalo --map text=noi_dung --map date=ngay
    """
    from crawler.importer import import_reviews
    from db import open_db

    config = load(ctx)
    business = config.business_named(business).name
    mapping = dict(_pairs(mappings, "--map"))
    with contextlib.closing(open_db(config.database)) as db:
        result = import_reviews(
            db, file, business=business, label=label, mapping=mapping, scale=scale,
            salt=os.environ.get("LADDER_SALT"), tz=config.timezone, day_first=not month_first,
        )  # fmt: skip
    dropped = sum(result.dropped.values())
    click.echo(
        f"Read {result.rows} rows ({', '.join(f'{k}={v}' for k, v in result.columns.items())}): "
        f"{result.new} new, {result.changed} changed, {result.unchanged} already stored, "
        f"{dropped} dropped{_reasons(result.dropped) if dropped else ''}."
    )


def _reasons(counts: Mapping[str, int]) -> str:
    """``{"bad_date": 1, "no_text": 2}`` as ``" (bad date 1, no text 2)"``."""
    listed = ", ".join(f"{reason.replace('_', ' ')} {n}" for reason, n in sorted(counts.items()))
    return f" ({listed})"


def _pairs(values: tuple[str, ...], option: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        name, equals, column = value.partition("=")
        if not equals or not name or not column:
            raise click.BadParameter(f"{value!r}: write FIELD=COLUMN", param_hint=option)
        pairs.append((name.strip(), column.strip()))
    return pairs
