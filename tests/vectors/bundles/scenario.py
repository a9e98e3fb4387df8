"""The ledger the bundle vectors come from, and a forger who holds the log's key.

The demo data set (``ledger.demo``) is seeded and a first checkpoint published (the one a
verifier "saw before"); then the inspector rotates its key, holds one of the households'
harvests (already collected and graded into the lot) on a suspect rapid test and releases it
after a lab retest, and inspects the packed kiwifruit; a second checkpoint is published and
cosigned by a witness. The valid vector is the real bundle of that lot, built by
``ledger.bundles.build_bundle`` (format 2: every chain whole, with head proofs). The hold and
release give an ancestor's chain records after the one its descendant links to, so cutting
that chain short is something only step 7 catches.

Corruptions that must get past steps 1-3 (a wrong ``prev``, a record signed by a revoked
key...) need a log that integrated them: ``Forger`` rebuilds the Merkle tree and the
chain-head map over a changed list of leaves and signs (and cosigns) a new checkpoint, as a
dishonest log operator could.

Keys here are fixed test keys derived from public strings: never use them for anything else.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from hashlib import sha256
from pathlib import Path
from typing import Any

from ledger.application import Ledger
from ledger.bundles import build_bundle
from ledger.config import Settings
from ledger.demo import INSPECTOR, seed_demo
from ledger.keys.signing import SigningKey
from ledger.log import TransparencyLog
from ledger.log.checkpoints import PublishedCheckpoint, attach_cosignatures
from ledger.log.logkey import LogKey
from verify.bundle import Bundle
from verify.canonical import canonical_bytes
from verify.checkpoints import Checkpoint, signed_lines
from verify.cosignatures import cosign_note
from verify.headmap import HeadMap
from verify.merkle import inclusion_proof, leaf_hash, node_hash, root_from_leaf_hashes
from verify.notes import COSIGNATURE_V1, Note, Signer, sign_note
from verify.records import signing_message


def _seed(label: str) -> bytes:
    return sha256(f"agritrace bundle vectors: {label}".encode()).digest()


LOG = Signer("agritrace.test/vectors", _seed("log key"))
OTHER_LOG = Signer("agritrace.test/vectors", _seed("another key named like the log"))
WITNESS = Signer("agritrace.test/witness", _seed("witness key"), COSIGNATURE_V1)
STRANGER = Signer("agritrace.test/stranger", _seed("unpinned witness key"), COSIGNATURE_V1)
MASTER_KEY = _seed("master key")
COSIGNED_AT = 1_789_000_000  # a fixed POSIX time for cosignatures
LOT = "KW26-SBD-G1"
HARVEST = "KW26-SBD-H02"  # a household's harvest the lot was graded from
SIGNED_AT = COSIGNED_AT - 60  # the time line of checkpoints the forger signs


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


@dataclass
class Scenario:
    ledger: Ledger
    log: TransparencyLog
    seen: PublishedCheckpoint
    bundle: Bundle  # the real bundle, as ledger.bundles.build_bundle makes it
    base: dict[str, Any]  # its JSON document, for the vectors to change
    leaves: list[tuple[bytes, bytes]]  # (record bytes, signature) of the whole log, in order
    revoked_key: SigningKey  # the inspector's key before rotation

    def bundle_of(self, lot: str) -> dict[str, Any]:
        """Another lot's real bundle, against the same checkpoint."""
        return _document(build_bundle(self.ledger, self.log, lot, integrate=False))

    def key_of(self, raw: bytes) -> SigningKey:
        """The server-held private key that signed ``raw``."""
        value = json.loads(raw)
        return self.ledger.vault.signing_key(value["org"], value["key"])


# The demo dated as when these vectors were made, so the inspection below follows it.
SEED_DAY = date(2026, 9, 18)


def build(folder: Path) -> Scenario:
    ledger = Ledger(Settings(db_url=f"sqlite:///{folder / 'vectors.db'}", master_key=MASTER_KEY))
    log = TransparencyLog(ledger.store, LogKey(LOG))
    seed_demo(ledger, today=SEED_DAY)
    log.integrate()
    seen = log.latest_checkpoint()
    old = next(iter(ledger.organisation(INSPECTOR).active_keys))
    revoked_key = ledger.vault.signing_key(INSPECTOR, old)
    ledger.rotate_key(INSPECTOR)
    ledger.record(INSPECTOR, "Held", {
        "reason": "农残快检疑似超标，已送实验室复检 Rapid pesticide test suspect; sample sent "
                  "to the lab"}, lot=HARVEST, time="2026-09-16T09:00:00+08:00")
    ledger.record(INSPECTOR, "Released", {
        "reason": "实验室复检合格 Lab retest passed"}, lot=HARVEST,
        time="2026-09-17T09:00:00+08:00")
    ledger.record(INSPECTOR, "Inspected", {
        "kind": "visual", "verdict": "pass",
        "notes": "到货抽查：果形端正，无腐烂 Spot check on arrival: sound fruit, no rot"},
        lot=LOT, time="2026-09-17T10:00:00+08:00")
    log.integrate()
    latest = log.latest_checkpoint()
    cosigned = cosign_note(Note.from_text(latest.note), WITNESS, COSIGNED_AT)
    with ledger.store.engine.begin() as connection:
        attach_cosignatures(connection, latest.size, [cosigned.signatures[-1]])
    bundle = build_bundle(ledger, log, LOT, since=[seen.size])
    leaves = [(stored.raw, stored.signature) for stored in ledger.store.records()]
    return Scenario(ledger, log, seen, bundle, _document(bundle), leaves, revoked_key)


def _document(bundle: Bundle) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(bundle.to_json())
    return value


def sign_checkpoint(size: int, root: bytes, *, signer: Signer = LOG, origin: str | None = None,
                    cosigners: Sequence[Signer] = (WITNESS,), lines: Sequence[str] = (),
                    cosigned_at: int = COSIGNED_AT) -> str:
    """A checkpoint note with extension ``lines``, signed by ``signer`` and cosigned by
    ``cosigners``."""
    body = Checkpoint(origin or signer.name, size, root, tuple(lines))
    note = sign_note(body.to_text(), [signer])
    for cosigner in cosigners:
        note = cosign_note(note, cosigner, cosigned_at)
    return note.to_text()


def heads_of(log: Sequence[bytes]) -> HeadMap:
    """The chain-head map of the leaves ``log`` (records, read as JSON: a forger signs what
    it likes)."""
    heads = HeadMap(len(log))
    for raw in log:
        value = json.loads(raw)
        heads.set(value["chain"], value["seq"], sha256(raw).digest())
    return heads


def resign(raw: bytes, change: Callable[[dict[str, Any]], None],
           key: SigningKey) -> tuple[bytes, bytes]:
    """``raw`` changed by ``change``, in canonical form, signed by ``key``."""
    value = json.loads(raw)
    change(value)
    new = canonical_bytes(value)
    return new, key.sign(signing_message(sha256(new).digest()))


class Forger:
    """Builds bundles against a log of the forger's choosing, signed with the log's key."""

    def __init__(self, scenario: Scenario) -> None:
        self.base = scenario.base

    def bundle(self, log: Sequence[bytes], entries: Sequence[tuple[bytes, bytes]],
               version: int = 2, **signing: Any) -> dict[str, Any]:
        """A bundle of ``entries`` (bytes, signature), all of them leaves of ``log``, with
        head proofs in the map of ``log`` (version 2: its checkpoint signs the map's root and
        ``SIGNED_AT``; version 1: no extension lines, no heads)."""
        hashes = [leaf_hash(raw) for raw in log]

        @cache
        def get(level: int, index: int) -> bytes:
            if level == 0:
                return hashes[index]
            return node_hash(get(level - 1, 2 * index), get(level - 1, 2 * index + 1))

        size = len(log)
        position = {raw: i for i, raw in enumerate(log)}
        records = [{"index": position[raw], "record": b64(raw), "signature": b64(signature),
                    "proof": [b64(h) for h in inclusion_proof(position[raw], size, get)]}
                   for raw, signature in entries]
        records.sort(key=lambda entry: int(str(entry["index"])))
        root = root_from_leaf_hashes(hashes)
        if version == 1:
            return {"format": "agritrace-bundle", "version": 1, "lot": self.base["lot"],
                    "checkpoint": sign_checkpoint(size, root, **signing), "records": records}
        heads = heads_of(log)
        last: dict[str, int] = {}
        for raw, _ in entries:
            value = json.loads(raw)
            last[value["chain"]] = max(last.get(value["chain"], 0), value["seq"])
        lines = signing.pop("lines", signed_lines(heads.root(), SIGNED_AT))
        return {"format": "agritrace-bundle", "version": 2, "lot": self.base["lot"],
                "checkpoint": sign_checkpoint(size, root, lines=lines, **signing),
                "records": records,
                "heads": [{"chain": chain, "seq": seq,
                           "proof": [b64(h) for h in heads.prove(chain)]}
                          for chain, seq in sorted(last.items())]}
