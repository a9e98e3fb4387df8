"""A key an organisation holds itself is registered only with the key's own signature over
the registration, so nobody can register another's public key as theirs. SQLite and
PostgreSQL (ledger and API), SQLite (command line).
"""

from __future__ import annotations

import base64

import pytest

from ledger.application import Ledger
from ledger.errors import InvalidInput
from ledger.keys.signing import SigningKey
from ledger.records_audit import audit_store
from tests.api.test_http_helpers import OTHER, Api, api_fixture, log_key_file_fixture  # noqa: F401
from tests.journeys import COOP, PLATFORM, possession, register_parties
from tests.ledger.test_cli import Run, run  # noqa: F401 - fixture
from verify.errors import BadSignature
from verify.keys import encode_public_key, key_id, key_possession_message, verify_key_possession


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def test_the_possession_message_is_domain_separated() -> None:
    key = SigningKey(bytes(range(32)))
    assert key_possession_message("coop-a", key.public_key) == (
        b"agritrace/key-possession/v1\ncoop-a\n" + key_id(key.public_key).encode())


def test_a_client_key_is_added_with_its_proof_in_the_record(ledger: Ledger) -> None:
    register_parties(ledger)
    key = SigningKey.generate()
    ledger.add_key(COOP, key.public_key, possession(key))
    added = ledger.history(f"org/{COOP}")[-1].record
    assert added.type == "KeyAdded"
    assert added.key != key_id(key.public_key)  # signed by a key the organisation had
    proof = base64.b64decode(added.data["possession"])
    verify_key_possession(key.public_key, COOP, proof)  # anyone can check it again
    audit_store(ledger.store)


def test_another_organisations_key_cannot_be_registered(ledger: Ledger) -> None:
    register_parties(ledger)
    theirs = SigningKey.generate()
    ledger.add_key(COOP, theirs.public_key, possession(theirs, COOP))
    published = base64.b64decode(ledger.history(f"org/{COOP}")[-1].record.data["possession"])
    mine = SigningKey.generate()
    attempts = {
        None: "is required with public_key",
        # The cooperative's proof, replayed from the log: it names another organisation.
        published: "is not a signature by key .* over its registration for platform-wh",
        mine.sign(key_possession_message(PLATFORM, theirs.public_key)): "is not a signature",
    }
    for proof, reason in attempts.items():
        with pytest.raises(InvalidInput, match=reason) as refused:
            ledger.add_key(PLATFORM, theirs.public_key, proof)
        assert refused.value.field == "possession"
    assert key_id(theirs.public_key) not in ledger.organisation(PLATFORM).active_keys
    with pytest.raises(InvalidInput) as refused:
        ledger.add_key(PLATFORM, None, published)  # a server-held key needs no proof
    assert refused.value.field == "possession"


def test_bad_signatures_are_refused_by_the_verifier() -> None:
    key = SigningKey.generate()
    with pytest.raises(BadSignature):
        verify_key_possession(key.public_key, COOP, b"\x00" * 64)
    with pytest.raises(BadSignature, match="64 bytes"):
        verify_key_possession(key.public_key, COOP, b"\x00" * 10)


def test_the_api_refuses_a_key_without_its_proof_naming_the_field(api: Api) -> None:
    theirs = SigningKey.generate()
    body = {"public_key": encode_public_key(theirs.public_key)}
    api.ok(api.post(COOP, f"/orgs/{COOP}/keys", {**body, "possession": b64(possession(theirs))}))
    for proof in (None, b64(possession(theirs, COOP))):
        sent = body if proof is None else {**body, "possession": proof}
        refused = api.post(OTHER, f"/orgs/{OTHER}/keys", sent)
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "possession"
    shown = api.ok(api.get(None, f"/orgs/{OTHER}"), 200)
    assert key_id(theirs.public_key) not in {k["key_id"] for k in shown["keys"]}


def test_the_command_line_takes_the_proof(run: Run) -> None:  # noqa: F811
    run("org", "create", "coop-a", "--name", "甲合作社", "--role", "cooperative")
    key = SigningKey.generate()
    public = encode_public_key(key.public_key)
    refused = run("org", "key", "add", "coop-a", "--public-key", public, code=2)
    assert "possession: is required with public_key" in refused.stderr
    forged = b64(SigningKey.generate().sign(key_possession_message("coop-a", key.public_key)))
    refused = run("org", "key", "add", "coop-a", "--public-key", public, "--possession",
                  forged, code=2)
    assert "possession: is not a signature" in refused.stderr
    assert "--possession" in run("org", "key", "add", "coop-a", "--public-key", public,
                                 "--possession", "not base64", code=2).stderr
    run("org", "key", "add", "coop-a", "--public-key", public, "--possession",
        b64(possession(key, "coop-a")))
