"""Pairing a phone and the households register over HTTP: who may ask for a code, a code
redeemed once (409 after), the phone's token recording its own signed records with the
private values it sealed, revoking it, and who reads the register (the public: counts)."""

from __future__ import annotations

import base64
import os

from ledger.keys.signing import SigningKey
from ledger.recording.records import build_record, now
from tests.api.test_http_helpers import ADMIN, Api, api_fixture, log_key_file_fixture
from tests.journeys import COOP, INSPECTOR, KIWI, ORIGIN, PLATFORM, possession
from verify.commitments import commitment
from verify.keys import key_id
from verify.records import ZERO_HASH

__all__ = ["api_fixture", "log_key_file_fixture"]


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def pair(api: Api, key: SigningKey, who: str = COOP) -> dict[str, str]:
    made = api.ok(api.post(who, f"/orgs/{COOP}/pairings", {"label": "收购点手机"}))
    assert made["link"].endswith(f"/app/pair#{made['code']}")
    assert made["qr_svg"].startswith("<svg")
    peeked = api.ok(api.post(None, "/pairings/peek", {"code": made["code"]}), 200)
    assert peeked["org"] == COOP
    body = {"code": made["code"], "public_key": b64(key.public_key),
            "possession": b64(possession(key))}
    device: dict[str, str] = api.ok(api.post(None, "/pairings/redeem", body))
    again = api.post(None, "/pairings/redeem", body)
    assert again.status_code == 409
    assert again.json()["field"] == "code"
    return device


def test_a_paired_phone_submits_its_own_records_with_their_openings(api: Api) -> None:
    assert api.post(PLATFORM, f"/orgs/{COOP}/pairings", {"label": "x"}).status_code == 403
    key = SigningKey.generate()
    device = pair(api, key, ADMIN)
    assert device["key_id"] == key_id(key.public_key)
    salt = os.urandom(16)
    sealed = commitment("XX-001", salt)
    record = build_record(chain="lot/HP1", seq=0, prev=ZERO_HASH, links=(), step="Harvested",
                          data={"product": KIWI, "quantity": "50", "unit": "kg",
                                "origin": ORIGIN, "started": "2026-09-10T06:00:00Z",
                                "ended": "2026-09-10T08:00:00Z",
                                "household": {"commitment": sealed}},
                          org=COOP, key=device["key_id"], time="2026-09-10T08:00:00Z",
                          recorded=now())
    body = {"records": [{"record": b64(record.raw),
                         "signature": b64(key.sign_record(record))}],
            "private": [{"commitment": sealed, "value": "XX-001", "salt": salt.hex()}]}
    headers = {"Authorization": f"Bearer {device['token']}"}
    answer = api.client.post("/records/signed?wait=true", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    assert answer.json()["records"][0]["leaf_index"] is not None
    private = api.ok(api.get(COOP, "/lots/HP1/private"), 200)
    assert "XX-001" in str(private)

    revoked = api.post(COOP, f"/orgs/{COOP}/devices/{device['key_id']}/revoke", {})
    assert revoked.status_code == 201, revoked.text
    listed = api.ok(api.get(COOP, f"/orgs/{COOP}/devices"), 200)
    assert listed[0]["revoked_at"] is not None
    refused = api.client.post("/records/signed", json=body, headers=headers)
    assert refused.status_code == 401


def test_a_bad_code_or_proof_is_named(api: Api) -> None:
    key = SigningKey.generate()
    unknown = api.post(None, "/pairings/peek", {"code": "ABCD-EFGH-JKMN"})
    assert unknown.status_code == 404
    made = api.ok(api.post(COOP, f"/orgs/{COOP}/pairings", {"label": "x"}))
    wrong = api.post(None, "/pairings/redeem", {
        "code": made["code"], "public_key": b64(key.public_key),
        "possession": b64(possession(key, PLATFORM))})
    assert wrong.status_code == 422
    assert wrong.json()["field"] == "possession"


def test_the_households_register_is_read_by_the_coop_and_inspectors_only(api: Api) -> None:
    household = {"name": "龙大妈", "village": "西乡村", "household_id": "XX-001",
                 "formerly_poor": True}
    assert api.post(PLATFORM, f"/orgs/{COOP}/households", household).status_code == 403
    api.ok(api.post(COOP, f"/orgs/{COOP}/households", household))
    duplicate = api.post(COOP, f"/orgs/{COOP}/households", household)
    assert duplicate.status_code == 409
    assert duplicate.json()["field"] == "household_id"
    assert api.ok(api.get(INSPECTOR, f"/orgs/{COOP}/households"), 200)[0]["name"] == "龙大妈"
    assert api.get(PLATFORM, f"/orgs/{COOP}/households").status_code == 403
    assert api.get(ADMIN, f"/orgs/{COOP}/households").status_code == 403
    assert api.get(None, f"/orgs/{COOP}/households").status_code == 401
    counts = api.ok(api.get(None, f"/orgs/{COOP}/households/count"), 200)
    assert counts == {"households": 1, "formerly_poor": 1}


def test_the_coop_keeps_its_varieties_and_protective_prices_for_its_phones(api: Api) -> None:
    path = f"/orgs/{COOP}/settings"
    assert api.ok(api.get(COOP, path), 200) == {"varieties": {}, "protective_prices": {}}
    lists = {"varieties": {"猕猴桃": ["红阳", "徐香"]}, "protective_prices": {"猕猴桃": "6.00"}}
    assert api.client.put(path, json=lists, headers=api.headers(PLATFORM)).status_code == 403
    saved = api.client.put(path, json=lists, headers=api.headers(COOP))
    assert saved.status_code == 200, saved.text
    assert saved.json() == {"varieties": {"猕猴桃": ["红阳", "徐香"]},
                            "protective_prices": {"猕猴桃": "6"}}
    # A phone of the coop (a token of the coop) reads them; other organisations do not.
    key = SigningKey.generate()
    device = pair(api, key)
    phone = api.client.get(path, headers={"Authorization": f"Bearer {device['token']}"})
    assert phone.json()["protective_prices"] == {"猕猴桃": "6"}
    assert api.get(PLATFORM, path).status_code == 403
    assert api.get(None, path).status_code == 401
    # Bad lists are named by field, and nothing of them is kept.
    for bad, field in (({"protective_prices": {"猕猴桃": "-1"}}, "protective_prices.猕猴桃"),
                       ({"protective_prices": {"猕猴桃": "六元"}}, "protective_prices.猕猴桃"),
                       ({"varieties": {"猕猴桃": ["红阳", "红阳"]}}, "varieties.猕猴桃.1"),
                       ({"varieties": {"猕猴桃": [" "]}}, "varieties.猕猴桃.0")):
        refused = api.client.put(path, json=bad, headers=api.headers(COOP))
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.json()["field"] == field
    assert api.ok(api.get(COOP, path), 200)["varieties"] == {"猕猴桃": ["红阳", "徐香"]}
    # Saving replaces the whole lists.
    api.client.put(path, json={"varieties": {"柑橘": ["椪柑"]}}, headers=api.headers(COOP))
    assert api.ok(api.get(COOP, path), 200) == {"varieties": {"柑橘": ["椪柑"]},
                                                "protective_prices": {}}
