"""Request and response bodies (pydantic), named ``XIn`` and ``XPublic``; routes never return
ledger objects. One module per concept:

- ``common``   the error body, documented error responses, identifier and value types
- ``proofs``   inclusion and consistency proofs
- ``steps``    one request body per recording step, made from ``ledger.domain.steps``
- ``records``  records, receipts, batches, client-signed submissions
- ``lots``     lot summary, history, lineage, recall reach, search, private values
- ``access``   organisations, keys, GS1 prefixes, tokens, the caller

Proof hashes are **base64** (standard alphabet, padded), as in C2SP checkpoints and
tlog-proof; record hashes are **hex**, as everywhere else in the ledger's JSON.
"""

from api.schemas.access import (
    CallerPublic,
    KeyIn,
    KeyPublic,
    KeyRevocationIn,
    OrganisationIn,
    OrganisationPublic,
    PrefixIn,
    TokenEventPublic,
    TokenIn,
    TokenIssuedPublic,
    TokenLogPublic,
    TokenPublic,
)
from api.schemas.common import ConflictPublic, ErrorPublic, errors
from api.schemas.lots import (
    HolderPublic,
    LineageLotPublic,
    LotHistoryPublic,
    LotPublic,
    LotRowPublic,
    PrivateDataPublic,
    PrivateValuePublic,
    RecallReachPublic,
    SearchPublic,
    ShipmentPublic,
    TracePublic,
)
from api.schemas.proofs import ConsistencyProofPublic, InclusionProofPublic
from api.schemas.records import (
    BatchIn,
    EntryIn,
    FoundRecordPublic,
    ReceiptPublic,
    RecordedPublic,
    RecordPublic,
    SignedIn,
    SignedRecordIn,
)
from api.schemas.steps import (
    CertificationIn,
    CollectionIn,
    CorrectionIn,
    GradingIn,
    HarvestIn,
    InspectionIn,
    PackingIn,
    PreCoolingIn,
    ReasonIn,
    RecallIn,
    ReceiptIn,
    ShipmentIn,
    StepIn,
    StorageIn,
)

__all__ = [
    "BatchIn", "CallerPublic", "CertificationIn", "CollectionIn", "ConflictPublic",
    "ConsistencyProofPublic", "CorrectionIn", "EntryIn", "ErrorPublic", "FoundRecordPublic",
    "GradingIn", "HarvestIn", "HolderPublic", "InclusionProofPublic", "InspectionIn", "KeyIn",
    "KeyPublic", "KeyRevocationIn", "LineageLotPublic", "LotHistoryPublic", "LotPublic",
    "LotRowPublic", "OrganisationIn", "OrganisationPublic", "PackingIn", "PreCoolingIn",
    "PrefixIn", "PrivateDataPublic", "PrivateValuePublic", "ReasonIn", "RecallIn",
    "RecallReachPublic", "ReceiptIn", "ReceiptPublic", "RecordPublic", "RecordedPublic",
    "SearchPublic", "ShipmentIn", "ShipmentPublic", "SignedIn", "SignedRecordIn", "StepIn",
    "StorageIn", "TokenEventPublic", "TokenIn", "TokenIssuedPublic", "TokenLogPublic",
    "TokenPublic", "TracePublic", "errors",
]
