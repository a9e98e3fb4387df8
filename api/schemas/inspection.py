"""Private data as an inspector (or the recording organisation) reads it, each value labelled
with its record and field; the recorded reads of a lot; a household's erasure."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

__all__ = ["AccessRecordPublic", "ErasedHouseholdPublic", "ErasedLabelPublic",
           "ErasedValuePublic", "InspectionPublic", "LabelledValuePublic",
           "PrivateReadPublic", "PrivateReadsPublic", "RecordedReadPublic"]


class ErasedLabelPublic(BaseModel):
    """Where a commitment sits: the lot, the record (hash, chain, seq, type, signer) and the
    field of its data."""

    lot: str
    record: str = Field(description="The record's hash, hex.")
    chain: str
    seq: int
    type: str
    org: str = Field(description="Who recorded (signed) the record.")
    field: str = Field(description="Where the commitment sits, e.g. "
                                   "data.purchases[0].household.")
    commitment: str
    erased_at: str | None = Field(default=None, description="When the value was erased "
                                                            "(UTC); null while kept.")


class LabelledValuePublic(ErasedLabelPublic):
    value: Any = Field(description="The private value behind the commitment.")
    salt: str | None = Field(description="The salt, hex: with the value it opens the "
                                         "commitment.")
    entry: dict[str, Any] | None = Field(
        default=None, description="The public fields of the list entry holding it: a "
                                  "purchase's lot, quantity, price paid and protective price.")
    household: dict[str, Any] | None = Field(
        default=None, description="The household's entry in the recording cooperative's "
                                  "register (name, village, formerly poor), when it has one.")


class InspectionPublic(BaseModel):
    record: str = Field(description="The Inspected record that grants the read, hex.")
    lot: str = Field(description="The lot it inspected (this lot or one made from it).")
    org: str
    time: str


class AccessRecordPublic(BaseModel):
    """The PrivateDataRead record that says this read happened."""

    record: str
    chain: str
    seq: int
    type: str


class PrivateReadPublic(BaseModel):
    """Private values behind the commitments of a lot (for an inspector: and of every lot it
    was made from), each labelled; the values erased since, labelled, apart."""

    lot: str
    lots: list[str] = Field(description="The lots whose values were read, nearest first.")
    inspection: InspectionPublic | None = Field(
        description="The inspection the read was made under (null: the recording "
                    "organisation reading its own lot).")
    access_record: AccessRecordPublic | None = Field(
        description="The record of this read in the log (every inspector's read has one).")
    values: list[LabelledValuePublic]
    erased: list[ErasedLabelPublic]


class RecordedReadPublic(BaseModel):
    record: str
    chain: str
    seq: int
    org: str = Field(description="The inspector that read.")
    recorded: str
    time: str
    inspection: str
    inspected_lot: str
    lots: list[str]


class PrivateReadsPublic(BaseModel):
    """Every recorded read of the lot's private data, oldest first (reads of a lot made
    from it included, since they read this lot's too)."""

    lot: str
    reads: list[RecordedReadPublic]


class ErasedValuePublic(BaseModel):
    chain: str = Field(description="lot/<code>, or hh/<org> for the register entry.")
    record: str | None = Field(description="The record holding the commitment; null for "
                                           "the register entry.")
    seq: int | None
    type: str | None
    field: str = Field(description="The field holding it; 'register' for the register "
                                   "entry.")
    commitment: str


class ErasedHouseholdPublic(BaseModel):
    org: str
    household_id: str
    erased: list[ErasedValuePublic]
