"""The 承诺达标合格证 (commitment compliance certificate): what it must say to be issued.

A certificate is a ``Certified`` record with scheme ``compliance-certificate``. Besides the
lot's product, quantity and origin (the lot's records give them) it carries the statutory
content: the commitment statement (the standard wording unless another is given), its basis,
the issuer, a contact and the issue date (``valid_from``). The basis is one of ``BASES``; a
testing basis (委托检测, 自我检测) names the lab or rapid-test ``Inspected`` record it rests on
(``basis_record``), of the lot or a lot it was made from, and a failed result refuses the
certificate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ledger.errors import InvalidInput, RuleBroken
from verify.records import Record

__all__ = [
    "BASES",
    "COMPLIANCE_CERTIFICATE",
    "DEFAULT_COMMITMENT",
    "TESTING_BASES",
    "TEST_KINDS",
    "FoundTest",
    "check_compliance_certificate",
    "complete_compliance_certificate",
]

COMPLIANCE_CERTIFICATE = "compliance-certificate"
DEFAULT_COMMITMENT = (
    "我承诺对生产销售的食用农产品：不使用禁用农药兽药、停用兽药和非法添加物；"
    "常规农药兽药残留不超标；对承诺的真实性负责。"
    "I commit that this produce was grown without banned pesticides, veterinary drugs or "
    "illegal additives, that its residues are within the limits, and that this commitment "
    "is true.")
# What the commitment rests on, as the certificate names it.
BASES: Mapping[str, tuple[str, str]] = {
    "commissioned-test": ("委托检测", "Commissioned test"),
    "self-test": ("自我检测", "Self test"),
    "internal-quality-control": ("内部质量控制", "Internal quality control"),
    "self-commitment": ("自我承诺", "Self commitment"),
}
TESTING_BASES = frozenset({"commissioned-test", "self-test"})
TEST_KINDS = frozenset({"lab", "rapid-test"})
# (the lot holding it, the record, its data after corrections) of an inspection by hash
FoundTest = tuple[str, Record, Mapping[str, Any]]


def complete_compliance_certificate(data: Mapping[str, Any],
                                    contact: str | None) -> dict[str, Any]:
    """A compliance certificate's data with the standard commitment when none is given and
    the issuing organisation's registered ``contact`` when the data names none."""
    completed = dict(data)
    if data.get("scheme") != COMPLIANCE_CERTIFICATE:
        return completed
    completed.setdefault("commitment_text", DEFAULT_COMMITMENT)
    if contact and not data.get("contact"):
        completed["contact"] = contact[:80]
    return completed


def check_compliance_certificate(data: Mapping[str, Any], *, path: str, lot: str,
                                 find_test: Callable[[str], FoundTest | None]) -> None:
    """Raise unless ``data`` (a certificate's, after corrections) carries the statutory
    content and a basis that holds. ``path`` prefixes field names (``data`` or, for a
    correction, ``data.values``); ``find_test`` finds a record of ``lot`` or a lot it was
    made from by hash."""
    required = (("commitment_text", "the commitment statement 承诺声明"),
                ("basis", "its basis 承诺依据 (" + ", ".join(
                    f"{code} {zh}" for code, (zh, _) in BASES.items()) + ")"),
                ("issuer", "the issuer 开具单位"), ("contact", "a contact 联系方式"),
                ("valid_from", "the issue date 开具日期"))
    for name, what in required:
        if not data.get(name):
            raise InvalidInput(f"a 承诺达标合格证 must carry {what}", field=f"{path}.{name}",
                               rule="certificate-content")
    digest = data.get("basis_record")
    if data["basis"] in TESTING_BASES and not digest:
        raise InvalidInput(f"a certificate resting on a test ({data['basis']}) must name the "
                           "lab or rapid-test record it rests on", field=f"{path}.basis_record",
                           rule="certificate-basis")
    if not isinstance(digest, str):
        return
    found = find_test(digest)
    if found is None:
        raise InvalidInput(f"record {digest} is not a record of lot {lot} nor of a lot it was "
                           "made from", field=f"{path}.basis_record", rule="certificate-basis")
    holder, record, inspection = found
    if record.type != "Inspected" or inspection.get("kind") not in TEST_KINDS:
        kind = inspection.get("kind", "") if record.type == "Inspected" else ""
        raise InvalidInput(f"record {digest} of lot {holder} is a {record.type} {kind} record, "
                           "not a lab or rapid-test inspection".replace("  ", " "),
                           field=f"{path}.basis_record", rule="certificate-basis",
                           records=(digest,))
    if inspection.get("verdict") != "pass":
        raise RuleBroken(f"the {inspection.get('kind')} test {digest} of lot {holder} failed; "
                         "a 承诺达标合格证 cannot rest on a failed test",
                         field=f"{path}.basis_record", rule="certificate-basis-failed",
                         records=(digest,))
