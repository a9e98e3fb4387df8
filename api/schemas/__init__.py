"""Request and response bodies (pydantic), named ``XIn`` and ``XPublic``; routes never return
ledger objects, only the ledger's JSON views. One module per concept:

- ``common``   the error body, documented error responses, identifier and value types
- ``proofs``   inclusion and consistency proofs
- ``steps``    one request body per recording step, made from ``ledger.domain.steps``
- ``views``    lots, records and organisations: the ledger's views (``ledger.views``)
- ``records``  receipts, batches, client-signed submissions
- ``lots``     lot history, lineage, recall reach, search, private values
- ``access``   organisations and keys to register, GS1 prefixes, tokens, the caller

Proof hashes are **base64** (standard alphabet, padded), as in C2SP checkpoints and
tlog-proof; record hashes are **hex**, as everywhere else in the ledger's JSON.
"""

from api.schemas.access import (
    CallerPublic,
    KeyIn,
    KeyRevocationIn,
    OrganisationIn,
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
    LotHistoryPublic,
    LotRowPublic,
    PrivateDataPublic,
    PrivateValuePublic,
    RecallReachPublic,
    SearchPublic,
    TracePublic,
)
from api.schemas.proofs import ConsistencyProofPublic, InclusionProofPublic
from api.schemas.records import (
    BatchIn,
    EntryIn,
    ReceiptPublic,
    RecordedPublic,
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
from api.schemas.views import (
    FoundRecordPublic,
    KeyView,
    LineageLotPublic,
    LotView,
    OrganisationView,
    RecordView,
    ShipmentView,
)

__all__ = [
    "BatchIn", "CallerPublic", "CertificationIn", "CollectionIn", "ConflictPublic",
    "ConsistencyProofPublic", "CorrectionIn", "EntryIn", "ErrorPublic", "FoundRecordPublic",
    "GradingIn", "HarvestIn", "HolderPublic", "InclusionProofPublic", "InspectionIn", "KeyIn",
    "KeyRevocationIn", "KeyView", "LineageLotPublic", "LotHistoryPublic", "LotRowPublic",
    "LotView", "OrganisationIn", "OrganisationView", "PackingIn", "PreCoolingIn", "PrefixIn",
    "PrivateDataPublic", "PrivateValuePublic", "ReasonIn", "RecallIn", "RecallReachPublic",
    "ReceiptIn", "ReceiptPublic", "RecordView", "RecordedPublic", "SearchPublic", "ShipmentIn",
    "ShipmentView", "SignedIn", "SignedRecordIn", "StepIn", "StorageIn", "TokenEventPublic",
    "TokenIn", "TokenIssuedPublic", "TokenLogPublic", "TokenPublic", "TracePublic", "errors",
]
