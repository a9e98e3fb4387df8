"""Bundle vectors of format version 2 and step 7 (completeness): every chain in the bundle
must end at its head at the checkpoint, as the chain-head map the checkpoint signs says.

Valid: the bundle in version 1 (verifies, with the warning that completeness is not proven),
also against a checkpoint without extension lines as an older log signed; a recalled lot's
bundle; and a stale one, whose checkpoint was signed and cosigned long ago (valid, but
``--max-age 1h`` must fail it). Invalid: the lot's chain and an ancestor's chain cut short
after each of their records, an organisation's chain cut short, head proofs changed, cut,
padded or taken from another chain, heads entries missing, extra or naming the wrong seq, and
checkpoints whose ``agritrace/heads`` line is missing, doubled, malformed or names another
map root (re-signed by the forger, who holds the log key).
"""

from __future__ import annotations

from collections.abc import Callable
from hashlib import sha256
from typing import Any

from tests.vectors.bundles.kit import Bundle, Kit, Vector, b64, bad, flip, unb64
from tests.vectors.bundles.scenario import HARVEST, LOT, sign_checkpoint
from verify.checkpoints import HEADS_LINE, TIME_LINE

G1, H02, C01, G2 = f"lot/{LOT}", f"lot/{HARVEST}", "lot/KW26-SBD-C01", "lot/KW26-SBD-G2"
COOP, INSPECTOR = "org/coop-xiangxi", "org/samr-xiangxi"
LINKED_SEQ = 1  # the collection links to each harvest's Collected record, its seq 1
STALE_AT = 1_700_000_000  # 2023-11-14: long before any verifier runs
OTHER_ROOT = sha256(b"a chain-head map of other heads").digest()
V = Vector
INCOMPLETE = bad(7, "ChainIncomplete")


def _resigned(lines: Callable[[Kit], list[str]], **signing: Any) -> Callable[[Kit], Bundle]:
    """The base bundle with its checkpoint re-signed (same tree) with other extension lines."""
    def make(kit: Kit) -> Bundle:
        checkpoint = kit.checkpoint()
        note = sign_checkpoint(checkpoint.size, checkpoint.root_hash, lines=lines(kit),
                               **signing)
        return kit.changed(lambda b: b.update(checkpoint=note))
    return make


def _line(kit: Kit, name: str) -> str:
    return next(line for line in kit.checkpoint().extensions if line.split(" ")[0] == name)


def _heads(change: Callable[[Kit, list[dict[str, Any]]], None]) -> Callable[[Kit], Bundle]:
    def make(kit: Kit) -> Bundle:
        bundle = kit.base()
        change(kit, bundle["heads"])
        return bundle
    return make


def _proof(chain: str, change: Callable[[list[str]], list[str]]) -> Callable[[Kit], Bundle]:
    def make(kit: Kit) -> Bundle:
        bundle = kit.base()
        head = kit.head(bundle, chain)
        head["proof"] = change(head["proof"])
        return bundle
    return make


def _flip_second(proof: list[str]) -> list[str]:
    return [proof[0], b64(flip(unb64(proof[1]), 7)), *proof[2:]]


def _another_chains_proof(kit: Kit, heads: list[dict[str, Any]]) -> None:
    kit.head({"heads": heads}, G1)["proof"] = list(kit.head({"heads": heads}, C01)["proof"])


def _drop(chain: str) -> Callable[[Kit, list[dict[str, Any]]], None]:
    return lambda kit, heads: heads.remove(kit.head({"heads": heads}, chain))


def _extra(kit: Kit, heads: list[dict[str, Any]]) -> None:
    heads.append(kit.head(kit.scenario.bundle_of("KW26-SBD-G2"), G2))
    heads.sort(key=lambda head: head["chain"])


def _wrong_seq(kit: Kit, heads: list[dict[str, Any]]) -> None:
    kit.head({"heads": heads}, G1)["seq"] -= 1


def _version_1(kit: Kit) -> Bundle:
    bundle = kit.base()
    bundle["version"] = 1
    del bundle["heads"]
    return bundle


def _recalled(kit: Kit) -> Bundle:
    return kit.scenario.bundle_of("OR26-MY-A")


def _cuts(kit_seqs: list[int], chain: str, label: str, what: str,
          fails: Callable[[int], tuple[int, int, str]]) -> list[Vector]:
    return [V(f"{label}-cut-after-seq-{last}",
              f"{what} cut short after its record {last}, the heads entry claiming that record "
              "is the head (with the real head's proof)", fails(last),
              lambda kit, last=last: kit.cut(chain, last))
            for last in kit_seqs[:-1]]


# The records of each chain in the scenario's bundle (see scenario.py): the lot's ten steps,
# from grading to the inspection on arrival; the harvest's harvest, collection, hold, release.
LOT_SEQS = list(range(10))
HARVEST_SEQS = list(range(4))

COMPLETENESS_VECTORS = [
    # -- valid ------------------------------------------------------------------------------
    V("valid-version-1", "the same bundle in format version 1, without heads: it verifies, "
      "with the warning that its completeness is not proven", (0, None, None), _version_1,
      version=1),
    V("valid-version-1-checkpoint-without-lines", "a version 1 bundle against a checkpoint "
      "with no extension lines, as a log signed before it kept the chain-head map",
      (0, None, None), lambda kit: kit.forged(version=1), version=1),
    V("valid-recalled-lot", "the packed oranges, recalled through the harvest they were graded "
      "from after a failed residue test: genuine, complete records that say the lot is "
      "recalled", (0, None, None), _recalled),
    V("valid-stale-checkpoint", "a complete bundle whose checkpoint was signed and cosigned in "
      "2023: valid, but too old for --max-age 1h", (0, None, None),
      _resigned(lambda kit: [_line(kit, HEADS_LINE), f"{TIME_LINE} {STALE_AT}"],
                cosigned_at=STALE_AT), stale_since=STALE_AT),
    # -- step 7: chains cut short -----------------------------------------------------------
    *_cuts(LOT_SEQS, G1, "lot-chain", "the lot's own chain", lambda last: INCOMPLETE),
    *_cuts(HARVEST_SEQS, H02, "ancestor-chain", "a household's harvest the lot comes from",
           lambda last: bad(5, "LinkBroken") if last < LINKED_SEQ else INCOMPLETE),
    V("organisation-chain-cut", "the cooperative's chain without its last record (a GS1 "
      "prefix registration no signature needs)", INCOMPLETE, lambda kit: kit.cut(COOP, 0)),
    V("lot-chain-cut-heads-entry-names-the-head", "the lot's inspection on arrival left out, "
      "its heads entry still naming it as the head", INCOMPLETE,
      lambda kit: kit.cut(G1, LOT_SEQS[-2], claim="head")),
    # -- step 7: head proofs and entries ----------------------------------------------------
    V("head-proof-altered", "one bit of a hash in the lot's head proof flipped", INCOMPLETE,
      _proof(G1, _flip_second)),
    V("head-proof-truncated", "the lot's head proof without its lowest sibling", INCOMPLETE,
      _proof(G1, lambda proof: proof[1:])),
    V("head-proof-extended", "the lot's head proof with one hash too many at the top",
      INCOMPLETE, _proof(G1, lambda proof: [*proof, proof[-1]])),
    V("head-proof-padded-with-empty", "the lot's head proof with an empty sibling added below "
      "its lowest: not the one canonical proof", INCOMPLETE,
      _proof(G1, lambda proof: [b64(bytes(32)), *proof])),
    V("head-of-another-chain", "the lot's heads entry carrying the proof of its parent "
      "collection's head", INCOMPLETE, _heads(_another_chains_proof)),
    V("heads-entry-wrong-seq", "the lot's heads entry naming the record before its last",
      INCOMPLETE, _heads(_wrong_seq)),
    V("heads-entry-missing", "no heads entry for the lot's chain", INCOMPLETE,
      _heads(_drop(G1))),
    V("heads-entry-missing-for-an-organisation", "no heads entry for the inspector's chain",
      INCOMPLETE, _heads(_drop(INSPECTOR))),
    V("heads-entry-extra", "a heads entry (with its real proof) for a sibling lot the bundle "
      "holds no record of", INCOMPLETE, _heads(_extra)),
    # -- step 7: the checkpoint's heads line (re-signed by a forger with the log key) --------
    V("heads-root-altered", "the checkpoint re-signed with another chain-head map root: no "
      "head proof gives it", INCOMPLETE,
      _resigned(lambda kit: [f"{HEADS_LINE} {b64(OTHER_ROOT)}", _line(kit, TIME_LINE)])),
    V("heads-line-missing", "the checkpoint re-signed without its agritrace/heads line",
      bad(7, "NoteInvalid"), _resigned(lambda kit: [_line(kit, TIME_LINE)])),
    V("heads-line-twice", "the checkpoint re-signed with a second agritrace/heads line",
      bad(7, "NoteInvalid"), _resigned(lambda kit: [
          _line(kit, HEADS_LINE), f"{HEADS_LINE} {b64(OTHER_ROOT)}", _line(kit, TIME_LINE)])),
    V("heads-line-not-a-hash", "the checkpoint re-signed with an agritrace/heads line that is "
      "not base64 of 32 bytes", bad(7, "NoteInvalid"),
      _resigned(lambda kit: [f"{HEADS_LINE} {b64(bytes(31))}", _line(kit, TIME_LINE)])),
    V("time-line-twice", "the checkpoint re-signed with a second agritrace/time line",
      bad(7, "NoteInvalid"), _resigned(lambda kit: [
          _line(kit, HEADS_LINE), _line(kit, TIME_LINE), f"{TIME_LINE} {STALE_AT}"])),
    V("time-line-not-decimal", "the checkpoint re-signed with an agritrace/time of 01700000000",
      bad(7, "NoteInvalid"),
      _resigned(lambda kit: [_line(kit, HEADS_LINE), f"{TIME_LINE} 0{STALE_AT}"])),
]
