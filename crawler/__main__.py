"""``python -m crawler batch``: the one process in which ``ladder crawl`` crawls every source
(:mod:`crawler.batch`); ``python -m crawler crawl KIND …``: Scrapy's command line, one source (by
hand, or as Scrapyd runs it). Both are ``python -m scrapy`` without numpy and pandas.

sqlite-utils imports numpy (and pandas) whenever they are installed, to store their number types;
the analysis needs numpy installed, so every crawl would pay its import, about 0.1 s of CPU
(measured with ``python -X importtime``), once per source and crawl. A crawl never hands
sqlite-utils a numpy or pandas value, so the crawl process marks both as absent before anything
imports sqlite-utils. ``python -m scrapy crawl KIND …`` still works the same, only slower to start.
"""

import sys

for _name in ("numpy", "pandas"):
    sys.modules.setdefault(_name, None)  # type: ignore[arg-type]  # None: "absent", import raises

if __name__ == "__main__":
    if sys.argv[1:2] == ["batch"]:  # many sources in this one process (crawler.batch)
        from crawler.batch import main

        sys.exit(main())
    from scrapy.cmdline import execute

    execute()
