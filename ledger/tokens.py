"""API tokens: shown once, stored as SHA-256, revocable, expiring; each acts for one
organisation, or is an admin token made on the command line.

A token reads ``at_<token id>_<secret>``: the id finds the row, the 32-byte random secret
proves possession. The secret has full entropy, so a plain SHA-256 of it is a safe verifier;
comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, select, update

from ledger.errors import NotFound, Unauthenticated
from ledger.tables import api_tokens

__all__ = ["Grant", "IssuedToken", "authenticate", "issue_token", "list_tokens", "revoke_token"]

_PREFIX = "at_"


@dataclass(frozen=True)
class IssuedToken:
    token_id: str
    token: str  # shown once; only its hash is kept
    org_id: str | None
    admin: bool
    expires_at: datetime | None


@dataclass(frozen=True)
class Grant:
    """Who a presented token acts for."""

    token_id: str
    org_id: str | None
    admin: bool
    expires_at: datetime | None = None


def issue_token(engine: Engine, *, org_id: str | None, admin: bool, label: str,
                lifetime: timedelta | None = None) -> IssuedToken:
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires = now + lifetime if lifetime else None
    with engine.begin() as connection:
        connection.execute(insert(api_tokens).values(
            token_id=token_id, org_id=org_id, admin=admin, label=label[:120],
            secret_sha256=_digest(secret), created_at=now, expires_at=expires))
    return IssuedToken(token_id, f"{_PREFIX}{token_id}_{secret}", org_id, admin, expires)


def authenticate(engine: Engine, presented: str | None) -> Grant:
    """The grant of a presented token; raises ``Unauthenticated`` with the reason."""
    if not presented:
        raise Unauthenticated("send a token: Authorization: Bearer at_…", field="authorization")
    parts = presented.strip().split("_", 2)
    if len(parts) != 3 or parts[0] + "_" != _PREFIX:
        raise Unauthenticated("is not an agritrace token (at_<id>_<secret>)",
                              field="authorization")
    _, token_id, secret = parts
    if len(token_id) != 16 or not all(c in "0123456789abcdef" for c in token_id):
        raise Unauthenticated("is not an agritrace token (at_<id>_<secret>)",
                              field="authorization")
    with engine.connect() as connection:
        row = connection.execute(select(api_tokens).where(
            api_tokens.c.token_id == token_id)).first()
    if row is None or not hmac.compare_digest(bytes(row.secret_sha256), _digest(secret)):
        raise Unauthenticated("unknown token", field="authorization")
    if row.revoked_at is not None:
        raise Unauthenticated("token was revoked", field="authorization")
    if row.expires_at is not None and _aware(row.expires_at) <= datetime.now(UTC):
        raise Unauthenticated("token has expired", field="authorization")
    expires = _aware(row.expires_at) if row.expires_at is not None else None
    return Grant(token_id, row.org_id, bool(row.admin), expires)


def revoke_token(engine: Engine, token_id: str) -> None:
    with engine.begin() as connection:
        result = connection.execute(update(api_tokens).where(
            api_tokens.c.token_id == token_id, api_tokens.c.revoked_at.is_(None),
        ).values(revoked_at=datetime.now(UTC)))
    if not result.rowcount:
        raise NotFound(f"no active token {token_id}", field="token_id")


def list_tokens(engine: Engine, org_id: str | None = None) -> list[dict[str, object]]:
    """Tokens without their secrets, newest first."""
    query = select(api_tokens.c.token_id, api_tokens.c.org_id, api_tokens.c.admin,
                   api_tokens.c.label, api_tokens.c.created_at, api_tokens.c.expires_at,
                   api_tokens.c.revoked_at).order_by(api_tokens.c.created_at.desc())
    if org_id is not None:
        query = query.where(api_tokens.c.org_id == org_id)
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time this module writes is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
