"""The audit report over HTTP: ``GET /exports/report.pdf?lot=…[&official=true]``.

Any organisation's token gets a copy of a lot's report (it shows who holds the lots a recall
reaches, which ``GET /recalls/{recall}`` shows to any token too). With ``official=true`` an
inspector's token issues it: the report's SHA-256 is recorded as the inspector's
``ReportIssued`` record on the lot before the bytes are returned, and the answer's headers
name that record. Another organisation asking for an official report is refused with 403
naming ``official`` and why; an unknown lot is 404.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import CallerDep, ServicesDep
from api.schemas.common import LOT_PATTERN
from api.schemas.common import errors as documented
from ledger.exports.report import build_report, issue_report

__all__ = ["router"]

router = APIRouter(tags=["exports 导出"])
PDF = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}


@router.get("/exports/report.pdf", response_class=Response,
            responses={200: {"content": PDF, "description": "the lot's audit report"},
                       **documented(400, 401, 403, 404, plain=True)},
            summary="A lot's audit report 审核报告 (PDF)")
def audit_report(
    services: ServicesDep, caller: CallerDep,
    lot: Annotated[str, Query(pattern=LOT_PATTERN, description="The lot code (GS1 AI 10).")],
    official: Annotated[bool, Query(description="Issue it as the calling inspector's official "
                                                "report, recorded in the ledger.")] = False,
) -> Response:
    """The lot's audit report at the latest checkpoint, in Chinese with English beside it:
    its verified state, lineage, custody, cold chain, inspections, certificates, holds and
    recalls, purchases (counts), scans and the verification summary (docs/report.md).
    Headers: ``X-Report-SHA256``, ``X-Bundle-SHA256``, ``X-Checkpoint-Size``, and for an
    official report ``X-Report-Record``, the hash of its ``ReportIssued`` record."""
    issuer = caller.acting_org() if official else None
    services.scanning.scans.flush()  # the scan section counts the scans just made, as scans.csv
    report = build_report(services.ledger, services.log, lot, host=services.scanning.host,
                          issuer=issuer)
    headers = {"Content-Disposition": f'inline; filename="{quote(report.lot)}.report.pdf"',
               "X-Report-SHA256": report.sha256, "X-Bundle-SHA256": report.bundle_sha256,
               "X-Checkpoint-Size": str(report.checkpoint_size)}
    if issuer is not None:
        with services.writes:
            headers["X-Report-Record"] = issue_report(services.ledger, report).hash
    return Response(report.pdf, media_type="application/pdf", headers=headers)
