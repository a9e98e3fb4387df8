"""Records: the signed, hash-chained unit of the ledger (DESIGN §4 items 1-3).

A record is a JSON object in RFC 8785 canonical form::

    {"v": 1, "chain": "lot/KIWI-2026-0001", "seq": 3, "prev": <hex>, "links": [<hex>...],
     "type": "PreCooled", "data": {...}, "org": "coop-xixiang", "key": <key id>,
     "time": "2026-09-12T08:00:00Z", "recorded": "2026-09-12T08:01:02.123Z"}

``chain`` is ``lot/<lot code>`` or ``org/<organisation id>``. ``seq`` counts from 0 in its
chain; ``prev`` is the previous record's hash (32 zero bytes for seq 0); ``links`` are hashes
of parent records in other chains (splits, merges, cascaded recalls). The record hash is
SHA-256 of the bytes; the signature is Ed25519 over ``SIGNING_CONTEXT || record hash``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from verify.canonical import parse_canonical
from verify.errors import MalformedInput

__all__ = [
    "MAX_RECORD_BYTES",
    "RECORD_VERSION",
    "SIGNING_CONTEXT",
    "ZERO_HASH",
    "Record",
    "record_hash",
    "signing_message",
]

RECORD_VERSION = 1
ZERO_HASH = bytes(32)
SIGNING_CONTEXT = b"agritrace/record/v1\n"
# A C2SP tlog-tiles entry holds at most 65,535 bytes; every record must fit one.
MAX_RECORD_BYTES = 65535

_FIELDS = frozenset(
    {"v", "chain", "seq", "prev", "links", "type", "data", "org", "key", "time", "recorded"}
)
_HASH_HEX = re.compile(r"[0-9a-f]{64}")
_CHAIN = re.compile(r"(lot|org)/[A-Za-z0-9._-]{1,40}")
_TYPE = re.compile(r"[A-Z][A-Za-z]{1,39}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z")


def record_hash(raw: bytes) -> bytes:
    """SHA-256 of the record's canonical bytes."""
    return hashlib.sha256(raw).digest()


def signing_message(digest: bytes) -> bytes:
    """The message an organisation signs for a record: domain-separated record hash."""
    return SIGNING_CONTEXT + digest


@dataclass(frozen=True, slots=True)
class Record:
    """A parsed, shape-checked record. Build it with ``Record.from_bytes``."""

    raw: bytes
    hash: bytes
    chain: str
    seq: int
    prev: bytes
    links: tuple[bytes, ...]
    type: str
    data: dict[str, Any]
    org: str
    key: str
    time: str
    recorded: str

    @property
    def hash_hex(self) -> str:
        return self.hash.hex()

    @property
    def chain_kind(self) -> str:
        return self.chain.split("/", 1)[0]

    @property
    def subject(self) -> str:
        """The lot code or organisation id the chain belongs to."""
        return self.chain.split("/", 1)[1]

    @classmethod
    def from_bytes(cls, raw: bytes) -> Record:
        """Parse canonical record bytes; raises ``MalformedInput`` or ``NotCanonical``."""
        if len(raw) > MAX_RECORD_BYTES:
            raise MalformedInput(f"record is {len(raw)} bytes, over {MAX_RECORD_BYTES}")
        value = parse_canonical(raw)
        digest = record_hash(raw)
        if type(value) is not dict:
            raise MalformedInput("record is not a JSON object", record=digest.hex())
        return cls(raw=raw, hash=digest, **_fields_of(value, digest.hex()))


def _fields_of(value: dict[str, Any], where: str) -> dict[str, Any]:
    if set(value) != _FIELDS:
        missing = sorted(_FIELDS - set(value))
        extra = sorted(set(value) - _FIELDS)
        raise MalformedInput(f"record fields wrong: missing {missing}, unexpected {extra}",
                             record=where)
    if value["v"] != RECORD_VERSION:
        raise MalformedInput(f"unknown record version {value['v']!r}", record=where)
    seq = value["seq"]
    if type(seq) is not int or seq < 0:
        raise MalformedInput("seq must be a non-negative integer", record=where)
    links = value["links"]
    if type(links) is not list:
        raise MalformedInput("links must be a list of hashes", record=where)
    for name, pattern in (("chain", _CHAIN), ("type", _TYPE), ("time", _TIME),
                          ("recorded", _TIME)):
        if type(value[name]) is not str or not pattern.fullmatch(value[name]):
            raise MalformedInput(f"{name} is malformed: {value[name]!r}", record=where)
    for name in ("org", "key"):
        if type(value[name]) is not str or not value[name]:
            raise MalformedInput(f"{name} must be a non-empty string", record=where)
    if type(value["data"]) is not dict:
        raise MalformedInput("data must be an object", record=where)
    return {
        "chain": value["chain"],
        "seq": seq,
        "prev": _hash_field(value["prev"], "prev", where),
        "links": tuple(_hash_field(link, "links", where) for link in links),
        "type": value["type"],
        "data": value["data"],
        "org": value["org"],
        "key": value["key"],
        "time": value["time"],
        "recorded": value["recorded"],
    }


def _hash_field(text: Any, name: str, where: str) -> bytes:
    if type(text) is not str or not _HASH_HEX.fullmatch(text):
        raise MalformedInput(f"{name} must be 64 lowercase hex digits", record=where)
    return bytes.fromhex(text)
