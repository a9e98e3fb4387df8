"""Proof bundles, formats v1 and v2: one lot's records and everything needed to check them.

A bundle (docs/bundle.md, schema ``verify/bundle.schema.json``) holds a lot's chain, its
ancestors' chains reachable through ``links``, the key-history chains of the organisations
that signed them, one RFC 9162 inclusion proof per record against one C2SP checkpoint, and
that checkpoint as a signed note with any cosignatures. Version 2 carries every chain whole,
up to its head at the checkpoint, and ``heads``: per chain, the proof that its last record is
the chain's head in the checkpoint's chain-head map (``verify.headmap``). Version 1 has no
``heads`` (and may stop an organisation's chain at its last signature); it still parses.

``Bundle`` is the one model of the format, for both sides: a verifier parses a document once,
at the edge, with ``Bundle.from_json`` (anything unreadable, over a limit or duplicated
raises ``MalformedInput``); a log builds one with ``Bundle.of`` and writes it with
``Bundle.to_json``. Nothing in a ``Bundle`` is verified: ``verify.verification.verify_bundle``
checks it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from verify.canonical import MAX_SAFE_INTEGER
from verify.checkpoints import Checkpoint
from verify.encoding import decode_base64, encode_base64
from verify.errors import MalformedInput
from verify.headmap import MAX_PROOF_DEPTH
from verify.notes import Note
from verify.policy import decode_hashes, parse_checkpoint, parse_consistency
from verify.records import MAX_RECORD_BYTES, record_hash

__all__ = ["FORMAT", "MAX_BUNDLE_BYTES", "MAX_RECORDS", "VERSION", "VERSIONS", "Bundle",
           "BundleHead", "BundleRecord"]

FORMAT = "agritrace-bundle"
VERSION = 2  # what builders write
VERSIONS = (1, 2)  # what verifiers read
MAX_BUNDLE_BYTES = 32 * 1024 * 1024
MAX_RECORDS = 10_000
MAX_CONSISTENCY = 8
_FIELDS = {1: frozenset({"format", "version", "lot", "checkpoint", "records"}),
           2: frozenset({"format", "version", "lot", "checkpoint", "records", "heads"})}
_RECORD_FIELDS = frozenset({"index", "record", "signature", "proof"})
_HEAD_FIELDS = frozenset({"chain", "seq", "proof"})
_LOT = re.compile(r"[A-Za-z0-9._-]{1,40}")
_CHAIN = re.compile(r"(lot|org)/[A-Za-z0-9._-]{1,40}")


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


@dataclass(frozen=True, slots=True)
class BundleHead:
    """Version 2: the proof that ``chain``'s record at ``seq`` is its head in the
    checkpoint's chain-head map (siblings, lowest first: ``verify.headmap``)."""

    chain: str
    seq: int
    proof: tuple[bytes, ...]

    def to_json_value(self) -> dict[str, Any]:
        return {"chain": self.chain, "seq": self.seq,
                "proof": [encode_base64(h) for h in self.proof]}


@dataclass(frozen=True)
class Bundle:
    """A bundle: parsed and shape-checked (``from_json``) or built by a log (``of``); nothing
    in it is verified yet. ``to_json`` writes it in the one format ``from_json`` reads.
    ``heads`` is None in a version 1 bundle, and a tuple sorted by chain in version 2."""

    lot: str
    note: Note
    checkpoint: Checkpoint
    records: tuple[BundleRecord, ...]
    consistency: tuple[tuple[int, tuple[bytes, ...]], ...] = ()
    heads: tuple[BundleHead, ...] | None = None

    @property
    def version(self) -> int:
        return 1 if self.heads is None else 2

    def consistency_from(self, size: int) -> tuple[bytes, ...] | None:
        """The bundle's consistency proof from tree ``size`` to its checkpoint, if any."""
        return next((proof for old, proof in self.consistency if old == size), None)

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
        heads = None
        if value["version"] == 2:
            heads = _heads(_list(value["heads"], "heads", MAX_RECORDS))
        return cls(value["lot"], note, checkpoint, records,
                   parse_consistency(value.get("consistency", []), MAX_CONSISTENCY), heads)

    @classmethod
    def of(cls, lot: str, checkpoint: str, records: Iterable[BundleRecord],
           consistency: Iterable[tuple[int, Sequence[bytes]]] = (),
           heads: Iterable[BundleHead] | None = None) -> Bundle:
        """A bundle from a log's parts: ``checkpoint`` is the signed checkpoint note as the log
        serves it, ``consistency`` the proofs to it from earlier tree sizes, ``heads`` the
        head proofs of a version 2 bundle (None: version 1), written sorted by chain. Raises
        ``MalformedInput`` when ``checkpoint`` is not one a verifier could read."""
        note, parsed = parse_checkpoint(checkpoint)
        ordered = None if heads is None else tuple(sorted(heads, key=lambda h: h.chain))
        return cls(lot, note, parsed, tuple(records),
                   tuple((size, tuple(proof)) for size, proof in consistency), ordered)

    def to_json(self) -> bytes:
        """The bundle document (docs/bundle.md): compact UTF-8 JSON, fields in the documented
        order, ``heads`` in version 2, ``consistency`` only when there is one, ending in a
        newline."""
        value: dict[str, Any] = {
            "format": FORMAT, "version": self.version, "lot": self.lot,
            "checkpoint": self.note.to_text(),
            "records": [record.to_json_value() for record in self.records],
        }
        if self.heads is not None:
            value["heads"] = [head.to_json_value() for head in self.heads]
        if self.consistency:
            value["consistency"] = [{"from": size, "proof": [encode_base64(h) for h in proof]}
                                    for size, proof in self.consistency]
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


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
    if value.get("format") != FORMAT or type(version) is not int or version not in VERSIONS:
        found = repr((value.get("format"), version))[:80]
        raise MalformedInput(f"not an {FORMAT} bundle of version 1 or 2: {found}")
    fields = _FIELDS[version]
    missing, extra = sorted(fields - set(value)), sorted(set(value) - fields - {"consistency"})
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


def _heads(entries: list[Any]) -> tuple[BundleHead, ...]:
    """Version 2's ``heads``: one entry per chain, strictly sorted by chain id."""
    known: dict[str, bytes] = {}
    heads: list[BundleHead] = []
    for i, entry in enumerate(entries):
        where = f"heads[{i}]"
        if type(entry) is not dict or set(entry) != _HEAD_FIELDS:
            raise MalformedInput(f"{where} must be an object of chain, seq, proof")
        chain = entry["chain"]
        if type(chain) is not str or not _CHAIN.fullmatch(chain):
            raise MalformedInput(f"{where}.chain must be lot/<code> or org/<id>")
        if heads and chain <= heads[-1].chain:
            what = "twice" if chain == heads[-1].chain else "out of order"
            raise MalformedInput(f"{where}: chain {chain} is listed {what}; heads are sorted "
                                 "by chain, one entry each")
        heads.append(BundleHead(chain, _integer_field(entry["seq"], f"{where}.seq", 0),
                                decode_hashes(entry["proof"], f"{where}.proof", known,
                                              MAX_PROOF_DEPTH)))
    return tuple(heads)
