"""Records on organisations' chains (``org/<id>``): registration with a first server-held
key, keys added, rotated and revoked, and the GS1 company prefixes (or single GTINs) an
organisation may pack under.

Each record is built and signed like a lot's (``ledger.recording.pipeline``): by the
organisation's newest server-held key, or, for its first record, by the key it registers. A
new server-held key is sealed into the vault before the records are saved, and forgotten
again if they are not.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from ledger.config import Settings
from ledger.domain.fields import identifier, list_of, text
from ledger.domain.gtins import GTIN_LENGTH, overlaps, parse_registration
from ledger.domain.organisation import ROLES, KeyLimits, Organisation
from ledger.errors import AlreadyExists, InvalidInput
from ledger.keys.signing import SigningKey
from ledger.keys.vault import Vault
from ledger.persistence.store import EventStore
from ledger.persistence.work import Receipt, UnitOfWork
from ledger.recording.records import build_record
from verify.errors import BadSignature
from verify.keys import encode_public_key, key_id, verify_key_possession
from verify.records import ZERO_HASH

__all__ = ["OrganisationRecords"]

ROLE = identifier


class OrganisationRecords:
    """The use cases that write organisations' chains."""

    def __init__(self, store: EventStore, vault: Vault, settings: Settings) -> None:
        self.store = store
        self.vault = vault
        self.limits = KeyLimits(settings.max_active_keys, settings.max_new_keys_per_day)

    def register(self, org_id: str, *, name: str, roles: Sequence[str],
                 contact: str | None = None, region: str | None = None) -> list[Receipt]:
        """Register an organisation with a new server-held key (its first record)."""
        org_id = identifier(org_id, "org")
        data: dict[str, Any] = {"name": text(120)(name, "name"), "roles": _roles(roles)}
        if contact:
            data["contact"] = text(80)(contact, "contact")
        if region:
            data["region"] = text(120)(region, "region")
        work = UnitOfWork(self.store)
        work.require_new(f"org/{org_id}", "org")
        private_key = SigningKey.generate()
        public = private_key.public_key
        data["public_key"] = encode_public_key(public)
        moment = work.recorded
        record = build_record(chain=f"org/{org_id}", seq=0, prev=ZERO_HASH, links=(),
                              step="OrganisationRegistered", data=data, org=org_id,
                              key=key_id(public), time=moment, recorded=moment)
        work.start(Organisation, record, private_key)
        return self._commit_with_key(work, org_id, key_id(public), private_key)

    def add_key(self, org_id: str, public_key: bytes | None = None,
                possession: bytes | None = None) -> list[Receipt]:
        """Add a key: a client-held one (``public_key``, with ``possession``, its signature
        over ``verify.keys.key_possession_message``) or a new server-held one."""
        work = UnitOfWork(self.store)
        org = work.organisation(org_id)
        private_key = None
        data: dict[str, Any] = {}
        if public_key is None:
            if possession is not None:
                raise InvalidInput("goes with public_key; a key the server makes needs no "
                                   "proof", field="possession")
            private_key = SigningKey.generate()
            public_key = private_key.public_key
        elif len(public_key) != 32:
            raise InvalidInput("must be a 32-byte Ed25519 public key", field="public_key")
        if key_id(public_key) in org.active_keys or key_id(public_key) in org.revoked_keys:
            raise InvalidInput("this key was registered before", field="public_key")
        data["public_key"] = encode_public_key(public_key)
        if private_key is None:
            proof = _possession(org.org_id, public_key, possession)
            data["possession"] = base64.b64encode(proof).decode("ascii")
        org.check_new_key(self.limits, work.recorded, replacing=False)
        self._append(work, org, "KeyAdded", data)
        if private_key is None:
            return work.commit()
        return self._commit_with_key(work, org_id, key_id(public_key), private_key)

    def rotate_key(self, org_id: str) -> list[Receipt]:
        """Replace the signing key the server holds with a new one; the old one is revoked."""
        work = UnitOfWork(self.store)
        org = work.organisation(org_id)
        org.check_new_key(self.limits, work.recorded, replacing=True)
        private_key = SigningKey.generate()
        public = private_key.public_key
        self._append(work, org, "KeyRotated", {"public_key": encode_public_key(public)})
        return self._commit_with_key(work, org_id, key_id(public), private_key)

    def revoke_key(self, org_id: str, revoked: str, reason: str) -> list[Receipt]:
        work = UnitOfWork(self.store)
        org = work.organisation(org_id)
        org.check_revocation(revoked)
        data = {"key_id": revoked, "reason": text(500)(reason, "reason")}
        self._append(work, org, "KeyRevoked", data, avoid=revoked)
        return work.commit()

    def register_prefix(self, org_id: str, *, prefix: str | None = None,
                        gtin: str | None = None) -> list[Receipt]:
        """Record that ``org_id`` holds a GS1 Company Prefix (or one GTIN), so it may assign
        GTINs under it. An administrator's act, after checking the GS1 licence; refused when
        it overlaps another registration of any organisation."""
        request = {name: value for name, value in (("prefix", prefix), ("gtin", gtin))
                   if value is not None}
        registration = parse_registration(request)
        field = "gtin" if gtin is not None else "prefix"
        work = UnitOfWork(self.store)
        org = work.organisation(org_id)
        for first in self.store.first_records():
            if first.chain_kind != "org":
                continue
            holder = work.organisation(first.subject)
            taken = next((r for r in holder.registrations if overlaps(r, registration)), None)
            if taken is not None:
                raise AlreadyExists(f"{registration} overlaps {taken}, registered to "
                                    f"{holder.org_id}", field=field)
        kind = "gtin" if len(registration) == GTIN_LENGTH else "prefix"
        self._append(work, org, "PrefixRegistered", {kind: registration})
        return work.commit()

    def _append(self, work: UnitOfWork, org: Organisation, step: str,
                data: dict[str, Any], avoid: str | None = None) -> None:
        signer, private_key = self.vault.newest_key(org, avoid=avoid)
        moment = work.recorded
        record = build_record(chain=org.chain_name, seq=org.next_seq, prev=org.head, links=(),
                              step=step, data=data, org=org.org_id, key=signer, time=moment,
                              recorded=moment)
        work.extend(org, record, private_key)

    def _commit_with_key(self, work: UnitOfWork, org_id: str, new_key: str,
                         private_key: SigningKey) -> list[Receipt]:
        self.vault.store(org_id, new_key, private_key)
        try:
            return work.commit()
        except BaseException:
            self.vault.forget(new_key)
            raise


def _possession(org: str, public_key: bytes, signature: bytes | None) -> bytes:
    """The new key's proof of possession, checked (``verify.keys``)."""
    if signature is None:
        raise InvalidInput("is required with public_key: the new key's Ed25519 signature over "
                           f"agritrace/key-possession/v1, {org} and the key id (docs/records.md)",
                           field="possession")
    try:
        verify_key_possession(public_key, org, signature)
    except BadSignature as error:
        raise InvalidInput(f"{error.reason}; sign it with the private key of public_key",
                           field="possession") from error
    return signature


def _roles(roles: Sequence[str]) -> list[str]:
    checked = list_of(ROLE, minimum=1, maximum=len(ROLES))(list(roles), "roles")
    unknown = sorted(set(checked) - ROLES)
    if unknown:
        raise InvalidInput(f"unknown role {unknown[0]}; one of {', '.join(sorted(ROLES))}",
                           field="roles")
    return sorted(set(checked))
