"""A lot's history as JSON (``GET /lots/{lot}``) and a bilingual index page (``GET /``)."""

from __future__ import annotations

import base64
from html import escape
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from api.deps import LedgerDep, LogDep
from ledger.application import SignedRecord
from ledger.bundles import MEDIA_TYPE, build_bundle, bundle_json
from ledger.domain.fields import format_decimal
from ledger.domain.lot import Lot

__all__ = ["lot_summary", "record_entry", "router"]

INDEX_LIMIT = 200
router = APIRouter(tags=["lots 批次"])


@router.get("/lots/{lot}/bundle", response_class=Response,
            responses={200: {"content": {MEDIA_TYPE: {}},
                             "description": "the lot's proof bundle (docs/bundle.md)"}})
def lot_bundle(lot: str, ledger: LedgerDep, log: LogDep,
               since: Annotated[list[int] | None, Query(
                   description="earlier checkpoint sizes to prove consistency from")] = None,
               ) -> Response:
    """The lot's proof bundle: its records and every ancestor's, with inclusion proofs
    against one signed checkpoint; check it offline with ``agritrace-verify``."""
    bundle = build_bundle(ledger, log, lot, since=since or ())
    return Response(bundle_json(bundle), media_type=MEDIA_TYPE,
                    headers={"Content-Disposition": f'inline; filename="{quote(lot)}.bundle.json"'})


@router.get("/lots/{lot}")
def lot_history(lot: str, ledger: LedgerDep) -> dict[str, Any]:
    """A lot's summary and every record of its chain, in order."""
    history = ledger.lot_history(lot)
    return {"lot": lot_summary(ledger.lot(lot)),
            "history": [record_entry(signed) for signed in history]}


def lot_summary(lot: Lot) -> dict[str, Any]:
    return {
        "lot": lot.code, "product": lot.product, "origin": lot.origin,
        "quantity": format_decimal(lot.quantity), "remaining": format_decimal(lot.remaining),
        "unit": lot.unit, "status": lot.status, "custodian": lot.custodian,
        "in_transit_to": lot.in_transit_to, "grade": lot.grade, "gtin": lot.gtin,
        "started": lot.started_at, "parents": lot.parents, "children": lot.children,
        "head": lot.head.hex(),
    }


def record_entry(signed: SignedRecord) -> dict[str, Any]:
    record = signed.record
    return {
        "seq": record.seq, "type": record.type, "time": record.time, "org": record.org,
        "data": record.data, "hash": record.hash_hex, "prev": record.prev.hex(),
        "links": [link.hex() for link in record.links], "key": record.key,
        "recorded": record.recorded,
        "signature": base64.b64encode(signed.signature).decode("ascii"),
    }


@router.get("/", response_class=HTMLResponse)
def index(ledger: LedgerDep) -> HTMLResponse:
    """A small bilingual page listing the lots (the demo lots after ``agritrace demo``)."""
    firsts = ledger.chains("lot")[:INDEX_LIMIT]
    rows = "\n".join(
        f'<li><a href="/lots/{quote(first.subject)}">{escape(first.subject)}</a> '
        f"{escape(str(first.data.get('product', {}).get('name', '')))} "
        f"<small>{escape(first.type)} {escape(first.time)}</small></li>"
        for first in firsts)
    body = (f"<ul>\n{rows}\n</ul>" if rows else
            "<p>尚无批次。运行 <code>agritrace demo</code> 写入演示数据。<br>"
            "No lots yet: run <code>agritrace demo</code> to seed the demo data.</p>")
    return HTMLResponse(PAGE.format(body=body))


PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>agritrace 农产品追溯 · produce traceability</title>
</head>
<body>
<h1>农产品追溯账本 <small lang="en">Produce traceability ledger</small></h1>
<p>每条记录都经签名并哈希链接。<span lang="en">Every record is signed and hash-chained.</span></p>
<h2>批次 <small lang="en">Lots</small></h2>
{body}
<p><a href="/healthz">healthz</a> · <a href="/log/checkpoint">checkpoint 检查点</a> ·
<a href="/docs">API docs</a></p>
</body>
</html>
"""
