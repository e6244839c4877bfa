"""The report as an email: a subject that says the headline, an email-safe HTML body (tables and
inline styles, no scripts, no external assets), a plain-text alternative with the same content, and
PNG charts referenced by Content-ID.

Templates are package data (``analysis/report/templates``) rendered by Jinja2: the HTML one
autoescaped, so review quotes and business names are always text, never markup. Every output then
loses its control characters and terminal escape sequences (:func:`printable`): review text is
written by anyone, and report.txt and the text part are read in terminals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from analysis.report.charts import Series, rung_chart, score_chart
from analysis.report.i18n import Formats, translations
from analysis.report.model import Report
from analysis.report.text_safety import printable
from analysis.signals import LABELS, VENDORS
from analysis.standings import Priority
from analysis.vocabulary import DIMENSION_NAMES, RUNG_NAMES
from db.rows import SignalChangeRow

#: Units of the service signals, as the report words them (translated by the catalogue).
UNITS = {"hours/week": "h/week", "hours": "h", "days": "days", "months": "months"}
CURRENCIES = frozenset({"VND", "USD", "EUR", "GBP"})


@dataclass(frozen=True)
class Chart:
    cid: str
    filename: str
    png: bytes
    alt: str


@dataclass(frozen=True)
class RenderedReport:
    subject: str
    html: str  # images as cid: references, for the email
    html_file: str  # images as files beside it, for report.html
    text: str
    charts: tuple[Chart, ...]


def _environment(html: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("analysis.report", "templates"),
        autoescape=html,  # noqa: S701 - off only for the text/plain part, which is never markup
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.filters["todate"] = date.fromisoformat
    return env


_HTML = _environment(html=True)
_TEXT = _environment(html=False)


def render_report(report: Report, language: str, *, charts: bool = True) -> RenderedReport:
    """The report in ``language`` ("vi" or "en")."""
    catalogue = translations(language)
    _ = catalogue.gettext
    fmt = Formats(language)
    made = _charts(report, language) if charts else ()
    context: dict[str, Any] = {
        "r": report,
        "fmt": fmt,
        "language": language,
        "rung_name": RUNG_NAMES[language].__getitem__,
        "dimension": DIMENSION_NAMES[language].__getitem__,
        "change_text": lambda change: change_text(change, language),
        "next_step": lambda priority: next_step(priority, language),
        "state_name": lambda state: _(STATES.get(state) or state),
        "week_number": int(report.week.split("-W")[1]),
        "local": lambda stamp: _local(stamp, report, fmt),
    }
    rendered = {}
    for name, env in (("html", _HTML), ("text", _TEXT)):
        env.install_gettext_translations(catalogue, newstyle=True)  # type: ignore[attr-defined]
        template = env.get_template(f"report.{'html' if name == 'html' else 'txt'}.j2")
        if name == "html":
            rendered["html"] = template.render(
                **context, images=_sources(made, lambda c: f"cid:{c.cid}")
            )
            rendered["html_file"] = template.render(
                **context, images=_sources(made, lambda c: c.filename)
            )
        else:
            rendered["text"] = template.render(**context)
    return RenderedReport(
        subject=" ".join(printable(subject(report, language)).split()),
        html=printable(rendered["html"]),
        html_file=printable(rendered["html_file"]),
        text=printable(rendered["text"]),
        charts=made,
    )


def _local(stamp: str | None, report: Report, fmt: Formats) -> str:
    """A stored UTC timestamp in the report's time zone and language ("24/11/2026 11:54")."""
    if not stamp:
        return "–"
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(
        report.generated_at.tzinfo
    )
    return f"{fmt.date(moment.date())} {moment:%H:%M}"


def _sources(charts: tuple[Chart, ...], src: Callable[[Chart], str]) -> dict[str, dict[str, str]]:
    return {c.filename.removesuffix(".png"): {"src": src(c), "alt": c.alt} for c in charts}


STATES = {"ok": "ok", "stale": "stale", "degraded": "degraded", "broken": "broken"}


def subject(report: Report, language: str) -> str:
    """The headline in a subject line: "Week 47: you rank 3 of 5 — behind B on Responsiveness"."""
    _ = translations(language).gettext
    week = int(report.week.split("-W")[1])
    ours = report.ours
    if ours.rank is None:
        return _("Week %(week)s: not enough reviews to rank you yet") % {"week": week}
    head = _("Week %(week)s: you rank %(rank)s of %(of)s") % {
        "week": week,
        "rank": ours.rank,
        "of": report.ranked,
    }
    if report.priorities:
        first = report.priorities[0]
        tail = _("behind %(versus)s on %(dimension)s") % {
            "versus": first.versus,
            "dimension": DIMENSION_NAMES[language][first.dimension],
        }
    elif report.races:
        tail = _("%(versus)s is climbing faster") % {"versus": report.races[0].versus}
    else:
        tail = _("no gap to close this week")
    return f"{head} — {tail}"


def signal_value(name: str, value: Any, unit: str | None, language: str) -> str:
    """A signal's value in the report's language: "Tawk.to", "105 h/week", "300,000 VND"."""
    _ = translations(language).gettext
    fmt = Formats(language)
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if name == "chat.vendor":  # a vendor's name as it writes it; "unknown vendor" translated
        return _(VENDORS.get(str(value), str(value)))
    if isinstance(value, int | float) and not isinstance(value, bool):
        shown = fmt.number(float(value), 0 if float(value).is_integer() else 1)
        if unit in CURRENCIES:
            return f"{shown} {unit}"
        return f"{shown} {_(UNITS.get(unit, unit))}" if unit else shown
    return str(value)


def change_text(change: SignalChangeRow, language: str) -> str:
    """ "added live chat (Tawk.to)", "return window: 7 days → 30 days", "dropped Zalo"."""
    _ = translations(language).gettext
    label = _(LABELS.get(change.name, change.name))
    if change.change == "changed":
        before = signal_value(change.name, change.before, change.unit, language)
        after = signal_value(change.name, change.after, change.unit, language)
        return _("%(signal)s: %(before)s → %(after)s") % {
            "signal": label,
            "before": before,
            "after": after,
        }
    value = change.after if change.change == "new" else change.before
    shown = "" if value is True else f" ({signal_value(change.name, value, change.unit, language)})"
    template = _("added %(signal)s") if change.change == "new" else _("dropped %(signal)s")
    return template % {"signal": label} + shown


def next_step(priority: Priority, language: str) -> str | None:
    """What to do about a gap, in one line: the fault our reviews name most on its dimension, and
    what the competitor's customers praise most there (``None`` when the reviews name neither)."""
    _ = translations(language).gettext
    names = {
        "complaint": priority.complaint,
        "practice": priority.practice,
        "versus": priority.versus,
    }
    if priority.complaint and priority.practice:
        text = _(
            "Next: stop what our customers fault most, “%(complaint)s”, and do what "
            "%(versus)s's customers praise most, “%(practice)s”."
        )
    elif priority.complaint:
        text = _("Next: stop what our customers fault most, “%(complaint)s”.")
    elif priority.practice:
        text = _("Next: do what %(versus)s's customers praise most, “%(practice)s”.")
    else:
        return None
    return text % names


def _charts(report: Report, language: str) -> tuple[Chart, ...]:
    _ = translations(language).gettext
    rungs = RUNG_NAMES[language]
    self_first = sorted(report.standings, key=lambda s: not s.is_self)
    series = [Series(s.business, s.is_self, report.history.get(s.business, ())) for s in self_first]
    weeks = len(report.history_weeks)
    ours = report.ours
    scores_alt = _(
        "Ladder score of each business over the last %(weeks)s weeks; %(business)s is at "
        "%(score)s (%(rung)s) this week."
    ) % {
        "weeks": weeks,
        "business": ours.business,
        "score": Formats(language).number(ours.score),
        "rung": rungs[ours.rung],
    }
    rows = [(s.business, s.is_self, s.shares) for s in self_first]
    losing = ", ".join(
        f"{s.business} {Formats(language).percent(s.shares[0] + s.shares[1])}"
        for s in self_first
        if len(s.shares) == 6
    )
    rungs_alt = _(
        "Share of this week's reviews on each rung, per business; share on rungs 1–2: %(losing)s."
    ) % {"losing": losing}
    return (
        Chart(
            "scores@ladder",
            "scores.png",
            score_chart(
                report.history_weeks,
                series,
                title=_("Ladder score, last %(weeks)s weeks") % {"weeks": weeks},
                rung_names=rungs,
                missing=_("A gap in a line: not enough reviews that week."),
                no_data=_("No data yet"),
                number=Formats(language).number,
            ),
            scores_alt,
        ),
        Chart(
            "rungs@ladder",
            "rungs.png",
            rung_chart(
                rows,
                title=_("Rungs of this week's reviews"),
                rung_names=rungs,
                no_data=_("No data yet"),
            ),
            rungs_alt,
        ),
    )
