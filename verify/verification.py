"""Verifying a proof bundle (``verify.bundle.Bundle``) offline, in numbered steps:

1. the checkpoint is signed by a pinned log key named after its origin;
2. the cosignatures meet the witness policy (``verify.policy``);
3. for each record in leaf order: its leaf hash and inclusion proof give the checkpoint's
   root, and its bytes are a canonical record;
4. each record is signed by a key registered for its organisation, and not revoked, at the
   record's position in the log;
5. every chain is complete from its first record, every link points at an earlier record in
   the bundle, the lot's chain is present and every other lot is an ancestor of it;
6. optionally, the checkpoint is consistent with one the verifier saw before;
7. completeness (version 2): every chain in the bundle ends at its head at the checkpoint —
   one ``heads`` entry per chain, naming the chain's last record in the bundle, whose proof
   in the chain-head map (``verify.headmap``) gives the root of the checkpoint's
   ``agritrace/heads`` line. A version 1 bundle skips it and carries a warning instead.

Once the records verify, the lot's state is derived from them (``verify.state``), as of the
checkpoint (``verify.freshness``): ``BundleResult.state``.

Steps 4 and 5 are one replay in log order (``verify.chain.ChainVerifier``), so the first bad
record in log order is named, whichever of the two it fails. Every failure is a
``VerificationError`` whose ``step`` is the step's number and ``record`` the record's hash.
Parsing (step 0) is ``Bundle.from_json``'s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from verify.bundle import Bundle, BundleRecord
from verify.chain import ChainVerifier
from verify.checkpoints import HEADS_LINE, heads_root, signed_time
from verify.errors import ChainBroken, ChainIncomplete, LinkBroken, NoteInvalid, VerificationError
from verify.freshness import AsOf, witness_times
from verify.headmap import verify_head_proof
from verify.merkle import leaf_hash
from verify.notes import Verifier
from verify.policy import (
    InclusionChecker,
    SeenCheckpoint,
    check_policy,
    verify_consistency_with,
    verify_log_signature,
    verify_witnesses,
)
from verify.records import Record, record_hash
from verify.state import derive_state

__all__ = ["V1_WARNING", "BundleResult", "verify_bundle"]

T = TypeVar("T")
V1_WARNING = "completeness not proven (bundle version 1) 未证明完整性"


@dataclass(frozen=True)
class BundleResult:
    """What a verified bundle established."""

    lot: str
    records: int
    lots: tuple[str, ...]
    organisations: tuple[str, ...]
    origin: str
    checkpoint_size: int
    root_hash: bytes
    witnesses: tuple[str, ...]
    consistent_with: int | None = None
    version: int = 2
    complete: bool = False  # step 7 proved every chain whole as of the checkpoint
    warnings: tuple[str, ...] = ()
    as_of: AsOf | None = None
    state: dict[str, Any] | None = None  # the lot's derived state, verify.state

    def to_json(self) -> dict[str, Any]:
        return {"valid": True, "lot": self.lot, "records": self.records,
                "lots": list(self.lots), "organisations": list(self.organisations),
                "checkpoint": {"origin": self.origin, "size": self.checkpoint_size,
                               "root_hash": self.root_hash.hex()},
                "witnesses": list(self.witnesses), "consistent_with": self.consistent_with,
                "version": self.version, "complete": self.complete,
                "warnings": list(self.warnings), "state": self.state}


def verify_bundle(bundle: Bundle, log_keys: Sequence[Verifier], *,
                  witnesses: Sequence[Verifier] = (), min_witnesses: int = 0,
                  since: SeenCheckpoint | None = None) -> BundleResult:
    """Check ``bundle`` in steps 1-7 (module docstring); raises a ``VerificationError``
    naming the step and the first bad record, or ``MalformedInput`` for an impossible policy.
    """
    check_policy(log_keys, witnesses, min_witnesses)
    note, checkpoint = bundle.note, bundle.checkpoint
    _at(1, lambda: verify_log_signature(note, checkpoint, log_keys))
    cosigned = _at(2, lambda: verify_witnesses(note, witnesses, min_witnesses))
    records = _at(3, lambda: _included(bundle))
    heads = _replay(records)
    _at(5, lambda: _check_lots(bundle.lot, records, heads))
    seen = None
    if since is not None:
        seen = _at(6, lambda: verify_consistency_with(since, checkpoint, log_keys,
                                                      bundle.consistency_from))
    warnings: tuple[str, ...] = (V1_WARNING,)
    if bundle.heads is not None:
        _at(7, lambda: _complete(bundle, records))
        warnings = ()
    lots = sorted(chain[4:] for chain in heads if chain.startswith("lot/"))
    orgs = sorted(chain[4:] for chain in heads if chain.startswith("org/"))
    complete = bundle.heads is not None
    as_of = _at(1, lambda: _as_of(bundle, witnesses, cosigned, complete=complete))
    return BundleResult(bundle.lot, len(records), tuple(lots), tuple(orgs), checkpoint.origin,
                        checkpoint.size, checkpoint.root_hash, cosigned, seen,
                        bundle.version, complete, warnings, as_of,
                        derive_state([record for record, _ in records], bundle.lot, as_of))


def _as_of(bundle: Bundle, witnesses: Sequence[Verifier], cosigned: Sequence[str], *,
           complete: bool) -> AsOf:
    """The checkpoint the state holds as of: its signed time, the cosignature times of the
    pinned witnesses that cosigned it, and whether the chains were proven complete."""
    checkpoint = bundle.checkpoint
    signed = [key for key in witnesses if key.name in cosigned]
    return AsOf(checkpoint.origin, checkpoint.size, signed_time(checkpoint),
                witness_times(bundle.note, signed), complete)


def _at(step: int, check: Callable[[], T]) -> T:
    """Run one step; its errors carry the step's number."""
    try:
        return check()
    except VerificationError as error:
        raise _with_step(error, step) from error


def _with_step(error: VerificationError, step: int) -> VerificationError:
    return type(error)(error.reason, record=error.record, step=str(step))


def _included(bundle: Bundle) -> list[tuple[Record, bytes]]:
    """Step 3: each record, in leaf order, is in the checkpoint's tree and parses."""
    checker = InclusionChecker(bundle.checkpoint.size, bundle.checkpoint.root_hash)
    parsed = []
    for item in sorted(bundle.records, key=lambda r: r.index):
        try:
            checker.verify(item.index, leaf_hash(item.raw), item.proof)
            record = Record.from_bytes(item.raw)
        except VerificationError as error:
            raise type(error)(f"{_label(item)}: {error.reason}",
                              record=record_hash(item.raw).hex()) from error
        parsed.append((record, item.signature))
    return parsed


def _label(item: BundleRecord) -> str:
    """``lot/X#3 (Stored) at leaf 57`` when the bytes say so, else ``leaf 57``."""
    try:
        value = Record.from_bytes(item.raw)
    except VerificationError:
        return f"leaf {item.index}"
    return f"{value.chain}#{value.seq} ({value.type}) at leaf {item.index}"


def _replay(records: Iterable[tuple[Record, bytes]]) -> set[str]:
    """Steps 4 and 5 in log order; returns the chains seen."""
    verifier = ChainVerifier()
    for record, signature in records:
        try:
            verifier.add(record, signature)
        except VerificationError as error:
            step = 5 if isinstance(error, (ChainBroken, LinkBroken)) else 4
            raise _with_step(error, step) from error
    return set(verifier.heads)


def _check_lots(lot: str, records: Sequence[tuple[Record, bytes]], heads: set[str]) -> None:
    """Step 5, whole bundle: the lot's chain is present and every other lot is an ancestor."""
    own = f"lot/{lot}"
    if own not in heads:
        raise ChainBroken(f"the bundle holds no record of lot {lot}")
    chain_of = {record.hash: record.chain for record, _ in records}
    links_of: dict[str, set[str]] = {}
    for record, _ in records:
        links_of.setdefault(record.chain, set()).update(chain_of[h] for h in record.links)
    reached, pending = {own}, [own]
    while pending:
        for parent in links_of.get(pending.pop(), ()):
            if parent not in reached:
                reached.add(parent)
                pending.append(parent)
    for record, _ in records:
        if record.chain_kind == "lot" and record.chain not in reached:
            raise LinkBroken(f"{record.chain}#{record.seq} ({record.type}): lot "
                             f"{record.subject} is not an ancestor of lot {lot}",
                             record=record.hash_hex)


def _complete(bundle: Bundle, records: Sequence[tuple[Record, bytes]]) -> None:
    """Step 7: each chain's last record in the bundle is its head in the checkpoint's map,
    and ``heads`` has one entry per chain, no more (chains in sorted order)."""
    checkpoint = bundle.checkpoint
    root = heads_root(checkpoint)
    if root is None:
        raise NoteInvalid(f"the checkpoint has no {HEADS_LINE} line: a version 2 bundle needs "
                          "the log's signed chain-head map root to show its chains whole")
    signed_time(checkpoint)  # at most one well-formed time line
    last: dict[str, Record] = {}
    for item, _ in records:  # in leaf order, each chain complete: the last is the highest
        last[item.chain] = item
    entries = {head.chain: head for head in bundle.heads or ()}
    at = f"checkpoint {checkpoint.size}"
    for chain in sorted(last.keys() | entries.keys()):
        record, head = last.get(chain), entries.get(chain)
        if record is None:
            seq = "?" if head is None else head.seq
            raise ChainIncomplete(f"heads lists chain {chain} (seq {seq}), but the bundle "
                                  "holds none of its records: it was left out")
        if head is None:
            raise ChainIncomplete(f"chain {chain} has no heads entry: nothing shows that its "
                                  f"last record in the bundle (seq {record.seq}) is its head at "
                                  f"{at}", record=record.hash_hex)
        if head.seq > record.seq:
            raise ChainIncomplete(f"chain {chain} is cut short: the bundle ends at seq "
                                  f"{record.seq}, its heads entry names seq {head.seq} as the "
                                  f"head at {at}", record=record.hash_hex)
        if head.seq < record.seq:
            raise ChainIncomplete(f"the heads entry of chain {chain} names seq {head.seq}, but "
                                  f"the bundle holds that chain up to seq {record.seq}",
                                  record=record.hash_hex)
        try:
            verify_head_proof(chain, record.seq, record.hash, head.proof, root)
        except VerificationError as error:
            raise ChainIncomplete(f"the bundle's last record of chain {chain} (seq "
                                  f"{record.seq}) is not that chain's head at {at}: "
                                  f"{error.reason}", record=record.hash_hex) from error
