"""Shared fixtures for the HTTP API tests (``tests/test_http_*.py``): the app over a fresh
store on each backend, the parties of the kiwifruit journey registered through the API with
their tokens, and request bodies for every step.

Test modules import the fixtures they use: ``from tests.test_http_helpers import
api_fixture`` makes the ``api`` fixture available.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

with warnings.catch_warnings():
    # Starlette prefers httpx2 under its TestClient but works with httpx (see test_api_minimal).
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient as TestClient

from api.app import create_app
from api.services import services_of
from api.settings import ServiceSettings
from ledger.application import Ledger
from ledger.config import Settings
from tests.journeys import CARRIER, COOP, COOP_PREFIX, INSPECTOR, KIWI, ORIGIN, PLATFORM

OTHER = "coop-other"  # a second cooperative: the "wrong organisation"
PARTIES = {
    COOP: ("凤凰县西乡猕猴桃专业合作社", ["cooperative"]),
    CARRIER: ("湘西冷链物流", ["carrier"]),
    PLATFORM: ("扶贫产品电商平台长沙仓", ["warehouse", "platform"]),
    INSPECTOR: ("凤凰县市场监督管理局", ["inspector"]),
    OTHER: ("吉首市某合作社", ["cooperative"]),
}
ADMIN = "admin"


@dataclass
class Api:
    """The test client and a token per party (``ADMIN`` for the admin token)."""

    client: TestClient
    tokens: dict[str, str]

    @property
    def ledger(self) -> Ledger:
        ledger: Ledger = services_of(self.client.app).ledger
        return ledger

    def headers(self, who: str | None, **extra: str) -> dict[str, str]:
        auth = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return {**auth, **extra}

    def post(self, who: str | None, path: str, body: Any = None,
             **headers: str) -> httpx.Response:
        response: httpx.Response = self.client.post(path, json=body,
                                                    headers=self.headers(who, **headers))
        return response

    def get(self, who: str | None, path: str, **params: Any) -> httpx.Response:
        response: httpx.Response = self.client.get(path, params=params,
                                                   headers=self.headers(who))
        return response

    def ok(self, response: httpx.Response, status: int = 201) -> Any:
        assert response.status_code == status, response.text
        return response.json() if response.content else None


def service(**overrides: Any) -> ServiceSettings:
    """Test settings: no background integrator, no webhook delivery thread (tests may call
    127.0.0.1 only), no rate limit (one test turns it on)."""
    return ServiceSettings(**{"integrate": False, "deliver": False, "rate_per_second": 0,
                              **overrides})


@pytest.fixture(name="log_key_file")
def log_key_file_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("AGRITRACE_LOG_KEY", "AGRITRACE_LOG_ORIGIN"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "log-key"
    monkeypatch.setenv("AGRITRACE_LOG_KEY_FILE", str(path))
    monkeypatch.delenv("AGRITRACE_VERDICT_KEY", raising=False)
    monkeypatch.setenv("AGRITRACE_VERDICT_KEY_FILE", str(tmp_path / "verdict-key"))
    return path


def register(client: httpx.Client, admin: str) -> dict[str, str]:
    """Register the parties through the API; a token for each."""
    tokens = {ADMIN: admin}
    auth = {"Authorization": f"Bearer {admin}"}
    for org, (name, roles) in PARTIES.items():
        created = client.post("/orgs", json={"org": org, "name": name, "roles": roles},
                              headers=auth)
        assert created.status_code == 201, created.text
        issued = client.post(f"/orgs/{org}/tokens", json={"label": "test"}, headers=auth)
        assert issued.status_code == 201, issued.text
        tokens[org] = issued.json()["token"]
    prefix = client.post(f"/orgs/{COOP}/prefixes", json={"prefix": COOP_PREFIX}, headers=auth)
    assert prefix.status_code == 201, prefix.text
    return tokens


@pytest.fixture(name="api")
def api_fixture(settings: Settings, log_key_file: Path) -> Iterator[Api]:
    app = create_app(settings, service())
    with TestClient(app) as client:
        admin = services_of(app).ledger.issue_token(None, label="test admin").token
        yield Api(client, register(client, admin))


# -- request bodies ---------------------------------------------------------------------

def harvest_body(quantity: str = "100", household: str = "HH-001", day: int = 10) -> dict[str, Any]:
    return {"product": KIWI, "quantity": quantity, "unit": "kg", "origin": ORIGIN,
            "started": f"2026-09-{day:02d}T06:00:00+08:00",
            "ended": f"2026-09-{day:02d}T11:00:00+08:00", "harvester": "张三",
            "household": household}


def collection_body(lots: dict[str, str]) -> dict[str, Any]:
    return {"collection_point": "西乡村田头集货点", "time": "2026-09-10T14:00:00+08:00",
            "purchases": [{"lot": lot, "quantity": quantity, "price_per_kg": "6.50",
                           "protective_price_per_kg": "6.00", "household": f"HH-{lot}",
                           "registered_poor_household": True}
                          for lot, quantity in lots.items()]}


def grading_body(outputs: dict[str, tuple[str, str]], loss: str) -> dict[str, Any]:
    return {"standard": "NY/T 1794-2009 猕猴桃等级规格", "loss": loss,
            "time": "2026-09-10T16:00:00+08:00",
            "outputs": [{"lot": code, "grade": g, "quantity": q}
                        for code, (g, q) in outputs.items()]}


PRE_COOLING = {"method": "forced-air", "started": "2026-09-10T17:00:00+08:00",
               "ended": "2026-09-10T21:00:00+08:00", "target_core_temp_c": "2",
               "reached_core_temp_c": "2.4",
               "readings": [{"at": "2026-09-10T18:00:00+08:00", "temp_c": "8.1"}]}
STORAGE = {"facility": "西乡冷库1号", "started": "2026-09-10T22:00:00+08:00",
           "target_min_c": "0", "target_max_c": "4"}
PACKING = {"packaging": "5 kg 礼盒", "units": 20, "net_weight_per_unit": "5",
           "net_weight_unit": "kg", "gtin": "06901234567892", "grade": "一级",
           "time": "2026-09-12T08:00:00+08:00"}
SHIPMENT = {"to": PLATFORM, "to_location": "长沙市望城区电商产业园", "location": "西乡冷库",
            "carrier": "湘西冷链物流", "waybill": "XL20260912001",
            "time": "2026-09-12T09:00:00+08:00"}
RECEIPT = {"from": COOP, "location": "长沙市望城区电商产业园", "temp_c": "3.2",
           "time": "2026-09-12T19:00:00+08:00"}
INSPECTION = {"kind": "lab", "verdict": "fail", "lab": "湘西州农产品质量检测中心",
              "results": [{"analyte": "毒死蜱", "value": "0.05", "unit": "mg/kg",
                           "limit": "0.02", "verdict": "fail"}]}
CERTIFICATION = {"scheme": "compliance-certificate", "number": "HN-2026-000123",
                 "issuer": "凤凰县西乡猕猴桃专业合作社",
                 "valid_from": "2026-09-12T00:00:00+08:00", "basis": "self-commitment",
                 "contact": "0743-1234567"}
