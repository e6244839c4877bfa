"""End to end: where a walk through a listing ends. A next link back to a page already read is the
end of the listing; next links that go on for ever over the same reviews stop the walk after a few
pages, with a warning in the crawl's health rather than 200 pages read and a clean bill."""

from __future__ import annotations

from pathlib import Path

from crawler.source_spider import PAGES_WITHOUT_NEW
from scheduler.demo.server import FixtureServer
from tests.conftest import review, review_page
from tests.test_crawler_crawl import crawl, stored


def page_path(number: int) -> str:
    return "/shop/reviews" if number == 1 else f"/shop/reviews?page={number}"


def test_a_last_page_linking_back_to_page_one_ends_the_listing_without_a_warning(
    tmp_path: Path, server: FixtureServer
) -> None:
    for number in (1, 2, 3):
        nodes = [review(number * 100 + i) for i in range(5)]
        # the last page's "next" goes round to page 1, as some listings' page links do
        server.add(page_path(number), review_page(nodes, next_path=page_path(number % 3 + 1)))
    outcome = crawl(tmp_path, server)
    run = outcome.run
    assert run is not None
    assert run.ok, run.health
    assert run.health == "read 15 reviews on 3 pages"
    assert (run.pages, run.reviews_new) == (3, 15)
    assert server.hits("/shop/reviews") == 1
    # the next crawl reads the same way: no false alarm that would mark the source degraded
    again = crawl(tmp_path, server).run
    assert again is not None
    assert again.ok, again.health
    assert "stopped" not in again.health


def test_a_next_link_back_to_an_earlier_page_with_another_spelling_ends_the_listing(
    tmp_path: Path, server: FixtureServer
) -> None:
    # page 2 links to page 1 spelled with its fragment: the same page, read already
    server.add(page_path(1), review_page([review(1)], next_path=page_path(2)))
    server.add(page_path(2), review_page([review(2)], next_path="/shop/reviews#top"))
    run = crawl(tmp_path, server).run
    assert run is not None
    assert run.ok, run.health
    assert run.pages == 2
    assert server.hits("/shop/reviews") == 1


def test_an_endless_listing_of_recycled_reviews_stops_after_a_few_pages_with_a_warning(
    tmp_path: Path, server: FixtureServer
) -> None:
    # Two pages of real reviews, then next links that never end over the same five reviews
    # again and again (each page a new address, so only the reviews tell it is going round).
    server.add(page_path(1), review_page([review(i) for i in range(5)], next_path=page_path(2)))
    for number in range(2, 260):
        server.add(
            page_path(number),
            review_page([review(100 + i) for i in range(5)], next_path=page_path(number + 1)),
        )
    run = crawl(tmp_path, server).run
    assert run is not None
    # page 2 brought new reviews; the pages after it brought none
    last = 2 + PAGES_WITHOUT_NEW
    assert run.pages == last
    assert server.hits(page_path(last + 1)) == 0
    assert run.ok, run.health  # the reviews it read are fine
    assert f"stopped at page {last}" in run.health
    assert f"the last {PAGES_WITHOUT_NEW} pages brought no review not already read" in run.health
    assert len(stored(tmp_path)) == 10


def test_pages_that_repeat_a_little_do_not_stop_a_listing_that_moves_on(
    tmp_path: Path, server: FixtureServer
) -> None:
    # Each page repeats the last review of the one before (a listing that shifted while it was
    # read) but brings new ones: read to its end, no warning.
    pages = PAGES_WITHOUT_NEW + 4
    for number in range(1, pages + 1):
        nodes = [review(number * 10 + i) for i in range(4)]
        if number > 1:
            nodes.insert(0, review((number - 1) * 10 + 3))
        next_path = page_path(number + 1) if number < pages else None
        server.add(page_path(number), review_page(nodes, next_path=next_path))
    run = crawl(tmp_path, server).run
    assert run is not None
    assert run.ok, run.health
    assert run.pages == pages
    assert "stopped" not in run.health
    assert len(stored(tmp_path)) == pages * 4
