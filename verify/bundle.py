"""Proof bundles, format v1: one lot's records and everything needed to check them offline.

A bundle (docs/bundle.md, schema ``verify/bundle.schema.json``) holds a lot's chain, every
ancestor record reachable through ``links`` with the chains leading up to it, the key-history
chains of the organisations that signed them (up to their last signature in the bundle), one
RFC 9162 inclusion proof per record against one C2SP checkpoint, and that checkpoint as a
signed note with any cosignatures.

``Bundle.from_json`` parses it once, at the edge: anything unreadable, over a limit or
duplicated raises ``MalformedInput``. ``verify_bundle`` then checks it in numbered steps:

1. the checkpoint is signed by a pinned log key named after its origin;
2. the cosignatures meet the witness policy (``verify.policy``);
3. for each record in leaf order: its leaf hash and inclusion proof give the checkpoint's
   root, and its bytes are a canonical record;
4. each record is signed by a key registered for its organisation, and not revoked, at the
   record's position in the log;
5. every chain is complete from its first record, every link points at an earlier record in
   the bundle, the lot's chain is present and every other lot is an ancestor of it;
6. optionally, the checkpoint is consistent with one the verifier saw before.

Steps 4 and 5 are one replay in log order (``verify.chain.ChainVerifier``), so the first bad
record in log order is named, whichever of the two it fails. Every failure is a
``VerificationError`` whose ``step`` is the step's number and ``record`` the record's hash.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from verify.canonical import MAX_SAFE_INTEGER
from verify.chain import ChainVerifier
from verify.checkpoints import Checkpoint
from verify.encoding import decode_base64, encode_base64
from verify.errors import ChainBroken, LinkBroken, MalformedInput, VerificationError
from verify.merkle import leaf_hash
from verify.notes import Note, Verifier
from verify.policy import (
    InclusionChecker,
    SeenCheckpoint,
    check_policy,
    decode_hashes,
    parse_checkpoint,
    parse_consistency,
    verify_consistency_with,
    verify_log_signature,
    verify_witnesses,
)
from verify.records import MAX_RECORD_BYTES, Record, record_hash

__all__ = ["FORMAT", "MAX_BUNDLE_BYTES", "MAX_RECORDS", "VERSION", "Bundle", "BundleRecord",
           "BundleResult", "SeenCheckpoint", "verify_bundle"]

T = TypeVar("T")

FORMAT = "agritrace-bundle"
VERSION = 1
MAX_BUNDLE_BYTES = 32 * 1024 * 1024
MAX_RECORDS = 10_000
MAX_CONSISTENCY = 8
_FIELDS = frozenset({"format", "version", "lot", "checkpoint", "records"})
_RECORD_FIELDS = frozenset({"index", "record", "signature", "proof"})
_LOT = re.compile(r"[A-Za-z0-9._-]{1,40}")


@dataclass(frozen=True, slots=True)
class BundleRecord:
    """One record: leaf index, exact canonical bytes, signature, inclusion proof hashes."""

    index: int
    raw: bytes
    signature: bytes
    proof: tuple[bytes, ...]

    def to_json_value(self) -> dict[str, Any]:
        return {"index": self.index, "record": encode_base64(self.raw),
                "signature": encode_base64(self.signature),
                "proof": [encode_base64(h) for h in self.proof]}


@dataclass(frozen=True)
class Bundle:
    """A bundle: parsed and shape-checked (``from_json``) or built by a log (``of``); nothing
    in it is verified yet. ``to_json`` writes it in the one format ``from_json`` reads."""

    lot: str
    note: Note
    checkpoint: Checkpoint
    records: tuple[BundleRecord, ...]
    consistency: tuple[tuple[int, tuple[bytes, ...]], ...] = ()

    def consistency_from(self, size: int) -> tuple[bytes, ...] | None:
        """The bundle's consistency proof from tree ``size`` to its checkpoint, if any."""
        return next((proof for old, proof in self.consistency if old == size), None)

    @classmethod
    def of(cls, lot: str, checkpoint: str, records: Iterable[BundleRecord],
           consistency: Iterable[tuple[int, Sequence[bytes]]] = ()) -> Bundle:
        """A bundle from a log's parts: ``checkpoint`` is the signed checkpoint note as the log
        serves it, ``consistency`` the proofs to it from earlier tree sizes. Raises
        ``MalformedInput`` when ``checkpoint`` is not one a verifier could read."""
        note, parsed = parse_checkpoint(checkpoint)
        return cls(lot, note, parsed, tuple(records),
                   tuple((size, tuple(proof)) for size, proof in consistency))

    def to_json(self) -> bytes:
        """The bundle document (docs/bundle.md): compact UTF-8 JSON, fields in the documented
        order, ``consistency`` only when there is one, ending in a newline."""
        value: dict[str, Any] = {
            "format": FORMAT, "version": VERSION, "lot": self.lot,
            "checkpoint": self.note.to_text(),
            "records": [record.to_json_value() for record in self.records],
        }
        if self.consistency:
            value["consistency"] = [{"from": size, "proof": [encode_base64(h) for h in proof]}
                                    for size, proof in self.consistency]
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"

    @classmethod
    def from_json(cls, raw: bytes | str) -> Bundle:
        """Parse bundle JSON; raises ``MalformedInput`` naming the bad part."""
        value = _load(raw)
        note, checkpoint = parse_checkpoint(value["checkpoint"])
        entries = _list(value["records"], "records", MAX_RECORDS)
        if not entries:
            raise MalformedInput("records is empty")
        known: dict[str, bytes] = {}
        records = tuple(_record(entry, f"records[{i}]", known) for i, entry in enumerate(entries))
        seen: set[bytes] = set()
        for item in records:
            if item.raw in seen:
                digest = record_hash(item.raw).hex()
                raise MalformedInput(f"record {digest[:16]}… appears twice", record=digest)
            seen.add(item.raw)
        return cls(value["lot"], note, checkpoint, records,
                   parse_consistency(value.get("consistency", []), MAX_CONSISTENCY))


def _reject(text: str) -> Any:
    raise MalformedInput(f"number or constant {text} is not allowed; use integers")


def _integer(text: str) -> int:
    number = int(text)
    if not -MAX_SAFE_INTEGER <= number <= MAX_SAFE_INTEGER:
        raise MalformedInput(f"integer {text[:20]} is too large")
    return number


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, item in pairs:
        if key in found:
            raise MalformedInput(f"key {key[:40]!r} appears twice in one object")
        found[key] = item
    return found


_decoder = json.JSONDecoder(object_pairs_hook=_unique, parse_float=_reject,
                            parse_int=_integer, parse_constant=_reject)


def _load(raw: bytes | str) -> dict[str, Any]:
    if len(raw) > MAX_BUNDLE_BYTES:
        raise MalformedInput(f"bundle is over {MAX_BUNDLE_BYTES} bytes")
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = _decoder.decode(text)
    except (ValueError, RecursionError) as error:
        raise MalformedInput(f"bundle is not valid UTF-8 JSON: {error}") from error
    if type(value) is not dict:
        raise MalformedInput("bundle is not a JSON object")
    version = value.get("version")
    if value.get("format") != FORMAT or type(version) is not int or version != VERSION:
        found = repr((value.get("format"), version))[:80]
        raise MalformedInput(f"not an {FORMAT} bundle of version {VERSION}: {found}")
    missing, extra = sorted(_FIELDS - set(value)), sorted(set(value) - _FIELDS - {"consistency"})
    if missing or extra:
        raise MalformedInput(f"bundle fields wrong: missing {missing}, unexpected {extra}")
    if type(value["lot"]) is not str or not _LOT.fullmatch(value["lot"]):
        raise MalformedInput("lot must be a lot code of 1-40 letters, digits, '.', '_', '-'")
    return value


def _list(value: Any, what: str, limit: int) -> list[Any]:
    if type(value) is not list:
        raise MalformedInput(f"{what} must be a list")
    if len(value) > limit:
        raise MalformedInput(f"{what} has {len(value)} entries, over {limit}")
    return value


def _integer_field(value: Any, what: str, low: int) -> int:
    if type(value) is not int or value < low:
        raise MalformedInput(f"{what} must be an integer of {low} or more")
    return value


def _record(value: Any, where: str, known: dict[str, bytes]) -> BundleRecord:
    if type(value) is not dict or set(value) != _RECORD_FIELDS:
        raise MalformedInput(f"{where} must be an object of index, record, signature, proof")
    raw = decode_base64(value["record"], f"{where}.record", MAX_RECORD_BYTES)
    signature = decode_base64(value["signature"], f"{where}.signature", 64)
    if not raw or len(signature) != 64:
        raise MalformedInput(f"{where} needs record bytes and a 64-byte signature")
    return BundleRecord(_integer_field(value["index"], f"{where}.index", 0), raw, signature,
                        decode_hashes(value["proof"], f"{where}.proof", known))


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

    def to_json(self) -> dict[str, Any]:
        return {"valid": True, "lot": self.lot, "records": self.records,
                "lots": list(self.lots), "organisations": list(self.organisations),
                "checkpoint": {"origin": self.origin, "size": self.checkpoint_size,
                               "root_hash": self.root_hash.hex()},
                "witnesses": list(self.witnesses), "consistent_with": self.consistent_with}


def verify_bundle(bundle: Bundle, log_keys: Sequence[Verifier], *,
                  witnesses: Sequence[Verifier] = (), min_witnesses: int = 0,
                  since: SeenCheckpoint | None = None) -> BundleResult:
    """Check ``bundle`` in steps 1-6 (module docstring); raises a ``VerificationError``
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
    lots = sorted(chain[4:] for chain in heads if chain.startswith("lot/"))
    orgs = sorted(chain[4:] for chain in heads if chain.startswith("org/"))
    return BundleResult(bundle.lot, len(records), tuple(lots), tuple(orgs), checkpoint.origin,
                        checkpoint.size, checkpoint.root_hash, cosigned, seen)


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
