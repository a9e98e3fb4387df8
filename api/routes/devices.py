"""Devices that sign, a cooperative's register of households and its lists for the app's
forms (``ledger.devices``, ``ledger.households``, ``ledger.coopsettings``).

An organisation (its own token, or an admin token) asks for a one-time pairing code; the
phone reads the code's organisation (``/pairings/peek``), makes its key pair and redeems the
code with its public key and proof of possession (``/pairings/redeem``), getting the
organisation's token back. Both pairing endpoints need no token: the code is the secret,
used once, within minutes; they spend from the address's rate limit like any public read.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CallerDep, LedgerDep, OrgPath, ReaderDep, ServicesDep
from api.schemas import errors as documented
from ledger.coopsettings import coop_settings, save_coop_settings
from ledger.devices import Devices
from ledger.errors import InvalidInput
from ledger.households import (
    add_household,
    household_counts,
    households,
    require_register_access,
)
from ledger.labels import qr_svg

__all__ = ["router"]

router = APIRouter(tags=["devices 设备"])
KeyPath = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="A key id, 16 hex digits.")]


class PairingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = Field(min_length=1, max_length=120, description="Whose phone, e.g. 收购点1 张三")
    minutes: int = Field(default=10, ge=1, le=1440, description="How long the code is valid.")


class PairingOut(BaseModel):
    code: str = Field(description="The one-time code, shown once (also in ``link``).")
    org: str
    label: str
    expires_at: datetime
    link: str = Field(description="The pairing page with the code, for the QR code.")
    qr_svg: str = Field(description="``link`` as a QR code (SVG).")


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=40)


class RedeemIn(CodeIn):
    public_key: str = Field(max_length=64, description="The device's Ed25519 public key, "
                                                       "base64 (32 bytes).")
    possession: str = Field(max_length=100, description="Its signature over the "
                                                        "key-possession message, base64.")


class RevokeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="device revoked 设备已撤销", min_length=1, max_length=500)


def _base64(text: str, field: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidInput("is not valid base64", field=field) from error


@router.post("/orgs/{org}/pairings", status_code=201,
             responses=documented(400, 401, 403, 404, 422))
def create_pairing(org: OrgPath, body: PairingIn, ledger: LedgerDep, caller: CallerDep,
                   request: Request) -> PairingOut:
    """A one-time code pairing a phone to the organisation (its own token or an admin's)."""
    caller.require_self_or_admin(org)
    pairing = Devices(ledger).create_code(org, label=body.label,
                                          lifetime=timedelta(minutes=body.minutes))
    link = f"{str(request.base_url).rstrip('/')}/app/pair#{pairing.code}"
    return PairingOut(code=pairing.code, org=pairing.org, label=pairing.label,
                      expires_at=pairing.expires_at, link=link,
                      qr_svg=qr_svg(link, title="配对码 pairing code"))


@router.post("/pairings/peek", responses=documented(400, 401, 404, 409, 422, 429))
def peek_pairing(body: CodeIn, ledger: LedgerDep, _: ReaderDep) -> dict[str, Any]:
    """The organisation a usable code pairs to; the code stays usable."""
    return Devices(ledger).peek(body.code)


@router.post("/pairings/redeem", status_code=201,
             responses=documented(400, 401, 404, 409, 422, 429))
def redeem_pairing(body: RedeemIn, ledger: LedgerDep, _: ReaderDep) -> dict[str, str]:
    """Pair the device: its key is added to the organisation (``KeyAdded``, signed by a key
    the organisation has) and it gets a token of the organisation, shown once. A code is
    used once: a used or expired code is 409."""
    device = Devices(ledger).redeem(body.code, _base64(body.public_key, "public_key"),
                                    _base64(body.possession, "possession"))
    return {"org": device.org, "key_id": device.key_id, "token": device.token,
            "token_id": device.token_id}


@router.get("/orgs/{org}/devices", responses=documented(400, 401, 403))
def list_devices(org: OrgPath, ledger: LedgerDep, caller: CallerDep) -> list[dict[str, Any]]:
    """The devices paired to the organisation, newest first."""
    caller.require_self_or_admin(org)
    return [{"key_id": d.key_id, "label": d.label, "paired_at": d.paired_at,
             "revoked_at": d.revoked_at} for d in Devices(ledger).devices(org)]


@router.post("/orgs/{org}/devices/{key_id}/revoke", status_code=201,
             responses=documented(400, 401, 403, 404, 409, 422))
def revoke_device(org: OrgPath, key_id: KeyPath, body: RevokeIn, services: ServicesDep,
                  caller: CallerDep) -> JSONResponse:
    """Revoke a lost phone: ``KeyRevoked`` for its key, and its token, at once."""
    caller.require_self_or_admin(org)
    token_id = Devices(services.ledger).revoke(org, key_id, body.reason)
    if token_id:
        services.authenticator.forget(token_id)
    return JSONResponse({"org": org, "key_id": key_id, "revoked": True}, status_code=201)


@router.get("/orgs/{org}/households", responses=documented(400, 401, 403))
def list_households(org: OrgPath, ledger: LedgerDep,
                    caller: CallerDep) -> list[dict[str, Any]]:
    """The cooperative's register of households (private: itself and inspectors)."""
    reader = ledger.organisation(caller.org) if caller.org else None
    require_register_access(reader, org)
    return households(ledger.store.engine, org)


class HouseholdIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=200)
    village: str = Field(max_length=200)
    household_id: str = Field(max_length=200)
    formerly_poor: bool = False


@router.post("/orgs/{org}/households", status_code=201,
             responses=documented(400, 401, 403, 409, 422))
def register_household(org: OrgPath, body: HouseholdIn, ledger: LedgerDep,
                       caller: CallerDep) -> dict[str, Any]:
    """Add a household to the cooperative's register (its own token)."""
    if caller.org != org:
        caller.require_self_or_admin(org)
        require_register_access(None, org)
    return add_household(ledger.store.engine, org, body.model_dump())


@router.get("/orgs/{org}/households/count", responses=documented(400, 401, 404, 429))
def count_households(org: OrgPath, ledger: LedgerDep, _: ReaderDep) -> dict[str, int]:
    """What the public sees of the register: how many households, how many formerly poor."""
    ledger.organisation(org)
    return household_counts(ledger.store.engine, org)


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    varieties: dict[str, list[str]] = Field(
        default_factory=dict, description="Varieties per product, e.g. {\"猕猴桃\": [\"红阳\"]}.")
    protective_prices: dict[str, str] = Field(
        default_factory=dict, description="Protective price per product, yuan per kg "
                                          "(decimal strings), e.g. {\"猕猴桃\": \"6\"}.")


@router.get("/orgs/{org}/settings", responses=documented(400, 401, 403))
def read_settings(org: OrgPath, ledger: LedgerDep, caller: CallerDep) -> dict[str, Any]:
    """The cooperative's varieties and protective prices per product (its own tokens, its
    phones' included, or an admin)."""
    caller.require_self_or_admin(org)
    return coop_settings(ledger.store.engine, org)


@router.put("/orgs/{org}/settings", responses=documented(400, 401, 403, 404, 422))
def replace_settings(org: OrgPath, body: SettingsIn, ledger: LedgerDep,
                     caller: CallerDep) -> dict[str, Any]:
    """Replace the cooperative's varieties and protective prices (advice for its forms, not
    rules: see docs/app.md)."""
    caller.require_self_or_admin(org)
    ledger.organisation(org)
    return save_coop_settings(ledger.store.engine, org, body.model_dump())
