"""API tokens: issued by an admin for an organisation, shown once, stored hashed, expiring,
revocable; ``GET /tokens/log``, every issuance and revocation (admin only); and
``GET /whoami`` for whom a token acts.

An organisation may list and revoke its own tokens (a lost phone); issuing needs an admin
token, which only ``agritrace token create --admin`` makes. Each issuance and revocation
names the token that did it in the token log.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api.deps import AdminDep, CallerDep, LedgerDep, OrgPath, ServicesDep
from api.schemas import (
    CallerPublic,
    TokenEventPublic,
    TokenIn,
    TokenIssuedPublic,
    TokenLogPublic,
    TokenPublic,
)
from api.schemas import errors as documented
from api.schemas.common import ORG_PATTERN
from ledger.access.grants import Caller
from ledger.errors import NotPermitted

__all__ = ["router"]

router = APIRouter(tags=["access 权限"])
TokenPath = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="A token id.")]


@router.post("/orgs/{org}/tokens", status_code=201,
             responses=documented(400, 401, 403, 404, 413, 422))
def issue(org: OrgPath, body: TokenIn, ledger: LedgerDep, admin: AdminDep) -> TokenIssuedPublic:
    """Issue a token acting for ``org`` (admin only). The token is in this answer only; the
    token log records that this admin token issued it."""
    lifetime = timedelta(days=body.expires_in_days) if body.expires_in_days else None
    issued = ledger.issue_token(org, label=body.label or "", lifetime=lifetime,
                                by=_who(admin))
    return TokenIssuedPublic(token_id=issued.token_id, token=issued.token, org=issued.org_id,
                             admin=issued.admin, expires_at=issued.expires_at)


@router.get("/orgs/{org}/tokens", responses=documented(400, 401, 403, 404))
def tokens(org: OrgPath, ledger: LedgerDep, caller: CallerDep) -> list[TokenPublic]:
    """The organisation's tokens, newest first, without their secrets."""
    caller.require_self_or_admin(org)
    ledger.organisation(org)
    return [TokenPublic.model_validate({**row, "org": row["org_id"]})
            for row in ledger.tokens(org)]


@router.delete("/tokens/{token_id}", status_code=204, response_class=Response,
               responses=documented(400, 401, 403, 404))
def revoke(token_id: TokenPath, ledger: LedgerDep, caller: CallerDep,
           services: ServicesDep) -> Response:
    """Revoke a token: an organisation its own, an admin any. This process refuses it at
    once; other worker processes within ``AGRITRACE_TOKEN_CACHE`` seconds (one)."""
    if not caller.admin:
        own = {row["token_id"] for row in ledger.tokens(caller.acting_org())}
        if token_id not in own:
            raise NotPermitted(f"token {token_id} is not one of {caller.org}'s tokens",
                               field="token_id")
    ledger.revoke_token(token_id, by=_who(caller))
    services.authenticator.forget(token_id)
    return Response(status_code=204)


@router.get("/tokens/log", responses=documented(400, 401, 403))
def token_log(
    ledger: LedgerDep, _: AdminDep,
    org: Annotated[str | None, Query(pattern=ORG_PATTERN,
                                     description="Only this organisation's tokens.")] = None,
    after: Annotated[int, Query(ge=0, le=2**63 - 1, description="Events after this id.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="Events per page.")] = 100,
) -> TokenLogPublic:
    """Every issuance and revocation of a token, oldest first (admin only): who did it, for
    which organisation and with its roles, when. Never a token's secret."""
    rows = ledger.token_events(org, after=after, limit=limit + 1)
    events = [TokenEventPublic.model_validate({**row, "org": row["org_id"]})
              for row in rows[:limit]]
    return TokenLogPublic(events=events,
                          next=events[-1].event_id if len(rows) > limit else None)


def _who(caller: Caller) -> str:
    """The caller as the token log names it."""
    if caller.admin:
        return f"admin token {caller.token_id}"
    return f"token {caller.token_id} of {caller.org}"


@router.get("/whoami", responses=documented(401))
def whoami(ledger: LedgerDep, caller: CallerDep) -> CallerPublic:
    """For whom the presented token acts, and the organisation's roles."""
    roles = sorted(ledger.organisation(caller.org).roles) if caller.org else []
    return CallerPublic(token_id=caller.token_id, org=caller.org, admin=caller.admin,
                        roles=roles)
