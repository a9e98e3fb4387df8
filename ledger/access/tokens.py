"""API tokens: shown once, stored as SHA-256, revocable, expiring; each acts for one
organisation, or is an admin token made on the command line.

A token reads ``at_<token id>_<secret>``: the id finds the row, the 32-byte random secret
proves possession. The secret has full entropy, so a plain SHA-256 of it is a safe verifier;
comparison is constant-time.

Every issuance and revocation appends an event to ``agritrace_token_events`` in the same
transaction as the change: who did it (``by``: an admin token, an organisation's token, or
the user of a local process such as the command line), for which organisation and with its
roles, when, and the token's label and expiry; never the secret nor its hash. The events are
a table rather than signed records in the log: the admin is no organisation and has no key
of its own (a key the server holds would prove nothing the table does not), labels are free
text that must not become public and unerasable, and organisations' chains travel in every
bundle that needs their keys.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import os
import secrets
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from ledger.errors import NotFound, Unauthenticated
from ledger.persistence.tables import api_tokens, token_events

__all__ = ["Grant", "IssuedToken", "authenticate", "issue_token", "list_token_events",
           "list_tokens", "local_operator", "revoke_token"]

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
                by: str, roles: Sequence[str] = (),
                lifetime: timedelta | None = None) -> IssuedToken:
    """A new token, and its ``issued`` event naming ``by`` and the organisation's ``roles``."""
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires = now + lifetime if lifetime else None
    with engine.begin() as connection:
        connection.execute(insert(api_tokens).values(
            token_id=token_id, org_id=org_id, admin=admin, label=label[:120],
            secret_sha256=_digest(secret), created_at=now, expires_at=expires))
        _record_event(connection, "issued", at=now, token_id=token_id, org_id=org_id,
                      admin=admin, roles=roles, label=label[:120], expires_at=expires, by=by)
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


def revoke_token(engine: Engine, token_id: str, *, by: str,
                 roles_of: Callable[[str], Sequence[str]]) -> None:
    """Revoke a token, and record a ``revoked`` event naming ``by``; ``roles_of`` gives the
    roles of the token's organisation."""
    now = datetime.now(UTC)
    with engine.begin() as connection:
        row = connection.execute(select(api_tokens).where(
            api_tokens.c.token_id == token_id, api_tokens.c.revoked_at.is_(None))).first()
        # None, or revoked by another request in the meantime:
        if row is None or not connection.execute(update(api_tokens).where(
                api_tokens.c.token_id == token_id, api_tokens.c.revoked_at.is_(None),
        ).values(revoked_at=now)).rowcount:
            raise NotFound(f"no active token {token_id}", field="token_id")
        _record_event(connection, "revoked", at=now, token_id=token_id, org_id=row.org_id,
                      admin=bool(row.admin), label=row.label, expires_at=row.expires_at,
                      roles=roles_of(row.org_id) if row.org_id else (), by=by)


def list_token_events(engine: Engine, *, org_id: str | None = None, after: int = 0,
                      limit: int = 100) -> list[dict[str, Any]]:
    """Token events after the event id ``after``, oldest first; only ``org_id``'s if given.
    ``roles`` is a list."""
    query = (select(token_events).where(token_events.c.event_id > after)
             .order_by(token_events.c.event_id).limit(limit))
    if org_id is not None:
        query = query.where(token_events.c.org_id == org_id)
    with engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(query)]
    for row in rows:
        row["roles"] = row["roles"].split()
        row["at"] = _aware(row["at"])
        row["expires_at"] = _aware(row["expires_at"]) if row["expires_at"] else None
    return rows


def local_operator() -> str:
    """Who acts when a local process (the command line) uses the store directly."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry
        user = f"uid {os.getuid()}"
    return f"local process ({user}@{socket.gethostname()})"


def _record_event(connection: Connection, action: str, *, at: datetime, token_id: str,
                  org_id: str | None, admin: bool, roles: Sequence[str], label: str,
                  expires_at: datetime | None, by: str) -> None:
    connection.execute(insert(token_events).values(
        at=at, action=action, token_id=token_id, org_id=org_id, admin=admin,
        roles=" ".join(sorted(roles)), label=label, expires_at=expires_at, by=by[:200]))


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
