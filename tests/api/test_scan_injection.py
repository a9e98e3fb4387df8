"""Markup in recorded text (a product name, an organisation, a reason) is shown as text on
every page, never run: Jinja2 autoescaping, escaped sentence parameters, and a Content
Security Policy that allows no inline script. (The browser test loads the same page.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.services import services_of
from ledger.application import Ledger
from ledger.config import Settings
from ledger.labels import issue_compliance_certificate
from tests.api.test_scan_resolver import BROWSER, TestClient, scan_app

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(2)>'
GTIN = "06901234567892"
PATH = f"/01/{GTIN}/10/XSS-1"


def record_injection(ledger: Ledger) -> None:
    """A packed lot whose every free-text field holds markup."""
    ledger.register_organisation("coop-xss", name=f"合作社 {SCRIPT}", roles=["cooperative"],
                                 contact=ATTRIBUTE)
    ledger.register_organisation("insp-xss", name="监管局", roles=["inspector"])
    ledger.register_prefix("coop-xss", gtin=GTIN)
    ledger.record("coop-xss", "Harvested", {
        "product": {"name": SCRIPT, "variety": ATTRIBUTE},
        "quantity": "10", "unit": "kg", "started": "2026-09-10T06:00:00+08:00",
        "ended": "2026-09-10T08:00:00+08:00",
        "origin": {"province": "湖南省", "city": SCRIPT, "county": ATTRIBUTE,
                   "village": "{{ 7 * 7 }}"}}, lot="XSS-1")
    ledger.record("coop-xss", "Stored", {
        "facility": SCRIPT, "started": "2026-09-10T09:00:00+08:00",
        "ended": "2026-09-11T09:00:00+08:00", "target_min_c": "0", "target_max_c": "4",
        "readings": [{"at": "2026-09-10T10:00:00+08:00", "temp_c": "2"},
                     {"at": "2026-09-10T20:00:00+08:00", "temp_c": "9"}]}, lot="XSS-1")
    ledger.record("coop-xss", "Packed", {
        "packaging": SCRIPT, "units": 2, "net_weight_per_unit": "5", "net_weight_unit": "kg",
        "gtin": GTIN, "grade": ATTRIBUTE, "serial_first": 1, "serial_last": 2},
        lot="XSS-1", time="2026-09-11T10:00:00+08:00")
    ledger.record("insp-xss", "Inspected", {
        "kind": "lab", "verdict": "fail", "lab": SCRIPT, "report": ATTRIBUTE, "notes": SCRIPT,
        "results": [{"analyte": SCRIPT, "value": "1", "unit": "<b>kg</b>", "verdict": "fail"}]},
        lot="XSS-1", time="2026-09-11T11:00:00+08:00")
    issue_compliance_certificate(ledger, "coop-xss", "XSS-1", number=ATTRIBUTE[:20],
                                 commitment=SCRIPT, basis="self-commitment",
                                 time="2026-09-11T12:00:00+08:00")
    ledger.record("insp-xss", "Held", {"reason": SCRIPT}, lot="XSS-1",
                  time="2026-09-11T13:00:00+08:00")


@pytest.fixture
def client(settings: Settings, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    app = scan_app(settings, tmp_path, monkeypatch, seed=False)
    record_injection(services_of(app).ledger)
    with TestClient(app) as opened:
        yield opened


@pytest.mark.parametrize("path", [PATH, f"{PATH}/21/2", "/lots/XSS-1/page",
                                  "/lots/XSS-1/certificate", f"{PATH}?lang=en"])
def test_recorded_markup_is_escaped(client: TestClient, path: str) -> None:
    response = client.get(path, headers=BROWSER)
    # The lot is held: its certificate is refused, on a page that shows the hold's reason.
    assert response.status_code == (409 if path.endswith("/certificate") else 200)
    text = response.text
    assert SCRIPT not in text
    assert "<img" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "{{ 7 * 7 }}" in text or "/certificate" in path  # templates never run data
    assert "'unsafe-inline'" not in response.headers["content-security-policy"].split(
        "script-src", 1)[1].split(";", 1)[0]


def test_the_json_keeps_the_text_as_recorded(client: TestClient) -> None:
    body = client.get(PATH, headers={"Accept": "application/json"}).json()
    assert body["product_name"] == SCRIPT
    assert body["status"] == "held"
    assert body["alerts"][0]["reason"] == SCRIPT


def test_markup_in_a_bad_code_is_escaped_too(client: TestClient) -> None:
    response = client.get("/01/%3Cscript%3E/10/x", headers=BROWSER)
    assert response.status_code == 400
    assert "<script>" not in response.text.split("<main>", 1)[1]
