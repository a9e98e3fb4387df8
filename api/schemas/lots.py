"""Lots as the API shows them: summary, paged history, lineage, recall reach, search rows and
private values (``ledger.views`` builds the dictionaries these validate)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.schemas.records import RecordPublic

__all__ = ["HolderPublic", "LineageLotPublic", "LotHistoryPublic", "LotPublic", "LotRowPublic",
           "PrivateDataPublic", "PrivateValuePublic", "RecallReachPublic", "SearchPublic",
           "ShipmentPublic", "TracePublic"]


class LotPublic(BaseModel):
    """What a lot is now."""

    lot: str
    product: dict[str, Any] = Field(description="name, variety, gtin.")
    origin: dict[str, Any] = Field(description="province, city, county, township, village…")
    quantity: str = Field(description="The amount the lot started with (decimal).")
    remaining: str = Field(description="What is left after splits and merges (decimal).")
    unit: str
    status: str = Field(description="active, in-transit, held, consumed or recalled.")
    producer: str = Field(description="The organisation that started the lot.")
    custodian: str = Field(description="The organisation holding it now.")
    in_transit_to: str | None = Field(description="Where it was shipped, until received.")
    grade: str | None
    gtin: str | None
    started: str
    records: int = Field(description="How many records its chain holds.")
    head: str = Field(description="The hash of its latest record: the next record's prev.")
    parents: list[str]
    children: list[str]


class LotHistoryPublic(BaseModel):
    lot: LotPublic
    history: list[RecordPublic] = Field(description="Records offset … offset+limit-1, in "
                                                    "chain order.")
    offset: int
    limit: int
    total: int = Field(description="Records in the chain.")
    next: str | None = Field(description="The next page's URL, or null at the end.")


class ShipmentPublic(BaseModel):
    hash: str
    from_: str = Field(alias="from", serialization_alias="from")
    to: str
    to_location: str
    time: str
    received: str | None = Field(description="When it was received, or null.")


class LineageLotPublic(BaseModel):
    """A lot of a trace, with who holds it now (and, tracing forward, its shipments)."""

    lot: str
    product: dict[str, Any]
    origin: dict[str, Any]
    quantity: str
    unit: str
    grade: str | None
    status: str
    producer: str
    custodian: str
    in_transit_to: str | None
    started: str
    parents: list[str]
    children: list[str]
    shipments: list[ShipmentPublic] | None = None


class TracePublic(BaseModel):
    """Every lot reached from ``lot``, nearest first (``lot`` itself first)."""

    lot: str
    direction: str = Field(description="back (ancestors, down to the harvests) or forward "
                                       "(descendants and shipments).")
    lots: list[LineageLotPublic]


class HolderPublic(BaseModel):
    org: str
    holds: list[str] = Field(description="Affected lots it holds now.")
    receiving: list[str] = Field(description="Affected lots shipped to it, not yet received.")


class RecallReachPublic(BaseModel):
    """Which lots and which holders recall R affects."""

    recall: str | None = Field(description="The recall order's hash; null when the lot was "
                                           "never recalled (then: what a recall would reach).")
    lot: str = Field(description="The lot the order was made on.")
    reason: str | None
    ordered_by: str | None
    time: str | None
    lots: list[LineageLotPublic]
    holders: list[HolderPublic]


class LotRowPublic(BaseModel):
    code: str
    product: str
    variety: str | None
    grade: str | None
    gtin: str | None
    province: str
    city: str
    county: str
    producer: str
    custodian: str
    status: str
    started_at: str
    updated_at: str
    records: int


class SearchPublic(BaseModel):
    lots: list[LotRowPublic]
    offset: int
    limit: int


class PrivateValuePublic(BaseModel):
    commitment: str
    value: Any = Field(description="The private value behind the commitment.")
    salt: str = Field(description="The salt, hex: with the value it opens the commitment.")


class PrivateDataPublic(BaseModel):
    """Private values behind a lot's commitments (erased ones are gone)."""

    lot: str
    values: list[PrivateValuePublic]
