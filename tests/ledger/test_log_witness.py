"""The witness (C2SP tlog-witness add-checkpoint, cosignature/v1): it cosigns a checkpoint
only when it is consistent with the last one it cosigned, persists what it saw, refuses with
the spec's statuses, and works end to end with the log over HTTP.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from hashlib import sha256
from pathlib import Path

import pytest

from ledger.log import TransparencyLog, WitnessEndpoint
from ledger.witness import (
    AddCheckpoint,
    CheckpointForbidden,
    OldSizeConflict,
    ProofRejected,
    RequestMalformed,
    RootConflict,
    UnknownOrigin,
    Witness,
    WitnessMisconfigured,
    WitnessRefused,
    WitnessUnreachable,
    load_witness_key,
    submit_checkpoint,
    trusted_logs,
    witness_server,
)
from tests.ledger.test_log_helpers import expected_nodes, new_key
from verify.checkpoints import Checkpoint
from verify.cosignatures import cosignature_timestamp
from verify.merkle import consistency_proof, leaf_hash, root_from_leaf_hashes
from verify.notes import (
    COSIGNATURE_V1,
    Note,
    Signature,
    Signer,
    Verifier,
    sign_note,
    verified_signers,
)

ORIGIN = "agritrace.test/log"
LOG = Signer.generate(ORIGIN)
LEAVES = [leaf_hash(f"record {i}".encode()) for i in range(40)]
FORK = [*LEAVES[:9], leaf_hash(b"rewritten record 9"), *LEAVES[10:]]


def checkpoint(size: int, leaves: list[bytes] = LEAVES, signer: Signer = LOG) -> str:
    root = root_from_leaf_hashes(leaves[:size])
    return sign_note(Checkpoint(signer.name, size, root).to_text(), [signer]).to_text()


def proof(old: int, new: int, leaves: list[bytes] = LEAVES) -> tuple[bytes, ...]:
    nodes = expected_nodes(leaves[:new])
    return tuple(consistency_proof(old, new, lambda level, index: nodes[level, index]))


@pytest.fixture
def witness(tmp_path: Path) -> Witness:
    key = load_witness_key(tmp_path / "witness-key", "witness.test/office")
    return Witness(key, tmp_path / "state" / "witness.json",
                   trusted_logs([LOG.verifier.to_vkey()]), clock=lambda: 1_790_000_000)


def verify_cosignature(witness: Witness, note: str, line: str) -> None:
    verifier = Verifier.from_vkey(witness.vkey)
    signature = Signature.from_line(line.rstrip("\n"))
    assert verified_signers(Note(Note.from_text(note).text, (signature,)), [verifier])
    assert cosignature_timestamp(signature) == 1_790_000_000


def test_cosigns_the_first_checkpoint_then_consistent_ones(witness: Witness,
                                                           tmp_path: Path) -> None:
    first = checkpoint(10)
    line = witness.handle(AddCheckpoint(0, (), first).to_body())
    verify_cosignature(witness, first, line)
    later = checkpoint(25)
    line = witness.handle(AddCheckpoint(10, proof(10, 25), later).to_body())
    verify_cosignature(witness, later, line)
    # The same checkpoint again is cosigned again (equal size, equal root, empty proof).
    witness.handle(AddCheckpoint(25, (), later).to_body())
    # The state survives a restart, in a file replaced atomically (no temporary left).
    again = Witness(witness.signer, witness.state_path, witness.logs)
    latest = again.latest(ORIGIN)
    assert latest is not None
    assert (latest.size, latest.root_hash) == (25, root_from_leaf_hashes(LEAVES[:25]))
    assert json.loads(witness.state_path.read_text())["logs"][ORIGIN]["size"] == 25
    assert sorted(p.name for p in witness.state_path.parent.iterdir()) == [
        "witness.json", "witness.json.lock"]
    assert witness.vkey.startswith("witness.test/office+")
    assert Verifier.from_vkey(witness.vkey).sig_type == COSIGNATURE_V1


def test_refuses_an_inconsistent_checkpoint(witness: Witness) -> None:
    witness.handle(AddCheckpoint(0, (), checkpoint(10)).to_body())
    # The log rewrote leaf 9 and shows a tree of 25 built on the rewritten history.
    forked = checkpoint(25, FORK)
    with pytest.raises(ProofRejected, match="does not verify") as refused:
        witness.handle(AddCheckpoint(10, proof(10, 25, FORK), forked).to_body())
    assert refused.value.status == 422
    # Nor can it pass the honest proof off with the forked root.
    with pytest.raises(ProofRejected):
        witness.handle(AddCheckpoint(10, proof(10, 25), forked).to_body())
    # A second root for a size already cosigned is a conflict.
    with pytest.raises(RootConflict, match="log forked") as conflict:
        witness.handle(AddCheckpoint(10, (), checkpoint(10, FORK)).to_body())
    assert conflict.value.status == 409
    # The witness still holds the honest checkpoint and accepts its honest extension.
    assert witness.latest(ORIGIN).size == 10  # type: ignore[union-attr]
    witness.handle(AddCheckpoint(10, proof(10, 25), checkpoint(25)).to_body())


@pytest.mark.parametrize(("body", "error", "status", "reason"), [
    (AddCheckpoint(3, (), checkpoint(12)).to_body(), OldSizeConflict, 409,
     "not the witness's latest size 10"),
    (AddCheckpoint(10, (), checkpoint(8)).to_body(), RequestMalformed, 400,
     "smaller than old size"),
    (b"old 10\n\n" + checkpoint(12, signer=Signer.generate("other.example/log")).encode(),
     UnknownOrigin, 404, "does not follow origin"),
    (b"old 10\n\n" + checkpoint(12, signer=Signer.generate(ORIGIN)).encode(),
     CheckpointForbidden, 403, "no trusted key"),
    (b"old 10\nnot-base64\n\n" + checkpoint(12).encode(), RequestMalformed, 400,
     "not a base64 SHA-256 hash"),
    (b"new 10\n\n" + checkpoint(12).encode(), RequestMalformed, 400, "old"),
    (b"old 010\n\n" + checkpoint(12).encode(), RequestMalformed, 400, "old"),
    ("old ١٠\n\n" + checkpoint(12), RequestMalformed, 400, "old"),
    (b"old 10\n\nnot a note\n", RequestMalformed, 400, "not a signed checkpoint"),
    (AddCheckpoint(10, (bytes(32),) * 64, checkpoint(12)).to_body(), RequestMalformed, 400,
     "more than 63"),
    (AddCheckpoint(10, (), checkpoint(12)).to_body(), ProofRejected, 422,
     "consistency proof"),
])
def test_refusals_carry_the_spec_status(witness: Witness, body: bytes | str,
                                        error: type[WitnessRefused],
                                        status: int, reason: str) -> None:
    witness.handle(AddCheckpoint(0, (), checkpoint(10)).to_body())
    with pytest.raises(error, match=reason) as refused:
        witness.handle(body)
    assert refused.value.status == status
    assert witness.latest(ORIGIN).size == 10  # type: ignore[union-attr]


def test_a_tampered_log_signature_is_forbidden(witness: Witness) -> None:
    note = Note.from_text(checkpoint(10))
    bad = Signature(note.signatures[0].name, note.signatures[0].key_id, bytes(64))
    with pytest.raises(CheckpointForbidden, match="signature rejected"):
        witness.handle(AddCheckpoint(0, (), Note(note.text, (bad,)).to_text()).to_body())


def test_a_witness_needs_a_cosignature_key(tmp_path: Path) -> None:
    with pytest.raises(WitnessMisconfigured, match="cosignature/v1"):
        Witness(LOG, tmp_path / "w.json", {})


# --- end to end over HTTP -----------------------------------------------------------------


@pytest.fixture
def served(witness: Witness) -> Iterator[str]:
    server = witness_server(witness)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/add-checkpoint"
    server.shutdown()
    server.server_close()


def test_the_log_collects_cosignatures_over_http(tmp_path: Path, witness: Witness,
                                                 served: str) -> None:
    from ledger.application import Ledger
    from ledger.config import Settings
    from tests.ledger.test_log_helpers import harvests

    ledger = Ledger(Settings(db_url=f"sqlite:///{tmp_path / 'e2e.db'}", master_key=bytes(32)))
    try:
        key = new_key()
        witness.logs = trusted_logs([key.vkey])
        endpoint = WitnessEndpoint.parse(served, witness.vkey)
        log = TransparencyLog(ledger.store, key, batch_size=4, witnesses=[endpoint])
        harvests(ledger, 9)
        log.integrate()
        # Every checkpoint carries the log's signature and the witness's cosignature.
        for size in (4, 8, 10):
            note = Note.from_text(log.checkpoint(size).note)
            signers = verified_signers(note, [key.verifier, Verifier.from_vkey(witness.vkey)])
            assert len(signers) == 2
        assert witness.latest(key.origin).size == 10  # type: ignore[union-attr]
        # Another server process, which does not know the witness's size, learns it from
        # the 409 answer and retries with a consistency proof.
        harvests(ledger, 3, start=9)
        other = TransparencyLog(ledger.store, key, witnesses=[endpoint])
        assert other.integrate_batch().checkpoint.note.count("— ") == 2  # type: ignore[union-attr]
        assert witness.latest(key.origin).size == 13  # type: ignore[union-attr]
        # A witness that is down never blocks integration.
        down = WitnessEndpoint.parse("http://127.0.0.1:9/add-checkpoint", witness.vkey)
        harvests(ledger, 1, start=12)
        unwitnessed = TransparencyLog(ledger.store, key, witnesses=[down], witness_timeout=0.5)
        result = unwitnessed.integrate_batch()
        assert result.leaves == 1
        assert result.checkpoint is not None
        assert result.checkpoint.note.count("— ") == 1
        # Nor does one that refuses (it no longer follows this log: 404).
        witness.logs = {}
        harvests(ledger, 1, start=13)
        refused = TransparencyLog(ledger.store, key, witnesses=[endpoint]).integrate_batch()
        assert refused.leaves == 1
        assert refused.checkpoint is not None
        assert refused.checkpoint.note.count("— ") == 1
    finally:
        ledger.close()


def test_the_client_maps_refusals_to_errors(served: str) -> None:
    stranger = Signer.generate("stranger.example/log")
    note = sign_note(Checkpoint(stranger.name, 1, sha256().digest()).to_text(), [stranger])
    with pytest.raises(UnknownOrigin, match="does not follow origin"):
        submit_checkpoint(served, AddCheckpoint(0, (), note.to_text()))
    submit_checkpoint(served, AddCheckpoint(0, (), checkpoint(10)))
    with pytest.raises(OldSizeConflict) as conflict:
        submit_checkpoint(served, AddCheckpoint(0, (), checkpoint(12)))
    assert conflict.value.latest_size == 10
    with pytest.raises(WitnessUnreachable, match="not http"):
        submit_checkpoint("file:///etc/passwd", AddCheckpoint(0, (), checkpoint(12)))


def test_the_server_speaks_http_1_1_and_keeps_the_connection(served: str) -> None:
    """A third-party client (sigsum-go's, for one) reads the 409 answer only when its
    Content-Type is exactly ``text/x.tlog.size``, and reuses one connection."""
    port = int(served.split(":")[2].split("/")[0])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("POST", "/add-checkpoint",
                           body=AddCheckpoint(0, (), checkpoint(10)).to_body())
        first = connection.getresponse()
        assert (first.status, first.version) == (200, 11)
        assert first.getheader("Connection") is None
        Signature.from_line(first.read().decode().rstrip("\n"))
        socket = connection.sock
        # The second request on the same connection: a stale old size is 409 with the size.
        connection.request("POST", "/add-checkpoint",
                           body=AddCheckpoint(0, (), checkpoint(12)).to_body())
        second = connection.getresponse()
        assert connection.sock is socket  # not reconnected
        assert second.status == 409
        assert second.getheader("Content-Type") == "text/x.tlog.size"
        assert second.read() == b"10\n"
        # A request the witness does not serve leaves the connection usable: its body is
        # read, not taken for the next request.
        connection.request("POST", "/elsewhere", body=b"old 0\n\nnot a note")
        third = connection.getresponse()
        assert third.status == 404
        third.read()
        connection.request("POST", "/add-checkpoint",
                           body=AddCheckpoint(10, (), checkpoint(10)).to_body())
        fourth = connection.getresponse()
        assert fourth.status == 200
        fourth.read()
        assert connection.sock is socket
    finally:
        connection.close()


def test_a_request_without_a_length_closes_the_connection(served: str) -> None:
    port = int(served.split(":")[2].split("/")[0])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.putrequest("POST", "/add-checkpoint")
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 411
        assert response.getheader("Connection") == "close"
        response.read()
    finally:
        connection.close()
