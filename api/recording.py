"""What every recording endpoint does around its one ledger call, in the route's worker
thread (one thread-pool hop per request: the token is checked here rather than in an
async dependency, and the answer is JSON already, so FastAPI does not validate it again in
the pool; each hop costs about a quarter of a millisecond).

1. Authenticate the token (a missing or malformed header was refused before, 401); an admin
   token records nothing (403).
2. With an ``Idempotency-Key``, claim the key for this request
(``ledger.persistence.idempotency``): a
   retry of a finished request gets the first response again and records nothing. The use
   case stores what it recorded under the key in the same transaction as the records.
3. Call the one use case for the token's organisation (``Ledger.record_step``,
   ``record_batch`` or ``submit_signed``; the ledger names fields as the body has them). A
   server-signed step that loses a race on a lot's chain is retried on the new head
   (``conflict_retries`` times): nothing of the losing attempt was written, and the ledger
   checks the step's rules again. Client-signed records cannot be rebuilt here, so their
   conflicts go back to the client as 409 with the head.
4. Count the records, and with ``?wait=true`` wait for a checkpoint covering each record
   and attach its inclusion proof.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from api.deps import Credentials, presented
from api.middleware.metrics import Metrics
from api.schemas import BatchIn, InclusionProofPublic, RecordedPublic, SignedIn, StepIn
from api.services import services_of
from api.settings import ServiceSettings
from ledger.access.grants import Authenticator
from ledger.application import Ledger, Receipt
from ledger.errors import ChainConflict, LedgerError, StoreUnavailable, Unauthenticated
from ledger.log import TransparencyLog
from ledger.persistence.idempotency import Claim, IdempotencyKeys, Replay

__all__ = ["Recorder", "RecorderDep"]


@dataclass(kw_only=True)
class Recorder:
    """One recording request: who records, its idempotency key, whether to wait."""

    ledger: Ledger
    log: TransparencyLog
    keys: IdempotencyKeys
    service: ServiceSettings
    metrics: Metrics
    token: str
    key: str | None
    wait: bool
    method: str
    path: str
    writes: AbstractContextManager[Any]
    authenticator: Authenticator
    org: str = ""

    def _authenticate(self) -> None:
        self.org = self.authenticator.caller(self.token).acting_org()

    def step(self, step: str, lot: str, body: StepIn) -> JSONResponse:
        """Record ``step`` on ``lot`` (a collection's ``lot`` is the new lot)."""
        self._authenticate()
        data = body.data()
        return self._run(body.model_dump(mode="json", by_alias=True, exclude_none=True),
                         lambda claim: self.ledger.record_step(self.org, step, lot, data,
                                                               time=body.time, claim=claim),
                         main=f"lot/{lot}")

    def batch(self, body: BatchIn) -> JSONResponse:
        self._authenticate()
        entries = body.payload()
        return self._run(entries, lambda claim: self.ledger.record_batch(self.org, entries,
                                                                          claim=claim))

    def signed(self, body: SignedIn) -> JSONResponse:
        self._authenticate()
        entries, openings = body.entries(), body.openings()
        return self._run(body.model_dump(mode="json"),
                         lambda claim: self.ledger.submit_signed(entries, org=self.org,
                                                                 claim=claim,
                                                                 openings=openings),
                         retries=0)

    def _run(self, payload: Any, action: Callable[[Claim | None], list[Receipt]], *,
             main: str | None = None, retries: int | None = None) -> JSONResponse:
        claim = None
        if self.key is not None:
            digest = self.keys.fingerprint(self.method, self.path, payload)
            claimed = self.keys.claim(self.org, self.key, digest, chain=main)
            if isinstance(claimed, Replay):
                first = RecordedPublic.of(claimed.records, main)
                return _answer(self._waited(first), {"Idempotent-Replayed": "true"})
            claim = claimed
        try:
            receipts = self._attempts(lambda: action(claim), self.service.conflict_retries
                                      if retries is None else retries)
        except LedgerError as error:
            if claim is not None and not isinstance(error, StoreUnavailable):
                self.keys.release(claim)  # nothing was recorded
            raise
        self.metrics.recorded(len(receipts))
        return _answer(self._waited(RecordedPublic.of(receipts, main)))

    def _attempts(self, action: Callable[[], list[Receipt]], retries: int) -> list[Receipt]:
        for _ in range(retries):
            try:
                with self.writes:
                    return action()
            except ChainConflict:
                continue
        with self.writes:
            return action()

    def _waited(self, result: RecordedPublic) -> RecordedPublic:
        """With ``?wait=true``: each record's leaf index and inclusion proof, when a signed
        checkpoint covers it within the wait (else left null)."""
        if not self.wait:
            return result
        with self.writes:
            self.log.integrate()
        for receipt in result.records:
            try:
                proof = self.log.wait_for_inclusion(receipt.hash, integrate=False,
                                                    timeout=self.service.wait_timeout)
            except LedgerError:
                continue
            receipt.leaf_index = proof.leaf_index
            receipt.inclusion = InclusionProofPublic.of(proof)
        main = next((r for r in result.records if r.hash == result.hash), None)
        result.leaf_index = main.leaf_index if main else None
        return result


def _answer(result: RecordedPublic, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(result.model_dump(mode="json"), status_code=201, headers=headers)


async def get_recorder(
    request: Request, _: Credentials,
    idempotency_key: Annotated[str | None, Header(
        alias="Idempotency-Key", min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$",
        description="A unique key per request (e.g. a UUID). A retry with the same key and "
                    "body returns the first response and records nothing again.")] = None,
    wait: Annotated[bool, Query(description="Wait (a few seconds at most) for a signed "
                                            "checkpoint covering the records and return "
                                            "their inclusion proofs.")] = False,
) -> Recorder:
    token = presented(request)
    if token is None:
        raise Unauthenticated("send a token: Authorization: Bearer at_…", field="authorization")
    services = services_of(request.app)
    return Recorder(ledger=services.ledger, log=services.log, keys=services.idempotency,
                    service=services.settings, metrics=services.metrics,
                    writes=services.writes, authenticator=services.authenticator, token=token,
                    key=idempotency_key, wait=wait, method=request.method,
                    path=request.url.path)


RecorderDep = Annotated[Recorder, Depends(get_recorder)]
