"""The log over HTTP: checkpoints, proofs that verify with ``verify/`` alone, tlog-tiles, and
a reason (never a 500) for every malformed or impossible request. SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from api.app import create_app
from api.services import services_of
from api.settings import ServiceSettings, parse_witness
from ledger.application import Ledger
from ledger.config import Settings
from ledger.demo import INSPECTOR, seed_demo
from ledger.log import TransparencyLog
from ledger.log.tiles import split_entry_bundle
from ledger.persistence.store import EventStore
from ledger.witness import Witness, load_witness_key, trusted_logs, witness_server
from tests.ledger.test_log_helpers import ORG, harvests
from verify.bundle import Bundle
from verify.checkpoints import Checkpoint
from verify.merkle import leaf_hash, root_from_leaf_hashes, verify_consistency, verify_inclusion
from verify.notes import Note, Verifier, open_note, verified_signers
from verify.proofs import TlogProof
from verify.verification import verify_bundle


@dataclass
class Served:
    client: TestClient
    ledger: Ledger
    log: TransparencyLog
    vkey: str

    @property
    def store(self) -> EventStore:
        return self.log.store

    def checkpoint(self, note: str) -> Checkpoint:
        """The checkpoint in ``note``, which must verify with the log's key."""
        return Checkpoint.from_text(open_note(note, [Verifier.from_vkey(self.vkey)]).text)

    def record_bytes(self, record_hash: str) -> bytes:
        return next(r.raw for r in self.store.records()
                    if sha256(r.raw).hexdigest() == record_hash)

    def record_and_integrate(self, count: int) -> None:
        """A test cooperative (registered first, one record more) records ``count``
        harvests, and the log integrates them."""
        if not any(first.subject == ORG for first in self.ledger.chains("org")):
            self.ledger.register_organisation(ORG, name="凤凰县测试合作社",
                                              roles=["cooperative"])
        harvests(self.ledger, count)
        self.log.integrate()


def served_size(note: str) -> int:
    return Checkpoint.from_text(Note.from_text(note).text).size


@pytest.fixture
def log_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("AGRITRACE_LOG_KEY", "AGRITRACE_LOG_ORIGIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AGRITRACE_LOG_KEY_FILE", str(tmp_path / "log-key"))
    return tmp_path / "log-key"


@pytest.fixture
def served(settings: Settings, log_key_file: Path) -> Iterator[Served]:
    """The demo data, integrated, behind a service whose own integrator is off."""
    app = create_app(settings, ServiceSettings(integrate=False))
    seed_demo(services_of(app).ledger)
    services_of(app).log.integrate()
    with TestClient(app) as client:
        vkey = client.get("/log/key").text.strip()
        yield Served(client, services_of(app).ledger, services_of(app).log, vkey)


def test_checkpoint_is_a_signed_note_over_every_record(served: Served) -> None:
    response = served.client.get("/log/checkpoint")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    checkpoint = served.checkpoint(response.text)
    hashes = [leaf_hash(record.raw) for record in served.store.records()]
    assert checkpoint.size == len(hashes) > 0
    assert checkpoint.root_hash == root_from_leaf_hashes(hashes)
    assert served.vkey == served.log.vkey


def test_inclusion_proof_by_hash_verifies_against_the_checkpoint_root(served: Served) -> None:
    # A consumer holds a record of the graded kiwi lot and asks whether the log has it.
    record_hash = served.client.get("/lots/KW26-SBD-G1").json()["history"][-1]["hash"]
    response = served.client.get("/log/proof/inclusion", params={"hash": record_hash})
    assert response.status_code == 200
    proof = response.json()
    # The checkpoint is checked with the log's key, the proof with verify/ alone.
    checkpoint = served.checkpoint(proof["checkpoint"])
    assert proof["tree_size"] == checkpoint.size
    hashes = [base64.b64decode(value) for value in proof["hashes"]]
    verify_inclusion(proof["leaf_index"], proof["tree_size"],
                     leaf_hash(served.record_bytes(record_hash)), hashes, checkpoint.root_hash)
    # By leaf index the proof is the same, and the tlog-proof form carries it too.
    by_index = served.client.get("/log/proof/inclusion",
                                 params={"index": proof["leaf_index"]}).json()
    assert by_index == proof
    tlog = TlogProof.from_text(proof["tlog_proof"])
    assert (tlog.index, list(tlog.proof), tlog.checkpoint) == (
        proof["leaf_index"], hashes, proof["checkpoint"])


def test_older_sizes_have_proofs_and_a_consistency_proof(served: Served) -> None:
    old = served.checkpoint(served.client.get("/log/checkpoint").text)
    served.record_and_integrate(5)
    new = served.checkpoint(served.client.get("/log/checkpoint").text)
    assert new.size == old.size + 6  # the test organisation's registration and 5 harvests
    proof = served.client.get("/log/proof/inclusion",
                              params={"index": 3, "size": old.size}).json()
    assert served.checkpoint(proof["checkpoint"]) == old
    response = served.client.get("/log/proof/consistency",
                                 params={"from": old.size, "to": new.size})
    assert response.status_code == 200
    body = response.json()
    assert (body["from_size"], body["to_size"]) == (old.size, new.size)
    assert served.checkpoint(body["from_checkpoint"]) == old
    assert served.checkpoint(body["to_checkpoint"]) == new
    verify_consistency(old.size, new.size, old.root_hash, new.root_hash,
                       [base64.b64decode(value) for value in body["hashes"]])


def test_tiles_are_the_tree_and_immutable(served: Served) -> None:
    served.record_and_integrate(256)
    records = list(served.store.records())
    hashes = [leaf_hash(record.raw) for record in records]
    full = served.client.get("/log/tile/0/000")
    assert full.status_code == 200
    assert full.content == b"".join(hashes[:256])
    assert full.headers["content-type"] == "application/octet-stream"
    width = len(records) - 256
    partial = served.client.get(f"/log/tile/0/001.p/{width}")
    assert partial.content == b"".join(hashes[256:])
    entries = served.client.get("/log/tile/entries/000")
    assert split_entry_bundle(entries.content) == [record.raw for record in records[:256]]
    partial_entries = served.client.get(f"/log/tile/entries/001.p/{width}")
    assert split_entry_bundle(partial_entries.content) == [r.raw for r in records[256:]]
    level_one = served.client.get("/log/tile/1/000.p/1")
    assert level_one.content == root_from_leaf_hashes(hashes[:256])
    # tlog-tiles: a tile's path names its width, so full and partial tiles and entry bundles
    # never change and are cached for good; only the checkpoint moves on.
    for response in (full, partial, entries, partial_entries, level_one):
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert served.client.get("/log/checkpoint").headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(("url", "status", "field"), [
    ("/log/proof/inclusion?index=-1", 400, "index"),
    ("/log/proof/inclusion?index=0&size=-5", 400, "size"),
    ("/log/proof/inclusion?index=0&size=0", 400, "size"),
    ("/log/proof/inclusion?index={size}", 400, "index"),
    ("/log/proof/inclusion?index=0&size={past}", 404, "size"),
    ("/log/proof/inclusion?index=abc", 400, "index"),
    ("/log/proof/inclusion?index=99999999999999999999999", 400, "index"),
    ("/log/proof/inclusion?hash=abc", 400, "hash"),
    ("/log/proof/inclusion?hash=" + "ab" * 33, 400, "hash"),
    ("/log/proof/inclusion?hash=" + "zz" * 32, 400, "hash"),
    ("/log/proof/inclusion?hash=" + "00" * 32, 404, "hash"),
    ("/log/proof/inclusion", 400, "hash"),
    ("/log/proof/inclusion?index=0&hash=" + "00" * 32, 400, "hash"),
    ("/log/proof/consistency?from=5&to=2", 400, "from"),
    ("/log/proof/consistency?from=-1&to=2", 400, "from"),
    ("/log/proof/consistency?from=0&to={size}", 400, "from"),
    ("/log/proof/consistency?from=1", 400, "to"),
    ("/log/proof/consistency?from=1&to={size}", 404, "from"),
    ("/log/proof/consistency?from={size}&to={past}", 404, "to"),
    ("/log/proof/consistency?from=1&to=x", 400, "to"),
    ("/log/tile/0/000", 404, "path"),
    ("/log/tile/0/000.p/{past}", 400, "path"),
    ("/log/tile/0/000.p/0", 400, "path"),
    ("/log/tile/0/1", 400, "path"),
    ("/log/tile/0/x000/001", 400, "path"),
    ("/log/tile/64/000", 400, "path"),
    ("/log/tile/garbage", 400, "path"),
    ("/log/tile/entries/x001/000", 404, "path"),
    ("/log/tile/0/000.p/5/extra", 400, "path"),
])
def test_malformed_or_impossible_requests_name_the_reason(served: Served, url: str,
                                                          status: int, field: str) -> None:
    size = served.log.latest_checkpoint().size
    assert size < 256  # the full-tile case above relies on it
    response = served.client.get(url.format(size=size, past=size + 1000))
    assert response.status_code == status, response.text
    body = response.json()
    assert body["field"] == field
    assert body["reason"]


def test_an_empty_log_has_no_checkpoint_yet(settings: Settings, log_key_file: Path) -> None:
    with TestClient(create_app(settings, ServiceSettings(integrate=False))) as client:
        response = client.get("/log/checkpoint")
        assert response.status_code == 404
        assert "no checkpoint" in response.json()["reason"]
        assert client.get("/log/tile/0/000.p/1").status_code == 404


def test_the_service_integrates_in_the_background(settings: Settings,
                                                  log_key_file: Path) -> None:
    app = create_app(settings, ServiceSettings(idle=0.05))
    seed_demo(services_of(app).ledger)
    records = services_of(app).ledger.store.max_notification_id()
    with TestClient(app) as client:
        assert services_of(app).integrator.running
        deadline = time.monotonic() + 20
        while True:
            response = client.get("/log/checkpoint")
            if response.status_code == 200 and served_size(response.text) == records:
                break
            assert time.monotonic() < deadline, "the integrator did not catch up"
            time.sleep(0.05)
    assert not services_of(app).integrator.running  # shutdown stopped the thread


def test_configured_witnesses_cosign_each_checkpoint(settings: Settings, log_key_file: Path,
                                                     tmp_path: Path) -> None:
    first = create_app(settings, ServiceSettings(integrate=False))
    vkey = services_of(first).log.vkey
    services_of(first).ledger.close()
    office = Witness(load_witness_key(tmp_path / "witness-key", "witness.test/office"),
                     tmp_path / "witness.json", trusted_logs([vkey]))
    server = witness_server(office, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        witness = parse_witness(f"http://127.0.0.1:{port}={office.vkey}")
        app = create_app(settings, ServiceSettings(integrate=False, witnesses=(witness,)))
        seed_demo(services_of(app).ledger)
        services_of(app).log.integrate()
        with TestClient(app) as client:
            note = Note.from_text(client.get("/log/checkpoint").text)
    finally:
        server.shutdown()
        server.server_close()
    assert verified_signers(note, [Verifier.from_vkey(office.vkey)])
    latest = office.latest(Checkpoint.from_text(note.text).origin)
    assert latest is not None
    assert latest.size == Checkpoint.from_text(note.text).size


def test_a_lot_bundle_served_over_http_verifies_offline(served: Served) -> None:
    response = served.client.get("/lots/KW26-SBD-G1/bundle")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.agritrace.bundle+json")
    result = verify_bundle(Bundle.from_json(response.content), [Verifier.from_vkey(served.vkey)])
    assert result.lot == "KW26-SBD-G1"
    assert (result.version, result.complete, result.warnings) == (2, True, ())
    assert served.client.get("/lots/NOPE/bundle").status_code == 404
    assert served.client.get("/lots/KW26-SBD-G1/bundle?since=-1").status_code in (400, 404)


def test_the_served_bundle_is_at_the_latest_checkpoint_with_every_ancestor_whole(
        served: Served) -> None:
    # An inspector holds a household's harvest long after its fruit was graded and packed.
    served.ledger.record(INSPECTOR, "Held", {"reason": "农残快检疑似超标 rapid test suspect"},
                         lot="KW26-SBD-H02")
    served.log.integrate()
    checkpoint = served.checkpoint(served.client.get("/log/checkpoint").text)
    assert [line.split(" ")[0] for line in checkpoint.extensions] == ["agritrace/heads",
                                                                      "agritrace/time"]
    bundle = Bundle.from_json(served.client.get("/lots/KW26-SBD-G1/bundle").content)
    assert bundle.checkpoint == checkpoint
    held = [json.loads(r.raw) for r in bundle.records
            if json.loads(r.raw)["chain"] == "lot/KW26-SBD-H02"]
    assert held[-1]["type"] == "Held"
    assert verify_bundle(bundle, [Verifier.from_vkey(served.vkey)]).complete
