"""Regenerate the proof-bundle vectors: ``.venv/bin/python -m tests.vectors.bundles.generate``.

Writes beside this file one bundle per vector, named after what it breaks (``<name>.json``),
and ``index.json`` giving each vector's expected outcome (exit code, failing step, error
class, and for a valid one its warnings and whether it proves its chains complete) and the
verifier options to use (pinned witnesses, an earlier checkpoint); the format is in README.md.
Also the pinned keys (``log.vkey``, ``witness.vkey``) and the earlier checkpoints
(``seen*.checkpoint``) the step-6 vectors are checked against. Expectations are written here
by hand, never taken from a verifier's output. The vectors of step 7 (completeness) are in
``completeness.py``, the unreadable ones in ``malformed.py``. Last, the derived state of each
valid vector (``<name>.state.json``): that one is the Python verifier's, held to hand-written
facts by ``tests/verify/test_state_vectors.py`` (``tests.vectors.bundles.states``).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from hashlib import sha256
from pathlib import Path
from typing import Any

from tests.vectors.bundles.kit import (
    Bundle,
    Kit,
    Vector,
    b64,
    bad,
    dump,
    flip,
    replace_signature,
    unb64,
)
from tests.vectors.bundles.scenario import LOG, OTHER_LOG, STRANGER, WITNESS, _seed, build
from tests.vectors.bundles.scenario import sign_checkpoint as signed
from tests.vectors.bundles.states import write_states
from verify.notes import Note, Signer
from verify.verification import V1_WARNING

HERE = Path(__file__).resolve().parent
G1, G2, C01, H02 = "lot/KW26-SBD-G1", "lot/KW26-SBD-G2", "lot/KW26-SBD-C01", "lot/KW26-SBD-H02"
COOP, INSPECTOR = "org/coop-xiangxi", "org/samr-xiangxi"
TEA = "TEA26-BJ-001"
def _entry(chain: str, seq: int, change: Callable[[dict[str, Any]], None]
           ) -> Callable[[Kit], Bundle]:
    def make(kit: Kit) -> Bundle:
        bundle = kit.base()
        change(bundle["records"][kit.find(bundle, chain, seq)])
        return bundle
    return make


def _text(change: Callable[[bytes], bytes]) -> Callable[[Kit], bytes]:
    return lambda kit: change(kit.text())


def _swap(bundle: Bundle, kit: Kit, a: tuple[str, int], b: tuple[str, int], *keys: str) -> None:
    first, second = (bundle["records"][kit.find(bundle, *x)] for x in (a, b))
    for key in keys:
        first[key], second[key] = second[key], first[key]


def _sibling_index(kit: Kit) -> Bundle:
    """A record moved to the leaf beside it (same proof length, so the root must differ)."""
    bundle = kit.base()
    full = 1 << (kit.checkpoint().size.bit_length() - 1)
    entry = next(e for e in bundle["records"] if e["index"] < full)
    entry["index"] ^= 1
    return bundle


def _raw(chain: str, seq: int, change: Callable[[bytes], bytes]) -> Callable[[Kit], Bundle]:
    def rewrite(entry: dict[str, Any]) -> None:
        raw = unb64(entry["record"])
        assert change(raw) != raw, f"{chain}#{seq} did not change"
        entry["record"] = b64(change(raw))
    return _entry(chain, seq, rewrite)


def _add_lot(kit: Kit, lot: str) -> Bundle:
    bundle = kit.base()
    present = {e["index"] for e in bundle["records"]}
    bundle["records"] += [e for e in kit.scenario.bundle_of(lot)["records"]
                          if e["index"] not in present]
    return bundle


def _from_other_lot(kit: Kit) -> Bundle:
    bundle = kit.base()
    other = kit.scenario.bundle_of("KW26-SBD-G2")
    bundle["records"][kit.find(bundle, G1, 4)] = other["records"][kit.find(other, G2, 1)]
    return bundle


def _cp(kit: Kit, **changes: Any) -> str:
    """The base checkpoint re-signed with ``changes`` (size, root, lines, signer, ...)."""
    checkpoint = kit.checkpoint()
    size, root = changes.pop("size", checkpoint.size), changes.pop("root", checkpoint.root_hash)
    lines = changes.pop("lines", checkpoint.extensions)
    return signed(size, root, lines=lines, **changes)


def _with_checkpoint(**changes: Any) -> Callable[[Kit], Bundle]:
    return lambda kit: kit.changed(lambda b: b.update(checkpoint=_cp(kit, **changes)))


def _unsigned_text(change: Callable[[str], str]) -> Callable[[Kit], Bundle]:
    return lambda kit: kit.with_note(lambda note: Note(change(note.text), note.signatures))


def _lines(text: str, index: int, value: str) -> str:
    lines = text.split("\n")
    lines[index] = value
    return "\n".join(lines)


ELSEWHERE = Signer("agritrace.test/elsewhere", _seed("a log of another origin"))
RANDOM_ROOT = sha256(b"not the root").digest()
V = Vector
VECTORS = [
    # -- valid ------------------------------------------------------------------------------
    V("valid", "the lot's real bundle: records, ancestors, key history, cosigned checkpoint",
      (0, None, None), lambda kit: kit.base()),
    V("valid-without-witness-policy", "the same, no witness pinned: the cosignature is "
      "ignored", (0, None, None), lambda kit: kit.base(), witnesses=False),
    V("valid-records-in-any-order", "records listed in reverse: order comes from leaf indices",
      (0, None, None), lambda kit: kit.changed(lambda b: b["records"].reverse())),
    V("valid-since-earlier-checkpoint", "consistent with the checkpoint seen before, by the "
      "bundle's consistency proof", (0, None, None), lambda kit: kit.base(),
      since="seen.checkpoint"),
    V("valid-certified-tea", "the tea harvest: an organic certificate with an end date and a "
      "passed residue test", (0, None, None), lambda kit: kit.scenario.bundle_of(TEA)),
    # -- step 1: the checkpoint's signature -------------------------------------------------
    V("checkpoint-signature-changed", "one bit of the log's signature flipped",
      bad(1, "BadSignature"), lambda kit: kit.with_note(
          lambda n: replace_signature(n, LOG.name, lambda s: flip(s, 5)))),
    V("checkpoint-root-changed", "the root hash line replaced, not re-signed",
      bad(1, "BadSignature"), _unsigned_text(lambda t: _lines(t, 2, b64(RANDOM_ROOT)))),
    V("checkpoint-size-changed", "the tree size line raised by one, not re-signed",
      bad(1, "BadSignature"),
      _unsigned_text(lambda t: _lines(t, 1, str(int(t.split("\n")[1]) + 1)))),
    V("checkpoint-signed-by-another-key", "signed by a key named like the log, not pinned",
      bad(1, "NoteInvalid"), _with_checkpoint(signer=OTHER_LOG)),
    V("checkpoint-from-another-log", "a checkpoint of another origin, signed by that log",
      bad(1, "NoteInvalid"), _with_checkpoint(signer=ELSEWHERE)),
    # -- step 2: witnesses ------------------------------------------------------------------
    V("witness-unknown", "cosigned only by a witness that is not pinned; one required",
      bad(2, "NoteInvalid"), _with_checkpoint(cosigners=(STRANGER,))),
    V("witness-missing", "no cosignature at all; one required", bad(2, "NoteInvalid"),
      _with_checkpoint(cosigners=())),
    V("witness-cosignature-changed", "one bit of the pinned witness's cosignature flipped",
      bad(2, "BadSignature"), lambda kit: kit.with_note(
          lambda n: replace_signature(n, WITNESS.name, lambda s: flip(s, 20)))),
    # -- step 3: inclusion ------------------------------------------------------------------
    V("record-byte-changed", "the cold store's peak temperature rewritten from 5.6 to 3.6",
      bad(3, "RootMismatch"),
      _raw(G1, 2, lambda r: r.replace(b'"max_c":"5.6"', b'"max_c":"3.6"'))),
    V("record-not-canonical", "a space added after the record's first brace",
      bad(3, "RootMismatch"), _raw(G1, 3, lambda r: r.replace(b"{", b"{ ", 1))),
    V("records-reordered", "two records of the lot swap leaf index and proof",
      bad(3, "RootMismatch"),
      lambda kit: kit.changed(lambda b: _swap(b, kit, (G1, 2), (G1, 3), "index", "proof"))),
    V("audit-path-flipped", "one bit of an inclusion proof hash flipped", bad(3, "RootMismatch"),
      _entry(G1, 3, lambda e: e["proof"].__setitem__(1, b64(flip(unb64(e["proof"][1])))))),
    V("audit-path-truncated", "an inclusion proof missing its last hash",
      bad(3, "ProofInvalid"), _entry(G1, 3, lambda e: e["proof"].pop())),
    V("audit-path-extended", "an inclusion proof with a hash too many", bad(3, "ProofInvalid"),
      _entry(G1, 3, lambda e: e["proof"].append(e["proof"][0]))),
    V("wrong-index", "a record claims the leaf beside its own", bad(3, "RootMismatch"),
      _sibling_index),
    V("index-beyond-tree", "a record claims a leaf past the checkpoint's tree size",
      bad(3, "ProofInvalid"),
      lambda kit: kit.changed(lambda b: b["records"][0].update(index=kit.checkpoint().size))),
    V("checkpoint-root-changed-and-signed", "the log signs a root these records are not in",
      bad(3, "RootMismatch"), _with_checkpoint(root=RANDOM_ROOT)),
    V("checkpoint-size-changed-and-signed", "the log signs the same root for a larger tree",
      bad(3, "ProofInvalid"), lambda kit: kit.changed(
          lambda b: b.update(checkpoint=_cp(kit, size=kit.checkpoint().size + 1)))),
    V("record-not-canonical-in-log", "non-canonical record bytes, signed and integrated by a "
      "dishonest log", bad(3, "NotCanonical"), lambda kit: kit.not_canonical(G1, 3)),
    # -- step 4: signatures and keys --------------------------------------------------------
    V("signature-forged", "a record's signature replaced by other bytes", bad(4, "BadSignature"),
      _entry(G1, 3, lambda e: e.update(signature=b64(sha256(b"x").digest() * 2)))),
    V("signatures-swapped", "two records swap signatures", bad(4, "BadSignature"),
      lambda kit: kit.changed(lambda b: _swap(b, kit, (G1, 3), (G1, 4), "signature"))),
    V("signed-by-revoked-key", "a record signed with the inspector's key after it was rotated "
      "out, integrated by a dishonest log", bad(4, "UnknownKey"),
      lambda kit: kit.signed_by_revoked_key(G1)),
    V("signed-by-wrong-organisation", "a record claims the carrier but carries the "
      "cooperative's key and signature", bad(4, "UnknownKey"),
      lambda kit: kit.resigned(G1, 3, lambda v: v.update(org="carrier-xiangyun"))),
    V("key-record-removed", "the inspector's KeyRotated record left out", bad(4, "UnknownKey"),
      lambda kit: kit.without((INSPECTOR, 1))),
    V("organisation-registration-removed", "the cooperative's registration left out",
      bad(4, "UnknownKey"), lambda kit: kit.without((COOP, 0))),
    # -- step 5: chains and links -----------------------------------------------------------
    V("record-dropped", "a record in the middle of the lot's chain left out",
      bad(5, "ChainBroken"), lambda kit: kit.without((G1, 2))),
    V("missing-ancestor", "the household sale the collection links to left out",
      bad(5, "LinkBroken"), lambda kit: kit.without((H02, 1))),
    V("ancestor-chain-incomplete", "an ancestor lot's first record left out",
      bad(5, "ChainBroken"), lambda kit: kit.without((H02, 0))),
    V("wrong-prev", "a record's prev changed and re-signed by its organisation, integrated by "
      "a dishonest log", bad(5, "ChainBroken"),
      lambda kit: kit.resigned(G1, 3, lambda v: v.update(prev="ab" * 32))),
    V("record-from-another-lot", "a record of a sibling lot in place of one of the lot's",
      bad(5, "ChainBroken"), _from_other_lot),
    V("unrelated-lot-added", "the whole chain of an unrelated lot (tea) added",
      bad(5, "LinkBroken"), lambda kit: _add_lot(kit, TEA)),
    V("lot-not-in-bundle", "the bundle names a lot none of its records belongs to",
      bad(5, "ChainBroken"), lambda kit: kit.changed(lambda b: b.update(lot="KW26-SBD-G2"))),
    V("lot-is-an-ancestor", "the bundle names an ancestor lot: the graded lot is then no "
      "ancestor of it", bad(5, "LinkBroken"),
      lambda kit: kit.changed(lambda b: b.update(lot="KW26-SBD-C01"))),
    # -- step 6: an earlier checkpoint -------------------------------------------------------
    V("since-without-proof", "an earlier checkpoint given, the consistency proof left out",
      bad(6, "ProofInvalid"), lambda kit: kit.changed(lambda b: b.pop("consistency")),
      since="seen.checkpoint"),
    V("since-proof-flipped", "one bit of the consistency proof flipped", bad(6, "RootMismatch"),
      lambda kit: kit.changed(lambda b: b["consistency"][0]["proof"].__setitem__(
          0, b64(flip(unb64(b["consistency"][0]["proof"][0]))))), since="seen.checkpoint"),
    V("since-forked-log", "the checkpoint seen before has another root for its size: the log "
      "forked", bad(6, "RootMismatch"), lambda kit: kit.base(), since="seen-fork.checkpoint"),
    V("since-rolled-back", "the checkpoint seen before is larger than the bundle's",
      bad(6, "ProofInvalid"), lambda kit: kit.base(), since="seen-future.checkpoint"),
    V("since-signed-by-another-key", "the checkpoint seen before is not signed by the log key",
      bad(6, "NoteInvalid"), lambda kit: kit.base(), since="seen-other-key.checkpoint"),
]


def _seen_checkpoints(kit: Kit) -> dict[str, str]:
    """Checkpoints a verifier may have seen before: the real one and three that must fail."""
    seen, latest = kit.scenario.seen, kit.checkpoint()
    return {
        "seen.checkpoint": seen.note,
        "seen-fork.checkpoint": signed(seen.size, sha256(b"fork").digest(), cosigners=()),
        "seen-future.checkpoint": signed(latest.size + 5, RANDOM_ROOT, cosigners=()),
        "seen-other-key.checkpoint": signed(seen.size, seen.root_hash, signer=OTHER_LOG,
                                            cosigners=()),
    }


def _describe(vector: Vector) -> dict[str, Any]:
    exit_code, step, error = vector.expect
    valid = exit_code == 0
    return {
        "name": vector.name, "file": f"{vector.name}.json", "description": vector.description,
        "valid": valid, "exit": exit_code, "step": step, "error": error,
        "complete": (vector.version == 2) if valid else None,
        "warnings": [V1_WARNING] if valid and vector.version == 1 else [],
        "freshness": None if vector.stale_since is None else {
            "time": vector.stale_since, "max_age": "1h", "exit": 1},
        "options": {"witnesses": ["witness.vkey"] if vector.witnesses else [],
                    "min_witnesses": 1 if vector.witnesses else 0, "since": vector.since},
    }


def main(out: Path = HERE) -> None:
    """Write every vector, the index, the pinned keys and the earlier checkpoints to ``out``."""
    from tests.vectors.bundles.completeness import COMPLETENESS_VECTORS, HARVEST_SEQS, LOT_SEQS
    from tests.vectors.bundles.malformed import MALFORMED_VECTORS

    vectors = [*VECTORS, *COMPLETENESS_VECTORS, *MALFORMED_VECTORS]
    assert len({v.name for v in vectors}) == len(vectors), "vector names must be unique"
    with tempfile.TemporaryDirectory() as folder:
        scenario = build(Path(folder))
        try:
            kit = Kit(scenario)
            assert dump(scenario.base) == kit.text(), "dump must write as the ledger does"
            assert kit.seqs(G1) == LOT_SEQS, "completeness.py counts the lot's records"
            assert kit.seqs(H02) == HARVEST_SEQS, "completeness.py counts the harvest's"
            for old in [*out.glob("*.json"), *out.glob("*.checkpoint")]:
                old.unlink()
            (out / "log.vkey").write_text(LOG.verifier.to_vkey() + "\n")
            (out / "witness.vkey").write_text(WITNESS.verifier.to_vkey() + "\n")
            for name, note in _seen_checkpoints(kit).items():
                (out / name).write_text(note)
            for vector in vectors:
                made = vector.make(kit)
                data = made if isinstance(made, bytes) else dump(made)
                (out / f"{vector.name}.json").write_bytes(data)
        finally:
            scenario.ledger.close()
    index = {"log_key": "log.vkey", "lot": scenario.base["lot"],
             "vectors": [_describe(vector) for vector in vectors]}
    (out / "index.json").write_text(json.dumps(index, ensure_ascii=False, indent=1) + "\n")
    states = write_states(out)
    print(f"wrote {len(vectors)} vectors and {states} expected states to {out}")


if __name__ == "__main__":
    main()
