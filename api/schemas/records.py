"""What recording answers, and the batch and client-signed request bodies (records as the
API shows them are the ledger's views: ``api.schemas.views``)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import LotCode, Timestamp
from api.schemas.proofs import InclusionProofPublic
from ledger.errors import InvalidInput
from ledger.persistence.idempotency import Recorded
from ledger.persistence.work import Receipt
from ledger.private.openings import Opening

__all__ = ["BatchIn", "EntryIn", "OpeningIn", "ReceiptPublic", "RecordedPublic", "SignedIn",
           "SignedRecordIn", "WarningPublic"]

STEP_NAMES = Literal["Harvested", "Collected", "Graded", "PreCooled", "Stored", "Packed",
                     "Shipped", "Received", "Inspected", "Certified", "Held", "Released",
                     "Recalled", "Corrected", "ReportIssued"]


class ReceiptPublic(BaseModel):
    """One record a request made."""

    hash: str = Field(description="The record's hash, hex.")
    chain: str
    seq: int
    type: str
    leaf_index: int | None = Field(default=None, description="Its leaf in the log; null until "
                                                             "integrated (ask with ?wait=true).")
    inclusion: InclusionProofPublic | None = Field(
        default=None, description="With ?wait=true: its inclusion proof against a signed "
                                  "checkpoint (null if the wait timed out).")

    @classmethod
    def of(cls, receipt: Receipt | Recorded) -> ReceiptPublic:
        return cls(hash=receipt.hash, chain=receipt.chain, seq=receipt.seq, type=receipt.type)


class WarningPublic(BaseModel):
    """A fact the records state that was accepted, with a warning: a temperature outside the
    storage's target range (``excursion``), a purchase below the protective price
    (``below-protective-price``)."""

    kind: str = Field(examples=["excursion"])
    record: str = Field(description="The record stating it (for a correction, the corrected "
                                    "record), hex.")
    message: str = Field(description="What, in Chinese and English.")


class RecordedPublic(BaseModel):
    """What a recording request made: the step's own record first named, then every record
    (a grading also starts each grade lot; a recall cascades to descendants)."""

    hash: str = Field(description="The hash of the step's record on the lot named.")
    leaf_index: int | None = Field(default=None, description="Its leaf index; null until "
                                                             "integrated.")
    records: list[ReceiptPublic]
    warnings: list[WarningPublic] = Field(
        default_factory=list, description="Facts accepted with a warning (the records are "
                                          "kept; the lot's view lists them for inspectors). "
                                          "A replayed answer (Idempotency-Key) has none.")

    @classmethod
    def of(cls, receipts: Sequence[Receipt | Recorded],
           chain: str | None = None) -> RecordedPublic:
        main = next((r for r in receipts if r.chain == chain), receipts[0])
        warnings = [WarningPublic(kind=notice.kind, record=notice.record,
                                  message=notice.message)
                    for receipt in receipts if isinstance(receipt, Receipt)
                    for notice in receipt.warnings]
        return cls(hash=main.hash, records=[ReceiptPublic.of(r) for r in receipts],
                   warnings=warnings)


class EntryIn(BaseModel):
    """One step of a batch: the same data as the step's own endpoint takes."""

    model_config = ConfigDict(extra="forbid")
    step: STEP_NAMES
    lot: LotCode | None = Field(default=None, description="The lot; a collection names its "
                                                          "new lot in data.into instead.")
    data: dict[str, Any] = Field(description="The step's data (see the step's endpoint).")
    time: Timestamp | None = None


class BatchIn(BaseModel):
    """Many steps recorded all or nothing; an error names the entry (entries[3].data.unit)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"entries": [
        {"step": "Stored", "lot": "KG1", "data": {"facility": "西乡冷库1号",
                                                  "started": "2026-09-10T22:00:00+08:00"}},
        {"step": "Held", "lot": "KG2", "data": {"reason": "等待复检"}}]}]})
    entries: list[EntryIn] = Field(min_length=1, max_length=1000)

    def payload(self) -> list[dict[str, Any]]:
        return [entry.model_dump(mode="json", exclude_none=True) for entry in self.entries]


Base64 = Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]*={0,2}$")]


class SignedRecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    record: Base64 = Field(max_length=90000, description="The record's canonical bytes "
                                                         "(RFC 8785 JSON), base64.")
    signature: Base64 = Field(max_length=100, description="Ed25519 signature over the "
                                                          "record's signing message, base64.")


class OpeningIn(BaseModel):
    """A private value the client sealed into a commitment of a submitted record."""

    model_config = ConfigDict(extra="forbid")
    commitment: str = Field(pattern=r"^[0-9a-f]{64}$", description="The commitment, hex.")
    value: str = Field(max_length=80, description="The private value (a household id, a "
                                                  "harvester's name).")
    salt: str = Field(pattern=r"^[0-9a-f]{32}$", description="Its 16-byte salt, hex.")


class SignedIn(BaseModel):
    """Records a client built and signed with its own key: the whole set one step makes,
    and the openings of private values it sealed itself (kept apart, never public)."""

    model_config = ConfigDict(extra="forbid")
    records: list[SignedRecordIn] = Field(min_length=1, max_length=500)
    private: list[OpeningIn] = Field(default=[], max_length=500)

    def openings(self) -> list[Opening]:
        return [Opening(item.commitment, item.value, bytes.fromhex(item.salt))
                for item in self.private]

    def entries(self) -> list[tuple[bytes, bytes]]:
        return [(_decode(item.record, f"records[{i}].record"),
                 _decode(item.signature, f"records[{i}].signature"))
                for i, item in enumerate(self.records)]


def _decode(text: str, field: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidInput("is not valid base64", field=field) from error

