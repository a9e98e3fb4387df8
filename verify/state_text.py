"""The derived lot state (``verify.state``) in words, Chinese first and English beside it,
as ``agritrace-verify`` prints it under a valid bundle's summary."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from verify.freshness import AsOf, describe_age, format_utc

__all__ = ["STATUS_WORDS", "describe_state"]

STATUS_WORDS = {
    "recalled": "已召回 recalled",
    "held": "暂扣 held",
    "released": "已放行 released",
    "active": "在售 active",
    "consumed": "已用完 consumed",
}
_MEANING = {
    "recalled": "这些记录真实，并表明该批次已被召回 these records are genuine, and they say "
                "this lot is recalled",
    "held": "这些记录真实，并表明该批次正被暂扣 these records are genuine, and they say this "
            "lot is on hold",
}
_PLACE = ("province", "city", "county", "township", "village", "base", "plot")
_VERDICTS = {"pass": "合格 pass", "fail": "不合格 fail"}


def describe_state(state: Mapping[str, Any], as_of: AsOf, now: int) -> list[str]:
    """Lines describing ``state`` (indented two spaces), its age judged at ``now``."""
    lines = [f"状态 status: {STATUS_WORDS.get(state['status'], state['status'])}"]
    if state["status"] in _MEANING:
        lines.append(f"  {_MEANING[state['status']]}")
    if state["status_record"]:
        lines.append(f"  依据记录 record {state['status_record']}"
                     + (f" — 原因 reason: {state['status_reason']}"
                        if state["status_reason"] else ""))
    for flagged in state["flagged_ancestors"]:
        lines.append(f"  上游批次 ancestor lot {flagged['lot']}: "
                     f"{STATUS_WORDS[flagged['status']]} (记录 record {flagged['record']})"
                     + (f" — {flagged['reason']}" if flagged["reason"] else ""))
    lines += _what(state)
    lines += _checks(state)
    lines.append(_as_of_line(as_of, now))
    return [f"  {line}" for line in lines]


def _what(state: Mapping[str, Any]) -> list[str]:
    product = state["product"]
    named = " · ".join(part for part in (product["name"], product["variety"]) if part)
    extra = [f"等级 grade {state['grade']}" if state["grade"] else "",
             f"GTIN {state['gtin']}" if state["gtin"] else ""]
    lines = [f"产品 product: {' · '.join(part for part in (named, *extra) if part) or '—'}",
             f"数量 quantity: {state['quantity'] or '—'} {state['unit'] or ''}".rstrip()]
    origin = state["origin"] or {}
    place = " ".join(origin[key] for key in _PLACE if isinstance(origin.get(key), str))
    lines.append(f"产地 origin: {place or '—'}")
    lines.append(f"生产者 producer: {state['producer']} · 持有者 custodian: "
                 f"{state['custodian']}")
    for pack in state["packed"]:
        lines.append(f"包装 packed: {pack['units']} × {pack['net_weight_per_unit']} "
                     f"{pack['net_weight_unit']}, GTIN {pack['gtin']}"
                     + (f", 保质期至 best before {pack['best_before']}"
                        if pack["best_before"] else ""))
    return lines


def _checks(state: Mapping[str, Any]) -> list[str]:
    lines = []
    for cert in state["certificates"]:
        validity = "有效 valid" if cert["valid"] else "无效 not valid"
        until = f" 至 until {cert['valid_until']}" if cert["valid_until"] else ""
        lines.append(f"证书 certificate: {cert['scheme']} {cert['number']} ({cert['issuer']}) "
                     f"{validity}, 自 from {cert['valid_from']}{until}")
    for check in state["inspections"]:
        where = ", ".join(part for part in (check["lab"], check["report"]) if part)
        lines.append(f"检验 inspection: {check['time']} {check['kind']} "
                     f"{_VERDICTS.get(check['verdict'], check['verdict'])}"
                     + (f" ({where})" if where else ""))
        lines += [f"  {_result(result)}" for result in check["results"]]
    for hot in state["excursions"]:
        lines.append(f"冷链超温 cold-chain excursion: {hot['at'] or '—'} {hot['temp_c']} °C "
                     f"(目标 target {_band(hot['target_min_c'], hot['target_max_c'])})")
    for sale in state["below_protective_price"]:
        lines.append(f"低于保护价收购 bought below the protective price: lot {sale['lot']} at "
                     f"{sale['price_per_kg']} < {sale['protective_price_per_kg']} 元/kg")
    for fix in state["corrections"]:
        lines.append(f"更正 correction {fix['record']} of {fix['original']}: "
                     f"{', '.join(fix['fields'])}"
                     + (f" — {fix['reason']}" if fix["reason"] else ""))
    return lines


def _result(result: Any) -> str:
    if not isinstance(result, Mapping):
        return str(result)
    limit = f" (限量 limit {result.get('limit')})" if result.get("limit") else ""
    verdict = _VERDICTS.get(str(result.get("verdict")), str(result.get("verdict")))
    return (f"{result.get('analyte')} {result.get('value')} {result.get('unit')}{limit} "
            f"{verdict}")


def _band(low: str | None, high: str | None) -> str:
    return f"{low if low is not None else '…'}–{high if high is not None else '…'} °C"


def _as_of_line(as_of: AsOf, now: int) -> str:
    complete = "已证明完整 complete" if as_of.complete else "未证明完整 completeness not proven"
    latest = as_of.latest
    if latest is None:
        return (f"验证截至 verified as of: 时间未知 unknown (检查点 checkpoint {as_of.size}, "
                f"{complete})")
    chinese, english = describe_age(now - latest)
    when = format_utc(latest).replace("T", " ")[:16] + " UTC"
    return f"验证截至 verified as of: {when} ({chinese} {english}; {complete})"
