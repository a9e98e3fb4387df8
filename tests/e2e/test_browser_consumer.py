"""The consumer page in a real Chromium on a phone-sized screen, served by uvicorn on
loopback: every demo lot's page shows its timeline, its cold-chain chart and any recall, and
its verification panel turns "verified on this phone" — and "failed" once the store has been
tampered with. Also: the noble fallback (no WebCrypto), data saver, injected markup.

Skipped without Chromium or Playwright, except when ``AGRITRACE_REQUIRE_BROWSER=1``.
Screenshots go to ``docs/screenshots/`` when ``AGRITRACE_SCREENSHOTS=1``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import uvicorn
from fastapi import FastAPI

from api.services import services_of
from ledger.config import Settings
from ledger.consumer import public_summary
from ledger.demo import DEMO_LOTS, ORANGE_LOT
from ledger.digitallink.uris import DigitalLink
from tests.api.test_scan_injection import SCRIPT, record_injection
from tests.api.test_scan_resolver import scan_app
from tests.e2e.test_browser_verify import ARGS, NO_WEBCRYPTO, browser
from tests.ledger.test_tamper import Store
from verify.notes import Signer

__all__ = ["ARGS", "Served", "browser"]

ROOT = Path(__file__).resolve().parents[2]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2}
RECALLED = {ORANGE_LOT, "OR26-MY-A", "OR26-MY-B"}
SETTLED = "() => document.body.dataset.verification !== 'pending'"


class Served:
    """``app`` under uvicorn on a free loopback port, in a thread."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run,
                                       kwargs={"sockets": [self.socket]}, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: Any) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.socket.close()


def _settings(folder: Path) -> Settings:
    return Settings(db_url=f"sqlite:///{folder / 'agritrace.db'}", master_key=bytes(range(32)))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("consumer")
    with pytest.MonkeyPatch.context() as patch, \
            Served(scan_app(_settings(folder), folder, patch)) as served:
        yield served


def _page(browser: Any, locale: str = "zh-CN", init: str | None = None) -> Any:
    context = browser.new_context(locale=locale, **PHONE)
    if init:
        context.add_init_script(init)
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    return page


def _page_path(app: FastAPI, lot: str) -> str:
    summary = public_summary(services_of(app).ledger, lot)
    if summary.gtin:
        return DigitalLink(gtin=summary.gtin, lot=lot).path
    return f"/lots/{lot}/page"


def _open(page: Any, url: str) -> str:
    page.goto(url)
    page.wait_for_function(SETTLED, timeout=30_000)
    return str(page.evaluate("document.body.dataset.verification"))


@pytest.mark.parametrize("lot", DEMO_LOTS)
def test_every_demo_lot_page_verifies_on_a_phone(browser: Any, demo: Served, lot: str) -> None:
    page = _page(browser)
    try:
        assert _open(page, demo.url + _page_path(demo.app, lot)) == "verified"
        summary = public_summary(services_of(demo.app).ledger, lot)
        panel = page.inner_text("#verify")
        assert "✓ 已在本机验证" in panel
        assert "Verified on this phone" in panel
        size = services_of(demo.app).log.latest_checkpoint().size
        assert f"第 {size} 号检查点" in panel
        assert page.evaluate("window.agritraceVerification.lot") == lot
        # The timeline: one entry per step, each backed by a record of the verified bundle.
        steps = page.locator("#timeline > li")
        assert steps.count() == len(summary.timeline) > 0
        assert page.locator("#timeline [data-field=checked]:visible").count() == steps.count()
        # The chart, when there are readings to draw; excursions marked.
        chart = page.locator("#cold-chart")
        assert chart.count() == (1 if len(summary.cold_chain.readings) >= 2 else 0)
        if chart.count():
            assert chart.is_visible()
            marked = page.locator("#cold-chart g.excursion").count()
            assert marked == sum(r.excursion for r in summary.cold_chain.readings)
        # The red banner on recalled lots only.
        banner = page.locator("[data-alert=recalled]")
        assert banner.count() == (1 if lot in RECALLED else 0)
        if lot in RECALLED:
            assert "已召回" in banner.inner_text()
            assert banner.evaluate("e => getComputedStyle(e).backgroundColor") == (
                "rgb(179, 38, 30)")
        # Mobile first: nothing wider than the phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.dialogs == []
    finally:
        page.context.close()


def test_the_kiwifruit_page_in_english(browser: Any, demo: Served, tmp_path: Path) -> None:
    page = _page(browser, locale="en-US")
    try:
        assert _open(page, demo.url + _page_path(demo.app, "KW26-SBD-G1")) == "verified"
        assert page.evaluate("document.documentElement.lang") == "en"
        assert "Verified on this phone" in page.inner_text("#verify")
        assert "1 reading(s) outside the target range" in page.inner_text("body")
        _screenshot(page, tmp_path, "consumer-kiwifruit-en.png")
    finally:
        page.context.close()


def test_screenshots_in_chinese(browser: Any, demo: Served, tmp_path: Path) -> None:
    page = _page(browser)
    try:
        _open(page, demo.url + _page_path(demo.app, "KW26-SBD-G1"))
        _screenshot(page, tmp_path, "consumer-kiwifruit-zh.png")
        page.locator("#cold-chart").scroll_into_view_if_needed()
        page.evaluate("window.scrollBy(0, -260)")
        _screenshot(page, tmp_path, "consumer-cold-chain-zh.png")
        _open(page, demo.url + _page_path(demo.app, "OR26-MY-A"))
        _screenshot(page, tmp_path, "consumer-recalled-zh.png")
        page.goto(demo.url + "/lots/KW26-SBD-G1/certificate")
        _screenshot(page, tmp_path, "certificate-zh.png")
        page.goto(demo.url + "/01/16941234000125/10/FAKE-LOT")
        assert "未登记的编码" in page.inner_text("body")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        _screenshot(page, tmp_path, "not-registered-zh.png")
    finally:
        page.context.close()


def _screenshot(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / name))
    assert (folder / name).stat().st_size > 10_000
    if os.environ.get("AGRITRACE_SCREENSHOTS") == "1":
        target = ROOT / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        context = page.context.browser.new_context(locale=page.evaluate("navigator.language"),
                                                   **{**PHONE, "device_scale_factor": 1})
        small = context.new_page()
        small.goto(page.url)
        small.wait_for_load_state("networkidle")
        small.evaluate(f"window.scrollTo(0, {page.evaluate('window.scrollY')})")
        small.screenshot(path=str(target / name))
        context.close()


def test_without_webcrypto_the_page_verifies_with_noble(browser: Any, demo: Served) -> None:
    page = _page(browser, init=NO_WEBCRYPTO)
    try:
        assert _open(page, demo.url + _page_path(demo.app, "KW26-SBD-G1")) == "verified"
        assert page.evaluate("window.agritraceVerification.crypto") == "noble"
    finally:
        page.context.close()


SAVE_DATA = ("Object.defineProperty(Navigator.prototype, 'connection', "
             "{get: () => ({saveData: true})});")


def test_with_data_saver_verification_waits_for_a_tap(browser: Any, demo: Served) -> None:
    page = _page(browser, init=SAVE_DATA)
    try:
        page.goto(demo.url + _page_path(demo.app, "TEA26-BJ-001"))
        page.wait_for_function(SETTLED)
        assert page.evaluate("document.body.dataset.verification") == "manual"
        page.click("#verify-start")
        page.wait_for_function("() => document.body.dataset.verification === 'verified'")
    finally:
        page.context.close()


def test_after_tampering_the_panel_turns_failed(browser: Any, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = _page_path(scan_app(_settings(tmp_path), tmp_path, monkeypatch), "KW26-SBD-G1")
    page = _page(browser)
    try:
        with Served(scan_app(_settings(tmp_path), tmp_path, monkeypatch, seed=False)) as one:
            assert _open(page, one.url + path) == "verified"
            ledger = services_of(one.app).ledger
            # An insider hides the cold-store excursion: 5.6 °C becomes 3.6 °C in the store.
            store = Store(ledger)
            seq = next(s.record.seq for s in ledger.lot_history("KW26-SBD-G1")
                       if s.record.type == "Stored")
            row = store.row("lot/KW26-SBD-G1", seq)
            store.set_state("lot/KW26-SBD-G1", seq, row["signature"],
                            row["raw"].replace(b'"temp_c":"5.6"', b'"temp_c":"3.6"'))
        # A fresh process reads the edited store: the page shows no excursion...
        with Served(scan_app(_settings(tmp_path), tmp_path, monkeypatch, seed=False)) as two:
            assert _open(page, two.url + path) == "failed"
            assert page.locator("#cold-chart g.excursion").count() == 0
            # ...and the phone refuses it: the record is not the one the log holds.
            assert page.evaluate("window.agritraceVerification.step") == 3
            panel = page.inner_text("#verify")
            assert "验证失败" in panel
            assert "do not trust this page" in panel
            assert page.locator("#timeline [data-field=checked]:visible").count() == 0
    finally:
        page.context.close()


def test_injected_markup_never_runs(browser: Any, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    app = scan_app(_settings(tmp_path), tmp_path, monkeypatch, seed=False)
    record_injection(services_of(app).ledger)
    page = _page(browser)
    try:
        with Served(app) as served:
            assert _open(page, served.url + "/01/06901234567892/10/XSS-1") == "verified"
            assert page.inner_text("h1") == SCRIPT
            assert page.locator("main img").count() == 0
            page.goto(served.url + "/lots/XSS-1/certificate")
            page.wait_for_load_state("networkidle")
            assert page.dialogs == []
    finally:
        page.context.close()


CSP_VIOLATIONS = ("window.cspViolations = [];"
                  "document.addEventListener('securitypolicyviolation', (e) => "
                  "window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));")
VERIFY_SETTLED = "() => !['loading', 'form'].includes(document.body.dataset.state)"


def test_the_pages_keep_to_their_content_security_policy(browser: Any, demo: Served) -> None:
    page = _page(browser, init=CSP_VIOLATIONS)
    try:
        page.goto(demo.url + "/")
        assert page.evaluate("window.cspViolations") == []
        assert _open(page, demo.url + _page_path(demo.app, "KW26-SBD-G1")) == "verified"
        assert page.evaluate("window.cspViolations") == []
        # verify.html, as this service serves it, checks against this service's /log/key.
        page.goto(f"{demo.url}/static/verify.html?bundle=/lots/KW26-SBD-G1/bundle")
        page.wait_for_function(VERIFY_SETTLED)
        assert page.evaluate("document.body.dataset.state") == "valid"
        assert page.evaluate("window.cspViolations") == []
        # Another log's key: named, and not this service's; this service's bundle fails it.
        other = Signer.generate("someone-else.example/log").verifier.to_vkey()
        page.goto(f"{demo.url}/static/verify.html?bundle=/lots/KW26-SBD-G1/bundle"
                  f"&log_key={quote(other)}")
        page.wait_for_function(VERIFY_SETTLED)
        assert page.evaluate("document.body.dataset.state") == "invalid"
        assert page.inner_text("#foreign-name") == "someone-else.example/log"
        assert page.evaluate("window.cspViolations") == []
    finally:
        page.context.close()
