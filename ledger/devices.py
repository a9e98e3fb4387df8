"""Devices that sign: phones paired to an organisation by a one-time code.

An organisation (with its own token, or an administrator for it) asks for a pairing code.
The code is shown once, as text and as a QR code; only its SHA-256 is kept, with the
organisation, a label and an expiry (ten minutes by default). The phone generates its own
Ed25519 key pair, signs the key-possession message (``verify.keys.key_possession_message``)
with it, and redeems the code with its public key and that proof. Redeeming:

1. checks the proof against the organisation the code names (nothing is used up by a
   wrong proof);
2. marks the code used in one conditional update, so of two redemptions racing one wins
   and the other, like a used or expired code, is refused;
3. records ``KeyAdded`` for the phone's key, signed by a key the organisation already has
   (``ledger.recording.organisations``), and issues the phone a token of the organisation.

If step 3 fails the code is released again. The server never sees the phone's private key;
every record the phone makes it signs itself and submits through ``POST /records/signed``.
Revoking a device records ``KeyRevoked`` for its key and revokes its token: its records are
refused from then on, and its token records nothing server-signed either.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from ledger.application import Ledger
from ledger.domain.fields import identifier, text
from ledger.errors import InvalidInput, NotFound, WrongState
from ledger.persistence.tables import pairing_codes
from verify.errors import BadSignature
from verify.keys import key_id, verify_key_possession

__all__ = ["CODE_ALPHABET", "Device", "Devices", "PairedDevice", "Pairing", "normalise_code"]

# Crockford's base32 without the letters people confuse (I, L, O, U): 12 characters, 60 bits.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 12
DEFAULT_LIFETIME = timedelta(minutes=10)
MAX_LIFETIME = timedelta(hours=24)


@dataclass(frozen=True)
class Pairing:
    """A new pairing code, shown once."""

    code: str
    org: str
    label: str
    expires_at: datetime


@dataclass(frozen=True)
class PairedDevice:
    """What the phone gets back: its organisation, its key id and its token (shown once)."""

    org: str
    key_id: str
    token: str
    token_id: str


@dataclass(frozen=True)
class Device:
    """A paired device as its organisation sees it."""

    key_id: str
    label: str
    paired_at: datetime
    revoked_at: datetime | None


def normalise_code(code: str) -> str:
    """The code as stored: upper case, without spaces and dashes (``abcd-efgh-jkmn``)."""
    return "".join(code.split()).replace("-", "").upper()


def _digest(code: str) -> bytes:
    return hashlib.sha256(normalise_code(code).encode("ascii", "replace")).digest()


def _grouped(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def _aware(moment: datetime) -> datetime:
    """SQLite gives naive times back; every time here is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class Devices:
    """Pairing codes and the devices they paired, over one ledger."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.engine = ledger.store.engine

    def create_code(self, org_id: str, *, label: str,
                    lifetime: timedelta = DEFAULT_LIFETIME) -> Pairing:
        """A one-time code pairing a device to ``org_id`` within ``lifetime``."""
        org_id = identifier(org_id, "org")
        label = text(120)(label, "label")
        if not timedelta(0) < lifetime <= MAX_LIFETIME:
            raise InvalidInput("must be between 1 second and 24 hours", field="lifetime")
        self.ledger.organisation(org_id)  # OrganisationNotFound names it
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            connection.execute(insert(pairing_codes).values(
                code_sha256=_digest(code), org_id=org_id, label=label, created_at=now,
                expires_at=now + lifetime))
        return Pairing(_grouped(code), org_id, label, now + lifetime)

    def peek(self, code: str) -> dict[str, Any]:
        """The organisation a usable code pairs to, without using it (the phone signs its
        key-possession proof for that organisation before it redeems)."""
        row = self._usable(code)
        org = self.ledger.organisation(row.org_id)
        return {"org": row.org_id, "name": org.name, "label": row.label,
                "expires_at": _aware(row.expires_at)}

    def redeem(self, code: str, public_key: bytes, possession: bytes) -> PairedDevice:
        """Pair the device holding ``public_key``: check its proof, use the code up, record
        ``KeyAdded`` and issue its token."""
        row = self._usable(code)
        if len(public_key) != 32:
            raise InvalidInput("must be a 32-byte Ed25519 public key", field="public_key")
        try:
            verify_key_possession(public_key, row.org_id, possession)
        except BadSignature as error:
            raise InvalidInput(f"{error.reason}; sign it with the device's new private key",
                               field="possession") from error
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            taken = connection.execute(update(pairing_codes).where(
                pairing_codes.c.code_sha256 == row.code_sha256,
                pairing_codes.c.used_at.is_(None),
                pairing_codes.c.expires_at > now).values(used_at=now)).rowcount
        if not taken:
            raise _refused("was used or expired just now")
        try:
            self.ledger.add_key(row.org_id, public_key, possession)
            issued = self.ledger.issue_token(row.org_id, label=f"device {key_id(public_key)} "
                                             f"{row.label}"[:120], by=f"pairing code of "
                                             f"{row.org_id}")
        except BaseException:
            with self.engine.begin() as connection:
                connection.execute(update(pairing_codes).where(
                    pairing_codes.c.code_sha256 == row.code_sha256).values(used_at=None))
            raise
        with self.engine.begin() as connection:
            connection.execute(update(pairing_codes).where(
                pairing_codes.c.code_sha256 == row.code_sha256).values(
                key_id=key_id(public_key), token_id=issued.token_id))
        return PairedDevice(row.org_id, key_id(public_key), issued.token, issued.token_id)

    def devices(self, org_id: str) -> list[Device]:
        """The devices paired to ``org_id``, newest first."""
        query = (select(pairing_codes).where(pairing_codes.c.org_id == org_id,
                                             pairing_codes.c.key_id.is_not(None))
                 .order_by(pairing_codes.c.used_at.desc()))
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [Device(row.key_id, row.label, _aware(row.used_at),
                       _aware(row.revoked_at) if row.revoked_at else None) for row in rows]

    def revoke(self, org_id: str, device_key: str, reason: str) -> str | None:
        """Revoke a device: ``KeyRevoked`` for its key, and its token (whose id it returns,
        for a process that remembers grants to forget it)."""
        with self.engine.connect() as connection:
            row = connection.execute(select(pairing_codes).where(
                pairing_codes.c.org_id == org_id, pairing_codes.c.key_id == device_key)).first()
        if row is None:
            raise NotFound(f"{org_id} has no paired device with key {device_key}",
                           field="key_id")
        if row.revoked_at is None:
            if device_key in self.ledger.organisation(org_id).active_keys:
                self.ledger.revoke_key(org_id, device_key, reason)
            if row.token_id:
                try:
                    self.ledger.revoke_token(row.token_id, by=f"device revocation of {org_id}")
                except NotFound:
                    pass  # revoked already, by itself or an admin
            with self.engine.begin() as connection:
                connection.execute(update(pairing_codes).where(
                    pairing_codes.c.code_sha256 == row.code_sha256).values(
                    revoked_at=datetime.now(UTC)))
        token_id: str | None = row.token_id
        return token_id

    def _usable(self, code: str) -> Any:
        normalised = normalise_code(code)
        if len(normalised) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in normalised):
            raise InvalidInput(f"must be the {CODE_LENGTH}-character pairing code shown "
                               "(letters and digits)", field="code")
        with self.engine.connect() as connection:
            row = connection.execute(select(pairing_codes).where(
                pairing_codes.c.code_sha256 == _digest(normalised))).first()
        if row is None:
            raise NotFound("no such pairing code; ask for a new one", field="code")
        if row.used_at is not None:
            raise _refused("was used already; a code pairs one device: ask for a new one")
        if _aware(row.expires_at) <= datetime.now(UTC):
            raise _refused("has expired; ask for a new one")
        return row


def _refused(reason: str) -> WrongState:
    return WrongState(reason, field="code")
