"""Idempotency keys: a client's retry of a request returns the first response and never
records twice (the HTTP ``Idempotency-Key`` header, draft-ietf-httpapi-idempotency-key-header).

A key belongs to one organisation (``scope``) and names one request by its fingerprint
(SHA-256 of method, path and body). The protocol is claim → run → complete:

1. ``claim`` inserts the key as *running*. If it exists already: the same request, finished,
   returns the stored response to repeat; the same request still running is
   ``RequestInProgress`` (409); another request under the same key is ``KeyReused`` (422).
2. The caller runs the use case. If it fails with a ledger error, nothing was recorded (a use
   case is all or nothing), so ``release`` frees the key for a corrected retry.
3. ``complete`` stores the response.

A process that dies between recording and ``complete`` leaves the key *running*: retries then
get 409 until the key expires, and never record a second time. Keys expire after a day.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ledger.errors import AlreadyExists, InvalidInput
from ledger.tables import idempotency_keys

__all__ = ["IdempotencyKeys", "KeyReused", "Replay", "RequestInProgress", "fingerprint"]

FIELD = "Idempotency-Key"
LIFETIME = timedelta(hours=24)
_PURGE_EVERY = 500  # claims between deletions of expired keys


class RequestInProgress(AlreadyExists):
    """The first request under this key has not finished (or its process died)."""


class KeyReused(InvalidInput):
    """The key was used before for a different request."""


@dataclass(frozen=True)
class Replay:
    """The stored outcome of the first request under a key."""

    status: int
    response: str


def fingerprint(method: str, path: str, body: Any) -> bytes:
    """SHA-256 of a request: the same JSON body in any key order or spacing is the same."""
    canonical = json.dumps([method.upper(), path, body], sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).digest()


class IdempotencyKeys:
    """The idempotency keys stored beside the events, in the same database."""

    def __init__(self, engine: Engine, *, lifetime: timedelta = LIFETIME) -> None:
        self._engine = engine
        self._lifetime = lifetime
        self._claims = 0

    def claim(self, scope: str, key: str, digest: bytes) -> Replay | None:
        """Claim ``key`` for the request ``digest``: None to go ahead, or the first response."""
        self._claims += 1
        if self._claims % _PURGE_EVERY == 0:
            self._purge(datetime.now(UTC) - self._lifetime)
        for _ in range(2):
            try:
                with self._engine.begin() as connection:
                    connection.execute(insert(idempotency_keys).values(
                        scope=scope, key=key, fingerprint=digest, created_at=datetime.now(UTC)))
                return None
            except IntegrityError:
                replay = self._existing(scope, key, digest)
                if replay is not None:
                    return replay
        raise RequestInProgress("a request with this key has just failed; retry", field=FIELD)

    def _existing(self, scope: str, key: str, digest: bytes) -> Replay | None:
        """The first request's outcome; None when its key expired (and is now removed)."""
        with self._engine.connect() as connection:
            row = connection.execute(select(idempotency_keys).where(
                idempotency_keys.c.scope == scope, idempotency_keys.c.key == key)).first()
        if row is None:  # released meanwhile: the first request failed, so claim again
            return None
        if _aware(row.created_at) < datetime.now(UTC) - self._lifetime:
            with self._engine.begin() as connection:
                connection.execute(delete(idempotency_keys).where(
                    idempotency_keys.c.scope == scope, idempotency_keys.c.key == key,
                    idempotency_keys.c.created_at == row.created_at))
            return None
        if bytes(row.fingerprint) != digest:
            raise KeyReused("was used for a different request (another path or body); use a "
                            "new key for a new request", field=FIELD)
        if row.status is None:
            raise RequestInProgress(
                "the first request with this key has not finished; retry shortly. If it never "
                "does, it may have been recorded: check the lot's history before using a new "
                "key", field=FIELD)
        return Replay(int(row.status), str(row.response))

    def _purge(self, before: datetime) -> None:
        with self._engine.begin() as connection:
            connection.execute(delete(idempotency_keys).where(
                idempotency_keys.c.created_at < before))

    def complete(self, scope: str, key: str, status: int, response: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(update(idempotency_keys).where(
                idempotency_keys.c.scope == scope, idempotency_keys.c.key == key,
            ).values(status=status, response=response))

    def release(self, scope: str, key: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(delete(idempotency_keys).where(
                idempotency_keys.c.scope == scope, idempotency_keys.c.key == key,
                idempotency_keys.c.status.is_(None)))


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time this module writes is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
