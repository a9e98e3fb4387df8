"""Printed things: QR codes, A4 label sheets and the 承诺达标合格证.

- ``qr``           QR codes of Digital Link URIs: PNG, SVG, the module matrix
- ``pdf``          reportlab helpers: Chinese text with the built-in CID font, vector QR codes
- ``sheet``        label sheets for a packed lot, one label per serialised unit
- ``certificate``  issuing the compliance certificate as a signed record, and its PDF

``write_label_sheet`` and ``write_certificate`` are what ``agritrace labels`` and
``agritrace certificate`` call; ``packed_lot_links`` what ``agritrace demo`` prints.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ledger.application import Ledger
from ledger.consumer import public_summary
from ledger.digitallink.uris import digital_link_uri
from ledger.labels.certificate import (
    DEFAULT_COMMITMENT,
    ComplianceCertificate,
    certificate_pdf,
    compliance_certificate,
    issue_compliance_certificate,
)
from ledger.labels.qr import qr_matrix, qr_png, qr_svg
from ledger.labels.sheet import MAX_LABELS, Label, label_sheet_pdf, labels_for

__all__ = [
    "DEFAULT_COMMITMENT",
    "MAX_LABELS",
    "ComplianceCertificate",
    "Label",
    "certificate_pdf",
    "compliance_certificate",
    "issue_compliance_certificate",
    "label_sheet_pdf",
    "labels_for",
    "packed_lot_links",
    "qr_matrix",
    "qr_png",
    "qr_svg",
    "write_certificate",
    "write_label_sheet",
]


def write_label_sheet(ledger: Ledger, lot: str, path: Path, *, host: str | None = None,
                      first: int | None = None, count: int | None = None) -> int:
    """Write the label sheet PDF of packed lot ``lot`` to ``path``; returns how many labels.
    ``host`` defaults to ``AGRITRACE_PUBLIC_URL``. Raises ``LotNotFound``, ``WrongState``
    (not packed) or ``InvalidInput``."""
    labels = labels_for(public_summary(ledger, lot), host, first=first, count=count)
    path.write_bytes(label_sheet_pdf(labels, f"标签 labels {lot}"))
    return len(labels)


def write_certificate(ledger: Ledger, lot: str, path: Path, *,
                      host: str | None = None) -> ComplianceCertificate:
    """Write the PDF of lot ``lot``'s latest compliance certificate to ``path``. Raises
    ``LotNotFound``, or ``NotFound`` when the lot has none (issue one with
    ``issue_compliance_certificate``)."""
    certificate = compliance_certificate(public_summary(ledger, lot), host)
    path.write_bytes(certificate_pdf(certificate))
    return certificate


def packed_lot_links(ledger: Ledger, lots: Iterable[str],
                     host: str | None = None) -> list[tuple[str, str]]:
    """``(lot, Digital Link URI)`` of each of ``lots`` that is packed (holds a Packed record
    and so a GTIN), on ``host`` (default ``AGRITRACE_PUBLIC_URL``): the code its labels
    carry, e.g. for ``agritrace demo`` to print."""
    links = []
    for code in lots:
        packing = public_summary(ledger, code).packing
        if packing is not None:
            links.append((code, digital_link_uri(host, packing.gtin, code)))
    return links
