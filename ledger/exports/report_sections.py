"""The audit report's sections, each a list of flowables drawn from the report's facts.

Record times are UTC; the report shows them in UTC+8 (``ledger.consumer.timeline``).
Sections with nothing to show say so, in both languages, rather than disappear: an inspector
reading "no inspections" learns something.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.platypus import Flowable, Spacer

from ledger.consumer.timeline import local_minute
from ledger.exports.coldchain_chart import coldchain_drawing
from ledger.exports.lineage_graph import lineage_drawing
from ledger.exports.report_facts import ReportFacts
from ledger.exports.report_ledger import Reach
from ledger.exports.report_pdf import CONTENT_WIDTH, HEADING, NOTE, grid, para
from ledger.exports.report_words import KINDS, SCHEMES, STATUS, STEPS, VERDICTS, bilingual
from ledger.exports.scans import IMPLAUSIBLE_SCANS, ScanDay

__all__ = ["LedgerFacts", "sections"]

W = CONTENT_WIDTH


@dataclass(frozen=True)
class LedgerFacts:
    """What the report shows from the ledger's read models, as of its making."""

    reach: Reach | None
    scans: tuple[ScanDay, ...]


def sections(facts: ReportFacts, ledger: LedgerFacts) -> list[Flowable]:
    story: list[Flowable] = []
    for part in (_state, _lineage, _custody, _coldchain, _inspections, _certificates):
        story += part(facts)
    story += _standing(facts, ledger.reach)
    story += _purchases(facts)
    story += _scans(ledger.scans)
    story += _verification(facts)
    return story


def _heading(number: int, title: str) -> Flowable:
    return para(f"{number}. {title}", HEADING)


def _when(moment: str | None) -> str:
    return "—" if moment is None else local_minute(moment)


def _state(facts: ReportFacts) -> list[Flowable]:
    state = facts.state
    flagged = state["flagged_ancestors"]
    rows = [["项目 Item", "内容 Value"],
            ["状态 Status", bilingual(STATUS, state["status"])],
            ["原因 Reason", state["status_reason"] or "—"],
            ["受影响的上游批次 Flagged ancestors",
             "; ".join(f"{f['lot']} {bilingual(STATUS, f['status'])} {f['reason'] or ''}"
                       for f in flagged) or "—"],
            ["等级 Grade", state["grade"] or "—"],
            ["GTIN", state["gtin"] or "—"],
            ["包装 Packed", "; ".join(_packing(p) for p in state["packed"]) or "—"],
            ["冷链超温 Excursions", str(len(state["excursions"]))],
            ["更正 Corrections applied", str(len(state["corrections"]))]]
    alerts = [1] if state["status"] in ("held", "recalled") else []
    return [_heading(1, "已验证状态 Verified state"),
            para("由验证通过的记录推导，而非服务器声明。Derived from the verified records, "
                 "not asserted by the server.", NOTE),
            grid(rows, (0.3 * W, 0.7 * W), alerts=alerts)]


def _packing(packed: Mapping[str, Any]) -> str:
    text = f"{packed['units']} × {packed['net_weight_per_unit']} {packed['net_weight_unit']}"
    if packed["best_before"]:
        text += f" / 保质期至 best before {_when(packed['best_before'])}"
    return text


def _lineage(facts: ReportFacts) -> list[Flowable]:
    flagged = {f["lot"] for f in facts.state["flagged_ancestors"]}
    if facts.state["status"] in ("held", "recalled"):
        flagged.add(facts.state["lot"])
    return [_heading(2, "谱系 Lineage"),
            para("方框为批次，箭头为转化及数量；红色为暂扣或召回。Boxes are lots, arrows the "
                 "transformations with the quantity that went into the next lot; red: held or "
                 "recalled.", NOTE),
            lineage_drawing(facts.nodes, facts.edges, W, flagged)]


def _custody(facts: ReportFacts) -> list[Flowable]:
    rows: list[list[str]] = [["时间 Time (UTC+8)", "环节 Step", "批次 Lot", "机构 By",
                              "对方 To/From", "地点与单据 Place, documents"]]
    for move in facts.movements:
        data = move.data
        place = " / ".join(str(data[key]) for key in ("location", "to_location", "carrier",
                                                      "vehicle", "waybill", "invoice")
                           if isinstance(data.get(key), str))
        if isinstance(data.get("temp_c"), str):
            place += f" / {data['temp_c']} ℃"
        rows.append([_when(move.time), bilingual(STEPS, move.step), move.lot,
                     facts.org_name(move.org), facts.org_name(move.other or "—"), place])
    story: list[Flowable] = [
        _heading(3, "流转与运输 Custody and shipments"),
        para(f"当前持有者 Current custodian: {facts.org_name(facts.state['custodian'])} "
             f"({facts.state['custodian']})")]
    if len(rows) == 1:
        return [*story, para("无发运记录。No shipments recorded.", NOTE)]
    return [*story, grid(rows, (0.15 * W, 0.13 * W, 0.12 * W, 0.17 * W, 0.17 * W, 0.26 * W))]


def _coldchain(facts: ReportFacts) -> list[Flowable]:
    story: list[Flowable] = [
        _heading(4, "冷链 Cold chain"),
        para("绿色区域为冷库目标温度范围；红点为超温；灰线为预冷（不判定）。Green: a cold store's "
             "target range; red: excursions; grey: pre-cooling (not judged).", NOTE)]
    if not facts.readings:
        return [*story, para("无温度记录。No temperature readings recorded.", NOTE)]
    story.append(coldchain_drawing(facts.readings, facts.bands, W))
    for band in facts.bands:
        target = f"{band.low if band.low is not None else '…'} – " \
                 f"{band.high if band.high is not None else '…'} ℃"
        story.append(para(f"冷库 Cold store: {band.facility or '—'}，目标 target {target}，"
                          f"{_when(band.start)} – {_when(band.end)}", NOTE))
    excursions = facts.state["excursions"]
    if excursions:
        rows = [["时间 Time (UTC+8)", "温度 Temperature", "目标范围 Target range", "记录 Record"]]
        for e in excursions:
            target = f"{e['target_min_c'] or '…'} – {e['target_max_c'] or '…'} ℃"
            rows.append([_when(e["at"]), f"{e['temp_c']} ℃", target, e["record"][:16]])
        story += [Spacer(1, 4), grid(rows, (0.25 * W, 0.2 * W, 0.25 * W, 0.3 * W),
                                     alerts=range(1, len(rows)))]
    return story


def _inspections(facts: ReportFacts) -> list[Flowable]:
    story: list[Flowable] = [_heading(5, "检验检测 Inspections and lab results")]
    inspections: Sequence[Mapping[str, Any]] = facts.state["inspections"]
    if not inspections:
        return [*story, para("无检验记录。No inspections recorded.", NOTE)]
    rows: list[list[str]] = [["时间 Time", "批次 Lot / 机构 By", "类型 Kind", "结论 Verdict",
                              "项目 Analyte", "结果 Result", "限量 Limit"]]
    alerts = []
    for item in inspections:
        record = facts.record(item["record"])
        who = f"{record.subject} / {facts.org_name(record.org)}" if record else "—"
        head = [_when(item["time"]), who, bilingual(KINDS, item["kind"]),
                bilingual(VERDICTS, item["verdict"])]
        if item["verdict"] == "fail":
            alerts.append(len(rows))
        results = [r for r in item["results"] if isinstance(r, Mapping)] or [{}]
        for i, result in enumerate(results):
            value = f"{result.get('value', '—')} {result.get('unit', '')}".strip()
            limit = result.get("limit")
            verdict = result.get("verdict")
            if verdict == "fail" and len(rows) not in alerts:
                alerts.append(len(rows))
            rows.append([*(head if i == 0 else ["", "", "", ""]),
                         str(result.get("analyte", "—")),
                         f"{value} {bilingual(VERDICTS, verdict) if verdict else ''}".strip(),
                         f"≤ {limit} {result.get('unit', '')}" if limit else "—"])
    return [*story, grid(rows, (0.13 * W, 0.2 * W, 0.13 * W, 0.1 * W, 0.16 * W, 0.16 * W,
                                0.12 * W), alerts=alerts)]


def _certificates(facts: ReportFacts) -> list[Flowable]:
    story: list[Flowable] = [_heading(6, "证书 Certificates")]
    certificates = facts.state["certificates"]
    if not certificates:
        return [*story, para("无证书记录。No certificates recorded.", NOTE)]
    rows = [["类型 Scheme", "编号 Number", "签发 Issuer", "有效期 Valid", "当前 Now"]]
    for c in certificates:
        rows.append([bilingual(SCHEMES, c["scheme"]), c["number"] or "—", c["issuer"] or "—",
                     f"{_when(c['valid_from'])} – {_when(c['valid_until'])}",
                     "有效 valid" if c["valid"] else "无效 not valid"])
    return [*story, grid(rows, (0.24 * W, 0.18 * W, 0.22 * W, 0.24 * W, 0.12 * W))]


def _standing(facts: ReportFacts, reach: Reach | None) -> list[Flowable]:
    story: list[Flowable] = [_heading(7, "暂扣与召回 Holds and recalls")]
    if facts.standing:
        rows = [["时间 Time", "批次 Lot", "环节 Step", "机构 By", "原因 Reason"]]
        for record in facts.standing:
            rows.append([_when(record.time), record.subject, bilingual(STEPS, record.type),
                         facts.org_name(record.org), str(record.data.get("reason", "—"))])
        story.append(grid(rows, (0.15 * W, 0.15 * W, 0.15 * W, 0.2 * W, 0.35 * W),
                          alerts=[i for i, r in enumerate(facts.standing, 1)
                                  if r.type != "Released"]))
    else:
        story.append(para("无暂扣或召回。No holds or recalls recorded.", NOTE))
    if reach is not None:
        story += [Spacer(1, 4), para(
            f"召回范围 Recall reach: 召回令 order {reach.order[:16] if reach.order else '—'} "
            f"(批次 lot {reach.lot}) 涉及 {len(reach.lots)} 个批次 lots. 以下持有者来自账本索引，"
            "为出具时情况，不属于证据包。The holders below are from the ledger's index as of "
            "this report, not part of the bundle.", NOTE)]
        rows = [["持有者 Holder", "持有批次 Holds", "在途接收 Receiving"]]
        for org, holds, receiving in reach.holders:
            rows.append([f"{facts.org_name(org)} ({org})", ", ".join(holds) or "—",
                         ", ".join(receiving) or "—"])
        story.append(grid(rows, (0.4 * W, 0.3 * W, 0.3 * W)))
    return story


def _purchases(facts: ReportFacts) -> list[Flowable]:
    p = facts.purchases
    amounts = "; ".join(f"{amount} {unit}" for unit, amount in sorted(p.quantity.items()))
    rows = [["项目 Item", "数量 Count"],
            ["收购笔数 Purchases from households", str(p.count)],
            ["其中登记贫困户 From registered poor households", str(p.registered_poor)],
            ["低于保护价 Below the protective price", str(p.below_protective_price)],
            ["收购总量 Quantity purchased", amounts or "—"]]
    return [_heading(8, "保护价收购 Protective-price purchases"),
            para("只计数量，不显示农户身份。Counts only; households are never named.", NOTE),
            grid(rows, (0.6 * W, 0.4 * W), alerts=[3] if p.below_protective_price else [])]


def _scans(days: Sequence[ScanDay]) -> list[Flowable]:
    """The scan report of the lot (``ledger.exports.scans.scan_report``, as
    ``GET /exports/scans.csv?lot=`` gives it): per UTC day and GTIN."""
    story: list[Flowable] = [
        _heading(9, "扫码统计 Scan statistics"),
        para("每日（UTC）扫码统计，来自账本索引，为出具时情况，与扫码报表 scans.csv 相同。"
             "Scans per UTC day, from the ledger's index as of this report, not part of the "
             "bundle; the figures of the scan report (scans.csv).", NOTE)]
    if not days:
        return [*story, para("无扫码记录。No scans of serialised codes.", NOTE)]
    rows = [["日期 Day (UTC)", "GTIN", "扫码次数 Scans", "序列号数 Serials",
             f"扫码过多 > {IMPLAUSIBLE_SCANS}", "过期后扫码 After best-before"]]
    rows += [[d.day, d.gtin, str(d.scans), str(d.serials), str(d.implausible),
              str(d.after_best_before)] for d in days]
    alerts = [row for row, d in enumerate(days, 1) if d.implausible or d.after_best_before]
    story.append(grid(rows, (0.17 * W, 0.23 * W, 0.13 * W, 0.13 * W, 0.15 * W, 0.19 * W),
                      alerts=alerts))
    best_before = next((d.best_before for d in days if d.best_before), None)
    notes = [f"扫码过多：截至当天累计被扫超过 {IMPLAUSIBLE_SCANS} 次的序列号数"
             "（一箱农产品不太可能被扫这么多次）；"
             f"过期后扫码：保质期之后开始的日子里被扫的序列号数。Scanned > {IMPLAUSIBLE_SCANS}: "
             f"serials scanned that day whose scans up to that day exceed {IMPLAUSIBLE_SCANS}; "
             "after best-before: serials scanned on a day that began after the best-before."]
    if best_before is not None:
        notes.append(f"保质期至 Best before: {_when(best_before)} (UTC+8)")
    listed = [f"{d.day} {d.gtin}: {' '.join(d.implausible_serials)}"
              for d in days if d.implausible_serials]
    if listed:
        notes.append("扫码过多的序列号 Serials scanned too often: " + "; ".join(listed))
    return [*story, *(para(text, NOTE) for text in notes)]


def _verification(facts: ReportFacts) -> list[Flowable]:
    verified = facts.verified
    result = verified.result
    note = verified.bundle.note
    as_of = facts.state["as_of"]
    cosigners = sorted({s.name for s in note.signatures} - {result.origin})
    rows = [["项目 Item", "内容 Value"],
            ["验证记录数 Records verified", str(result.records)],
            ["批次 Lots", ", ".join(result.lots)],
            ["完整性 Completeness", "已证明 proven (bundle v2)" if result.complete
             else "未证明 not proven (bundle v1)"],
            ["日志 Log origin", result.origin],
            ["检查点大小 Checkpoint size", str(result.checkpoint_size)],
            ["检查点时间 Checkpoint time", as_of["time"] or "—"],
            ["检查点根 Checkpoint root (hex)", result.root_hash.hex()],
            ["见证人 Cosigners", ", ".join(cosigners) or "无 none"],
            ["证据包 SHA-256 Bundle digest", verified.digest.hex()]]
    signers = [["机构 Organisation", "角色 Roles", "记录 Records", "密钥 Keys (使用 used *)"]]
    for s in facts.signers:
        signers.append([f"{s.name} ({s.org})", ", ".join(s.roles), str(s.records),
                        _keys_cell(s.keys, s.used)])
    return [_heading(10, "验证摘要 Verification summary"),
            grid(rows, (0.3 * W, 0.7 * W)), Spacer(1, 6),
            para("签名机构及其密钥 Signers and their keys", NOTE),
            grid(signers, (0.3 * W, 0.16 * W, 0.12 * W, 0.42 * W))]


SHOWN_KEYS = 6


def _keys_cell(keys: Sequence[tuple[str, str]], used: Collection[str]) -> str:
    """Up to ``SHOWN_KEYS`` of the keys that signed records here, in full, and how many other
    keys the organisation has: it may hold thousands (a phone each), more than a page shows."""
    signing = [(key, state) for key, state in keys if key in used]
    shown = [f"{key}* ({'有效 active' if state == 'active' else '已撤销 revoked'})"
             for key, state in signing[:SHOWN_KEYS]]
    rest = signing[SHOWN_KEYS:] + [(key, state) for key, state in keys if key not in used]
    active = sum(1 for _, state in rest if state == "active")
    revoked = len(rest) - active
    if rest:
        shown.append(f"另有 {active} 把有效、{revoked} 把已撤销 "
                     f"and {active} more active, {revoked} revoked")
    return ", ".join(shown) or "—"
