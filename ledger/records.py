"""Building records: canonical bytes, hash, and the signature of a server-held key.

The builder produces bytes through ``verify.canonical`` and parses nothing back, so writing
costs one canonical encoding, one SHA-256 and one Ed25519 signature per record.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.domain.fields import format_time
from verify.canonical import canonical_bytes
from verify.records import RECORD_VERSION, Record, record_hash, signing_message

__all__ = ["build_record", "now", "sign"]


def now() -> str:
    """The current time as records write it (UTC, milliseconds)."""
    return format_time(datetime.now(UTC))


def build_record(*, chain: str, seq: int, prev: bytes, links: Sequence[bytes], step: str,
                 data: dict[str, Any], org: str, key: str, time: str,
                 recorded: str) -> Record:
    """A record from already validated parts; the data must hold no ``Secret``."""
    link_list = [link.hex() for link in links]
    raw = canonical_bytes({
        "v": RECORD_VERSION, "chain": chain, "seq": seq, "prev": prev.hex(),
        "links": link_list, "type": step, "data": data, "org": org, "key": key,
        "time": time, "recorded": recorded,
    })
    return Record(raw=raw, hash=record_hash(raw), chain=chain, seq=seq, prev=prev,
                  links=tuple(links), type=step, data=data, org=org, key=key, time=time,
                  recorded=recorded)


def sign(private_key: Ed25519PrivateKey, record: Record) -> bytes:
    return private_key.sign(signing_message(record.hash))
