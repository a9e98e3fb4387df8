"""Who may call what: every endpoint × {anonymous, wrong organisation, custodian, inspector,
platform, admin} → the expected status, on SQLite and PostgreSQL. Each call gets a fresh lot,
so one caller's success never changes what the next one meets. Every denial (401, 403) says
why."""

from __future__ import annotations

import base64
import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from api.app import create_app
from api.services import services_of
from api.settings import parse_networks
from ledger.config import Settings
from ledger.devices import Devices
from ledger.keys.signing import SigningKey
from ledger.persistence.tables import webhook_outbox
from ledger.recording.records import build_record, now
from tests.api.test_http_helpers import (  # noqa: F401 - fixtures
    ADMIN,
    CERTIFICATION,
    PACKING,
    PRE_COOLING,
    RECEIPT,
    SHIPMENT,
    STORAGE,
    Api,
    TestClient,
    api_fixture,
    collection_body,
    grading_body,
    harvest_body,
    log_key_file_fixture,
    service,
)
from tests.journeys import CARRIER, COOP, INSPECTOR, KIWI, ORIGIN, PLATFORM, possession
from verify.keys import key_id
from verify.records import ZERO_HASH


@pytest.fixture
def settings(db_url: str) -> Settings:
    """Every cell adds a key (a spare for revocations): no key limits in this matrix."""
    return Settings(db_url=db_url, master_key=os.urandom(32), max_active_keys=100_000,
                    max_new_keys_per_day=100_000)


CALLERS = (None, CARRIER, "custodian", INSPECTOR, PLATFORM, ADMIN)
PUBLIC = (200,) * 6
TOKEN = (401, 200, 200, 200, 200, 200)
ADMIN_ONLY = (401, 403, 403, 403, 403, 201)
CUSTODIAN = (401, 403, 201, 403, 403, 403)
INSPECTORS = (401, 403, 403, 201, 403, 403)
SELF_OR_ADMIN = (401, 403, 201, 403, 403, 201)
ADMIN_READS = (401, 403, 403, 403, 403, 200)
PLATFORMS = (401, 403, 403, 403, 200, 200)
COMPRESSED = "/Cx7Q4Hgh-tZS23XyQIfw2o"
# An EPCIS document from another system: an observation of a unit that is not a lot here.
FOREIGN_EPCIS = {
    "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
    "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-09-10T06:00:00Z",
    "epcisBody": {"eventList": [{
        "type": "ObjectEvent", "eventTime": "2026-09-10T06:00:00Z",
        "eventTimeZoneOffset": "+08:00", "action": "OBSERVE",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"]}]}}


@dataclass
class Row:
    method: str
    path: str  # formatted with the fresh context: {lot}, {new}, {hash}, {commitment}, …
    expected: tuple[int, ...]
    body: Any = None
    setup: str = "harvested"
    custodian: str = COOP
    extra: dict[str, Any] = field(default_factory=dict)


ROWS = [
    Row("GET", "/healthz", PUBLIC), Row("GET", "/metrics", ADMIN_READS),
    Row("GET", "/openapi.json", PUBLIC), Row("GET", "/", PUBLIC),
    Row("GET", "/lots/{lot}", PUBLIC), Row("GET", "/lots/{lot}/trace/back", PUBLIC),
    Row("GET", "/lots/{lot}/bundle", PUBLIC, setup="integrated"),
    Row("GET", "/records/{hash}", PUBLIC), Row("GET", "/orgs", PUBLIC),
    Row("GET", f"/orgs/{COOP}", PUBLIC), Row("GET", "/log/key", PUBLIC),
    Row("GET", "/log/checkpoint", PUBLIC, setup="integrated"),
    Row("GET", "/log/proof/inclusion?hash={hash}", PUBLIC, setup="integrated"),
    Row("GET", "/lots/{lot}/trace/forward", TOKEN), Row("GET", "/recalls/{lot}", TOKEN),
    Row("GET", "/lots?product=猕猴桃", TOKEN), Row("GET", "/whoami", TOKEN),
    Row("GET", "/lots/{lot}/private", (401, 403, 200, 403, 403, 403)),
    Row("GET", "/lots/{lot}/private", (401, 403, 200, 200, 403, 403), setup="inspected"),
    Row("DELETE", "/lots/{lot}/private/{commitment}", (401, 403, 204, 403, 403, 204)),
    # An inspector's reads, under its inspection (recorded in the log, public like it), and
    # a household's values erased everywhere by its cooperative or an admin.
    Row("GET", "/inspections/{inspection}/private", (401, 403, 403, 200, 403, 403),
        setup="inspected"),
    Row("GET", "/lots/{lot}/private/reads", PUBLIC),
    Row("DELETE", f"/orgs/{COOP}/households/HH-001/private", (401, 403, 200, 403, 403, 200)),
    Row("POST", "/orgs", ADMIN_ONLY, body="org"),
    Row("POST", f"/orgs/{COOP}/tokens", ADMIN_ONLY, body={}),
    Row("GET", f"/orgs/{COOP}/tokens", (401, 403, 200, 403, 403, 200)),
    Row("DELETE", "/tokens/{token_id}", (401, 403, 204, 403, 403, 204)),
    Row("GET", "/tokens/log", (401, 403, 403, 403, 403, 200)),
    Row("POST", f"/orgs/{COOP}/keys", SELF_OR_ADMIN, body={}),
    Row("POST", f"/orgs/{COOP}/keys/rotate", SELF_OR_ADMIN),
    Row("POST", f"/orgs/{COOP}/keys/{{key_id}}/revoke", SELF_OR_ADMIN, body={"reason": "旧"}),
    Row("POST", f"/orgs/{COOP}/prefixes", ADMIN_ONLY, body="prefix"),
    # Phones: a pairing code is the secret, so peeking and redeeming need no token.
    Row("POST", f"/orgs/{COOP}/pairings", SELF_OR_ADMIN, body={"label": "收购点"}),
    Row("POST", "/pairings/peek", PUBLIC, body="peek", setup="code"),
    Row("POST", "/pairings/redeem", (201,) * 6, body="redeem", setup="code"),
    Row("GET", f"/orgs/{COOP}/devices", (401, 403, 200, 403, 403, 200)),
    Row("POST", f"/orgs/{COOP}/devices/{{device_key}}/revoke", SELF_OR_ADMIN, body={},
        setup="device"),
    # The households register: the cooperative writes it, it and inspectors read it.
    Row("GET", f"/orgs/{COOP}/households", (401, 403, 200, 200, 403, 403)),
    Row("POST", f"/orgs/{COOP}/households", (401, 403, 201, 403, 403, 403), body="household"),
    Row("GET", f"/orgs/{COOP}/households/count", PUBLIC),
    # Its varieties and protective prices: the cooperative (its phones) and admins.
    Row("GET", f"/orgs/{COOP}/settings", (401, 403, 200, 403, 403, 200)),
    Row("PUT", f"/orgs/{COOP}/settings", (401, 403, 200, 403, 403, 200),
        body={"varieties": {"猕猴桃": ["红阳"]}, "protective_prices": {"猕猴桃": "6"}}),
    Row("POST", "/lots/{new}/harvest", CUSTODIAN, body=harvest_body()),
    Row("POST", "/lots/{new}/collection", CUSTODIAN, body="collection"),
    Row("POST", "/lots/{lot}/grading", CUSTODIAN, body="grading"),
    Row("POST", "/lots/{lot}/pre-cooling", CUSTODIAN, body=PRE_COOLING),
    Row("POST", "/lots/{lot}/storage", CUSTODIAN, body=STORAGE),
    Row("POST", "/lots/{lot}/packing", CUSTODIAN, body=PACKING),
    Row("POST", "/lots/{lot}/shipment", CUSTODIAN, body=SHIPMENT),
    Row("POST", "/lots/{lot}/receipt", (401, 403, 403, 403, 201, 403), body=RECEIPT,
        setup="shipped"),
    Row("POST", "/lots/{lot}/inspection", (401, 403, 201, 201, 403, 403),
        body={"kind": "visual", "verdict": "pass"}),
    Row("POST", "/lots/{lot}/certification", (401, 403, 201, 201, 403, 403),
        body=CERTIFICATION),
    Row("POST", "/lots/{lot}/hold", INSPECTORS, body={"reason": "等待复检"}),
    Row("POST", "/lots/{lot}/release", INSPECTORS, body={"reason": "复检合格"}, setup="held"),
    Row("POST", "/lots/{lot}/recall", INSPECTORS, body={"reason": "农药残留超标"}),
    Row("POST", "/lots/{lot}/correction", (401, 403, 201, 201, 403, 403), body="correction"),
    Row("POST", "/records/batch", CUSTODIAN, body="batch"),
    Row("POST", "/records/signed", CUSTODIAN, body="signed", setup="client-key"),
    # Scanning and printing: public, like the labels they serve.
    Row("GET", "/01/{gtin}/10/{lot}", PUBLIC, setup="packed"),
    Row("GET", "/qr/01/{gtin}/10/{lot}.png", PUBLIC, setup="packed"),
    Row("GET", "/lots/{lot}/page", PUBLIC),
    Row("GET", "/.well-known/gs1resolver", PUBLIC),
    # A well-formed compressed Digital Link (GS1's example) of a GTIN nobody here packed.
    Row("GET", COMPRESSED, (404,) * 6),
    Row("GET", "/lots/{lot}/labels.pdf", PUBLIC, setup="packed"),
    Row("GET", "/lots/{lot}/certificate", PUBLIC, setup="certified"),
    Row("GET", "/lots/{lot}/certificate.pdf", PUBLIC, setup="certified"),
    # Exports: inspectors and admins any trace, an organisation the lots it produced or held;
    # scan reports to every token, each organisation of its own GTINs.
    Row("GET", "/exports/trace.xlsx?lot={lot}", (401, 403, 200, 200, 403, 200)),
    Row("GET", "/exports/trace.csv?lot={lot}", (401, 403, 200, 200, 403, 200)),
    Row("GET", "/exports/scans.csv", TOKEN),
    Row("GET", "/exports/report.pdf?lot={lot}", TOKEN, setup="integrated"),
    # EPCIS queries read like tracing forward: any token.
    Row("GET", "/epcis/events", TOKEN),
    # Capture: any organisation's token records its own steps (a refused event is a failed
    # job, still 202); a job is its organisation's, and an admin's to read.
    Row("POST", "/epcis/capture", (401, 202, 202, 202, 202, 403), body=FOREIGN_EPCIS),
    Row("GET", "/epcis/capture/{capture_id}", (401, 404, 200, 404, 404, 200),
        setup="captured"),
    Row("OPTIONS", "/epcis/capture", (204,) * 6),
    # Platforms: verdicts, webhooks and deliveries for platforms and admins; the verdict key
    # and the recall feed are public.
    Row("POST", "/platform/listings/verify", PLATFORMS,
        body="listing", setup="integrated"),
    Row("GET", "/.well-known/agritrace/verdict-key", PUBLIC),
    Row("POST", "/platform/subscriptions", (401, 403, 403, 403, 201, 201),
        body={"url": "https://platform.example/hooks", "lots": ["M0"]}),
    Row("GET", "/platform/subscriptions", PLATFORMS),
    Row("GET", "/platform/subscriptions/{subscription}", PLATFORMS, setup="delivery"),
    Row("DELETE", "/platform/subscriptions/{subscription}", (401, 403, 403, 403, 204, 204),
        setup="delivery"),
    Row("GET", "/platform/deliveries", PLATFORMS),
    Row("POST", "/platform/deliveries/{delivery}/replay", (401, 403, 403, 403, 202, 202),
        setup="delivery"),
    Row("GET", "/recalls/feed", PUBLIC),
]


class Fresh:
    """A new lot (and what a row needs of it) for every call."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.counter = itertools.count()
        self.client_key = SigningKey.generate()
        api.ledger.add_key(COOP, public_key=self.client_key.public_key,
                           possession=possession(self.client_key))
        api.ledger.add_key(COOP)  # a second server-held key, so one can be revoked

    def context(self, setup: str) -> dict[str, Any]:
        ledger, n = self.api.ledger, next(self.counter)
        lot = f"M{n}"
        receipt = ledger.record(COOP, "Harvested", harvest_body(), lot=lot)[0]
        steps: dict[str, tuple[str, str, dict[str, Any]]] = {
            "shipped": (COOP, "Shipped", SHIPMENT),
            "held": (INSPECTOR, "Held", {"reason": "抽检"}),
            "inspected": (INSPECTOR, "Inspected", {"kind": "visual", "verdict": "pass"}),
            "packed": (COOP, "Packed", PACKING),
            "certified": (COOP, "Certified", CERTIFICATION)}
        inspection = receipt.hash
        if setup in steps:
            org, step, data = steps[setup]
            made = ledger.record(org, step, {k: v for k, v in data.items() if k != "time"},
                                 lot=lot)
            inspection = made[0].hash
        if setup == "integrated":
            services_of(self.api.client.app).log.integrate()  # type: ignore[arg-type]
        organisation = ledger.organisation(COOP)
        server_keys = [k for k in organisation.active_keys
                       if k != key_id(self.client_key.public_key)]
        ledger.add_key(COOP)  # keep one spare after a revocation
        subscription = delivery = ""
        if setup == "delivery":
            subscription, delivery = self.dead_delivery(lot)
        code = device_key = ""
        if setup in ("code", "device"):
            code = Devices(ledger).create_code(COOP, label="phone").code
        if setup == "device":
            phone = SigningKey.generate()
            device_key = Devices(ledger).redeem(code, phone.public_key, possession(phone)).key_id
        capture_id = ""
        if setup == "captured":
            answer = self.api.client.post("/epcis/capture", json=FOREIGN_EPCIS,
                                          headers=self.api.headers(COOP))
            capture_id = answer.headers["Location"].rsplit("/", 1)[1]
        return {"code": code, "device_key": device_key, "subscription": subscription,
                "capture_id": capture_id,
                "delivery": delivery,
                "lot": lot, "new": f"N{n}", "hash": receipt.hash, "key_id": server_keys[0],
                "inspection": inspection,
                "commitment": sorted(ledger.private_values(f"lot/{lot}"))[0],
                "token_id": ledger.issue_token(COOP).token_id, "n": n,
                "gtin": PACKING["gtin"]}

    def dead_delivery(self, lot: str) -> tuple[str, str]:
        """A platform's subscription to ``lot`` and the delivery of a hold of it, given up."""
        services = services_of(self.api.client.app)  # type: ignore[arg-type]
        subscription, _ = services.subscriptions.create(
            PLATFORM, "https://platform.example/hooks", lots=[lot])
        self.api.ledger.record(INSPECTOR, "Held", {"reason": "抽检"}, lot=lot)
        outbox = self.api.ledger.store.outbox
        delivery = outbox.deliveries(PLATFORM, admin=False, limit=1000)[-1]
        with self.api.ledger.store.engine.begin() as connection:
            connection.execute(update(webhook_outbox).where(
                webhook_outbox.c.delivery_id == delivery["id"]).values(status="dead"))
        return subscription.id, delivery["id"]

    def body(self, row: Row, ctx: dict[str, Any]) -> Any:
        makers: dict[str, Callable[[], Any]] = {
            "org": lambda: {"org": f"org-{ctx['n']}", "name": "新组织", "roles": ["farm"]},
            "prefix": lambda: {"prefix": f"68{ctx['n']:06d}"},
            "collection": lambda: collection_body({ctx["lot"]: "10"}),
            "grading": lambda: grading_body({f"G{ctx['n']}": ("一级", "100")}, loss="0"),
            "correction": lambda: {"corrects": ctx["hash"], "reason": "录入错误",
                                   "values": {"quantity": "99"}},
            "batch": lambda: {"entries": [{"step": "Stored", "lot": ctx["lot"],
                                           "data": STORAGE}]},
            "signed": lambda: self.signed(ctx["new"]),
            "peek": lambda: {"code": ctx["code"]},
            "listing": lambda: {"listing_id": f"L{ctx['n']}", "lot": ctx["lot"]},
            "redeem": lambda: self.redeem(ctx["code"]),
            "household": lambda: {"name": "龙大妈", "village": "西乡村",
                                  "household_id": f"H-{ctx['n']}"},
        }
        return makers[row.body]() if isinstance(row.body, str) else row.body

    def redeem(self, code: str) -> dict[str, str]:
        phone = SigningKey.generate()
        return {"code": code, "public_key": base64.b64encode(phone.public_key).decode(),
                "possession": base64.b64encode(possession(phone)).decode()}

    def signed(self, lot: str) -> dict[str, Any]:
        data = {"product": KIWI, "quantity": "5", "unit": "kg", "origin": ORIGIN,
                "started": "2026-09-10T06:00:00Z", "ended": "2026-09-10T11:00:00Z"}
        record = build_record(chain=f"lot/{lot}", seq=0, prev=ZERO_HASH, links=(),
                              step="Harvested", data=data, org=COOP,
                              key=key_id(self.client_key.public_key),
                              time="2026-09-10T11:00:00Z", recorded=now())
        signature = self.client_key.sign_record(record)
        return {"records": [{"record": base64.b64encode(record.raw).decode(),
                             "signature": base64.b64encode(signature).decode()}]}


def test_every_endpoint_answers_each_role_as_documented(api: Api) -> None:
    fresh = Fresh(api)
    mismatches = []
    for row in ROWS:
        for caller, expected in zip(CALLERS, row.expected, strict=True):
            who = row.custodian if caller == "custodian" else caller
            ctx = fresh.context(row.setup)
            path = row.path.format(**ctx)
            response = api.client.request(row.method, path, json=fresh.body(row, ctx),
                                          headers=api.headers(who))
            if response.status_code != expected:
                mismatches.append(f"{row.method} {row.path} as {who or 'anonymous'}: "
                                  f"{response.status_code}, expected {expected}: "
                                  f"{response.text[:200]}")
            elif expected in (401, 403):
                assert response.json()["reason"], (row.path, who)
    assert not mismatches, "\n".join(mismatches)


def test_metrics_are_served_without_a_token_only_to_allowed_addresses(
        settings: Settings, log_key_file: Path) -> None:
    allowed = service(metrics_allow=parse_networks("127.0.0.1, 10.0.0.0/8", "allow"))
    for address, expected in (("10.20.30.40", 200), ("127.0.0.1", 200), ("192.0.2.9", 401)):
        with TestClient(create_app(settings, allowed), client=(address, 5000)) as client:
            answer = client.get("/metrics")
            assert answer.status_code == expected, (address, answer.text)
    # By default no address is allowed, not even this host's own.
    with TestClient(create_app(settings, service()), client=("127.0.0.1", 5000)) as client:
        refused = client.get("/metrics")
        assert (refused.status_code, refused.json()["field"]) == (401, "authorization")


def test_the_matrix_covers_every_operation(api: Api) -> None:
    documented = {(method.upper(), path)
                  for path, item in api.client.get("/openapi.json").json()["paths"].items()
                  for method in item}
    covered = {(row.method, _template(row.path)) for row in ROWS}
    # Tiles and signature bundles are addressed by the tree's shape (public, like the log).
    missing = {op for op in documented - covered
               if not op[1].startswith(("/log/tile", "/log/signatures", "/log/proof/c"))}
    assert not missing, sorted(missing)


def _template(path: str) -> str:
    path = path.split("?")[0]
    if path == COMPRESSED:
        return "/{compressed}"
    for prefix in ("/01/", "/qr/01/"):
        if path.startswith(prefix):
            return prefix + "{path}"
    replacements = {"{lot}": "{lot}", "{new}": "{lot}", "{hash}": "{record_hash}",
                    "{commitment}": "{commitment}", "{token_id}": "{token_id}",
                    "{key_id}": "{key_id}", "{device_key}": "{key_id}", COOP: "{org}",
                    "{inspection}": "{record_hash}", "/HH-001/": "/{household_id}/"}
    for old, new in replacements.items():
        path = path.replace(old, new)
    return path.replace("/recalls/{lot}", "/recalls/{recall}")
