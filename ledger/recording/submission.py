"""Client-signed records: the server checks them and stores exactly the submitted bytes.

An organisation that keeps its own key signs records itself. The server does not trust
their content: it re-derives every record from the submission's commands through the same
use cases that build server-signed records (same validation, rules, splits and cascades),
with the client's key id and recording time, and requires the derived bytes to equal the
submitted bytes one for one. Only then are the client's signatures checked and attached.

A record that continues a lot's chain from a place another writer has since extended is a
``ChainConflict`` naming the chain's current head (the server cannot rebuild what the client
signed), and a submitter acting for one organisation submits only its records.

A phone that records offline signs at once, with its own clock as the recording time, and
submits when it is back online: a submission's ``recorded`` may lie up to ``OFFLINE_HORIZON``
in the past, never more than ``CLOCK_SKEW`` ahead of the server. The log, not ``recorded``,
orders records; the domain rules check each record's times against its own ``recorded``.

A submission is the full set of records a step makes: a grading is the graded lot's record
followed by each grade lot's first record; a collection is each input lot's record followed
by the collected lot's first record; a recall is the order and its cascade.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.domain.lot import CLOCK_SKEW, Lot
from ledger.errors import ChainConflict, InvalidInput, NotFound, NotPermitted
from verify.errors import BadSignature, VerificationError
from verify.keys import decode_public_key, verify_record_signature
from verify.records import Record

__all__ = ["OFFLINE_HORIZON", "ClientSignatures", "Command", "commands_of", "parse_submission",
           "readable", "require_fresh_heads", "require_same", "require_submitter",
           "verify_signatures"]

# How long a record signed offline may wait on the phone before it is submitted.
OFFLINE_HORIZON = timedelta(days=30)


@dataclass(frozen=True)
class Command:
    """A use case to replay: who, which step, on which lot, with what data and time."""

    index: int
    org: str
    key: str
    step: str
    lot: str | None
    data: dict[str, Any]
    time: str


class ClientSignatures:
    """Signs a derived record with the signature the client submitted for the same bytes."""

    def __init__(self, signatures: Mapping[bytes, bytes]) -> None:
        self._signatures = signatures

    def sign_record(self, record: Record) -> bytes:
        return self._signatures[record.hash]


def parse_submission(entries: Sequence[tuple[bytes, bytes]]) -> list[Record]:
    """Parse submitted record bytes; all share one recording time close to the server's."""
    if not entries:
        raise InvalidInput("submit at least one signed record", field="records")
    records: list[Record] = []
    for i, (raw, signature) in enumerate(entries):
        try:
            record = Record.from_bytes(raw)
        except VerificationError as error:
            raise InvalidInput(error.reason, field=f"records[{i}].record") from error
        if len(signature) != 64:
            raise InvalidInput("must be a 64-byte Ed25519 signature",
                               field=f"records[{i}].signature")
        if record.chain_kind != "lot":
            raise InvalidInput("only lot records may be submitted signed; keys are managed "
                               "through the organisation endpoints", field=f"records[{i}].chain")
        if records and record.recorded != records[0].recorded:
            raise InvalidInput("all records of one submission carry the same recorded time",
                               field=f"records[{i}].recorded")
        records.append(record)
    recorded = datetime.fromisoformat(records[0].recorded)
    moment = datetime.now(UTC)
    if recorded > moment + CLOCK_SKEW:
        raise InvalidInput("must not be more than five minutes ahead of the server's clock",
                           field="records[0].recorded")
    if recorded < moment - OFFLINE_HORIZON:
        raise InvalidInput(f"was signed more than {OFFLINE_HORIZON.days} days ago; records "
                           "kept offline that long are not accepted", field="records[0].recorded")
    return records


def readable(entries: Sequence[tuple[bytes, bytes]]) -> list[Record]:
    """The submitted records, as far as they parse (``parse_submission`` names the first
    that does not)."""
    records = []
    for raw, _ in entries:
        try:
            records.append(Record.from_bytes(raw))
        except VerificationError:
            break
    return records


def require_submitter(records: Sequence[Record], org: str) -> None:
    """``NotPermitted`` unless every record is ``org``'s own: a submitter acts for one
    organisation."""
    for i, record in enumerate(records):
        if record.org != org:
            raise NotPermitted(f"is a record of {record.org}; this token acts for {org}",
                               field=f"records[{i}].org")


def require_fresh_heads(records: Sequence[Record], load_lot: Callable[[str], Lot]) -> None:
    """``ChainConflict`` (with the current head) when a submitted record continues a lot's
    chain from a place another writer has since extended: the client must rebuild it on the
    head and sign again. Other mismatches are left to ``require_same``, which names the
    field."""
    seen: set[str] = set()
    for record in records:
        if record.chain in seen or record.chain_kind != "lot" or record.seq == 0:
            seen.add(record.chain)
            continue
        seen.add(record.chain)
        try:
            lot = load_lot(record.subject)
        except NotFound:
            continue  # the ledger names the entry
        if record.seq < lot.length:
            raise ChainConflict(
                f"{record.chain} has {lot.length} records now, so record {record.seq} cannot "
                "be appended; rebuild it on the current head and sign again",
                chain=record.chain, head=lot.head.hex())


def commands_of(records: Sequence[Record]) -> list[Command]:
    """The use cases whose records the submission holds; their follow-on records (other
    sides of a split or merge, a recall's cascade) are derived, not commanded."""
    commands = []
    for i, record in enumerate(records):
        data: dict[str, Any] = dict(record.data)
        lot: str | None = record.subject
        if record.type == "Collected":
            if record.seq != 0:
                continue  # an input lot's share: derived from the collected lot's record
            data = {"into": record.subject, "collection_point": data.get("collection_point"),
                    "purchases": data.get("purchases")}
            lot = None
        elif record.type == "Graded" and record.seq == 0:
            continue  # a grade lot: derived from the graded lot's record
        elif record.type == "Recalled" and "because_of" in data:
            continue  # a cascaded recall: derived from the order
        commands.append(Command(i, record.org, record.key, record.type, lot, data, record.time))
    return commands


def require_same(submitted: Sequence[Record], derived: Sequence[Record]) -> None:
    """The derived records must be the submitted ones, byte for byte and in order."""
    for i, (mine, theirs) in enumerate(zip(derived, submitted, strict=False)):
        if mine.raw != theirs.raw:
            path, reason = _first_difference(_as_json(theirs), _as_json(mine))
            raise InvalidInput(reason, field=f"records[{i}].{path}")
    if len(derived) != len(submitted):
        missing = derived[len(submitted):]
        if missing:
            raise InvalidInput(f"the step also makes {missing[0].chain}#{missing[0].seq} "
                               f"({missing[0].type}); submit it too", field="records")
        raise InvalidInput("is not made by any submitted step", field=f"records[{len(derived)}]")


def verify_signatures(records: Sequence[Record], signatures: Sequence[bytes],
                      keys: Mapping[str, Mapping[str, str]]) -> None:
    """Each signature by the record's key; ``keys`` maps org → active key id → base64."""
    for i, (record, signature) in enumerate(zip(records, signatures, strict=True)):
        public = Ed25519PublicKey.from_public_bytes(
            decode_public_key(keys[record.org][record.key]))
        try:
            verify_record_signature(public, record, signature)
        except BadSignature as error:
            raise InvalidInput(f"does not verify with key {record.key} of {record.org}",
                               field=f"records[{i}].signature") from error


def _as_json(record: Record) -> dict[str, Any]:
    return {"v": 1, "chain": record.chain, "seq": record.seq, "prev": record.prev.hex(),
            "links": [link.hex() for link in record.links], "type": record.type,
            "data": record.data, "org": record.org, "key": record.key, "time": record.time,
            "recorded": record.recorded}


def _first_difference(theirs: Any, mine: Any, path: str = "") -> tuple[str, str]:
    if isinstance(theirs, dict) and isinstance(mine, dict):
        for key in sorted(set(theirs) | set(mine)):
            if theirs.get(key) != mine.get(key):
                return _first_difference(theirs.get(key), mine.get(key),
                                         f"{path}.{key}" if path else key)
    if isinstance(mine, dict) and set(mine) == {"commitment"} and not isinstance(theirs, dict):
        return path, 'private data must be sent as a commitment {"commitment": hex}'
    return path or "record", (f"is {theirs!r}; the ledger derives {mine!r} (canonical values, "
                              "this chain's head and the step's rules)")
