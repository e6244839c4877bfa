"""``python -m crawler crawl KIND …``: Scrapy's command line, as ``ladder crawl`` starts every
source's crawl process. It is ``python -m scrapy`` without numpy and pandas.

sqlite-utils imports numpy (and pandas) whenever they are installed, to store their number types;
the analysis needs numpy installed, so every crawl process would pay its import, about 0.1 s of CPU
(measured with ``python -X importtime``), once per source and crawl. A crawl never hands
sqlite-utils a numpy or pandas value, so the crawl process marks both as absent before anything
imports sqlite-utils. ``python -m scrapy crawl KIND …`` still works the same, only slower to start.
"""

import sys

for _name in ("numpy", "pandas"):
    sys.modules.setdefault(_name, None)  # type: ignore[arg-type]  # None: "absent", import raises

from scrapy.cmdline import execute

if __name__ == "__main__":
    execute()
