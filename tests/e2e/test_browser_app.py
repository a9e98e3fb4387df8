"""The recording app in a real Chromium at a 360×740 phone viewport, served by uvicorn on
loopback over the demo data: a cooperative pairs a phone, the phone records a lot from
harvest through packing with every form, each record signed by the phone's own key and
verifying in a proof bundle; a logger CSV with an excursion; three steps recorded offline
and uploaded in order after a reload; a conflict from a second phone, re-based; a revoked
phone's next record refused and kept. Accessibility (axe-core) and page weights too.

Skipped without Chromium or Playwright, except when ``AGRITRACE_REQUIRE_BROWSER=1``.
Screenshots go to ``docs/app/`` when ``AGRITRACE_SCREENSHOTS=1``.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.services import services_of
from ledger.application import Ledger
from ledger.config import Settings
from ledger.coopsettings import coop_settings
from ledger.demo import COOP, COOP_PREFIX, PLATFORM
from ledger.devices import Devices
from ledger.domain.fields import gtin_check_digit
from tests.api.test_scan_resolver import scan_app
from tests.e2e.test_browser_consumer import Served
from tests.e2e.test_browser_verify import NO_WEBCRYPTO, browser
from verify import Bundle, verify_bundle

__all__ = ["browser"]

ROOT = Path(__file__).resolve().parents[2]
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "locale": "zh-CN"}
READY = "() => document.body.dataset.ready === 'true'"
AXE = ROOT / "tests" / "e2e" / "vendor" / "axe.min.js"
GTIN = f"{COOP_PREFIX}00077"
GTIN += gtin_check_digit("0" + GTIN)
SHOTS = os.environ.get("AGRITRACE_SCREENSHOTS") == "1"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("app")
    settings = Settings(db_url=f"sqlite:///{folder / 'agritrace.db'}", master_key=os.urandom(32))
    with pytest.MonkeyPatch.context() as patch, Served(scan_app(settings, folder, patch)) as up:
        yield up


def ledger_of(served: Served) -> Ledger:
    return services_of(served.app).ledger


def phone(browser: Any, **options: Any) -> Any:
    context = browser.new_context(**{**PHONE, **options})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.set_default_timeout(20_000)
    return page


def open_page(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_function(READY)


def shot(page: Any, name: str) -> None:
    if SHOTS:
        (ROOT / "docs" / "app").mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ROOT / "docs" / "app" / f"{name}.png"), full_page=True)


def pair(page: Any, served: Served, org: str = COOP, label: str = "收购点手机") -> str:
    """Pair the phone with a code made for ``org``; its key id."""
    code = Devices(ledger_of(served)).create_code(org, label=label).code
    open_page(page, f"{served.url}/app/pair#{code}")
    page.wait_for_function("() => document.getElementById('pair-org').textContent !== ''")
    page.click("#pair-form button[type=submit]")
    page.wait_for_selector("#paired:not([hidden])")
    return str(page.evaluate("document.body.dataset.paired"))


def fill(page: Any, values: dict[str, str]) -> None:
    for selector, value in values.items():
        element = page.locator(selector)
        if element.evaluate("e => e.tagName") == "SELECT":
            element.select_option(value)
        else:
            element.fill(value)


def save(page: Any) -> str:
    page.click("#save")
    page.wait_for_selector("#result:not([hidden])")
    return str(page.inner_text("#result-hash"))


def harvest(page: Any, served: Served, lot: str, quantity: str,
            household: str | None = None) -> str:
    open_page(page, f"{served.url}/app/step/harvest")
    fill(page, {"#f-lot": lot, "#f-product-name": "猕猴桃", "#f-product-variety": "红阳",
                "#f-quantity": quantity, "#f-unit": "kg", "#f-origin-province": "湖南省",
                "#f-origin-city": "湘西土家族苗族自治州", "#f-origin-county": "凤凰县",
                "#f-origin-village": "西乡村"})
    if household:
        fill(page, {"#f-household": household})
    return save(page)


def step(page: Any, served: Served, slug: str, lot: str) -> None:
    open_page(page, f"{served.url}/app/step/{slug}?lot={lot}")
    page.wait_for_selector("#lot:not([hidden])")


def test_a_paired_phone_records_a_lot_from_harvest_to_label_sheet(browser: Any,
                                                                 served: Served) -> None:
    ledger = ledger_of(served)
    page = phone(browser)
    # The cooperative adds the phone from /app/devices with its token: code and QR code.
    admin = phone(browser)
    token = ledger.issue_token(COOP, label="coop office").token
    open_page(admin, f"{served.url}/app/devices")
    fill(admin, {"#d-token": token, "#d-org": COOP, "#d-label": "西乡收购点 1号机"})
    admin.click("#device-form button[type=submit]")
    admin.wait_for_selector("#pairing:not([hidden])")
    code = admin.inner_text("#pairing-code")
    assert len(code.replace("-", "")) == 12
    assert admin.locator("#pairing-qr").evaluate("img => img.naturalWidth") > 0
    shot(admin, "devices")
    open_page(page, f"{served.url}/app/pair")
    page.fill("#pair-code", code)
    page.click("#pair-form button[type=submit]")
    page.wait_for_selector("#paired:not([hidden])")
    key = str(page.evaluate("document.body.dataset.paired"))
    assert key in ledger.organisation(COOP).active_keys
    assert page.evaluate("indexedDB.databases().then(d => d.map(x => x.name))") == ["agritrace-app"]
    shot(page, "paired")
    # The same code again is refused.
    other = phone(browser)
    open_page(other, f"{served.url}/app/pair#{code}")
    other.wait_for_function("() => document.getElementById('pair-code-error').textContent !== ''")
    assert "used" in other.inner_text("#pair-code-error")

    # The households register: private, counted publicly.
    open_page(page, f"{served.url}/app/households")
    for hid, name, poor in (("XX-001", "龙大妈", True), ("XX-002", "石大哥", False)):
        fill(page, {"#h-name": name, "#h-village": "西乡村", "#h-household_id": hid})
        page.set_checked("#h-formerly_poor", poor)
        page.click("#household-form button[type=submit]")
        page.wait_for_selector(f"#household-rows td:text('{hid}')")
    shot(page, "households")
    counts = httpx.get(f"{served.url}/orgs/{COOP}/households/count").json()
    assert counts == {"households": 2, "formerly_poor": 1}
    assert httpx.get(f"{served.url}/orgs/{COOP}/households").status_code == 401

    harvest(page, served, "APP-H1", "120", household="XX-001")
    shot(page, "harvest-saved")
    harvest(page, served, "APP-H2", "80", household="XX-002")
    assert ledger.private_values("lot/APP-H1")  # the phone's opening is kept

    # Field collection: two households, one paid below the protective price.
    open_page(page, f"{served.url}/app/step/collection")
    fill(page, {"#f-lot": "APP-C1", "#f-collection_point": "西乡村田头集货点"})
    rows = page.locator("#purchase-rows > li")
    row = rows.nth(0)
    fill(row, {"[data-name='purchases.#.lot']": "APP-H1",
               "[data-name='purchases.#.household']": "XX-001",
               "[data-name='purchases.#.protective_price_per_kg']": "6",
               "[data-name='purchases.#.quantity']": "100",
               "[data-name='purchases.#.price_per_kg']": "6.5"})
    page.click("#add-purchase")
    row = rows.nth(1)
    fill(row, {"[data-name='purchases.#.lot']": "APP-H2",
               "[data-name='purchases.#.household']": "XX-002",
               "[data-name='purchases.#.protective_price_per_kg']": "6",
               "[data-name='purchases.#.quantity']": "80",
               "[data-name='purchases.#.price_per_kg']": "5.5"})
    assert "低于保护价" in row.locator(".warning").inner_text()
    assert page.inner_text("#purchase-total") == "180"
    shot(page, "collection")
    save(page)
    # The server's warning too: the purchase was recorded as paid, below the protective price.
    assert "低于保护价收购 the purchase from lot APP-H2" in page.inner_text("#result-warnings")

    # Grading: the form adds the grades up as they are typed.
    step(page, served, "grading", "APP-C1")
    grades = page.locator("#grade-rows > li")
    fill(grades.nth(0), {"[data-name='outputs.#.lot']": "APP-C1-A",
                         "[data-name='outputs.#.quantity']": "100"})
    fill(grades.nth(1), {"[data-name='outputs.#.lot']": "APP-C1-B",
                         "[data-name='outputs.#.quantity']": "60"})
    assert "应等于" in page.inner_text("#f-outputs-error")
    page.fill("#f-loss", "20")
    assert page.inner_text("#grade-total") == "180"
    assert page.inner_text("#f-outputs-error") == ""
    shot(page, "grading")
    save(page)

    step(page, served, "pre-cooling", "APP-C1-A")
    fill(page, {"#f-method": "forced-air", "#f-target_core_temp_c": "2",
                "#f-reached_core_temp_c": "2.5"})
    save(page)

    step(page, served, "storage", "APP-C1-A")
    fill(page, {"#f-facility": "西乡冷库1号", "#f-target_min_c": "0", "#f-target_max_c": "4"})
    page.set_input_files("#f-csv", files=[{"name": "logger.csv", "mimeType": "text/csv",
                                           "buffer": logger_csv(excursion="7.5")}])
    page.wait_for_selector("#chart svg circle.excursion")
    assert "超出范围 1 次" in page.inner_text("#excursions")
    shot(page, "storage-csv")
    save(page)
    assert "温度超出目标范围 7.5 °C" in page.inner_text("#result-warnings")  # the server's
    stored = ledger.lot_history("APP-C1-A")[-1].record
    assert stored.type == "Stored"
    assert len(stored.data["readings"]) == 6

    step(page, served, "packing", "APP-C1-A")
    fill(page, {"#f-units": "30", "#f-net_weight_per_unit": "5", "#f-net_weight_unit": "kg",
                "#f-gtin": GTIN, "#f-grade": "一级"})
    page.click("#save")  # 150 kg from a lot of 100 kg: refused on the phone
    page.wait_for_function("() => document.getElementById('f-units-error').textContent !== ''")
    assert "100 kg left" in page.inner_text("#f-units-error")
    fill(page, {"#f-units": "10"})
    assert page.inner_text("#packed-total") == "合计 total 50 kg / 剩余 remaining 100 kg"
    shot(page, "packing")
    packed = save(page)
    assert page.locator("#result-labels").get_attribute("href") == "/lots/APP-C1-A/labels.pdf"
    shot(page, "packing-saved")
    # The 承诺达标合格证: issued and signed on the phone, then printed.
    page.click("#result-certificate")
    page.wait_for_function(READY)
    page.fill("#f-contact", "0743-1234567")
    page.click("#save")  # a 承诺达标合格证 without its basis: the server's rule, by the field
    page.wait_for_function("() => document.getElementById('f-basis-error').textContent !== ''")
    page.select_option("#f-basis", "self-commitment")
    save(page)
    assert page.locator("#result-certificate").get_attribute(
        "href") == "/lots/APP-C1-A/certificate"
    certificate = httpx.get(f"{served.url}/lots/APP-C1-A/certificate")
    assert certificate.status_code == 200
    assert "承诺达标合格证" in certificate.text

    # A correction: pick the storage record, fix its facility.
    step(page, served, "correction", "APP-C1-A")
    page.select_option("#f-corrects", stored.hash_hex)
    page.select_option("#f-field", "facility")
    fill(page, {"#f-value": "西乡冷库2号", "#f-reason": "库号填错 wrong store"})
    save(page)

    step(page, served, "shipment", "APP-C1-A")
    fill(page, {"#f-to": PLATFORM, "#f-to_location": "长沙仓", "#f-location": "西乡冷库",
                "#f-quantity": "50"})
    save(page)
    # The platform's own phone receives it.
    platform = phone(browser)
    platform_key = pair(platform, served, PLATFORM, "长沙仓收货")
    step(platform, served, "receipt", "APP-C1-A")
    fill(platform, {"#f-from": COOP, "#f-location": "长沙仓", "#f-quantity": "50"})
    save(platform)

    # Every record the phones made is signed by the phone's key, and the bundle verifies.
    lots = ["APP-H1", "APP-H2", "APP-C1", "APP-C1-A", "APP-C1-B"]
    for lot in lots:
        for signed in ledger.lot_history(lot):
            assert signed.record.key == (platform_key if signed.record.org == PLATFORM
                                         else key), (lot, signed.record.type)
    types = [s.record.type for s in ledger.lot_history("APP-C1-A")]
    assert types == ["Graded", "PreCooled", "Stored", "Packed", "Certified", "Corrected",
                     "Shipped", "Received"]
    assert packed in {s.record.hash_hex for s in ledger.lot_history("APP-C1-A")}
    log = services_of(served.app).log
    log.integrate()
    bundle = Bundle.from_json(httpx.get(f"{served.url}/lots/APP-C1-A/bundle").content)
    verify_bundle(bundle, [log.key.verifier])
    sheet = httpx.get(f"{served.url}/lots/APP-C1-A/labels.pdf")
    assert sheet.status_code == 200
    assert sheet.content.startswith(b"%PDF")


def logger_csv(excursion: str = "3.0", bad: bool = False) -> bytes:
    start = datetime.now(UTC).replace(microsecond=0)
    lines = ["time,temp_c,humidity_pct"]
    for i, temp in enumerate(["2.1", "2.4", excursion, "3.1", "2.9", "2.2"]):
        at = (start + timedelta(seconds=10 * i)).isoformat().replace("+00:00", "Z")
        lines.append(f"{at},{temp},85")
    if bad:
        lines[3] = "yesterday,2.0,85"
        lines[5] = f"{start.isoformat()},hot,85"
    return ("\n".join(lines) + "\n").encode()


def test_a_logger_csv_with_bad_rows_names_them_and_submits_nothing(browser: Any,
                                                                   served: Served) -> None:
    page = phone(browser)
    pair(page, served, label="冷库手机")
    harvest(page, served, "APP-CSV", "50")
    before = len(ledger_of(served).lot_history("APP-CSV"))
    step(page, served, "storage", "APP-CSV")
    fill(page, {"#f-facility": "冷库"})
    page.set_input_files("#f-csv", files=[{"name": "bad.csv", "mimeType": "text/csv",
                                           "buffer": logger_csv(bad=True)}])
    page.wait_for_function("() => document.getElementById('f-csv-error').textContent !== ''")
    problems = page.inner_text("#f-csv-error")
    assert "row 4, column 1" in problems
    assert "row 6, column 2" in problems
    page.click("#save")
    page.wait_for_timeout(300)
    assert page.locator("#result").is_hidden()
    assert len(ledger_of(served).lot_history("APP-CSV")) == before


def test_the_server_refusal_is_shown_next_to_the_field(browser: Any, served: Served) -> None:
    page = phone(browser)
    pair(page, served, label="第二台")
    harvest(page, served, "APP-ERR", "40")
    step(page, served, "packing", "APP-ERR")
    unregistered = "0000000000017"  # a valid GTIN under nobody's prefix: the server refuses
    fill(page, {"#f-units": "4", "#f-net_weight_per_unit": "5", "#f-net_weight_unit": "kg",
                "#f-gtin": unregistered})
    page.click("#save")
    page.wait_for_function("() => document.getElementById('f-gtin-error').textContent !== ''")
    assert page.get_attribute("#f-gtin", "aria-invalid") == "true"
    page.wait_for_function("() => document.body.dataset.pending === '0'")  # left the queue


def test_three_steps_recorded_offline_land_in_order_after_a_reload(browser: Any,
                                                                  served: Served) -> None:
    ledger = ledger_of(served)
    page = phone(browser)
    key = pair(page, served, label="离线手机")
    harvest(page, served, "APP-OFF", "90")
    open_page(page, f"{served.url}/app/lot?code=APP-OFF")  # the service worker keeps pages
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    step(page, served, "pre-cooling", "APP-OFF")
    page.context.set_offline(True)
    step(page, served, "pre-cooling", "APP-OFF")
    fill(page, {"#f-method": "hydro", "#f-target_core_temp_c": "3",
                "#f-reached_core_temp_c": "3.5"})
    page.click("#save")
    page.wait_for_selector("#result[data-state=waiting]")
    step(page, served, "storage", "APP-OFF")
    fill(page, {"#f-facility": "离线冷库"})
    page.click("#save")
    page.wait_for_selector("#result[data-state=waiting]")
    step(page, served, "shipment", "APP-OFF")
    fill(page, {"#f-to": PLATFORM, "#f-to_location": "长沙仓", "#f-location": "西乡"})
    page.click("#save")
    page.wait_for_selector("#result[data-state=waiting]")
    shot(page, "offline-waiting")
    assert len(ledger.lot_history("APP-OFF")) == 1
    page.reload()
    page.wait_for_function(READY)
    assert page.inner_text("#pending-count") == "3"
    open_page(page, f"{served.url}/app/queue")
    shot(page, "queue-offline")
    page.context.set_offline(False)
    page.click("#sync-now")
    page.wait_for_function("() => document.body.dataset.pending === '0'")
    history = ledger.lot_history("APP-OFF")
    assert [s.record.type for s in history] == ["Harvested", "PreCooled", "Stored", "Shipped"]
    assert {s.record.key for s in history} == {key}


def test_a_conflict_from_a_second_phone_is_shown_and_rebased(browser: Any,
                                                            served: Served) -> None:
    ledger = ledger_of(served)
    first, second = phone(browser), phone(browser)
    pair(first, served, label="一号机")
    pair(second, served, label="二号机")
    harvest(first, served, "APP-CON", "60")
    step(second, served, "pre-cooling", "APP-CON")  # the second phone knows the lot too
    step(first, served, "storage", "APP-CON")
    first.context.set_offline(True)
    fill(first, {"#f-facility": "一号冷库"})
    first.click("#save")
    first.wait_for_selector("#result[data-state=waiting]")
    fill(second, {"#f-method": "room", "#f-target_core_temp_c": "4",
                  "#f-reached_core_temp_c": "4"})
    theirs = save(second)
    first.context.set_offline(False)
    open_page(first, f"{served.url}/app/queue")
    first.wait_for_selector("#queue li[data-state=conflict] .conflict")
    assert theirs in first.inner_text(".conflict .theirs")
    assert "一号冷库" in first.inner_text(".conflict .mine")
    shot(first, "conflict")
    first.click(".conflict .rebase")
    first.wait_for_function("() => document.body.dataset.pending === '0'")
    history = ledger.lot_history("APP-CON")
    assert [s.record.type for s in history] == ["Harvested", "PreCooled", "Stored"]
    assert history[2].record.prev == history[1].record.hash


def test_a_revoked_phone_is_refused_and_keeps_its_records(browser: Any,
                                                         served: Served) -> None:
    ledger = ledger_of(served)
    page = phone(browser)
    key = pair(page, served, label="丢失的手机")
    harvest(page, served, "APP-REV", "30")
    token = ledger.issue_token(COOP, label="coop office").token
    admin = phone(browser)
    open_page(admin, f"{served.url}/app/devices")
    fill(admin, {"#d-token": token, "#d-org": COOP})
    admin.click("#d-list")
    admin.click(f"#device-list li[data-key='{key}'] button.revoke")
    admin.wait_for_selector(f"#device-list li[data-key='{key}'] .state-refused")
    assert key in ledger.organisation(COOP).revoked_keys
    step(page, served, "storage", "APP-REV")
    fill(page, {"#f-facility": "冷库"})
    page.click("#save")
    page.wait_for_function("() => document.body.dataset.pending === '1'")
    open_page(page, f"{served.url}/app/queue")
    assert "revoked" in page.inner_text("#queue li[data-state=refused] .error")
    with page.expect_download() as download:
        page.click("#export")
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported["items"][0]["command"]["lot"] == "APP-REV"
    assert len(ledger.lot_history("APP-REV")) == 1


PAGES = ["/app", "/app/pair", "/app/step/harvest", "/app/step/collection",
         "/app/step/grading", "/app/step/storage", "/app/step/packing",
         "/app/step/certification",
         "/app/step/correction", "/app/households", "/app/settings", "/app/queue",
         "/app/devices", "/app/lot"]


@pytest.mark.parametrize("path", PAGES)
def test_every_input_has_a_label_and_the_page_has_no_axe_violations(browser: Any,
                                                                   served: Served,
                                                                   path: str) -> None:
    if not AXE.exists():
        pytest.skip("axe-core is not vendored under tests/e2e/vendor")
    page = phone(browser, bypass_csp=True)  # to inject axe; the app itself runs no inline script
    open_page(page, served.url + path)
    page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})")
    violations = [(v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]
    assert violations == []
    unlabeled = page.evaluate("""[...document.querySelectorAll('input, select')]
        .filter(e => e.type !== 'hidden' && e.labels.length === 0).map(e => e.id || e.name)""")
    assert unlabeled == []


def test_first_view_of_the_app_and_of_a_form_is_under_100_kb(browser: Any,
                                                             served: Served) -> None:
    for path in ("/app", "/app/step/harvest"):
        page = phone(browser)
        sizes: list[int] = []
        page.on("requestfinished",
                lambda request, sizes=sizes: sizes.append(request.sizes()["responseBodySize"]
                                                          + request.sizes()["responseHeadersSize"]))
        open_page(page, served.url + path)
        page.wait_for_load_state("networkidle")
        assert 0 < sum(sizes) < 100_000, (path, sum(sizes))
    raw = httpx.get(f"{served.url}/app/step/harvest").content
    assert len(gzip.compress(raw)) < 10_000


NO_ED25519_KEYS = """
const generateKey = SubtleCrypto.prototype.generateKey;
SubtleCrypto.prototype.generateKey = function (algorithm, ...rest) {
  const name = typeof algorithm === "string" ? algorithm : algorithm.name;
  if (name === "Ed25519") return Promise.reject(new DOMException("no", "NotSupportedError"));
  return generateKey.call(this, algorithm, ...rest);
};"""


@pytest.mark.parametrize("missing", [NO_ED25519_KEYS, NO_WEBCRYPTO],
                         ids=["no-ed25519", "no-webcrypto"])
def test_without_webcrypto_ed25519_the_phone_signs_with_noble(browser: Any, served: Served,
                                                            missing: str) -> None:
    page = phone(browser)
    page.context.add_init_script(missing)
    key = pair(page, served, label="旧手机")
    assert "noble" in page.inner_text("#paired-text")
    lot = f"APP-NB{len(missing) % 97}"
    harvest(page, served, lot, "12")
    record = ledger_of(served).lot_history(lot)[0].record
    assert record.key == key


def test_the_coops_varieties_and_protective_price_fill_the_forms_and_corrections_go_by_part(
        browser: Any, served: Served) -> None:
    """The coop keeps its varieties and protective price on /app/settings; the harvest form
    offers its varieties (and says when one is off the list), the collection form pre-fills
    each row's protective price from it and warns below it, and a product is corrected part
    by part, never as JSON."""
    page = phone(browser)
    pair(page, served, label="设置手机")
    open_page(page, f"{served.url}/app/settings")
    row = page.locator("#product-rows > li").nth(0)
    fill(row, {"[data-part='product']": "猕猴桃", "[data-part='varieties']": "金艳、红阳",
               "[data-part='price']": "7"})
    page.click("#settings-form button[type=submit]")
    page.wait_for_selector("#settings-saved:text('已保存')")
    shot(page, "settings")
    engine = ledger_of(served).store.engine
    assert coop_settings(engine, COOP) == {"varieties": {"猕猴桃": ["金艳", "红阳"]},
                                           "protective_prices": {"猕猴桃": "7"}}

    open_page(page, f"{served.url}/app/step/harvest")
    fill(page, {"#f-lot": "APP-S1", "#f-product-name": "猕猴桃", "#f-quantity": "50",
                "#f-unit": "kg", "#f-origin-province": "湖南省",
                "#f-origin-city": "湘西土家族苗族自治州", "#f-origin-county": "凤凰县"})
    assert page.eval_on_selector_all("#varieties option", "o => o.map(x => x.value)") == [
        "金艳", "红阳"]
    page.fill("#f-product-variety", "海沃德")
    assert "不在合作社的品种表上" in page.inner_text("#f-product-variety-note")
    page.fill("#f-product-variety", "金艳")
    assert page.inner_text("#f-product-variety-note") == ""
    save(page)

    # The variety was wrong: correct the product part by part, from its current values.
    step(page, served, "correction", "APP-S1")
    harvested = ledger_of(served).lot_history("APP-S1")[0].record
    page.select_option("#f-corrects", harvested.hash_hex)
    page.select_option("#f-field", "origin")
    assert page.input_value("#f-value-county") == "凤凰县"
    page.select_option("#f-field", "product")
    assert page.is_hidden("#f-value")
    assert page.input_value("#f-value-name") == "猕猴桃"
    assert page.input_value("#f-value-variety") == "金艳"
    page.fill("#f-value-variety", "红阳")
    page.fill("#f-reason", "品种填错 wrong variety")
    shot(page, "correction-parts")
    save(page)
    corrected = ledger_of(served).lot_history("APP-S1")[-1].record
    assert corrected.data["values"] == {"product": {"name": "猕猴桃", "variety": "红阳"}}

    # Field collection: the row's protective price is the coop's, pre-filled, not typed.
    open_page(page, f"{served.url}/app/step/collection")
    fill(page, {"#f-lot": "APP-SC1", "#f-collection_point": "西乡村田头集货点"})
    row = page.locator("#purchase-rows > li").nth(0)
    protective = row.locator("[data-name='purchases.#.protective_price_per_kg']")
    fill(row, {"[data-name='purchases.#.lot']": "APP-S1",
               "[data-name='purchases.#.quantity']": "50"})
    page.wait_for_function("() => document.querySelector("
                           "'[data-name=\"purchases.#.protective_price_per_kg\"]').value === '7'")
    assert protective.evaluate("e => e.readOnly")
    assert "合作社定的猕猴桃保护价" in row.locator(".protective").inner_text()
    row.locator("[data-name='purchases.#.price_per_kg']").fill("6.5")
    assert "低于保护价 7" in row.locator(".warning").inner_text()
    save(page)
    collected = ledger_of(served).lot_history("APP-SC1")[0].record
    assert collected.data["purchases"][0]["protective_price_per_kg"] == "7"
