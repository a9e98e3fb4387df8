"""The audit report's words: Chinese first, English beside it."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["KINDS", "SCHEMES", "STATUS", "STEPS", "VERDICTS", "bilingual"]

STATUS: Mapping[str, str] = {
    "active": "正常 active",
    "held": "暂扣待查 on hold",
    "released": "已解除暂扣 released from hold",
    "recalled": "已召回 recalled",
    "consumed": "已分级或合并 used up by grading or merging",
    "in-transit": "运输中 in transit",
}
STEPS: Mapping[str, str] = {
    "Harvested": "采收 Harvested", "Collected": "田头集货 Collected",
    "Graded": "分等分级 Graded", "PreCooled": "产地预冷 Pre-cooled",
    "Stored": "冷藏 Stored", "Packed": "分级包装 Packed", "Shipped": "发运 Shipped",
    "Received": "收货 Received", "Inspected": "检验检测 Inspected",
    "Certified": "证书 Certified", "Held": "暂扣 Held", "Released": "解除暂扣 Released",
    "Recalled": "召回 Recalled", "Corrected": "更正 Corrected",
    "ReportIssued": "出具审核报告 Report issued",
    "PrivateDataRead": "监管查阅供货信息 Private data read",
}
VERDICTS: Mapping[str, str] = {"pass": "合格 pass", "fail": "不合格 fail"}
KINDS: Mapping[str, str] = {
    "visual": "感官检查 visual", "lab": "实验室检测 lab", "documents": "查验票证 documents",
    "rapid-test": "快速检测 rapid test",
}
SCHEMES: Mapping[str, str] = {
    "green-food": "绿色食品 green food", "organic": "有机产品 organic",
    "geographical-indication": "地理标志 geographical indication", "gap": "GAP",
    "compliance-certificate": "承诺达标合格证 compliance certificate", "other": "其他 other",
}


def bilingual(words: Mapping[str, str], code: str | None) -> str:
    """The words for ``code``, or the code itself when there are none."""
    if code is None:
        return "—"
    return words.get(code, code)
