"""Lots as the API shows them: paged history, lineage, recall reach, search rows and private
values; the lot and its records are the ledger's views (``api.schemas.views``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.schemas.views import LineageLotPublic, LotView, RecordView

__all__ = ["HolderPublic", "LotHistoryPublic", "LotRowPublic", "PrivateDataPublic",
           "PrivateValuePublic", "RecallReachPublic", "SearchPublic", "TracePublic"]


class LotHistoryPublic(BaseModel):
    lot: LotView
    history: list[RecordView] = Field(description="Records offset … offset+limit-1, in chain "
                                                  "order.")
    offset: int
    limit: int
    total: int = Field(description="Records in the chain.")
    next: str | None = Field(description="The next page's URL, or null at the end.")


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
