"""Request bodies of the recording endpoints, one per step, mirroring ``ledger.domain.steps``.

A body is the step's data (its key data elements) plus an optional ``time``: when it
happened. Quantities and temperatures are decimal strings. Private values (a harvester, a
household) are sent as text, which the ledger seals into a commitment, or as an already
sealed ``{"commitment": hex}``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Decimal, Hash, LotCode, OrgId, Text, Timestamp

__all__ = [
    "CertificationIn",
    "CollectionIn",
    "CorrectionIn",
    "GradingIn",
    "HarvestIn",
    "InspectionIn",
    "PackingIn",
    "PreCoolingIn",
    "ReasonIn",
    "RecallIn",
    "ReceiptIn",
    "ShipmentIn",
    "StepIn",
    "StorageIn",
]

GTIN = Annotated[str, Field(pattern=r"^[0-9]{8}([0-9]{4,6})?$", examples=["06901234567892"],
                            description="GTIN-8, -12, -13 or -14 with its check digit.")]
Temperature = Annotated[Decimal, Field(description="Degrees Celsius, -60 to 80.",
                                       examples=["2.4"])]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class StepIn(_In):
    time: Timestamp | None = Field(
        default=None, description="When it happened; default the step's end or start time, "
                                  "else when it is recorded.")

    def data(self) -> dict[str, Any]:
        """The step's data as the ledger takes it."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True,
                               exclude={"time"})


class CommitmentIn(_In):
    commitment: Hash


Private = Annotated[str | CommitmentIn, Field(
    description="Private: sealed into a salted commitment; never in the public record.")]


class ProductIn(_In):
    name: Annotated[str, Text(80)] = Field(examples=["猕猴桃"])
    variety: Annotated[str, Text(80)] | None = None
    gtin: GTIN | None = None


class OriginIn(_In):
    province: Annotated[str, Text(40)]
    city: Annotated[str, Text(40)]
    county: Annotated[str, Text(40)]
    township: Annotated[str, Text(40)] | None = None
    village: Annotated[str, Text(40)] | None = None
    base: Annotated[str, Text(80)] | None = None
    plot: Annotated[str, Text(80)] | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None


class ReadingIn(_In):
    at: Timestamp
    temp_c: Temperature
    humidity_pct: Decimal | None = None


_ORIGIN: dict[str, Any] = {"province": "湖南省", "city": "湘西土家族苗族自治州", "county": "凤凰县",
           "village": "西乡村"}


class HarvestIn(StepIn):
    """采收 Harvested: starts a new lot."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "product": {"name": "猕猴桃", "variety": "红阳"}, "quantity": "100", "unit": "kg",
        "origin": _ORIGIN, "started": "2026-09-10T06:00:00+08:00",
        "ended": "2026-09-10T11:00:00+08:00", "harvester": "张三", "household": "HH-001"}]})
    product: ProductIn
    quantity: Decimal
    unit: Literal["kg", "g", "t", "jin", "box", "crate", "bag", "carton", "piece", "pallet"]
    origin: OriginIn
    started: Timestamp
    ended: Timestamp
    harvester: Private | None = None
    household: Private | None = None


class PurchaseIn(_In):
    lot: LotCode
    quantity: Decimal
    price_per_kg: Decimal
    protective_price_per_kg: Decimal
    household: Private | None = None
    registered_poor_household: bool | None = None


class CollectionIn(StepIn):
    """田头集货 Collected: merges parts of harvest lots into the new lot of the path."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "collection_point": "西乡村田头集货点", "time": "2026-09-10T14:00:00+08:00",
        "purchases": [{"lot": "KH0", "quantity": "100", "price_per_kg": "6.50",
                       "protective_price_per_kg": "6.00", "household": "HH-001",
                       "registered_poor_household": True}]}]})
    collection_point: Annotated[str, Text(80)]
    purchases: list[PurchaseIn] = Field(min_length=1, max_length=500)


class GradeOutputIn(_In):
    lot: LotCode
    grade: Annotated[str, Text(40)]
    quantity: Decimal


class GradingIn(StepIn):
    """分等分级 Graded: splits the lot into new grade lots."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "standard": "NY/T 1794-2009 猕猴桃等级规格", "loss": "10",
        "outputs": [{"lot": "KG1", "grade": "一级", "quantity": "200"},
                    {"lot": "KG2", "grade": "二级", "quantity": "90"}]}]})
    standard: Annotated[str, Text(120)]
    outputs: list[GradeOutputIn] = Field(min_length=1, max_length=50)
    loss: Decimal | None = None


class PreCoolingIn(StepIn):
    """产地预冷 PreCooled."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "method": "forced-air", "started": "2026-09-10T17:00:00+08:00",
        "ended": "2026-09-10T21:00:00+08:00", "target_core_temp_c": "2",
        "reached_core_temp_c": "2.4",
        "readings": [{"at": "2026-09-10T18:00:00+08:00", "temp_c": "8.1"}]}]})
    method: Literal["forced-air", "hydro", "vacuum", "room", "ice", "other"]
    facility: Annotated[str, Text(80)] | None = None
    started: Timestamp
    ended: Timestamp
    target_core_temp_c: Temperature
    reached_core_temp_c: Temperature
    readings: list[ReadingIn] | None = Field(default=None, max_length=2000)


class StorageIn(StepIn):
    """冷藏 Stored, with temperature readings or their summary."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "facility": "西乡冷库1号", "started": "2026-09-10T22:00:00+08:00",
        "target_min_c": "0", "target_max_c": "4",
        "readings": [{"at": "2026-09-11T06:00:00+08:00", "temp_c": "1.5"}]}]})
    facility: Annotated[str, Text(80)]
    started: Timestamp
    ended: Timestamp | None = None
    target_min_c: Temperature | None = None
    target_max_c: Temperature | None = None
    readings: list[ReadingIn] | None = Field(default=None, max_length=5000)
    min_c: Temperature | None = None
    max_c: Temperature | None = None
    mean_c: Temperature | None = None


class PackingIn(StepIn):
    """分级包装 Packed: gives the lot its trade item (GTIN)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "packaging": "5 kg 礼盒", "units": 40, "net_weight_per_unit": "5",
        "net_weight_unit": "kg", "gtin": "06901234567892", "grade": "一级"}]})
    packaging: Annotated[str, Text(80)]
    units: int = Field(ge=1, le=10**9)
    net_weight_per_unit: Decimal
    net_weight_unit: Literal["kg", "g", "jin"]
    gtin: GTIN
    grade: Annotated[str, Text(40)] | None = None
    serial_first: int | None = Field(default=None, ge=1, le=10**12)
    serial_last: int | None = Field(default=None, ge=1, le=10**12)
    best_before: Timestamp | None = None


class _Party(StepIn):
    location: Annotated[str, Text(120)]
    carrier: Annotated[str, Text(80)] | None = None
    vehicle: Annotated[str, Text(40)] | None = None
    waybill: Annotated[str, Text(60)] | None = None
    invoice: Annotated[str, Text(60)] | None = None
    quantity: Decimal | None = None
    temp_c: Temperature | None = None


class ShipmentIn(_Party):
    """发运 Shipped: custody moves to ``to`` when it records the receipt."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "to": "platform-wh", "to_location": "长沙市望城区电商产业园", "location": "西乡冷库",
        "carrier": "湘西冷链物流", "vehicle": "湘U·12345", "waybill": "XL20260912001"}]})
    to: OrgId
    to_location: Annotated[str, Text(120)]


class ReceiptIn(_Party):
    """收货 Received, by the organisation the lot was shipped to."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "from": "coop-xixiang", "location": "长沙市望城区电商产业园", "temp_c": "3.2"}]})
    from_: OrgId = Field(alias="from")


class LabResultIn(_In):
    analyte: Annotated[str, Text(80)]
    value: Decimal
    unit: Annotated[str, Text(20)]
    limit: Decimal | None = None
    method_standard: Annotated[str, Text(80)] | None = None
    verdict: Literal["pass", "fail"]


class InspectionIn(StepIn):
    """检验 Inspected: by an inspector, or the custodian's own check."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "kind": "lab", "verdict": "pass", "lab": "湘西州农产品质量检测中心",
        "results": [{"analyte": "毒死蜱", "value": "0.01", "unit": "mg/kg", "limit": "0.02",
                     "verdict": "pass"}]}]})
    kind: Literal["visual", "lab", "documents", "rapid-test"]
    verdict: Literal["pass", "fail"]
    lab: Annotated[str, Text(80)] | None = None
    report: Annotated[str, Text(60)] | None = None
    results: list[LabResultIn] | None = Field(default=None, max_length=200)
    notes: Annotated[str, Text(500)] | None = None


class CertificationIn(StepIn):
    """认证 Certified, e.g. the 承诺达标合格证 of a production batch."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "scheme": "compliance-certificate", "number": "HN-2026-000123",
        "issuer": "凤凰县西乡猕猴桃专业合作社", "valid_from": "2026-09-12T00:00:00+08:00",
        "commitment_text": "我承诺对生产销售的食用农产品：不使用禁用农药兽药……"}]})
    scheme: Literal["green-food", "organic", "geographical-indication", "gap",
                    "compliance-certificate", "other"]
    number: Annotated[str, Text(60)]
    issuer: Annotated[str, Text(80)]
    valid_from: Timestamp
    valid_until: Timestamp | None = None
    contact: Annotated[str, Text(80)] | None = None
    commitment_text: Annotated[str, Text(500)] | None = None


class ReasonIn(StepIn):
    """扣留/放行 Held or Released, by an inspector, with the reason."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "等待复检"}]})
    reason: Annotated[str, Text(500)]


class RecallIn(ReasonIn):
    """召回 Recalled, by an inspector: cascades to every lot made from this one."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "农药残留超标"}]})


class CorrectionIn(StepIn):
    """更正 Corrected: a later record that corrects an earlier one of the lot."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "corrects": "0" * 64, "reason": "运单号录入错误", "values": {"waybill": "XL20260912002"}}]})
    corrects: Hash
    reason: Annotated[str, Text(500)]
    values: dict[str, Any] = Field(
        min_length=1, max_length=100,
        description="Fields of the corrected record's step, each given whole and checked as "
                    "that step checks it; null withdraws an optional field. Private fields "
                    "(harvester, household) are sealed into commitments, as in the original.")
