"""Key facts: one short line per record type, for people reading a history."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ledger.cli.context import HASH_SHOWN
from verify.records import Record

__all__ = ["FACTS", "key_facts"]

def key_facts(record: Record) -> str:
    describe_step = FACTS.get(record.type)
    text = describe_step(record.data) if describe_step else ""
    return text if len(text) <= 90 else text[:89] + "…"


def _harvested(d: Mapping[str, Any]) -> str:
    origin = "".join(str(d["origin"].get(k, "")) for k in ("county", "township", "village"))
    return f"{d['quantity']} {d['unit']} · {origin}"


def _collected(d: Mapping[str, Any]) -> str:
    if "purchases" in d:
        return (f"{d['quantity']} {d['unit']} from {len(d['purchases'])} purchases at "
                f"{d['collection_point']}")
    return f"{d['quantity']} → {d['into']}"


def _graded(d: Mapping[str, Any]) -> str:
    if "outputs" not in d:
        return f"{d['grade']} {d['quantity']} {d['unit']} from {d['from']}"
    parts = [f"{o['lot']} {o['grade']} {o['quantity']}" for o in d["outputs"]]
    return "; ".join(parts) + (f"; loss {d['loss']}" if "loss" in d else "")


def _stored(d: Mapping[str, Any]) -> str:
    text = str(d["facility"])
    if "min_c" in d and "max_c" in d:
        text += f" · {d['min_c']}–{d['max_c']} °C"
    low, high = d.get("target_min_c"), d.get("target_max_c")
    if low is not None and high is not None:
        outside = [r for r in d.get("readings", [])
                   if not Decimal(low) <= Decimal(r["temp_c"]) <= Decimal(high)]
        if outside:
            text += f" · ⚠ {len(outside)} reading(s) outside {low}–{high} °C"
    return text


def _inspected(d: Mapping[str, Any]) -> str:
    failed = [r["analyte"] for r in d.get("results", []) if r.get("verdict") == "fail"]
    return f"{d['kind']} {d['verdict']}" + (f": {', '.join(failed)}" if failed else "")


def _party(d: Mapping[str, Any], arrow: str, who: str) -> str:
    text = f"{arrow} {d[who]}"
    if "waybill" in d:
        text += f" · {d['waybill']}"
    return text + (f" · {d['temp_c']} °C" if "temp_c" in d else "")


FACTS: Mapping[str, Callable[[Mapping[str, Any]], str]] = {
    "Harvested": _harvested,
    "Collected": _collected,
    "Graded": _graded,
    "PreCooled": lambda d: (f"{d['method']} · core {d['reached_core_temp_c']} °C "
                            f"(target {d['target_core_temp_c']})"),
    "Stored": _stored,
    "Packed": lambda d: (f"{d['units']} × {d['net_weight_per_unit']} {d['net_weight_unit']} "
                         f"· GTIN {d['gtin']}"),
    "Shipped": lambda d: _party(d, "→", "to"),
    "Received": lambda d: _party(d, "←", "from"),
    "Inspected": _inspected,
    "Certified": lambda d: f"{d['scheme']} {d['number']}",
    "Held": lambda d: str(d["reason"]),
    "Released": lambda d: str(d["reason"]),
    "Recalled": lambda d: str(d["reason"]),
    "Corrected": lambda d: f"corrects {str(d['corrects'])[:HASH_SHOWN]}: {d['reason']}",
    "ReportIssued": lambda d: (f"audit report sha256 {str(d['report_sha256'])[:HASH_SHOWN]} "
                               f"at checkpoint {d['checkpoint_size']}"),
    "PrivateDataRead": lambda d: (f"private data of {', '.join(map(str, d['lots']))} read "
                                  f"under inspection {str(d['inspection'])[:HASH_SHOWN]}"),
}
