"""Building records: canonical bytes and hash (signing is ``ledger.keys.signing``).

The builder produces bytes through ``verify.canonical`` and parses nothing back, so writing
costs one canonical encoding and one SHA-256 per record.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ledger.domain.fields import format_time
from ledger.errors import InvalidInput
from verify.canonical import canonical_bytes
from verify.records import MAX_RECORD_BYTES, RECORD_VERSION, Record, record_hash

__all__ = ["build_record", "now"]


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
    if len(raw) > MAX_RECORD_BYTES:
        raise InvalidInput(f"makes a record of {len(raw):,} bytes, over the {MAX_RECORD_BYTES:,} "
                           "a log entry holds; split long reading series across several records "
                           "or give min/max/mean", field="data")
    return Record(raw=raw, hash=record_hash(raw), chain=chain, seq=seq, prev=prev,
                  links=tuple(links), type=step, data=data, org=org, key=key, time=time,
                  recorded=recorded)
