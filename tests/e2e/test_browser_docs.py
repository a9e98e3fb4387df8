"""The API documentation and the recalled pack, in a real Chromium that may reach nothing
but 127.0.0.1, as on a cooperative's laptop without internet: ``/docs`` renders every
operation from assets the service serves itself, and the demo's packed oranges, recalled
through their parent lot, scan to the recall banner.

Skipped without Chromium or Playwright, except when ``AGRITRACE_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from api.services import services_of
from ledger.demo import ORANGE_LOT
from ledger.labels import packed_lot_links
from tests.api.test_scan_resolver import scan_app
from tests.e2e.test_browser_consumer import SETTLED, Served, _settings, browser

__all__ = ["browser"]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("offline")
    with pytest.MonkeyPatch.context() as patch, \
            Served(scan_app(_settings(folder), folder, patch)) as served:
        yield served


@pytest.fixture
def offline_page(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    """A page whose requests to anything but 127.0.0.1 fail, and the list of those tried."""
    context = browser.new_context(locale="zh-CN")
    blocked: list[str] = []

    def only_loopback(route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", only_loopback)
    page = context.new_page()
    try:
        yield page, blocked
    finally:
        context.close()


def test_the_api_docs_render_without_internet(service: Served,
                                              offline_page: tuple[Any, list[str]]) -> None:
    page, blocked = offline_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(service.url + "/docs")
    page.wait_for_selector(".opblock", timeout=30_000)
    operations = len(service.app.openapi()["paths"])
    assert page.locator(".opblock-tag-section").count() > 3
    assert page.locator(".opblock").count() >= operations
    assert "agritrace" in page.inner_text(".info .title")
    assert page.locator(".information-container .errors-wrapper").count() == 0
    assert blocked == []
    assert errors == []


def test_the_recalled_pack_on_the_shelf_scans_to_the_recall_banner(
        service: Served, offline_page: tuple[Any, list[str]]) -> None:
    (uri,) = [uri for lot, uri in packed_lot_links(services_of(service.app).ledger, ["OR26-MY-A"],
                                                    host=service.url)]
    assert "/01/" in uri
    page, blocked = offline_page
    page.goto(uri)
    page.wait_for_function(SETTLED, timeout=30_000)
    banner = page.locator("[data-alert=recalled]")
    assert banner.count() == 1
    text = banner.inner_text()
    assert "已召回" in text
    assert ORANGE_LOT in text  # the ancestor whose recall reaches this pack
    assert page.evaluate("document.body.dataset.verification") == "verified"
    assert blocked == []
