"""The per-batch commitment compliance certificate (承诺达标合格证), issued as a signed record.

The certificate is a ``Certified`` record with scheme ``compliance-certificate`` on the lot,
signed by the issuing organisation like every record; the printed page and its PDF render
that record, together with the lot's product, quantity and origin, and a QR code of the lot's
page, where anyone can check the record. The fields are those the rules require: product
name, quantity (weight), origin, issue date (开具日期), issuing organisation and contact, the
commitment and its basis (``ledger.domain.certificates``, which also checks them when the
certificate is issued). Nothing is printed for a lot that is recalled or on hold, or made
from one that is.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from ledger.application import Ledger, Receipt
from ledger.consumer.model import LotSummary
from ledger.consumer.summary import PUBLIC_ORIGIN
from ledger.consumer.timeline import local_date, quantity
from ledger.digitallink.uris import lot_page_uri
from ledger.domain.certificates import BASES, COMPLIANCE_CERTIFICATE, DEFAULT_COMMITMENT
from ledger.domain.fields import timestamp
from ledger.errors import NotFound
from ledger.labels.pdf import FONT, draw_qr, fit_lines, new_pdf, wrap
from ledger.labels.standing import require_standing

__all__ = [
    "DEFAULT_COMMITMENT",
    "ComplianceCertificate",
    "certificate_pdf",
    "compliance_certificate",
    "issue_compliance_certificate",
]


@dataclass(frozen=True)
class ComplianceCertificate:
    """What the printed certificate shows, all from signed records."""

    number: str
    lot: str
    product: str
    variety: str | None
    quantity: str
    origin: str
    issued: str  # date, UTC+8
    issuer: str
    contact: str | None
    commitment: str
    basis: str | None  # 委托检测 Commissioned test, …; None on certificates issued before it
    basis_record: str | None  # the lab or rapid-test record it rests on, hex
    record: str  # the Certified record's hash, hex
    uri: str  # the lot's page, for the QR code


def compliance_certificate(summary: LotSummary, host: str | None) -> ComplianceCertificate:
    """The lot's latest compliance certificate; ``NotFound`` when it was issued none,
    ``LotRecalled`` or ``LotHeld`` when the lot or one it was made from is recalled or held."""
    require_standing(summary, "its 承诺达标合格证 (compliance certificate)")
    certificate = summary.compliance_certificate()
    if certificate is None:
        raise NotFound(f"lot {summary.lot} has no compliance certificate (承诺达标合格证); "
                       "issue one first", field="lot")
    amount = quantity(summary.quantity, summary.unit)
    packing = summary.packing
    if packing is not None:
        amount += (f" ({packing.units} × "
                   f"{quantity(packing.net_weight_per_unit, packing.net_weight_unit)})")
    return ComplianceCertificate(
        number=certificate.number, lot=summary.lot, product=summary.product_name,
        variety=summary.variety, quantity=amount,
        origin=" ".join(summary.origin[k] for k in PUBLIC_ORIGIN if k in summary.origin),
        issued=local_date(certificate.valid_from), issuer=certificate.issuer,
        contact=certificate.contact, commitment=certificate.commitment_text or "",
        basis=" ".join(BASES.get(certificate.basis or "", ())) or None,
        basis_record=certificate.basis_record,
        record=certificate.record, uri=lot_page_uri(host, summary.lot, summary.gtin))


def issue_compliance_certificate(ledger: Ledger, org_id: str, lot: str, *, basis: str | None,
                                 basis_record: str | None = None, number: str | None = None,
                                 contact: str | None = None, commitment: str | None = None,
                                 time: Any = None) -> list[Receipt]:
    """Record a 承诺达标合格证 for ``lot``, signed by ``org_id`` (the lot's custodian, or an
    inspector), resting on ``basis`` (``BASES``; a test names its record, ``basis_record``).
    Issuer name and contact default to the organisation's registered ones, the commitment to
    the standard wording."""
    org = ledger.organisation(org_id)
    moment = timestamp(time if time is not None else datetime.now(UTC).replace(microsecond=0),
                       "time")
    data: dict[str, Any] = {
        "scheme": COMPLIANCE_CERTIFICATE,
        "number": number or f"HGZ-{lot}-{moment[:10].replace('-', '')}",
        "issuer": org.name[:80], "valid_from": moment,
        "commitment_text": commitment or DEFAULT_COMMITMENT,
    }
    optional = {"contact": contact, "basis": basis, "basis_record": basis_record}
    data.update({name: value for name, value in optional.items() if value})
    return ledger.record(org_id, "Certified", data, lot=lot, time=moment)


def certificate_pdf(certificate: ComplianceCertificate) -> bytes:
    """One A4 page: the certificate in a frame on the upper half, to print and cut out."""
    out = io.BytesIO()
    left, width, top = 20 * mm, A4[0] - 40 * mm, A4[1] - 20 * mm
    with new_pdf(A4, f"承诺达标合格证 {certificate.number}", out) as canvas:
        canvas.setFont(FONT, 20)
        canvas.drawCentredString(A4[0] / 2, top - 12 * mm, "承诺达标合格证")
        canvas.setFont(FONT, 10)
        canvas.drawCentredString(A4[0] / 2, top - 18 * mm, "Commitment compliance certificate")
        y = top - 30 * mm
        text_width = width - 50 * mm
        for label, value in _rows(certificate):
            canvas.setFont(FONT, 9)
            canvas.drawString(left + 5 * mm, y, label)
            canvas.setFont(FONT, 11)
            for line in wrap(value, text_width - 40 * mm, 11):
                canvas.drawString(left + 45 * mm, y, line)
                y -= 15
            y -= 4
        y = min(y, top - 80 * mm)  # clear of the QR code
        canvas.setFont(FONT, 9)
        canvas.drawString(left + 5 * mm, y, "承诺声明 Commitment")
        y -= 14
        canvas.setFont(FONT, 10)
        for line in fit_lines(certificate.commitment, width - 10 * mm, 10, 8):
            canvas.drawString(left + 5 * mm, y, line)
            y -= 14
        draw_qr(canvas, certificate.uri, left + width - 45 * mm, top - 70 * mm, 40 * mm)
        canvas.setFont(FONT, 7)
        canvas.drawCentredString(left + width - 25 * mm, top - 74 * mm, "扫码查验 Scan to verify")
        canvas.setFont(FONT, 6)
        canvas.drawString(left + 5 * mm, y - 4 * mm, f"签名记录 Signed record {certificate.record}")
        canvas.rect(left, y - 8 * mm, width, top - (y - 8 * mm), stroke=1, fill=0)
    return out.getvalue()


def _rows(certificate: ComplianceCertificate) -> list[tuple[str, str]]:
    product = certificate.product + (f"（{certificate.variety}）" if certificate.variety else "")
    rows = [("编号 No.", certificate.number), ("食用农产品名称 Product", product),
            ("数量（重量） Quantity", certificate.quantity), ("产地 Origin", certificate.origin),
            ("批次 Lot", certificate.lot), ("开具日期 Issue date", certificate.issued),
            ("开具单位 Issued by", certificate.issuer)]
    if certificate.contact:
        rows.append(("联系方式 Contact", certificate.contact))
    if certificate.basis:
        rows.append(("承诺依据 Basis", certificate.basis))
    if certificate.basis_record:
        rows.append(("检测记录 Test record", certificate.basis_record))
    return rows
