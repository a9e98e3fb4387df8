"""Idempotency keys: a client's retry of a request returns the first response and never
records twice (the HTTP ``Idempotency-Key`` header, draft-ietf-httpapi-idempotency-key-header).

A key belongs to one organisation (``scope``) and names one request by its fingerprint: an
HMAC-SHA-256 of method, path and body under a secret derived from the master key, so the
table alone does not let anyone test a guessed name against a body. The protocol is claim →
run:

1. ``claim`` inserts the key as *running*, held by a new random owner for a short lease. If
   it exists already: the same request, finished, returns what it recorded, to answer again;
   the same request still running is ``RequestInProgress`` (409) until its lease ends; after
   that its owner is taken to have died (or stalled) and this claim takes the key over;
   another request under the same key is ``KeyReused`` (422).
2. The caller runs the use case with the claim. Its records and what they are
   (``outcome``) are stored in one transaction, and only while the claim still holds the key
   (``ledger.persistence.recorders``): a request whose key was taken over records nothing
   (``RequestTakenOver``). So a request records at most once whoever dies when, and a key
   is never stuck longer than a lease.
3. If the use case fails with a ledger error, nothing was recorded (a use case is all or
   nothing), so ``release`` frees the key for a corrected retry.

Keys expire after a day. Erasing a private value forgets the fingerprints of the requests on
its chain and of those on several chains (batches), which may have carried the value
(``forget_fingerprints``): such a key still answers with what it recorded, but no longer
tells another request under it apart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Engine, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ledger.errors import AlreadyExists, InvalidInput
from ledger.persistence.tables import idempotency_keys, private_values

__all__ = [
    "FIELD",
    "LEASE",
    "Claim",
    "IdempotencyKeys",
    "KeyReused",
    "Recorded",
    "Replay",
    "RequestInProgress",
    "RequestTakenOver",
    "fingerprint_secret",
    "forget_fingerprints",
    "outcome_json",
]

FIELD = "Idempotency-Key"
LIFETIME = timedelta(hours=24)
LEASE = timedelta(seconds=30)
_PURGE_EVERY = 500  # claims between deletions of expired keys
_CONTEXT = b"agritrace/idempotency-fingerprint/v1"


class RequestInProgress(AlreadyExists):
    """The first request under this key has not finished, and its lease has not ended."""


class RequestTakenOver(AlreadyExists):
    """This request's lease ended and a retry took its key over: it must not record."""


class KeyReused(InvalidInput):
    """The key was used before for a different request."""


@dataclass(frozen=True)
class Claim:
    """A request's hold on its key; ``owner`` is new for every claim (a fencing token)."""

    scope: str
    key: str
    owner: str


@dataclass(frozen=True)
class Recorded:
    """One record a request made, as its key remembers it."""

    hash: str
    chain: str
    seq: int
    type: str


@dataclass(frozen=True)
class Replay:
    """What the first request under a key recorded, in order."""

    records: tuple[Recorded, ...]


def fingerprint_secret(master_key: bytes) -> bytes:
    """The fingerprints' HMAC key: derived from the master key (HKDF-SHA-256, RFC 5869), so
    every process sharing the store agrees, and the master key is used for nothing else."""
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=_CONTEXT).derive(master_key)


def outcome_json(records: Iterable[Recorded]) -> str:
    """What a claim stores with its records (``ledger.persistence.recorders``)."""
    return json.dumps([[r.hash, r.chain, r.seq, r.type] for r in records])


def _replay(outcome: str) -> Replay:
    return Replay(tuple(Recorded(str(h), str(c), int(s), str(t))
                        for h, c, s, t in json.loads(outcome)))


def forget_fingerprints(engine: Engine, commitment: str) -> None:
    """Forget the fingerprints of the requests that may have carried the private value
    behind ``commitment``: those on its chain, and those on several chains (batches)."""
    chains = select(private_values.c.chain).where(private_values.c.commitment == commitment)
    with engine.begin() as connection:
        connection.execute(update(idempotency_keys).where(
            or_(idempotency_keys.c.chain.in_(chains), idempotency_keys.c.chain.is_(None)),
            idempotency_keys.c.fingerprint.is_not(None)).values(fingerprint=None))


class IdempotencyKeys:
    """The idempotency keys stored beside the events, in the same database."""

    def __init__(self, engine: Engine, secret: bytes, *, lifetime: timedelta = LIFETIME,
                 lease: timedelta = LEASE) -> None:
        self._engine = engine
        self._secret = secret
        self._lifetime = lifetime
        self._lease = lease
        self._claims = 0

    def fingerprint(self, method: str, path: str, body: Any) -> bytes:
        """The request's HMAC: the same JSON body in any key order or spacing is the same."""
        canonical = json.dumps([method.upper(), path, body], sort_keys=True,
                               ensure_ascii=False, separators=(",", ":"), default=str)
        return hmac.new(self._secret, canonical.encode("utf-8"), hashlib.sha256).digest()

    def claim(self, scope: str, key: str, digest: bytes, *,
              chain: str | None = None) -> Claim | Replay:
        """Claim ``key`` for the request ``digest`` on ``chain`` (None: several chains): the
        claim to run it with, or the first request's records to answer with."""
        self._claims += 1
        if self._claims % _PURGE_EVERY == 0:
            self._purge(datetime.now(UTC) - self._lifetime)
        for _ in range(3):
            claim = Claim(scope, key, secrets.token_hex(16))
            now = datetime.now(UTC)
            try:
                with self._engine.begin() as connection:
                    connection.execute(insert(idempotency_keys).values(
                        scope=scope, key=key, fingerprint=digest, chain=chain,
                        owner=claim.owner, lease_until=now + self._lease, created_at=now))
                return claim
            except IntegrityError:
                found = self._existing(claim, digest, chain)
                if found is not None:
                    return found
        raise RequestInProgress("a request with this key has just failed; retry", field=FIELD)

    def _existing(self, claim: Claim, digest: bytes, chain: str | None) -> Claim | Replay | None:
        """The first request's records, or ``claim`` once it took the key over; None when
        the key is free again (released, expired or just taken: claim anew)."""
        mine = (idempotency_keys.c.scope == claim.scope, idempotency_keys.c.key == claim.key)
        with self._engine.connect() as connection:
            row = connection.execute(select(idempotency_keys).where(*mine)).first()
        if row is None:  # released meanwhile: the first request failed, so claim again
            return None
        now = datetime.now(UTC)
        if _aware(row.created_at) < now - self._lifetime:
            with self._engine.begin() as connection:
                connection.execute(delete(idempotency_keys).where(
                    *mine, idempotency_keys.c.created_at == row.created_at))
            return None
        if row.fingerprint is not None and bytes(row.fingerprint) != digest:
            raise KeyReused("was used for a different request (another path or body); use a "
                            "new key for a new request", field=FIELD)
        if row.outcome is not None:
            return _replay(str(row.outcome))
        wait = (_aware(row.lease_until) - now).total_seconds()
        if wait > 0:
            raise RequestInProgress(
                f"the first request with this key has not finished; retry in {wait:.0f} s "
                "(if its process died, the retry then takes the key over)", field=FIELD)
        with self._engine.begin() as connection:  # its owner died or stalled: take over
            taken = connection.execute(update(idempotency_keys).where(
                *mine, idempotency_keys.c.owner == row.owner,
                idempotency_keys.c.outcome.is_(None),
            ).values(owner=claim.owner, fingerprint=digest, chain=chain,
                     lease_until=now + self._lease, created_at=now))
        return claim if taken.rowcount == 1 else None

    def _purge(self, before: datetime) -> None:
        with self._engine.begin() as connection:
            connection.execute(delete(idempotency_keys).where(
                idempotency_keys.c.created_at < before))

    def release(self, claim: Claim) -> None:
        """Free the key after a use case failed (nothing was recorded), unless another
        request took it over meanwhile."""
        with self._engine.begin() as connection:
            connection.execute(delete(idempotency_keys).where(
                idempotency_keys.c.scope == claim.scope, idempotency_keys.c.key == claim.key,
                idempotency_keys.c.owner == claim.owner, idempotency_keys.c.outcome.is_(None)))


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time this module writes is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
