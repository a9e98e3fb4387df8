"""The audit report of a lot: a printable PDF, Chinese with English beside it, made from the
lot's verified proof bundle, and, issued as an official report, recorded in the ledger.

``build_report`` takes the lot's verified bundle at the latest checkpoint from the one server
path to it (``ledger.verified.verified_lot``), gathers what the records prove
(``report_facts``) and what the read models add (``report_ledger``: a recall's reach;
``scans.scan_report``: the scan report), and draws the pages (``report_sections``,
``report_pdf``). The report carries the bundle's SHA-256 and the checkpoint it rests on, and
a QR code: the lot's GS1 Digital Link when it has a GTIN, else the browser verifier's page
for its bundle.

The bytes depend only on the verified records, the read models' answers and the issuer, never
on the clock, so an official report's SHA-256 names exactly the bytes handed out.
``issue_report`` records that hash as a ``ReportIssued`` record on the lot's chain, signed by
the inspecting organisation (docs/records.md), with the bundle digest and the checkpoint.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import quote

from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Spacer, Table, TableStyle

from ledger.application import Ledger, Receipt
from ledger.digitallink.uris import DigitalLink
from ledger.errors import NotPermitted
from ledger.exports.report_facts import ReportFacts, report_facts
from ledger.exports.report_ledger import reach_of
from ledger.exports.report_pdf import (
    CONTENT_WIDTH,
    MARGIN,
    NOTE,
    TITLE,
    QrCode,
    grid,
    para,
    pdf_date,
    render_pages,
)
from ledger.exports.report_sections import LedgerFacts, sections
from ledger.exports.report_words import STATUS, bilingual
from ledger.exports.scans import scan_report
from ledger.log.service import TransparencyLog
from ledger.verified import VerifiedLot, verified_lot

__all__ = ["AuditReport", "build_report", "check_issuer", "issue_report", "report_uri"]

QR_SIZE = 112.0


@dataclass(frozen=True)
class AuditReport:
    lot: str
    pdf: bytes
    sha256: str  # of ``pdf``, hex
    bundle_sha256: str
    checkpoint_size: int
    checkpoint_root: str  # hex
    issuer: str | None  # the inspecting organisation of an official report


def check_issuer(ledger: Ledger, org: str) -> None:
    """Raise ``NotPermitted`` unless ``org`` is an inspector, who alone issues official
    reports."""
    if "inspector" not in ledger.organisation(org).roles:
        raise NotPermitted(f"{org} is not an inspector: only an inspecting organisation "
                           "issues an official report; ask without official=true for a copy",
                           field="official")


def build_report(ledger: Ledger, log: TransparencyLog, lot: str, *, host: str,
                 issuer: str | None = None) -> AuditReport:
    """The report of ``lot`` at the latest checkpoint; ``issuer``: the inspecting
    organisation an official report is issued by (checked, ``NotPermitted`` otherwise)."""
    if issuer is not None:
        check_issuer(ledger, issuer)
    verified = verified_lot(ledger, log, lot)
    facts = report_facts(verified)
    code = verified.bundle.lot
    extra = LedgerFacts(reach_of(ledger, code) if facts.state["status"] == "recalled" else None,
                        tuple(scan_report(ledger, lot=code)))
    issuer_name = None if issuer is None else ledger.organisation(issuer).name
    story = [*_cover(facts, report_uri(verified, host), issuer, issuer_name),
             *sections(facts, extra)]
    digest = verified.digest.hex()
    checkpoint = verified.bundle.checkpoint

    def footer(canvas: Canvas, page: int) -> None:
        canvas.saveState()
        canvas.setFont(NOTE.fontName, 7)
        canvas.setFillColorRGB(0.4, 0.4, 0.4)
        canvas.drawString(MARGIN, 28, f"agritrace / 批次 lot {code} / 检查点 "
                          f"checkpoint {checkpoint.size} / 证据包 bundle {digest[:16]}…")
        canvas.drawRightString(MARGIN + CONTENT_WIDTH, 28, f"第 {page} 页 page {page}")
        canvas.restoreState()

    pdf = render_pages(story, title=f"审核报告 Audit report {code}",
                       subject=f"lot {code}; bundle sha256 {digest}; checkpoint "
                               f"{checkpoint.origin} {checkpoint.size}",
                       keywords=f"agritrace {code} {digest}",
                       date=pdf_date(verified.result.as_of.time
                                     if verified.result.as_of else None),
                       footer=footer)
    return AuditReport(code, pdf, hashlib.sha256(pdf).hexdigest(), digest, checkpoint.size,
                       checkpoint.root_hash.hex(), issuer)


def issue_report(ledger: Ledger, report: AuditReport) -> Receipt:
    """Record the official ``report`` as its issuer's ``ReportIssued`` record on the lot."""
    if report.issuer is None:
        raise NotPermitted("only an official report is recorded", field="official")
    (receipt,) = ledger.record(report.issuer, "ReportIssued", {
        "report_sha256": report.sha256, "bundle_sha256": report.bundle_sha256,
        "checkpoint_size": report.checkpoint_size,
        "checkpoint_root": report.checkpoint_root}, lot=report.lot)
    return receipt


def report_uri(verified: VerifiedLot, host: str) -> str:
    """What the report's QR code holds: the lot's Digital Link URI when it has a GTIN, else
    the browser verifier's page for its bundle."""
    gtin = verified.state["gtin"]
    if gtin:
        return DigitalLink(gtin, verified.bundle.lot).uri(host)
    bundle = quote(f"/lots/{verified.bundle.lot}/bundle", safe="/")
    return f"{host.rstrip('/')}/static/verify.html?bundle={bundle}"


def _cover(facts: ReportFacts, uri: str, issuer: str | None,
           issuer_name: str | None) -> list[Flowable]:
    state = facts.state
    product = state["product"]
    origin = state["origin"] or {}
    verified = facts.verified
    rows = [["批次 Lot", state["lot"]],
            ["产品 Product", " ".join(p for p in (product["name"], product["variety"]) if p)
             or "—"],
            ["状态 Status", bilingual(STATUS, state["status"])],
            ["数量 Quantity", f"{state['quantity'] or '—'} {state['unit'] or ''}".strip()],
            ["产地 Origin", " ".join(str(origin[k]) for k in ("province", "city", "county",
                                                               "township", "village")
                                     if isinstance(origin.get(k), str)) or "—"],
            ["生产者 Producer", f"{facts.org_name(state['producer'])} ({state['producer']})"],
            ["检查点 Checkpoint", f"{verified.result.origin} / 大小 size "
                                  f"{verified.result.checkpoint_size} / "
                                  f"{state['as_of']['time'] or '—'}"],
            ["证据包 SHA-256 Bundle digest", verified.digest.hex()]]
    details = grid(rows, (0.27 * (CONTENT_WIDTH - QR_SIZE - 8),
                          0.73 * (CONTENT_WIDTH - QR_SIZE - 8)), header=False,
                   alerts=[2] if state["status"] in ("held", "recalled") else [])
    top = Table([[details, QrCode(uri, QR_SIZE)]],
                colWidths=[CONTENT_WIDTH - QR_SIZE - 8, QR_SIZE + 8])
    top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                             ("LEFTPADDING", (0, 0), (-1, -1), 0),
                             ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    if issuer is None:
        kind = para("非正式副本：未记录于账本。Unofficial copy: not recorded in the ledger.", NOTE)
    else:
        kind = para(f"正式报告，出具机构 Official report, issued by {issuer_name} ({issuer}). "
                    "本报告文件的 SHA-256 已作为该机构签名的 ReportIssued 记录写入本批次的链。"
                    "The SHA-256 of this file is recorded on the lot's chain as a ReportIssued "
                    "record signed by that organisation.", bold=True)
    return [para("农产品追溯审核报告 Traceability audit report", TITLE), kind, Spacer(1, 6),
            top, para(f"二维码 QR: {uri}", NOTE), Spacer(1, 4)]
