"""Server-held signing keys, sealed at rest with AES-256-GCM under the master key.

An organisation may keep its key itself and submit signed records; otherwise the server
keeps it here. The key id is the associated data, so a sealed key cannot be swapped onto
another id.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Engine, delete, insert, select

from ledger.domain.organisation import Organisation
from ledger.errors import NotPermitted, StoreUnavailable
from ledger.keys.signing import SigningKey
from ledger.persistence.tables import signing_keys

__all__ = ["Vault"]

_NONCE = 12


class Vault:
    """Seals, stores and opens organisations' Ed25519 private keys."""

    def __init__(self, engine: Engine, master_key: bytes) -> None:
        self._engine = engine
        self._aead = AESGCM(master_key)
        self._open = lru_cache(maxsize=1024)(self._open_uncached)

    def store(self, org_id: str, key_id: str, private_key: SigningKey) -> None:
        nonce = os.urandom(_NONCE)
        seed = private_key.seed
        sealed = nonce + self._aead.encrypt(nonce, seed, key_id.encode("ascii"))
        with self._engine.begin() as connection:
            connection.execute(insert(signing_keys).values(
                key_id=key_id, org_id=org_id, sealed_private_key=sealed,
                created_at=datetime.now(UTC),
            ))

    def forget(self, key_id: str) -> None:
        """Remove a key stored for a registration that was then not saved."""
        with self._engine.begin() as connection:
            connection.execute(delete(signing_keys).where(signing_keys.c.key_id == key_id))
        self._open.cache_clear()

    def signing_key(self, org_id: str, key_id: str) -> SigningKey:
        """The private key for ``key_id``; raises ``NotPermitted`` if the server lacks it."""
        return self._open(org_id, key_id)

    def newest_key(self, org: Organisation,
                   avoid: str | None = None) -> tuple[str, SigningKey]:
        """The newest active key of ``org`` that the server holds (other than ``avoid``),
        with its id; ``NotPermitted`` if it holds none."""
        for candidate in reversed(list(org.active_keys)):
            if candidate == avoid:
                continue
            try:
                return candidate, self.signing_key(org.org_id, candidate)
            except NotPermitted:
                continue
        raise NotPermitted(f"the server holds no active key of {org.org_id}; sign records "
                           "yourself and submit them", field="key")

    def _open_uncached(self, org_id: str, key_id: str) -> SigningKey:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(signing_keys.c.sealed_private_key).where(
                    signing_keys.c.key_id == key_id, signing_keys.c.org_id == org_id)
            ).first()
        if row is None:
            raise NotPermitted(f"the server holds no private key {key_id} for {org_id}; "
                               "sign the record yourself", field="key")
        sealed: bytes = row[0]
        try:
            seed = self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], key_id.encode("ascii"))
        except InvalidTag as error:
            raise StoreUnavailable("cannot open the sealed signing key: wrong master key "
                                   "(AGRITRACE_MASTER_KEY)") from error
        return SigningKey(seed)
