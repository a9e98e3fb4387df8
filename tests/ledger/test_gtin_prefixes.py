"""GTINs belong to organisations: an administrator registers an organisation's GS1 company
prefixes (or single GTINs) as signed records of its chain, and a step that assigns a GTIN
outside the recording organisation's registrations is refused. SQLite and PostgreSQL (ledger
and API), SQLite (command line).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from ledger.application import Ledger
from ledger.bundles import build_bundle
from ledger.errors import AlreadyExists, InvalidInput, NotPermitted
from ledger.log import TransparencyLog
from ledger.log.logkey import LogKey
from ledger.records_audit import audit_store
from tests.api.test_http_helpers import (  # noqa: F401 - fixtures
    ADMIN,
    OTHER,
    PACKING,
    Api,
    api_fixture,
    harvest_body,
    log_key_file_fixture,
)
from tests.journeys import COOP, KIWI, ORIGIN, harvest, kiwi_journey, register_parties
from tests.ledger.test_bundle import records_of, verified
from tests.ledger.test_cli import HARVEST, Run, run  # noqa: F401 - fixture
from tests.ledger.test_client_signed import Client
from verify.notes import Signer

COOP_GTIN = "06901234567892"  # under the cooperative's prefix 6901234
OTHER_PREFIX, OTHER_GTIN = "6951234", "06951234000127"
PACKED = {"packaging": "5 kg 礼盒", "units": 20, "net_weight_per_unit": "5",
          "net_weight_unit": "kg", "grade": "一级"}


def other_coop(ledger: Ledger) -> None:
    ledger.register_organisation(OTHER, name="吉首市某合作社", roles=["cooperative"])
    ledger.record(OTHER, "Harvested", {
        "product": KIWI, "quantity": "100", "unit": "kg", "origin": ORIGIN,
        "started": "2026-09-10T06:00:00+08:00", "ended": "2026-09-10T11:00:00+08:00"},
        lot="OT1")


def pack(ledger: Ledger, org: str, lot: str, gtin: Any) -> None:
    ledger.record(org, "Packed", {**PACKED, "gtin": gtin}, lot=lot)


def test_packing_under_another_or_no_organisations_prefix_is_refused(ledger: Ledger) -> None:
    register_parties(ledger)
    other_coop(ledger)
    for gtin in (COOP_GTIN, OTHER_GTIN):  # the cooperative's, then nobody's
        with pytest.raises(NotPermitted, match=f"not under a GS1 company prefix or GTIN "
                                               f"registered to {OTHER}") as refused:
            pack(ledger, OTHER, "OT1", gtin)
        assert refused.value.field == "data.gtin"
    assert ledger.lot("OT1").gtin is None  # nothing written
    ledger.register_prefix(OTHER, prefix=OTHER_PREFIX)
    pack(ledger, OTHER, "OT1", OTHER_GTIN)
    assert ledger.lot("OT1").gtin == OTHER_GTIN


def test_a_gtin_given_at_harvest_or_in_a_correction_is_checked(ledger: Ledger) -> None:
    register_parties(ledger)
    other_coop(ledger)
    with pytest.raises(NotPermitted) as refused:
        ledger.record(OTHER, "Harvested", {
            "product": {**KIWI, "gtin": COOP_GTIN}, "quantity": "10", "unit": "kg",
            "origin": ORIGIN, "started": "2026-09-10T06:00:00+08:00",
            "ended": "2026-09-10T11:00:00+08:00"}, lot="OT2")
    assert refused.value.field == "data.product.gtin"
    harvest(ledger, "KH0")
    pack(ledger, COOP, "KH0", COOP_GTIN)
    packed = ledger.lot_history("KH0")[-1].record
    with pytest.raises(NotPermitted) as refused:
        ledger.record(COOP, "Corrected", {"corrects": packed.hash_hex, "reason": "录错",
                                          "values": {"gtin": OTHER_GTIN}}, lot="KH0")
    assert refused.value.field == "data.values.gtin"
    single = "00000095011011"  # a GTIN-8, registered on its own
    ledger.register_prefix(COOP, gtin="95011011")
    ledger.record(COOP, "Corrected", {"corrects": packed.hash_hex, "reason": "录错",
                                      "values": {"gtin": single}}, lot="KH0")


def test_a_client_signed_packing_is_checked_alike(ledger: Ledger) -> None:
    register_parties(ledger)
    client = Client(ledger)
    harvest(ledger, "KH0")
    lot = ledger.lot("KH0")
    record = client.record("lot/KH0", lot.length, lot.head, "Packed",
                           {**PACKED, "gtin": OTHER_GTIN}, "2026-09-12T08:00:00Z")
    with pytest.raises(NotPermitted) as refused:
        ledger.submit_signed(client.signed(record))
    assert refused.value.field == "records[0].data.gtin"


@pytest.mark.parametrize(("request_", "field", "reason"), [
    ({"prefix": "123"}, "prefix", "4 to 12 digits"),
    ({"prefix": "69O1234"}, "prefix", "4 to 12 digits"),
    ({"prefix": "0000012"}, "prefix", "GTIN-8"),
    ({"prefix": "6951234", "gtin": OTHER_GTIN}, "prefix", "either"),
    ({}, "prefix", "either"),
    ({"gtin": "06951234000128"}, "gtin", "check digit"),
])
def test_a_registration_is_a_prefix_or_one_gtin(ledger: Ledger, request_: dict[str, str],
                                                field: str, reason: str) -> None:
    register_parties(ledger)
    with pytest.raises(InvalidInput, match=reason) as refused:
        ledger.register_prefix(COOP, **request_)
    assert refused.value.field == field


def test_registrations_never_overlap(ledger: Ledger) -> None:
    register_parties(ledger)
    other_coop(ledger)
    for request_ in ({"prefix": "690123"}, {"prefix": "69012345"}, {"gtin": COOP_GTIN},
                     {"prefix": "6901234"}):
        with pytest.raises(AlreadyExists, match="registered to coop-xixiang"):
            ledger.register_prefix(OTHER, **request_)
    with pytest.raises(AlreadyExists):
        ledger.register_prefix(COOP, prefix="6901234")
    assert ledger.organisation(OTHER).registrations == []


def test_a_registration_is_a_signed_record_the_bundle_carries(ledger: Ledger) -> None:
    kiwi_journey(ledger)
    audit_store(ledger.store)
    log = TransparencyLog(ledger.store, LogKey(Signer.generate("agritrace.test/gtin-log")))
    bundle = build_bundle(ledger, log, "KG1")
    verified(log, bundle)
    types = [(r["chain"], r["type"]) for r in records_of(bundle)]
    registered = types.index((f"org/{COOP}", "PrefixRegistered"))
    assert registered < types.index(("lot/KG1", "Packed"))
    assert records_of(bundle)[registered]["data"] == {"prefix": "6901234"}


def test_the_api_refuses_another_organisations_gtin_naming_the_field(api: Api) -> None:
    api.ok(api.post(OTHER, "/lots/OT1/harvest", harvest_body()))
    refused = api.post(OTHER, "/lots/OT1/packing", PACKING)
    assert refused.status_code == 403, refused.text
    assert refused.json()["field"] == "gtin"
    assert api.post(OTHER, f"/orgs/{OTHER}/prefixes", {"prefix": OTHER_PREFIX}
                    ).status_code == 403  # only an administrator vouches for a licence
    taken = api.post(ADMIN, f"/orgs/{OTHER}/prefixes", {"prefix": "690123"})
    assert taken.status_code == 409, taken.text
    assert taken.json()["field"] == "prefix"
    shown = api.ok(api.post(ADMIN, f"/orgs/{OTHER}/prefixes", {"prefix": OTHER_PREFIX}))
    assert (shown["prefixes"], shown["gtins"]) == ([OTHER_PREFIX], [])
    api.ok(api.post(OTHER, "/lots/OT1/packing", {**PACKING, "gtin": OTHER_GTIN}))


def test_the_command_line_registers_prefixes(run: Run) -> None:  # noqa: F811
    run("org", "create", "coop-a", "--name", "甲合作社", "--role", "cooperative")
    run("record", "Harvested", "--org", "coop-a", "--lot", "KW-1", "--data",
        json.dumps(HARVEST, ensure_ascii=False))
    packing = json.dumps({**PACKED, "gtin": OTHER_GTIN}, ensure_ascii=False)
    refused = run("record", "Packed", "--org", "coop-a", "--lot", "KW-1", "--data", packing,
                  code=3)
    assert "data.gtin: GTIN 06951234000127 is not under" in refused.stderr
    run("org", "prefix", "add", "coop-a", code=2)
    run("org", "prefix", "add", "coop-a", "6951234", "--gtin", OTHER_GTIN, code=2)
    run("org", "prefix", "add", "coop-a", "123", code=2)
    assert "registered 6951234 to coop-a" in run("org", "prefix", "add", "coop-a",
                                                 OTHER_PREFIX).stdout
    run("org", "prefix", "add", "coop-a", "--gtin", "95011011")
    shown = json.loads(run("org", "show", "coop-a", "--json").stdout)
    assert (shown["prefixes"], shown["gtins"]) == ([OTHER_PREFIX], ["00000095011011"])
    run("record", "Packed", "--org", "coop-a", "--lot", "KW-1", "--data", packing)
    run("audit")
