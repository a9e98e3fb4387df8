"""The recording app's forms: one per step, each field as a clerk sees it.

A field's ``name`` is its path in the step's data (``product.name``, ``outputs.0.lot``); the
browser builds the data from the names (``api/static/app/derive.js``) and the server names
any error by the same path, so it is shown next to the field. ``kind`` says how the browser
reads the value: ``text``, ``decimal`` (a string, as the ledger keeps decimals), ``count``
(a whole number), ``time`` (the phone's local time, recorded in UTC), ``choice``, ``gtin``,
``household`` (chosen from the cooperative's register, sealed into a commitment on the
phone) and ``lot``. The fields and their limits follow ``ledger.domain.steps``; the server
checks every value again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.domain.certificates import BASES, DEFAULT_COMMITMENT

__all__ = ["FORMS", "AppField", "AppForm"]


@dataclass(frozen=True)
class AppField:
    name: str
    zh: str
    en: str
    kind: str = "text"
    required: bool = False
    options: tuple[tuple[str, str], ...] = ()
    max_length: int = 80
    minimum: str | None = None
    maximum: str | None = None
    hint: str = ""
    default: str = ""

    @property
    def ident(self) -> str:
        return "f-" + self.name.replace(".", "-")

    @property
    def pattern(self) -> str | None:
        if self.kind == "decimal":
            return r"-?[0-9]{1,13}([.][0-9]{1,12})?"
        if self.kind == "count":
            return r"[0-9]{1,13}"
        if self.kind == "gtin":
            return r"[0-9]{8}|[0-9]{12,14}"
        if self.kind == "lot":
            return r"[A-Za-z0-9][A-Za-z0-9._\-]{0,19}"
        return None

    @property
    def inputmode(self) -> str | None:
        return {"decimal": "decimal", "count": "numeric", "gtin": "numeric"}.get(self.kind)


@dataclass(frozen=True)
class AppForm:
    """``step`` on a lot (``new_lot``: the form names a new lot, as a harvest does)."""

    slug: str
    step: str
    zh: str
    en: str
    fields: tuple[AppField, ...]
    new_lot: bool = False
    widget: str = ""  # a part of the form the browser fills in: grades, purchases, readings
    extra: dict[str, str] = field(default_factory=dict)


UNITS = (("kg", "千克 kg"), ("jin", "斤 jin"), ("t", "吨 t"), ("box", "箱 box"),
         ("crate", "筐 crate"), ("bag", "袋 bag"), ("carton", "纸箱 carton"),
         ("piece", "个 piece"), ("pallet", "托 pallet"))


def temperature(name: str, zh: str, en: str, required: bool = False) -> AppField:
    return AppField(name, zh, en, "decimal", required, minimum="-60", maximum="80")


LOT = AppField("lot", "批次号", "Lot code", "lot", True, max_length=20,
               hint="新批次的编号 the new lot's code, e.g. KW26-001")

FORMS: dict[str, AppForm] = {form.slug: form for form in (
    AppForm("harvest", "Harvested", "采收", "Harvest", (
        LOT,
        AppField("product.name", "产品", "Product", required=True),
        AppField("product.variety", "品种", "Variety", hint="合作社的品种表 the coop's list"),
        AppField("quantity", "数量", "Quantity", "decimal", True, minimum="0"),
        AppField("unit", "单位", "Unit", "choice", True, UNITS),
        AppField("origin.province", "省", "Province", required=True, max_length=40),
        AppField("origin.city", "市", "City", required=True, max_length=40),
        AppField("origin.county", "县", "County", required=True, max_length=40),
        AppField("origin.township", "乡镇", "Township", max_length=40),
        AppField("origin.village", "村", "Village", max_length=40),
        AppField("origin.plot", "地块", "Field / plot"),
        AppField("started", "开始采收", "Harvest started", "time", True),
        AppField("ended", "结束采收", "Harvest ended", "time", True),
        AppField("household", "农户", "Household", "household",
                 hint="只存承诺值，不公开 kept private: only a commitment is recorded"),
    ), new_lot=True),
    AppForm("collection", "Collected", "田头集货", "Field collection", (
        LOT,
        AppField("collection_point", "收购点", "Collection point", required=True),
    ), new_lot=True, widget="purchases"),
    AppForm("grading", "Graded", "分等分级", "Grading", (
        AppField("standard", "分级标准", "Grading standard", required=True, max_length=120,
                 default="NY/T 1794-2009"),
        AppField("loss", "损耗", "Loss", "decimal", minimum="0"),
    ), widget="grades"),
    AppForm("pre-cooling", "PreCooled", "预冷", "Pre-cooling", (
        AppField("method", "方式", "Method", "choice", True, (
            ("forced-air", "差压预冷 forced air"), ("hydro", "冷水预冷 hydro"),
            ("vacuum", "真空预冷 vacuum"), ("room", "冷库预冷 room"), ("ice", "加冰 ice"),
            ("other", "其他 other"))),
        AppField("facility", "设施", "Facility"),
        AppField("started", "开始", "Started", "time", True),
        AppField("ended", "结束", "Ended", "time", True),
        temperature("target_core_temp_c", "目标中心温度 °C", "Target core temp °C", True),
        temperature("reached_core_temp_c", "达到中心温度 °C", "Reached core temp °C", True),
    )),
    AppForm("storage", "Stored", "冷藏", "Cold storage", (
        AppField("facility", "冷库", "Cold store", required=True),
        AppField("started", "入库", "Stored from", "time", True),
        AppField("ended", "出库", "Stored until", "time"),
        temperature("target_min_c", "温度下限 °C", "Lowest allowed °C"),
        temperature("target_max_c", "温度上限 °C", "Highest allowed °C"),
    ), widget="readings"),
    AppForm("packing", "Packed", "包装", "Packing", (
        AppField("packaging", "包装", "Packaging", required=True, default="纸箱 carton"),
        AppField("units", "件数", "Units", "count", True),
        AppField("net_weight_per_unit", "每件净重", "Net weight per unit", "decimal", True,
                 minimum="0"),
        AppField("net_weight_unit", "重量单位", "Weight unit", "choice", True,
                 (("kg", "千克 kg"), ("g", "克 g"), ("jin", "斤 jin"))),
        AppField("gtin", "商品条码 GTIN", "GTIN", "gtin", True),
        AppField("grade", "等级", "Grade", max_length=40),
        AppField("best_before", "保质期至", "Best before", "time"),
    )),
    AppForm("shipment", "Shipped", "发运", "Shipment", (
        AppField("to", "收货单位（编号）", "To (organisation id)", required=True, max_length=40),
        AppField("to_location", "收货地点", "Destination", required=True, max_length=120),
        AppField("location", "发货地点", "Shipped from", required=True, max_length=120),
        AppField("carrier", "承运人", "Carrier"),
        AppField("vehicle", "车牌", "Vehicle", max_length=40),
        AppField("waybill", "运单号", "Waybill", max_length=60),
        AppField("quantity", "数量", "Quantity", "decimal", minimum="0"),
        temperature("temp_c", "温度 °C", "Temperature °C"),
    )),
    AppForm("receipt", "Received", "收货", "Receipt", (
        AppField("from", "发货单位（编号）", "From (organisation id)", required=True,
                 max_length=40),
        AppField("location", "收货地点", "Received at", required=True, max_length=120),
        AppField("quantity", "数量", "Quantity", "decimal", minimum="0"),
        temperature("temp_c", "温度 °C", "Temperature °C"),
    )),
    AppForm("certification", "Certified", "承诺达标合格证", "Compliance certificate", (
        AppField("scheme", "证书类型", "Scheme", "choice", True, (
            ("compliance-certificate", "承诺达标合格证 compliance certificate"),
            ("green-food", "绿色食品 green food"), ("organic", "有机 organic"),
            ("geographical-indication", "地理标志 geographical indication"),
            ("gap", "良好农业规范 GAP"), ("other", "其他 other"))),
        AppField("number", "编号", "Number", required=True, max_length=60),
        AppField("issuer", "开具单位", "Issued by", required=True),
        AppField("valid_from", "开具日期", "Valid from", "time", True),
        AppField("contact", "联系电话", "Contact",
                 hint="合格证必填 a 承诺达标合格证 needs a contact"),
        AppField("basis", "承诺依据", "Basis", "choice",
                 options=tuple((code, f"{zh} {en}") for code, (zh, en) in BASES.items()),
                 hint="合格证必填；检测依据要选检测记录 required for a 承诺达标合格证; a test "
                      "basis names its test record"),
        AppField("basis_record", "检测记录", "Test record", "record"),
        AppField("commitment_text", "承诺内容", "Commitment", max_length=500,
                 default=DEFAULT_COMMITMENT),
    )),
    AppForm("correction", "Corrected", "更正", "Correction", (
        AppField("corrects", "更正哪条记录", "Record to correct", "record", True),
        AppField("field", "字段", "Field", "fieldname", True),
        AppField("value", "正确的值", "Correct value", "value", True, max_length=500),
        AppField("reason", "原因", "Reason", required=True, max_length=500),
    ), widget="correction"),
)}
