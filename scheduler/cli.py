"""The ``ladder`` command. Each command parses, loads the config, calls one library function and
formats the result; library errors become ``Error: …`` with exit code 1.

Exit codes: 0 success; 1 error (the message says what to fix); 2 usage error; 3 the command ran but
a source is unhealthy (``ladder crawl``, ``ladder demo``); 4 a report could not be delivered and
waits in the outbox (``ladder report --send``, ``ladder outbox --flush``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import click

from analysis.evaluate import LabelError
from crawler.health import BROKEN
from crawler.importer import ImportFailed
from crawler.sources import SOURCE_KINDS, source_options
from db import DatabaseError, open_db
from db.queries import business_summaries, count_reviews
from scheduler import __version__
from scheduler.analysis import (
    AnalysisError,
    choose_week,
    describe_analysis,
    run_analysis,
    source_states,
)
from scheduler.config import Config, ConfigError, dump_config, find_config, load_config
from scheduler.fetch import FetchError, read_page
from scheduler.jobs import CrawlError, crawl_sources, select_targets
from scheduler.scrapyd import ScrapydError
from scheduler.serve import ServeError

EXIT_UNHEALTHY = 3
EXIT_UNDELIVERED = 4
_EXPECTED = (
    ServeError,
    ConfigError,
    DatabaseError,
    CrawlError,
    FetchError,
    AnalysisError,
    LabelError,
    ImportFailed,
    ScrapydError,
)


class LadderGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except _EXPECTED as error:
            raise click.ClickException(str(error)) from None


def _config(ctx: click.Context) -> Config:
    return load_config(ctx.obj["config"])


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
    click.echo(dump_config(_config(ctx)), nl=False)


@cli.command()
@click.argument("businesses", nargs=-1)
@click.option("--source", "kind", type=click.Choice(sorted(SOURCE_KINDS)), help="Only this kind.")
@click.option(
    "--full", is_flag=True, help="Read every page, not only up to the first page of known reviews."
)
@click.pass_context
def crawl(ctx: click.Context, businesses: tuple[str, ...], kind: str | None, full: bool) -> None:
    """Crawl every source (or those of BUSINESSES), one process per source.

    Crawls are incremental: each source is read newest first until a page holds no new review.
    Run with --full now and then (weekly, say) to pick up edited reviews and late owner replies.
    Exits 3 when any source failed or read nothing: the table says why.

    \b
    Example:
      ladder crawl
      ladder crawl "Highlands Corner" --source schemaorg --full
    """
    from scheduler.console import CrawlProgress, print_crawl

    config = _config(ctx)
    targets = select_targets(config, businesses, kind)
    progress = CrawlProgress(config)
    with progress.shown():
        outcomes = crawl_sources(config, targets, on_start=progress.started, full=full)
    print_crawl(outcomes)
    for outcome in outcomes:
        if outcome.retried:
            click.echo(f"{outcome.target.label}: retried on another node ({outcome.retried})")
    if not all(outcome.ok for outcome in outcomes):
        ctx.exit(EXIT_UNHEALTHY)


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
    from scheduler.scrapyd import deploy as deploy_project

    config = _config(ctx)
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
@click.argument("page")
@click.pass_context
def extract(ctx: click.Context, kind: str, options: tuple[str, ...], page: str) -> None:
    """Show what a source kind reads on one saved page or URL, as JSON lines.

    One object per item: "review" (normalised as it would be stored), "dropped" (with the reason),
    "aggregate", "next" (the next page) and "problem". Nothing is stored.

    \b
    Example:
      ladder extract --source schemaorg saved-page.html
      ladder extract --source schemaorg --option next=a.pager-next https://example.com/reviews
    """
    from crawler.preview import preview_page

    parsed = _parse_options(kind, options)
    config = _optional_config(ctx)
    tz = ZoneInfo(config.schedule.timezone) if config else UTC
    body, url = read_page(page, config)
    for item in preview_page(kind, body, url, parsed, now=datetime.now(UTC), tz=tz):
        click.echo(json.dumps(item, ensure_ascii=False))


def _optional_config(ctx: click.Context) -> Config | None:
    """The config when there is one (for the contact and time zone), else None."""
    path = find_config(ctx.obj["config"])
    return load_config(path) if path.exists() else None


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

    Rerunning it adds nothing (within the same week: the demo world is dated from the current week).

    \b
    Example:
      ladder demo --out /tmp/ladder-demo
      sqlite3 /tmp/ladder-demo/ladder.db 'select count(*) from reviews'
    """
    from scheduler.console import (
        CrawlProgress,
        business_table,
        console,
        print_crawl,
        show_rank,
        show_signals,
    )
    from scheduler.demo.launch import demo_port, serve_demo, write_demo_config
    from scheduler.report import write_report

    with serve_demo(port=demo_port(out)) as (server, sites):
        config = load_config(write_demo_config(out, server.url, sites))
        console.print(f"Demo sites on {server.url}/; config {config.path}")
        with contextlib.closing(open_db(config.database)) as db:
            before = count_reviews(db)
        progress = CrawlProgress(config)
        with progress.shown():
            outcomes = crawl_sources(config, select_targets(config), on_start=progress.started)
            # "a week later": the sites are read again, and one competitor has added live chat
            crawl_sources(config, select_targets(config, kind="signals"))
    print_crawl(outcomes)
    with contextlib.closing(open_db(config.database)) as db:
        console.print(business_table(business_summaries(db)))
        after = count_reviews(db)
        console.print(f"{after} reviews in {config.database} ({after - before} new in this run).")
        console.print(describe_analysis(run_analysis(db, config)))
        week = choose_week(db, None, "all")
        console.print(show_rank(db, week, "all", config.report.language, as_json=False))
        console.print(show_signals(db))
        written = write_report(db, config, now=datetime.now(UTC), folder=out / "report")
    console.print(f"Weekly report: {written.rendered.subject}")
    console.print(f"Open {written.folder / 'report.html'} (the email: report.eml)")
    console.print(f"Browse the data: ladder --config {config.path} serve (then docs/queries.md)")
    if not all(outcome.ok for outcome in outcomes):
        ctx.exit(EXIT_UNHEALTHY)


@cli.command()
@click.option(
    "--list", "list_only", is_flag=True, help="Print the jobs and their next runs, and exit."
)
@click.option("--send", is_flag=True, help="Also send the weekly report (needs [report.smtp]).")
@click.pass_context
def schedule(ctx: click.Context, list_only: bool, send: bool) -> None:
    """Run the scheduler service: crawls, the weekly full pass and the weekly analysis, on the
    cron expressions of [schedule], until SIGTERM or Ctrl-C (it stops after the running job).

    Jobs are kept in jobs.sqlite beside the database, so a restart keeps them, and a run missed
    while the service was down happens once when it is back. Each crawl takes the same per-source
    lock as `ladder crawl`, so cron and the service never crawl one source twice at once.

    \b
    Example:
      ladder schedule --list
      ladder schedule --send
    """
    from scheduler.console import console, jobs_table
    from scheduler.service import serve, upcoming

    config = _config(ctx)
    if list_only:
        console.print(jobs_table(upcoming(config, datetime.now(UTC), send=send), config))
        return
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    serve(config, send=send)


@cli.command()
@click.pass_context
def cron(ctx: click.Context) -> None:
    """Print crontab lines that run the same jobs as `ladder schedule`, for those who prefer cron.

    The lines call `ladder crawl` and `ladder analyze`, which take the same per-source locks as the
    service. Add them with `crontab -e`.

    \b
    Example:
      ladder cron >> my.crontab && crontab my.crontab
    """
    from scheduler.service import planned_jobs
    from scheduler.timetable import crontab_lines

    config = _config(ctx)
    ladder = [sys.executable, "-m", "scheduler"]
    lines = crontab_lines(
        planned_jobs(config), ladder, str(config.path.resolve()), config.schedule.timezone
    )
    click.echo("\n".join(lines))


@cli.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Show every source's health: ok, stale, degraded or broken, with its last success, its last
    crawl's figures and the reason. Exits 3 when any source is broken.

    \b
    Example:
      ladder status || echo "a source needs attention"
    """
    from scheduler.console import console, status_table

    config = _config(ctx)
    with contextlib.closing(open_db(config.database)) as db:
        rows = source_states(db, config, datetime.now(UTC))
    console.print(status_table(rows))
    if any(health.state == BROKEN for _, health in rows):
        ctx.exit(EXIT_UNHEALTHY)


@cli.command()
@click.option("--week", help="The ISO week, like 2026-W47 (default: the last analysed week).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the report to (default: reports/WEEK beside the database).",
)
@click.option("--send", is_flag=True, help="Send it by email through [report.smtp].")
@click.option(
    "--to",
    "recipients",
    multiple=True,
    metavar="ADDRESS",
    help="Send to these addresses instead of [report].recipients (repeatable).",
)
@click.option("--language", type=click.Choice(["vi", "en"]), help="Instead of [report].language.")
@click.option("--resend", is_flag=True, help="Send even if this week's report was sent already.")
@click.pass_context
def report(
    ctx: click.Context,
    week: str | None,
    out: Path | None,
    send: bool,
    recipients: tuple[str, ...],
    language: str | None,
    resend: bool,
) -> None:
    """Write the weekly comparison report (report.html, report.txt, report.eml and the charts)
    and, with --send, email it. A report that cannot be delivered waits in the outbox (exit 4):
    `ladder outbox --flush` sends it later. A week's report is sent once unless --resend.

    \b
    Example:
      ladder report --week 2026-W47 --out /tmp/report
      ladder report --send --to manager@example.com
    """
    from scheduler.report import send_report, write_report

    config = _config(ctx)
    now = datetime.now(UTC)
    to = recipients or config.report.recipients
    with contextlib.closing(open_db(config.database)) as db:
        written = write_report(
            db, config, now=now, week=week, folder=out, recipients=to, language=language
        )
        click.echo(f"{written.rendered.subject}")
        click.echo(f"Wrote {written.folder / 'report.html'} (and report.txt, report.eml)")
        if not send:
            return
        outcome = send_report(db, config, written, resend=resend, now=now)
    if outcome.skipped:
        click.echo(f"Not sent: {outcome.skipped}")
    elif outcome.delivered:
        click.echo(f"Sent to {', '.join(to)}.")
    else:
        click.echo(
            f"Not delivered: {outcome.error}\nThe message waits in {outcome.kept}; "
            "`ladder outbox --flush` sends it once the problem is fixed.",
            err=True,
        )
        ctx.exit(EXIT_UNDELIVERED)


@cli.command("outbox")
@click.option("--flush", is_flag=True, help="Try to send every waiting message now.")
@click.pass_context
def outbox_command(ctx: click.Context, flush: bool) -> None:
    """List the reports waiting to be delivered; with --flush, send them (each at most once).
    Exits 4 when a message still cannot be delivered.

    \b
    Example:
      ladder outbox && ladder outbox --flush
    """
    from scheduler.report import flush_outbox, outbox

    config = _config(ctx)
    box = outbox(config)
    if flush:
        with contextlib.closing(open_db(config.database)) as db:
            result = flush_outbox(db, config)
        for item in result.sent:
            click.echo(f"sent: {item.subject} → {', '.join(item.recipients)}")
        for item in result.skipped:
            click.echo(f"already sent, not sent again: {item.subject}")
        for item, error in result.failed:
            click.echo(f"NOT sent: {item.subject}: {error}", err=True)
        if not (result.sent or result.skipped or result.failed):
            click.echo("The outbox is empty.")
        if result.failed:
            ctx.exit(EXIT_UNDELIVERED)
        return
    pending = box.pending()
    if not pending:
        click.echo("The outbox is empty.")
        return
    for item in pending:
        queued = item.queued_at.strftime("%Y-%m-%d %H:%M UTC")
        click.echo(
            f"{queued}  tried {item.attempts}×  {item.subject}  → {', '.join(item.recipients)}\n"
            f"  {item.last_error}"
        )


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
    from scheduler.serve import datasette_command, write_metadata

    config = _config(ctx)
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
@click.option("--week", help="Only this ISO week (tables and views with a week column).")
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
    from scheduler.serve import export_rows, write_export

    config = _config(ctx)
    with contextlib.closing(open_db(config.database)) as db:
        columns, rows = export_rows(db, name, week=week)
        if out is None:
            write_export(columns, rows, sys.stdout, fmt)
            return
        with out.open("w", encoding="utf-8", newline="") as file:
            count = write_export(columns, rows, file, fmt)
    click.echo(f"Wrote {count} rows of {name} to {out}", err=True)


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
    from scheduler.console import console, show_signals

    config = _config(ctx)
    with contextlib.closing(open_db(config.database)) as db:
        console.print(show_signals(db, business))


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

    config = _config(ctx)
    if business not in {b.name for b in config.businesses}:
        raise click.BadParameter(
            f"{business!r} is not a business in {config.path}", param_hint="--business"
        )
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
        f"{dropped} dropped{' ' + str(dict(result.dropped)) if dropped else ''}."
    )


def _pairs(values: tuple[str, ...], option: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        name, equals, column = value.partition("=")
        if not equals or not name or not column:
            raise click.BadParameter(f"{value!r}: write FIELD=COLUMN", param_hint=option)
        pairs.append((name.strip(), column.strip()))
    return pairs


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
    from scheduler.console import console, evaluation_table

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
    from scheduler.console import console

    config = _config(ctx)
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
    from scheduler.console import console, show_rank

    config = _config(ctx)
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
    from scheduler.console import console, show_explanation

    config = _config(ctx)
    with contextlib.closing(open_db(config.database)) as db:
        run_analysis(db, config)
        week = choose_week(db, week, "all")
        console.print(show_explanation(db, config, business, week))


def main() -> None:
    cli(prog_name="ladder")


if __name__ == "__main__":  # pragma: no cover
    main()
