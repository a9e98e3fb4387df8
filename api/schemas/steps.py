"""Request bodies of the recording endpoints, one per step, made from the ledger's own step
definitions (``ledger.domain.steps``): each body's fields, which of them are required, text
lengths, choices, list sizes and nested shapes are the domain's, so the two cannot drift.
What the API adds is how it shows them: a model name, a description and an example per step.

A body is the step's data (its key data elements) plus an optional ``time``: when it
happened. Quantities and temperatures are decimal strings. Private values (a harvester, a
household) are sent as text, which the ledger seals into a commitment, or as an already
sealed ``{"commitment": hex}``.

Each parser the domain uses has one JSON Schema type here (``_annotation``); a step that
used a parser without one fails when this module is imported, not in a request. The models
refuse the wrong JSON types and shapes early, naming the field; the ledger checks every value
again and has the last word.
"""

from __future__ import annotations

import keyword
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from api.schemas.common import Decimal, Hash, LotCode, OrgId, Text, Timestamp
from ledger.domain import fields
from ledger.domain.fields import Parser, obj
from ledger.domain.steps import COLLECT, GENESIS, STEPS, corrected_values, private

__all__ = [
    "BODIES",
    "STEP_BODIES",
    "Body",
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
    "step_body",
]

GTIN = Annotated[str, Field(pattern=r"^[0-9]{8}([0-9]{4,6})?$", examples=["06901234567892"],
                            description="GTIN-8, -12, -13 or -14 with its check digit.")]


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


# Any text: the ledger checks it as the private field's own parser does (an empty one is no
# value there), then seals it.
Private = Annotated[str | CommitmentIn, Field(
    description="Private: sealed into a salted commitment; never in the public record.")]
Values = Annotated[dict[str, Any], Field(
    min_length=1, max_length=100,
    description="Fields of the corrected record's step, each given whole and checked as that "
                "step checks it; null withdraws an optional field. Private fields (harvester, "
                "household) are sealed into commitments, as in the original.")]
PLAIN: Mapping[Parser, Any] = {
    fields.timestamp: Timestamp, fields.lot_code: LotCode, fields.identifier: OrgId,
    fields.record_hash: Hash, fields.gtin: GTIN, fields.boolean: bool,
    corrected_values: Values,
}


@dataclass(frozen=True, eq=False)
class Body:
    """How the API shows one step's data: the model's name, description and example, and
    the fields a client does not send (the path names a collection's new lot; a recall's
    cascade fields are the ledger's to write)."""

    name: str
    spec: obj
    doc: str
    example: Mapping[str, Any]
    omit: frozenset[str] = frozenset()


_ORIGIN: dict[str, Any] = {"province": "湖南省", "city": "湘西土家族苗族自治州", "county": "凤凰县",
                           "village": "西乡村"}
_REASON = Body("ReasonIn", STEPS["Held"], "扣留/放行 Held or Released, by an inspector, with the "
               "reason.", {"reason": "等待复检"})

BODIES: Mapping[str, Body] = {
    "Harvested": Body("HarvestIn", GENESIS["Harvested"], "采收 Harvested: starts a new lot.", {
        "product": {"name": "猕猴桃", "variety": "红阳"}, "quantity": "100", "unit": "kg",
        "origin": _ORIGIN, "started": "2026-09-10T06:00:00+08:00",
        "ended": "2026-09-10T11:00:00+08:00", "harvester": "张三", "household": "HH-001"}),
    "Collected": Body(
        "CollectionIn", COLLECT, "田头集货 Collected: merges parts of harvest lots into the new "
        "lot of the path.", {
            "collection_point": "西乡村田头集货点", "time": "2026-09-10T14:00:00+08:00",
            "purchases": [{"lot": "KH0", "quantity": "100", "price_per_kg": "6.50",
                           "protective_price_per_kg": "6.00", "household": "HH-001",
                           "registered_poor_household": True}]},
        omit=frozenset({"into"})),
    "Graded": Body("GradingIn", STEPS["Graded"], "分等分级 Graded: splits the lot into new grade "
                   "lots.", {
                       "standard": "NY/T 1794-2009 猕猴桃等级规格", "loss": "10",
                       "outputs": [{"lot": "KG1", "grade": "一级", "quantity": "200"},
                                   {"lot": "KG2", "grade": "二级", "quantity": "90"}]}),
    "PreCooled": Body("PreCoolingIn", STEPS["PreCooled"], "产地预冷 PreCooled.", {
        "method": "forced-air", "started": "2026-09-10T17:00:00+08:00",
        "ended": "2026-09-10T21:00:00+08:00", "target_core_temp_c": "2",
        "reached_core_temp_c": "2.4",
        "readings": [{"at": "2026-09-10T18:00:00+08:00", "temp_c": "8.1"}]}),
    "Stored": Body("StorageIn", STEPS["Stored"], "冷藏 Stored, with temperature readings or "
                   "their summary. target_min_c must not be above target_max_c; readings "
                   "outside the range are recorded, and the answer warns of them.", {
                       "facility": "西乡冷库1号", "started": "2026-09-10T22:00:00+08:00",
                       "target_min_c": "0", "target_max_c": "4",
                       "readings": [{"at": "2026-09-11T06:00:00+08:00", "temp_c": "1.5"}]}),
    "Packed": Body("PackingIn", STEPS["Packed"], "分级包装 Packed: gives the lot its trade item "
                   "(GTIN). Units × net weight, plus the loss declared, must not exceed what "
                   "the lot holds (all its packings together).", {
                       "packaging": "5 kg 礼盒", "units": 40, "net_weight_per_unit": "5",
                       "net_weight_unit": "kg", "gtin": "06901234567892", "grade": "一级",
                       "loss": "1.5"}),
    "Shipped": Body("ShipmentIn", STEPS["Shipped"], "发运 Shipped: custody moves to ``to`` when "
                    "it records the receipt.", {
                        "to": "platform-wh", "to_location": "长沙市望城区电商产业园",
                        "location": "西乡冷库", "carrier": "湘西冷链物流", "vehicle": "湘U·12345",
                        "waybill": "XL20260912001"}),
    "Received": Body("ReceiptIn", STEPS["Received"], "收货 Received, by the organisation the "
                     "lot was shipped to.", {
                         "from": "coop-xixiang", "location": "长沙市望城区电商产业园",
                         "temp_c": "3.2"}),
    "Inspected": Body("InspectionIn", STEPS["Inspected"], "检验 Inspected: by an inspector, or "
                      "the custodian's own check.", {
                          "kind": "lab", "verdict": "pass", "lab": "湘西州农产品质量检测中心",
                          "results": [{"analyte": "毒死蜱", "value": "0.01", "unit": "mg/kg",
                                       "limit": "0.02", "verdict": "pass"}]}),
    "Certified": Body("CertificationIn", STEPS["Certified"], "认证 Certified, e.g. the "
                      "承诺达标合格证 of a production batch: its basis (a test names the lab "
                      "or rapid-test record it rests on) and contact; the commitment defaults "
                      "to the standard wording.", {
                          "scheme": "compliance-certificate", "number": "HN-2026-000123",
                          "issuer": "凤凰县西乡猕猴桃专业合作社",
                          "valid_from": "2026-09-12T00:00:00+08:00",
                          "contact": "0743-1234567", "basis": "commissioned-test",
                          "basis_record": "0" * 64}),
    "Held": _REASON,
    "Released": _REASON,
    "Recalled": Body("RecallIn", STEPS["Recalled"], "召回 Recalled, by an inspector: cascades to "
                     "every lot made from this one.", {"reason": "农药残留超标"},
                     omit=frozenset({"recall", "because_of"})),
    "Corrected": Body("CorrectionIn", STEPS["Corrected"], "更正 Corrected: a later record that "
                      "corrects an earlier one of the lot.", {
                          "corrects": "0" * 64, "reason": "运单号录入错误",
                          "values": {"waybill": "XL20260912002"}}),
}


@cache
def step_body(body: Body) -> type[StepIn]:
    """The request body of one step: its data's fields as the domain defines them, and
    ``time``; one model per ``Body`` however many steps share it."""
    return create_model(
        body.name, __base__=StepIn, __doc__=body.doc, __module__=__name__,
        __config__=ConfigDict(json_schema_extra={"examples": [dict(body.example)]}),
        **_fields(body.spec, body.omit))


def _fields(spec: obj, omit: frozenset[str] = frozenset()) -> dict[str, Any]:
    """pydantic field definitions of ``spec``'s fields, in its order; a field named like a
    Python keyword (``from``) is ``from_`` with the JSON name as its alias."""
    made: dict[str, Any] = {}
    for name, (parser, required) in spec.fields.items():
        if name in omit:
            continue
        annotation = _annotation(parser)
        alias = name if keyword.iskeyword(name) else None
        python = f"{name}_" if alias else name
        if required:
            made[python] = (annotation, Field(alias=alias))
        else:
            made[python] = (annotation | None, Field(default=None, alias=alias))
    return made


def _annotation(parser: Parser) -> Any:
    """The type (with its JSON Schema constraints) that takes what ``parser`` takes."""
    if isinstance(parser, fields.text):
        return Annotated[str, Text(parser.max_length)]
    if isinstance(parser, fields.choice):
        return Literal[tuple(sorted(parser.options))]
    if isinstance(parser, fields.decimal):
        return Annotated[Decimal, Field(description=_decimal_description(parser))]
    if isinstance(parser, fields.count):
        return Annotated[int, Field(ge=1, le=parser.maximum)]
    if isinstance(parser, fields.list_of):
        return Annotated[list[_annotation(parser.item)],  # type: ignore[misc]
                         Field(min_length=parser.minimum or None, max_length=parser.maximum)]
    if isinstance(parser, obj):
        return _nested(parser)
    if isinstance(parser, private):
        return Private
    if parser in PLAIN:
        return PLAIN[parser]
    raise TypeError(f"no request body type for the parser {parser!r}; add one to "
                    "api.schemas.steps")


@cache
def _nested(spec: obj) -> type[BaseModel]:
    """An object inside a body (``ProductIn``), one model per shape wherever it appears."""
    if not spec.name:
        raise TypeError(f"an object inside a step's data needs a name: {sorted(spec.fields)}")
    model: type[BaseModel] = create_model(f"{spec.name}In", __base__=_In, __module__=__name__,
                                          **_fields(spec))
    return model


def _decimal_description(parser: fields.decimal) -> str:
    """What a decimal field takes, for people: ``Degrees Celsius: from -60 to 80, at most 2
    decimal places.``"""
    limits = []
    if parser.positive:
        limits.append("greater than 0")
    elif parser.minimum is not None and parser.maximum != fields.MAX_DECIMAL:
        limits.append(f"from {parser.minimum} to {parser.maximum}")
    elif parser.minimum is not None:
        limits.append(f"at least {parser.minimum}")
    limits.append(f"at most {parser.places} decimal places")
    what = parser.description or "A decimal number written as a string, never a float"
    return f"{what}: {', '.join(limits)}."


STEP_BODIES: Mapping[str, type[StepIn]] = {step: step_body(body) for step, body in BODIES.items()}
HarvestIn = STEP_BODIES["Harvested"]
CollectionIn = STEP_BODIES["Collected"]
GradingIn = STEP_BODIES["Graded"]
PreCoolingIn = STEP_BODIES["PreCooled"]
StorageIn = STEP_BODIES["Stored"]
PackingIn = STEP_BODIES["Packed"]
ShipmentIn = STEP_BODIES["Shipped"]
ReceiptIn = STEP_BODIES["Received"]
InspectionIn = STEP_BODIES["Inspected"]
CertificationIn = STEP_BODIES["Certified"]
ReasonIn = STEP_BODIES["Held"]
RecallIn = STEP_BODIES["Recalled"]
CorrectionIn = STEP_BODIES["Corrected"]
