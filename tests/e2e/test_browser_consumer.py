"""The consumer page in a real Chromium on a phone-sized screen, served by uvicorn on
loopback: every demo lot's page shows its timeline, its cold-chain chart and any recall, and
its verification panel turns "verified on this phone" — "genuine, and they say recalled" for a
recalled lot — and "failed" once the store has been tampered with. A shopper holding a
recalled box reads what to do; the page takes the lot's status and quantity from the records
it verified, not from the server, and says when the two disagree; it says in plain words how
fresh the check is and who witnessed it. Also: the noble fallback (no WebCrypto), data saver,
injected markup, the page without JavaScript, and an English page without untranslated Chinese.

Skipped without Chromium or Playwright, except when ``AGRITRACE_REQUIRE_BROWSER=1``.
Screenshots go to ``docs/screenshots/`` when ``AGRITRACE_SCREENSHOTS=1``.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import uvicorn
from fastapi import FastAPI

from api.services import services_of
from api.settings import parse_witness
from ledger.config import Settings
from ledger.consumer import public_summary
from ledger.consumer.model import Alert
from ledger.demo import DEMO_LOTS, ORANGE_LOT
from ledger.digitallink.uris import DigitalLink
from ledger.witness import Witness, load_witness_key, trusted_logs, witness_server
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
OK_GREEN = "rgb(227, 244, 229)"  # the verified panel's all-clear background


def _checked_as_of(app: FastAPI) -> str:
    """The latest checkpoint's signed time (its agritrace/time line) as the page writes it:
    China time to the minute."""
    note = services_of(app).log.latest_checkpoint().note
    found = re.search(r"^agritrace/time ([0-9]+)$", note, re.MULTILINE)
    assert found, f"the log's checkpoint carries no agritrace/time line:\n{note}"
    moment = datetime.fromtimestamp(int(found.group(1)), UTC) + timedelta(hours=8)
    return moment.strftime("%Y-%m-%d %H:%M")


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
        background = page.eval_on_selector("#verify", "e => getComputedStyle(e).backgroundColor")
        if lot in RECALLED:
            # Genuine records that say "recalled": never a green all-clear under the banner.
            assert "这些记录真实无误——它们表明此批次已召回" in panel
            assert "These records are genuine — and they say this lot is recalled" in panel
            assert "已在本机验证" not in panel
            assert background != OK_GREEN
        else:
            assert "✓ 已在本机验证" in panel
            assert "Verified on this phone" in panel
            assert background == OK_GREEN
        # Plain words: when the log vouched for the records, not a checkpoint's number.
        assert f"验证截至 {_checked_as_of(demo.app)}" in panel
        assert "号检查点" not in panel
        assert "见证方" not in panel
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


# Every CJK character left once the Chinese beside the English ([lang^=zh]) and the text as
# organisations recorded it ([data-recorded]: names, places, reasons) are taken out; and
# English that counts wrongly. <noscript> is text to a page that runs scripts.
UNTRANSLATED = r"""() => {
  const body = document.body.cloneNode(true);
  for (const e of body.querySelectorAll('[lang^="zh"], [data-recorded], script, noscript'))
    e.remove();
  const text = body.textContent;
  return {
    cjk: [...new Set(text.match(/[\p{Script=Han}\u3000-\u303f\uff00-\uffef]+/gu) ?? [])],
    miscounted: text.match(/\b1 (?:were|have|households|readings|records)\b|\(s\)/g) ?? [],
  };
}"""


@pytest.mark.parametrize("lot", ["KW26-SBD-G1", "KW26-SBD-C01", "OR26-MY-A"])
def test_the_english_page_leaves_no_chinese_untranslated(browser: Any, demo: Served,
                                                         lot: str) -> None:
    page = _page(browser, locale="en-US")
    try:
        _open(page, demo.url + _page_path(demo.app, lot))
        assert page.evaluate("document.documentElement.lang") == "en"
        assert page.evaluate(UNTRANSLATED) == {"cjk": [], "miscounted": []}
        # Recorded text keeps its language; everything else has its English first.
        assert page.locator("[data-recorded]").count() > 0
    finally:
        page.context.close()


def test_the_kiwifruit_page_in_english(browser: Any, demo: Served, tmp_path: Path) -> None:
    page = _page(browser, locale="en-US")
    try:
        assert _open(page, demo.url + _page_path(demo.app, "KW26-SBD-G1")) == "verified"
        assert page.evaluate("document.documentElement.lang") == "en"
        assert "Verified on this phone" in page.inner_text("#verify")
        body = page.inner_text("body")
        assert "1 reading outside the target range" in body
        assert "Supplied by 3 households" in body
        _screenshot(page, tmp_path, "consumer-kiwifruit-en.png")
    finally:
        page.context.close()


def _recall_reason(app: FastAPI) -> str:
    """The reason the inspector's recall order gives, as recorded."""
    ledger = services_of(app).ledger
    order = next(s.record for s in ledger.lot_history(ORANGE_LOT) if s.record.type == "Recalled")
    return str(order.data["reason"])


def test_a_shopper_holding_the_recalled_oranges_reads_what_to_do(browser: Any,
                                                                 demo: Served) -> None:
    page = _page(browser)
    try:
        assert _open(page, demo.url + _page_path(demo.app, "OR26-MY-A")) == "verified"
        banner = page.locator("#standing [data-alert=recalled]")
        assert banner.count() == 1
        assert page.get_attribute("#standing", "data-source") == "verified"
        text = banner.inner_text()
        assert _recall_reason(demo.app) in text
        assert f"批次 {ORANGE_LOT}（来源批次）" in text  # the order, on the harvest it came from
        for words in ("停止食用", "Stop eating it", "退货退款", "Return it for a refund",
                      "12315"):
            assert words in text
        assert banner.locator("a[href='tel:12315']").count() > 0
        # The banner comes first, before the product and long before the timeline.
        first = page.evaluate("document.querySelector('main').firstElementChild.id")
        assert first == "standing"
        assert page.evaluate("""() => {
          const at = (s) => document.querySelector(s).getBoundingClientRect().top;
          return at('#standing') < at('h1') && at('#verify') < at('#timeline')
            && at('[data-field=cold-chain-glance]') < at('#timeline');
        }""")
        assert page.get_attribute("#verify", "data-standing") == "recalled"
        assert page.inner_text("[data-field=status]").startswith("已召回")
        assert page.is_hidden("#disagreement")
    finally:
        page.context.close()


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    """A demo of its own, to be tampered with."""
    with Served(scan_app(_settings(tmp_path), tmp_path, monkeypatch)) as served:
        yield served


def test_a_server_saying_active_for_a_recalled_lot_is_overruled_by_the_records(
        browser: Any, fresh: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    # An insider edits the read model the page is rendered from (the lot summaries), not the
    # signed records: the grade 2 oranges, recalled with their harvest, now read "active",
    # with no banner and more of them than there are.
    summaries = services_of(fresh.app).scanning.summaries
    honest = summaries.versioned

    def tampered(code: str) -> Any:
        version, summary = honest(code)
        if code == "OR26-MY-B":
            summary = replace(summary, status="active", alerts=(), quantity="7600")
        if code == "OR26-MY-A" and summary.packing is not None:
            summary = replace(summary, packing=replace(summary.packing,
                                                       net_weight_per_unit="5.5"))
        return version, summary

    monkeypatch.setattr(summaries, "versioned", tampered)
    path = _page_path(fresh.app, "OR26-MY-B")
    served_html = page_text = ""
    page = _page(browser)
    try:
        served_html = page.request.get(fresh.url + path).text()
        assert 'data-alert="recalled"' not in served_html.split("<template", 1)[0]
        assert _open(page, fresh.url + path) == "verified"
        # The verified state wins: the recall banner with its reason and what to do...
        banner = page.locator("#standing [data-alert=recalled]")
        assert banner.count() == 1
        assert _recall_reason(fresh.app) in banner.inner_text()
        assert "停止食用" in banner.inner_text()
        assert page.inner_text("[data-field=status]").startswith("已召回")
        assert page.inner_text("[data-field=quantity]").startswith("760 kg")
        assert page.evaluate("document.body.dataset.status") == "recalled"
        assert page.get_attribute("#verify", "data-standing") == "recalled"
        # ...and the page says plainly that the server said otherwise.
        notice = page.locator("#disagreement")
        assert notice.is_visible()
        page_text = notice.inner_text()
        for words in ("服务器页面与已验证的记录不符", "disagrees with the verified records",
                      "状态：页面原显示“正常”，已验证的记录为“已召回”",
                      "the page said “Active”; the verified records say “Recalled”",
                      "数量：页面原显示 7600 kg，已验证的记录为 760 kg", "以已验证的记录为准"):
            assert words in page_text
        assert page.evaluate("window.agritraceVerification.disagreements") == [
            "status", "quantity"]
        # A box's net weight, too: the records say 5 kg, not the 5.5 kg the server printed.
        assert _open(page, fresh.url + _page_path(fresh.app, "OR26-MY-A")) == "verified"
        assert page.inner_text("[data-field=net_weight]").startswith("5 kg")
        assert "净含量：页面原显示 5.5 kg，已验证的记录为 5 kg" in page.inner_text("#disagreement")
        assert page.evaluate("window.agritraceVerification.disagreements") == ["net_weight"]
    finally:
        page.context.close()


def test_the_page_says_when_it_was_checked_and_who_witnessed_it(
        browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = scan_app(_settings(tmp_path), tmp_path, monkeypatch, seed=False)
    office = Witness(load_witness_key(tmp_path / "witness-key", "witness.test/office"),
                     tmp_path / "witness.json", trusted_logs([services_of(first).log.vkey]))
    services_of(first).ledger.close()
    server = witness_server(office, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page = _page(browser)
    try:
        witness = parse_witness(f"http://127.0.0.1:{server.server_address[1]}={office.vkey}")
        app = scan_app(_settings(tmp_path), tmp_path, monkeypatch, witnesses=(witness,))
        services_of(app).log.integrate()
        with Served(app) as served:
            path = _page_path(app, "KW26-SBD-G1")
            assert _open(page, served.url + path) == "verified"
            panel = page.inner_text("#verify")
            assert "由witness.test/office独立见证" in panel
            assert "Independently witnessed by witness.test/office" in panel
            assert "验证截至 " in panel
            assert page.get_attribute("#verify", "data-fresh") == "fresh"
            assert page.is_hidden("#verify [data-when=stale]")
            # Two days on, the same check is stale, and the page says what that means.
            page.clock.set_system_time(datetime.now(UTC) + timedelta(days=2))
            assert _open(page, served.url + path) == "verified"
            assert page.get_attribute("#verify", "data-fresh") == "stale"
            stale = page.inner_text("#verify [data-when=stale]")
            assert "超过一天" in stale
            assert "a recall or hold since then would not show here" in stale
    finally:
        page.context.close()
        server.shutdown()
        server.server_close()


def test_a_corrected_harvest_reads_the_same_from_the_server_and_the_records(
        browser: Any, fresh: Served) -> None:
    # The cooperative weighed a household's harvest wrong and corrects it: the server's page
    # and the records the phone verifies agree on the new weight, so nothing is flagged.
    ledger = services_of(fresh.app).ledger
    harvest = ledger.lot_history("KW26-SBD-H01")[0].record
    ledger.record(harvest.org, "Corrected", {"corrects": harvest.hash_hex,
                                             "reason": "称重有误 weighed wrong",
                                             "values": {"quantity": "810.5"}},
                  lot="KW26-SBD-H01")
    page = _page(browser)
    try:
        assert _open(page, fresh.url + _page_path(fresh.app, "KW26-SBD-H01")) == "verified"
        assert page.evaluate("window.agritraceVerification.state.quantity") == "810.5"
        assert page.inner_text("[data-field=quantity]").startswith("810.5 kg")
        assert page.evaluate("window.agritraceVerification.disagreements") == []
        assert page.is_hidden("#disagreement")
    finally:
        page.context.close()


def _claim_recalled(monkeypatch: pytest.MonkeyPatch, app: FastAPI, lot: str) -> None:
    """The read model the page is rendered from says ``lot`` is recalled; no record does."""
    summaries = services_of(app).scanning.summaries
    honest = summaries.versioned

    def tampered(code: str) -> Any:
        version, summary = honest(code)
        if code == lot:
            alert = Alert(kind="recalled", lot=lot, own=True, reason="伪造的召回 a forged recall",
                          time=summary.updated, org_name="?", record="00" * 32)
            summary = replace(summary, status="recalled", alerts=(alert,))
        return version, summary

    monkeypatch.setattr(summaries, "versioned", tampered)


def test_complete_records_never_lift_a_warning_the_server_gives(
        browser: Any, fresh: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    # Complete records prove the lot's state as of their checkpoint; a hold or recall the
    # server reports may be newer than that. The records overrule a server that says less
    # than they do, never one that warns more: the warning stays and the panel says why.
    _claim_recalled(monkeypatch, fresh.app, "TEA26-BJ-001")
    page = _page(browser)
    try:
        assert _open(page, fresh.url + _page_path(fresh.app, "TEA26-BJ-001")) == "verified"
        assert page.evaluate("window.agritraceVerification.complete") is True
        assert page.evaluate("window.agritraceVerification.state.status") == "active"
        assert page.locator("#standing [data-alert=recalled]").count() == 1
        assert page.get_attribute("#verify", "data-standing") == "newer"
        panel = page.inner_text("#verify")
        assert "尚未记载上面的召回或暂扣" in panel
        assert "已在本机验证" not in panel
    finally:
        page.context.close()


DOWNGRADE = """(text) => {
  const bundle = JSON.parse(text);
  delete bundle.heads;
  bundle.version = 1;
  return JSON.stringify(bundle);
}"""


def test_a_bundle_that_cannot_prove_it_is_whole_never_lifts_a_warning(
        browser: Any, fresh: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    # A version 1 bundle holds genuine records but cannot show that none was left out, so it
    # cannot show that the recall the server reports is not there.
    _claim_recalled(monkeypatch, fresh.app, "TEA26-BJ-001")
    page = _page(browser)

    def version_1(route: Any) -> None:
        served = route.fetch()
        route.fulfill(response=served, body=page.evaluate(DOWNGRADE, served.text()))

    page.route("**/lots/*/bundle", version_1)
    try:
        assert _open(page, fresh.url + _page_path(fresh.app, "TEA26-BJ-001")) == "verified"
        assert page.evaluate("window.agritraceVerification.complete") is False
        assert page.locator("#standing [data-alert=recalled]").count() == 1
        assert page.get_attribute("#verify", "data-standing") == "unproven"
        panel = page.inner_text("#verify")
        assert "无法证明没有遗漏" in panel
        assert "已在本机验证" not in panel
        assert page.is_hidden("#disagreement")
    finally:
        page.context.close()


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_without_javascript_the_page_still_reads_well(browser: Any, demo: Served,
                                                      locale: str) -> None:
    context = browser.new_context(locale=locale, java_script_enabled=False, **PHONE)
    page = context.new_page()
    try:
        page.goto(demo.url + _page_path(demo.app, "OR26-MY-A"))
        banner = page.locator("#standing [data-alert=recalled]")
        assert banner.is_visible()
        assert "12315" in banner.inner_text()
        assert _recall_reason(demo.app) in banner.inner_text()
        panel = page.inner_text("#verify")
        assert "JavaScript" in panel
        assert "正在本机验证" not in panel  # nothing pretends to be checking
        assert page.is_hidden("#disagreement")
        if locale == "en-US":
            assert page.evaluate(UNTRANSLATED) == {"cjk": [], "miscounted": []}
    finally:
        context.close()


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
