"""Organisations and their signing keys.

Registering an organisation needs an admin token; anyone may read organisations and their
public keys (they are records in the log). An organisation manages its own keys with its own
token (an admin may too): add a key it holds itself, with the key's proof of possession (then
it signs records itself, ``POST /records/signed``), or a new server-held one, rotate the
server-held key, revoke a key. The ledger bounds how many keys it holds and adds per day.
Only an admin registers the GS1 company prefixes (or single GTINs) an organisation may pack
under, having checked its GS1 licence.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import AdminDep, CallerDep, LedgerDep, OrgPath, ReaderDep
from api.schemas import KeyIn, KeyRevocationIn, OrganisationIn, OrganisationView, PrefixIn
from api.schemas import errors as documented
from ledger.views import organisation_view

__all__ = ["router"]

router = APIRouter(prefix="/orgs", tags=["organisations 组织"])
KeyPath = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="A key id, 16 hex digits.")]


@router.post("", status_code=201, responses=documented(401, 403, 409, 413, 422))
def register(body: OrganisationIn, ledger: LedgerDep, _: AdminDep) -> OrganisationView:
    """Register an organisation with a new server-held signing key (admin only)."""
    ledger.register_organisation(body.org, name=body.name, roles=body.roles,
                                 contact=body.contact, region=body.region)
    return organisation_view(ledger.organisation(body.org))


@router.get("", responses=documented(401, 429))
def organisations(ledger: LedgerDep, _: ReaderDep) -> list[OrganisationView]:
    """Every registered organisation, in the order registered."""
    return [organisation_view(ledger.organisation(first.subject))
            for first in ledger.chains("org")]


@router.get("/{org}", responses=documented(400, 401, 404, 429))
def organisation(org: OrgPath, ledger: LedgerDep, _: ReaderDep) -> OrganisationView:
    """An organisation's roles and its active and revoked keys."""
    return organisation_view(ledger.organisation(org))


@router.post("/{org}/keys", status_code=201,
             responses=documented(400, 401, 403, 404, 409, 422, 429))
def add_key(org: OrgPath, body: KeyIn, ledger: LedgerDep,
            caller: CallerDep) -> OrganisationView:
    """Add a signing key: ``public_key`` that the organisation holds itself, with
    ``possession``, that key's signature proving it (docs/records.md), or (without them) a
    new key the server holds. By the organisation itself or an admin. 409 when it already
    holds the most active keys allowed, 429 when it added the most allowed in 24 hours."""
    caller.require_self_or_admin(org)
    raw = base64.b64decode(body.public_key) if body.public_key else None
    proof = base64.b64decode(body.possession) if body.possession else None
    ledger.add_key(org, raw, proof)
    return organisation_view(ledger.organisation(org))


@router.post("/{org}/keys/rotate", status_code=201,
             responses=documented(400, 401, 403, 404, 409, 429))
def rotate_key(org: OrgPath, ledger: LedgerDep, caller: CallerDep) -> OrganisationView:
    """Replace the server-held signing key with a new one; the old one is revoked."""
    caller.require_self_or_admin(org)
    ledger.rotate_key(org)
    return organisation_view(ledger.organisation(org))


@router.post("/{org}/keys/{key_id}/revoke", status_code=201,
             responses=documented(400, 401, 403, 404, 409, 422))
def revoke_key(org: OrgPath, key_id: KeyPath, body: KeyRevocationIn, ledger: LedgerDep,
               caller: CallerDep) -> OrganisationView:
    """Revoke a key (lost phone, leaked key); records signed with it afterwards are refused."""
    caller.require_self_or_admin(org)
    ledger.revoke_key(org, key_id, body.reason)
    return organisation_view(ledger.organisation(org))


@router.post("/{org}/prefixes", status_code=201,
             responses=documented(400, 401, 403, 404, 409, 422))
def register_prefix(org: OrgPath, body: PrefixIn, ledger: LedgerDep,
                    _: AdminDep) -> OrganisationView:
    """Register a GS1 Company Prefix (``prefix``) or one GTIN (``gtin``) to the organisation
    (admin only, after checking its GS1 licence); only it may then assign GTINs under it.
    409 when it overlaps a registration of any organisation."""
    ledger.register_prefix(org, prefix=body.prefix, gtin=body.gtin)
    return organisation_view(ledger.organisation(org))
