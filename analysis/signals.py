"""Service signals over time: what a business offers now, and what changed since the previous
crawl of its site ("added live chat (Tawk.to)", "return window 7 → 30 days")."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

#: How each signal reads in a table or a sentence (names as the extractors and the analysis write them).
LABELS = {
    "channel.phone": "phone",
    "channel.email": "email",
    "channel.contact_form": "contact form",
    "channel.zalo": "Zalo",
    "channel.messenger": "Messenger",
    "channel.whatsapp": "WhatsApp",
    "chat.vendor": "live chat",
    "help.centre": "help centre / FAQ",
    "hours.per_week": "opening hours",
    "hours.open_24_7": "open 24/7",
    "returns.window_days": "return window",
    "warranty.months": "warranty",
    "response.promise_hours": "promised reply time",
    "shipping.free_threshold": "free shipping from",
    "delivery.promise_hours": "promised delivery time",
    "payment.cod": "cash on delivery",
    "replies.rate": "reviews replied to",
    "replies.negative_rate": "negative reviews replied to",
    "replies.median_latency": "median reply time",
    "replies.templated_share": "templated replies",
}
#: Live-chat and help-desk vendors as their makers write them.
VENDORS = {
    "tawk.to": "Tawk.to",
    "zendesk": "Zendesk",
    "intercom": "Intercom",
    "livechat": "LiveChat",
    "crisp": "Crisp",
    "freshchat": "Freshchat",
    "freshdesk": "Freshdesk",
    "olark": "Olark",
    "liveperson": "LivePerson",
    "boldchat": "BoldChat",
    "drift": "Drift",
    "hubspot": "HubSpot",
    "tidio": "Tidio",
    "livezilla": "LiveZilla",
    "facebook_chat": "Facebook chat",
    "zalo_chat": "Zalo chat",
    "unknown": "unknown vendor",  # a chat widget, button or script of a vendor not on the list
}
_UNITS = {"hours/week": "h/week", "hours": "h", "days": "days", "months": "months"}
_CURRENCIES = frozenset({"VND", "USD", "EUR", "GBP"})


def label(name: str) -> str:
    return LABELS.get(name, name)


def show_value(name: str, value: Any, unit: str | None) -> str:
    """A signal's value for people: "yes", "Tawk.to", "105 h/week", "300,000 VND"."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if name == "chat.vendor":
        return VENDORS.get(str(value), str(value))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and unit in _CURRENCIES:
        return f"{value:,} {unit}"
    shown = str(value)
    return f"{shown} {_UNITS.get(unit, unit)}" if unit else shown


@dataclass(frozen=True)
class Change:
    kind: str  # "new", "gone" or "changed"
    name: str
    before: Any
    after: Any
    unit: str | None

    def describe(self) -> str:
        """ "added live chat (Tawk.to)", "return window: 7 days → 30 days", "dropped Zalo"."""
        if self.kind == "changed":
            before = show_value(self.name, self.before, self.unit)
            return f"{label(self.name)}: {before} → {show_value(self.name, self.after, self.unit)}"
        value = self.after if self.kind == "new" else self.before
        shown = "" if value is True else f" ({show_value(self.name, value, self.unit)})"
        return f"{'added' if self.kind == 'new' else 'dropped'} {label(self.name)}{shown}"


def signal_changes(
    previous: Iterable[tuple[str, Any, str | None]], latest: Iterable[tuple[str, Any, str | None]]
) -> list[Change]:
    """What changed between two observations of ``(name, value, unit)``: a name with one value on
    each side that differ has *changed* ("return window 7 → 30 days"); any other value present on
    one side only is *new* or *gone*. The ``signal_changes`` view in the database says the same."""
    before = {(name, _key(value)): (value, unit) for name, value, unit in previous}
    after = {(name, _key(value)): (value, unit) for name, value, unit in latest}
    single = {n for n, c in Counter(n for n, _ in before).items() if c == 1} & {
        n for n, c in Counter(n for n, _ in after).items() if c == 1
    }
    changes = []
    for (name, key), (value, unit) in sorted(after.items()):
        if (name, key) in before:
            continue
        if name in single:
            old = next(v for (n, _), (v, _) in before.items() if n == name)
            changes.append(Change("changed", name, old, value, unit))
        else:
            changes.append(Change("new", name, None, value, unit))
    changes += [
        Change("gone", name, value, None, unit)
        for (name, key), (value, unit) in sorted(before.items())
        if (name, key) not in after and name not in single
    ]
    return changes


def _key(value: Any) -> str:
    return repr(value)


def current_values(
    observation: Sequence[tuple[str, Any, str | None]],
    show: Callable[[str, Any, str | None], str] = show_value,
) -> dict[str, str]:
    """One observation as ``{name: "value unit"}`` (each value as ``show`` writes it: in English
    unless the caller writes it in its language), several values of a name joined."""
    values: dict[str, list[str]] = {}
    for name, value, unit in observation:
        values.setdefault(name, []).append(show(name, value, unit))
    return {name: ", ".join(sorted(set(shown))) for name, shown in values.items()}
