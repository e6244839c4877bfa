"""The Scrapy project: spiders, pure extractors, pipelines and the crawl-run recorder."""
