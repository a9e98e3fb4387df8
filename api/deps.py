"""Dependencies the routes declare: the process's services (the ledger, the log, ...), who is
calling, and the path parameters (lot, organisation, record hash) with their patterns.

``create_app`` keeps the process's services in one ``api.services.Services``; routes name
what they need with the ``Annotated`` aliases (``ServicesDep`` for all of them, ``LedgerDep``,
``LogDep``, ... for one). Every dependency here is ``async`` and reads only memory, except
the token check, which runs in the thread pool:

- ``ReaderDep``: public endpoints. No token is needed; a request without one spends from its
  address's rate limit (429 when spent). A token, when sent, must be valid (401 otherwise).
- ``CallerDep``: endpoints that need a token (401 without a valid one).
- ``AdminDep``: administration; only admin tokens (403 otherwise).
- ``ScraperDep``: ``/metrics``; an address in ``AGRITRACE_METRICS_ALLOW``, or an admin token
  (401 without a token, 403 with another).

Recording endpoints check their token in the route's own thread (``api.recording``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.middleware.limits import RateLimiter, client_address, within
from api.middleware.metrics import Metrics
from api.scan.resolving import Scanning
from api.schemas.common import HASH_PATTERN, LOT_PATTERN, ORG_PATTERN
from api.services import Services, services_of
from ledger.access.grants import Caller
from ledger.application import Ledger
from ledger.errors import Unauthenticated
from ledger.log import TransparencyLog
from ledger.persistence.lookup import ChainReader

__all__ = [
    "AdminDep", "CallerDep", "ChainsDep", "Credentials", "HashPath", "LedgerDep", "LimiterDep",
    "LogDep", "LotPath", "MetricsDep", "OrgPath", "ReaderDep", "ScanningDep", "ScraperDep",
    "ServicesDep", "get_caller", "get_ledger", "get_log", "get_reader", "get_services",
    "presented",
]

LotPath = Annotated[str, Path(pattern=LOT_PATTERN, examples=["KG1"],
                              description="A lot code (GS1 AI 10).")]
OrgPath = Annotated[str, Path(pattern=ORG_PATTERN, examples=["coop-xixiang"],
                              description="An organisation id.")]
HashPath = Annotated[str, Path(pattern=HASH_PATTERN, description="A record hash, 64 hex "
                                                                 "digits.")]

bearer = HTTPBearer(auto_error=False, scheme_name="token",
                    description="An API token, at_<id>_<secret>: an organisation's, made by "
                                "an admin (POST /orgs/{org}/tokens), or an admin token made by "
                                "`agritrace token create --admin`.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]


async def get_services(request: Request) -> Services:
    return services_of(request.app)


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_ledger(services: ServicesDep) -> Ledger:
    return services.ledger


async def get_log(services: ServicesDep) -> TransparencyLog:
    return services.log


async def get_metrics(services: ServicesDep) -> Metrics:
    return services.metrics


async def get_chains(services: ServicesDep) -> ChainReader:
    return services.chains


async def get_limiter(services: ServicesDep) -> RateLimiter:
    return services.limiter


async def get_scanning(services: ServicesDep) -> Scanning:
    return services.scanning


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
LogDep = Annotated[TransparencyLog, Depends(get_log)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
ChainsDep = Annotated[ChainReader, Depends(get_chains)]
LimiterDep = Annotated[RateLimiter, Depends(get_limiter)]
ScanningDep = Annotated[Scanning, Depends(get_scanning)]


def presented(request: Request) -> str | None:
    """The token of ``Authorization: Bearer <token>``; None when no header is sent."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("use Authorization: Bearer at_<id>_<secret>",
                              field="authorization")
    return token.strip()


async def _authenticated(services: Services, token: str | None) -> Caller:
    # The token lookup may read the database: off the event loop.
    return await run_in_threadpool(services.authenticator.caller, token)


async def get_caller(request: Request, services: ServicesDep, _: Credentials) -> Caller:
    return await _authenticated(services, presented(request))


async def get_reader(request: Request, services: ServicesDep,
                     _: Credentials) -> Caller | None:
    address = client_address(request)
    try:
        token = presented(request)
        if token is not None:
            return await _authenticated(services, token)
    except Unauthenticated:
        services.limiter.take(address)  # a bad token is no way around the limit
        raise
    services.limiter.take(address)
    return None


async def get_admin(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
    caller.require_admin()
    return caller


async def get_scraper(request: Request, services: ServicesDep, _: Credentials) -> None:
    if within(client_address(request), services.settings.metrics_allow):
        return
    token = presented(request)
    if token is None:
        raise Unauthenticated("send an admin token, or scrape from an address allowed by "
                              "AGRITRACE_METRICS_ALLOW", field="authorization")
    (await _authenticated(services, token)).require_admin()


ReaderDep = Annotated[Caller | None, Depends(get_reader)]
CallerDep = Annotated[Caller, Depends(get_caller)]
AdminDep = Annotated[Caller, Depends(get_admin)]
ScraperDep = Annotated[None, Depends(get_scraper)]
