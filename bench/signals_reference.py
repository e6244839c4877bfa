"""Chat and help-desk vendors found by ``extract_signals`` on the webstruct business pages.

The pages (US/UK/CA small-business sites saved in 2014, the business pages of the public webstruct
corpus, which the project does not ship: give their folder with ``--pages``) each carry one vendor's
widget. The expected vendor per page below was read from the page sources (the vendor's name and
hosts appear in them: LivePerson, Olark, Zopim, BoldChat, Zendesk, LiveZilla, Freshdesk) and checked
by hand; 60.html also says "crisp" in its text, which is not the Crisp widget.

Prints, per page, the vendors found and the time taken, then "vendor pages found / pages with a
vendor" and every vendor reported that the page does not have (false positives). A figure, not a
test: ``python bench/signals_reference.py --pages DIR``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from crawler.extract.signals import extract_signals


def _expected() -> dict[str, str]:
    ranges = {
        "liveperson": range(111, 114),
        "olark": range(135, 139),
        "zendesk": [*range(160, 163), 41],  # 160-162 Zopim (Zendesk chat), 41 a Zendesk help centre
        "boldchat": [*range(192, 196), *range(51, 60)],
        "livezilla": range(60, 63),
        "freshdesk": range(91, 94),
    }
    return {f"{number}.html": vendor for vendor, numbers in ranges.items() for number in numbers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--pages", type=Path, required=True, help="the folder of the saved pages (1.html, 2.html…)"
    )
    args = parser.parse_args()
    if not args.pages.is_dir():
        parser.error(f"{args.pages} is not a folder of saved pages")
    expected = _expected()
    pages = sorted(args.pages.glob("*.html"), key=lambda path: (len(path.stem), path.stem))
    with_vendor = found = 0
    false_positives: list[str] = []
    print(f"{'page':<10} {'expected':<11} {'found':<24} {'ms':>6}")
    for page in pages:
        started = time.perf_counter()
        signals = extract_signals(page.read_bytes(), page.resolve().as_uri())
        elapsed = (time.perf_counter() - started) * 1000
        vendors = [str(s.value) for s in signals if s.name == "chat.vendor"]
        want = expected.get(page.name)
        if want is not None:
            with_vendor += 1
            found += want in vendors
        false_positives += [f"{page.name}: {v}" for v in vendors if v != want]
        print(f"{page.name:<10} {want or '-':<11} {', '.join(vendors) or '-':<24} {elapsed:6.1f}")
        for signal in signals:
            if signal.name == "chat.vendor":
                print(f"{'':<10} {signal.value}: {signal.evidence}")
    print()
    print(f"vendor pages found / pages with a vendor: {found} / {with_vendor}")
    print(f"false positives: {len(false_positives)}" + "".join(f"\n  {f}" for f in false_positives))


if __name__ == "__main__":
    main()
