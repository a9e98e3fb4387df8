"""Organisations, their keys, API tokens and the caller, as the API takes and shows them (an
organisation as it is shown is the ledger's view: ``api.schemas.views``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from api.schemas.common import OrgId, Text

__all__ = ["CallerPublic", "KeyIn", "KeyRevocationIn", "OrganisationIn", "PrefixIn",
           "TokenEventPublic", "TokenIn", "TokenIssuedPublic", "TokenLogPublic", "TokenPublic"]

# SQLite hands back naive datetimes; every time the ledger writes is UTC.
Moment = Annotated[datetime, AfterValidator(
    lambda moment: moment if moment.tzinfo else moment.replace(tzinfo=UTC))]
Role = Literal["cooperative", "farm", "collector", "processor", "carrier", "warehouse",
               "retailer", "platform", "inspector"]


class OrganisationIn(BaseModel):
    """A new organisation; the server makes and holds its first signing key."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "org": "coop-xixiang", "name": "凤凰县西乡猕猴桃专业合作社", "roles": ["cooperative"],
        "contact": "0743-1234567", "region": "湖南省湘西州凤凰县"}]})
    org: OrgId
    name: Annotated[str, Text(120)]
    roles: list[Role] = Field(min_length=1, max_length=9)
    contact: Annotated[str, Text(80)] | None = None
    region: Annotated[str, Text(120)] | None = None


class KeyIn(BaseModel):
    """A key to add: the client's own public key with its proof of possession, or nothing
    for a new server-held key."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"public_key": "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
         "possession": "OOHNkvkK3+APbe31SPlnfW6DYaK2np7x+C9Oqk1tO/5OvdlKCC6ocpYEizCHo5aGpR/d"
                       "uwLro0poChoz5I52Bg=="}, {}]})
    public_key: str | None = Field(default=None, pattern=r"^[A-Za-z0-9+/]{43}=$",
                                   description="Ed25519 public key, base64 (32 bytes).")
    possession: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9+/]{86}==$",
        description="Required with public_key: the new key's Ed25519 signature, base64, over "
                    "UTF-8 'agritrace/key-possession/v1\\n' + organisation id + '\\n' + the "
                    "new key's id (docs/records.md).")


class PrefixIn(BaseModel):
    """A GS1 Company Prefix the organisation is licensed, or one GTIN it holds alone."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"prefix": "6941234"}, {"gtin": "06901234567892"}]})
    prefix: str | None = Field(default=None, pattern=r"^[0-9]{4,12}$",
                               description="GS1 Company Prefix, 4 to 12 digits.")
    gtin: str | None = Field(default=None, pattern=r"^[0-9]{8}([0-9]{4,6})?$",
                             description="One GTIN-8, -12, -13 or -14 with its check digit.")


class KeyRevocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"examples": [{"reason": "手机丢失 phone lost"}]})
    reason: Annotated[str, Text(500)]


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"label": "合作社手机 coop phone", "expires_in_days": 90}]})
    label: Annotated[str, Text(120)] | None = None
    expires_in_days: int | None = Field(default=90, ge=1, le=3650,
                                        description="Lifetime in days; null: never expires.")


class TokenIssuedPublic(BaseModel):
    """A new token. ``token`` is shown this once; only its hash is kept."""

    token_id: str
    token: str = Field(description="Send as Authorization: Bearer <token>.")
    org: str | None
    admin: bool
    expires_at: Moment | None


class TokenPublic(BaseModel):
    token_id: str
    org: str | None
    admin: bool
    label: str
    created_at: Moment
    expires_at: Moment | None
    revoked_at: Moment | None


class TokenEventPublic(BaseModel):
    """A token's issuance or revocation: who did it, for whom, when. Never the secret."""

    event_id: int
    at: Moment
    action: Literal["issued", "revoked"]
    token_id: str
    org: str | None = Field(description="The organisation the token acts for; null: admin.")
    admin: bool
    roles: list[str] = Field(description="The organisation's roles when it happened.")
    label: str
    expires_at: Moment | None
    by: str = Field(description="Who did it: an admin token, an organisation's token, or "
                                "the user of a local process (the command line).")


class TokenLogPublic(BaseModel):
    events: list[TokenEventPublic]
    next: int | None = Field(description="Pass as ``after`` for the next page; null: none.")


class CallerPublic(BaseModel):
    """Who the presented token acts for."""

    token_id: str
    org: str | None
    admin: bool
    roles: list[str]
