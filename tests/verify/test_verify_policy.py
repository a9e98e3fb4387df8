"""Who a bundle's checkpoint must satisfy: impossible policies are refused as malformed, and
step 6 handles an earlier checkpoint of every size relation to the bundle's.
"""

from __future__ import annotations

from hashlib import sha256
from pathlib import Path

import pytest

from ledger.application import Ledger
from ledger.bundles import build_bundle
from ledger.log import TransparencyLog
from ledger.log.logkey import LogKey
from tests.journeys import COOP, kiwi_journey
from tests.vectors.bundles.scenario import LOG, WITNESS, sign_checkpoint
from verify.bundle import Bundle
from verify.errors import MalformedInput, NoteInvalid, ProofInvalid, RootMismatch
from verify.notes import Signer, Verifier
from verify.policy import SeenCheckpoint, parse_proof_lines
from verify.verification import verify_bundle

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "bundles"
BUNDLE = Bundle.from_json((VECTORS / "valid.json").read_bytes())
LOG_KEY = Verifier.from_vkey((VECTORS / "log.vkey").read_text().strip())


@pytest.mark.parametrize(("log_keys", "witnesses", "minimum"), [
    ([], [], 0),
    ([WITNESS.verifier], [], 0),
    ([LOG_KEY], [], 1),
    ([LOG_KEY], [WITNESS.verifier], -1),
])
def test_impossible_policies_are_malformed(log_keys: list[Verifier], witnesses: list[Verifier],
                                           minimum: int) -> None:
    with pytest.raises(MalformedInput):
        verify_bundle(BUNDLE, log_keys, witnesses=witnesses, min_witnesses=minimum)


def test_a_log_key_for_another_origin_does_not_sign_this_checkpoint() -> None:
    other = Signer.generate("agritrace.test/elsewhere").verifier
    with pytest.raises(NoteInvalid) as failure:
        verify_bundle(BUNDLE, [other])
    assert failure.value.step == "1"
    assert verify_bundle(BUNDLE, [other, LOG_KEY]).origin == LOG.name  # either may be pinned


def test_an_earlier_checkpoint_of_the_same_size_must_have_the_same_root() -> None:
    same = SeenCheckpoint.from_text(BUNDLE.note.to_text())
    assert verify_bundle(BUNDLE, [LOG_KEY], since=same).consistent_with == BUNDLE.checkpoint.size
    forked = sign_checkpoint(BUNDLE.checkpoint.size, sha256(b"fork").digest(), cosigners=())
    with pytest.raises(RootMismatch) as failure:
        verify_bundle(BUNDLE, [LOG_KEY], since=SeenCheckpoint.from_text(forked))
    assert failure.value.step == "6"


def test_an_earlier_checkpoint_from_another_log_is_refused() -> None:
    other = Signer.generate("agritrace.test/elsewhere")
    text = sign_checkpoint(3, bytes(32), signer=other, cosigners=())
    with pytest.raises(NoteInvalid):
        verify_bundle(BUNDLE, [LOG_KEY], since=SeenCheckpoint.from_text(text))


def test_unreadable_earlier_checkpoints_and_proofs_are_malformed() -> None:
    for text in (b"\xff\xfe", "hello\n", "x" * 40_000):
        with pytest.raises(MalformedInput):
            SeenCheckpoint.from_text(text)
    assert parse_proof_lines("\n" + "A" * 43 + "=\n\n") == (bytes(32),)
    with pytest.raises(MalformedInput):
        parse_proof_lines("not a hash\n")


def test_an_older_bundle_needs_a_proof_to_the_checkpoint_seen_since(ledger: Ledger) -> None:
    # A phone saw a newer checkpoint than the bundle it is shown: only a consistency proof
    # from the bundle's tree to the newer one ties them together.
    log = TransparencyLog(ledger.store, LogKey(Signer.generate("agritrace.test/policy-log")))
    kiwi_journey(ledger)
    older = Bundle.from_json(build_bundle(ledger, log, "KG1").to_json())
    ledger.record(COOP, "Inspected", {"kind": "visual", "verdict": "pass"}, lot="KH0")
    log.integrate()
    newer = log.latest_checkpoint()
    keys = [log.key.verifier]
    with pytest.raises(ProofInvalid):
        verify_bundle(older, keys, since=SeenCheckpoint.from_text(newer.note))
    proof = log.consistency(older.checkpoint.size, newer.size).hashes
    seen = SeenCheckpoint.from_text(newer.note, proof)
    assert verify_bundle(older, keys, since=seen).consistent_with == newer.size
    bad = SeenCheckpoint.from_text(newer.note, [sha256(b"x").digest(), *proof[1:]])
    with pytest.raises(RootMismatch):
        verify_bundle(older, keys, since=bad)
