"""Webhook subscriptions: where a platform wants notices sent, and for which products.

A subscription names an ``http(s)`` URL and what the platform lists: GTINs, organisations
(producers and holders), lot codes, or ``everything``. A notice goes to it when one of its
affected lots is listed, carries a listed GTIN, or was made or is held by a listed
organisation. Its signing secret (Standard Webhooks: ``whsec_`` and base64 of 32 random
bytes) is shown once, when it is made; the table holds it sealed with AES-256-GCM under a
key derived from the master key (HKDF-SHA-256, info ``agritrace/webhook-secret/v1``), the
subscription id as associated data, so a sealed secret cannot be moved onto another
subscription. Deleting a subscription cancels its deliveries not yet made, and a delivery
worker sharing this object (the service's) checks ``deleted_here`` just before each send, so
one it claimed a moment before the delete is not sent either.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Engine, insert, select, update

from ledger.domain.fields import gtin as parse_gtin
from ledger.domain.fields import identifier, lot_code
from ledger.errors import InvalidInput, NotFound, StoreUnavailable
from ledger.persistence.tables import webhook_outbox, webhook_subscriptions

__all__ = ["MAX_LISTED", "SECRET_PREFIX", "Subscription", "Subscriptions", "check_url",
           "private_address", "subscription_of"]

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix Standard Webhooks gives secrets
MAX_LISTED = 10_000  # GTINs, organisations or lots in one subscription
MAX_URL = 2000
_CONTEXT = b"agritrace/webhook-secret/v1"
_NONCE = 12
_REMEMBER_DELETED = 3600.0  # seconds a delete is remembered for the worker: over any lease


@dataclass(frozen=True)
class Subscription:
    """A webhook subscription, without its secret."""

    id: str
    owner: str | None
    url: str
    gtins: tuple[str, ...] = ()
    orgs: tuple[str, ...] = ()
    lots: tuple[str, ...] = ()
    everything: bool = False
    created_ms: int = 0
    _sets: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, repr=False)

    def wants(self, affected_lots: Sequence[str], gtins: Sequence[str],
              parties: Sequence[str]) -> bool:
        """Whether a notice with these lots, GTINs and parties goes to this subscription."""
        if self.everything:
            return True
        if not self._sets:
            self._sets.update(g=frozenset(self.gtins), o=frozenset(self.orgs),
                              l=frozenset(self.lots))
        return (not self._sets["l"].isdisjoint(affected_lots)
                or not self._sets["g"].isdisjoint(gtins)
                or not self._sets["o"].isdisjoint(parties))

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "org": self.owner, "url": self.url, "gtins": list(self.gtins),
                "orgs": list(self.orgs), "lots": list(self.lots),
                "everything": self.everything, "created_ms": self.created_ms}


def private_address(address: str) -> bool:
    """Whether ``address`` (an IP address) is not a public internet address: loopback,
    private, link-local (cloud metadata services), multicast, reserved or unspecified."""
    ip = ipaddress.ip_address(address)
    return not ip.is_global or ip.is_multicast


def check_url(url: Any, *, allow_private: bool, path: str = "url") -> str:
    """``url`` if it is an absolute http(s) URL with a host (and, unless ``allow_private``,
    not an IP address or name that is plainly not public); ``InvalidInput`` otherwise."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput("must be an http:// or https:// URL", field=path)
    if len(url) > MAX_URL or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise InvalidInput(f"must be at most {MAX_URL} characters, without spaces or control "
                           "characters", field=path)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise InvalidInput(f"is not a URL: {error}", field=path) from error
    if parts.scheme not in ("http", "https"):
        raise InvalidInput(f"scheme {parts.scheme or '(none)'!r} is not http or https",
                           field=path)
    if not parts.hostname:
        raise InvalidInput("has no host", field=path)
    if parts.username is not None or parts.password is not None:
        raise InvalidInput("must not carry a user name or password", field=path)
    if parts.fragment:
        raise InvalidInput("must not have a #fragment", field=path)
    if port == 0:
        raise InvalidInput("port 0 is no port", field=path)
    if not allow_private:
        host = parts.hostname
        literal = _literal_ip(host)
        if host == "localhost" or host.endswith(".localhost") or (
                literal is not None and private_address(literal)):
            raise InvalidInput(f"host {host} is not a public internet address", field=path)
    return url


def _literal_ip(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def _listed(values: Any, path: str, parse: Any) -> tuple[str, ...]:
    if values is None:
        return ()
    if not isinstance(values, list | tuple):
        raise InvalidInput("must be a list", field=path)
    if len(values) > MAX_LISTED:
        raise InvalidInput(f"lists {len(values)}; at most {MAX_LISTED:,}", field=path)
    return tuple(sorted({parse(value, f"{path}[{i}]") for i, value in enumerate(values)}))


def _now_ms() -> int:
    return int(time.time() * 1000)


class Subscriptions:
    """The webhook subscriptions stored beside the events."""

    def __init__(self, engine: Engine, master_key: bytes) -> None:
        self._engine = engine
        key = HKDF(algorithm=SHA256(), length=32, salt=None, info=_CONTEXT).derive(master_key)
        self._aead = AESGCM(key)
        self._deleted: dict[str, float] = {}  # deleted here: id -> time.time() of the delete
        self._lock = threading.Lock()

    def create(self, owner: str | None, url: Any, *, gtins: Any = None, orgs: Any = None,
               lots: Any = None, everything: bool = False,
               allow_private: bool = False) -> tuple[Subscription, str]:
        """A new subscription and its secret (``whsec_…``), which is never shown again."""
        subscription = Subscription(
            id="sub_" + secrets.token_hex(10), owner=owner,
            url=check_url(url, allow_private=allow_private),
            gtins=_listed(gtins, "gtins", parse_gtin), orgs=_listed(orgs, "orgs", identifier),
            lots=_listed(lots, "lots", lot_code), everything=bool(everything),
            created_ms=_now_ms())
        if not (subscription.everything or subscription.gtins or subscription.orgs
                or subscription.lots):
            raise InvalidInput("list at least one GTIN, organisation or lot, or set "
                               "everything", field="gtins")
        raw = os.urandom(32)
        secret = SECRET_PREFIX + base64.b64encode(raw).decode("ascii")
        filters = {"gtins": subscription.gtins, "orgs": subscription.orgs,
                   "lots": subscription.lots, "everything": subscription.everything}
        with self._engine.begin() as connection:
            connection.execute(insert(webhook_subscriptions).values(
                subscription_id=subscription.id, owner=owner, url=subscription.url,
                filters_json=json.dumps(filters), sealed_secret=self._seal(subscription.id, raw),
                created_ms=subscription.created_ms))
        return subscription, secret

    def active(self, owner: str | None = None, *, everyone: bool = False) -> list[Subscription]:
        """Subscriptions not deleted: ``owner``'s, or everyone's, oldest first."""
        query = select(webhook_subscriptions).where(webhook_subscriptions.c.deleted_ms.is_(None))
        if not everyone:
            query = query.where(webhook_subscriptions.c.owner == owner if owner is not None
                                else webhook_subscriptions.c.owner.is_(None))
        with self._engine.connect() as connection:
            rows = connection.execute(query.order_by(webhook_subscriptions.c.created_ms,
                                                     webhook_subscriptions.c.subscription_id))
            return [subscription_of(row) for row in rows]

    def get(self, subscription_id: str, owner: str | None, *, admin: bool) -> Subscription:
        """``owner``'s subscription (any, for an admin); ``NotFound`` otherwise."""
        with self._engine.connect() as connection:
            row = connection.execute(select(webhook_subscriptions).where(
                webhook_subscriptions.c.subscription_id == subscription_id,
                webhook_subscriptions.c.deleted_ms.is_(None))).first()
        if row is None or not (admin or row.owner == owner):
            raise NotFound(f"no subscription {subscription_id}", field="subscription")
        return subscription_of(row)

    def delete(self, subscription_id: str, owner: str | None, *, admin: bool) -> None:
        """Delete a subscription and cancel its deliveries not yet made; remembered here
        first, so a worker sharing this object sends nothing more to it from now on."""
        self.get(subscription_id, owner, admin=admin)
        self._remember_deleted(subscription_id)
        try:
            self._delete(subscription_id)
        except BaseException:
            with self._lock:
                self._deleted.pop(subscription_id, None)
            raise

    def deleted_here(self, subscription_id: str) -> bool:
        """Whether this object deleted the subscription (within the last hour: a delivery
        claimed later reads the deletion from the table)."""
        with self._lock:
            return subscription_id in self._deleted

    def _remember_deleted(self, subscription_id: str) -> None:
        now = time.time()
        with self._lock:
            if len(self._deleted) >= 1024:
                self._deleted = {k: v for k, v in self._deleted.items()
                                 if now - v < _REMEMBER_DELETED}
            self._deleted[subscription_id] = now

    def _delete(self, subscription_id: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(update(webhook_subscriptions).where(
                webhook_subscriptions.c.subscription_id == subscription_id).values(
                deleted_ms=_now_ms()))
            connection.execute(update(webhook_outbox).where(
                webhook_outbox.c.subscription_id == subscription_id,
                webhook_outbox.c.status.in_(("pending", "retrying", "dead"))).values(
                status="cancelled", lease_owner=None, lease_until_ms=None))

    def destination(self, subscription_id: str) -> tuple[str, bytes] | None:
        """The URL and opened secret of a subscription not deleted; None when deleted."""
        with self._engine.connect() as connection:
            row = connection.execute(select(
                webhook_subscriptions.c.url, webhook_subscriptions.c.sealed_secret).where(
                webhook_subscriptions.c.subscription_id == subscription_id,
                webhook_subscriptions.c.deleted_ms.is_(None))).first()
        if row is None:
            return None
        return str(row.url), self.open_secret(subscription_id, bytes(row.sealed_secret))

    def _seal(self, subscription_id: str, secret: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, secret, subscription_id.encode("ascii"))

    def open_secret(self, subscription_id: str, sealed: bytes) -> bytes:
        """The secret's bytes from its sealed form in the table."""
        try:
            return self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:],
                                      subscription_id.encode("ascii"))
        except InvalidTag as error:
            raise StoreUnavailable("cannot open a webhook secret: wrong master key "
                                   "(AGRITRACE_MASTER_KEY)") from error


def subscription_of(row: Any) -> Subscription:
    """A subscription from its table row."""
    filters = json.loads(row.filters_json)
    return Subscription(id=row.subscription_id, owner=row.owner, url=row.url,
                        gtins=tuple(filters["gtins"]), orgs=tuple(filters["orgs"]),
                        lots=tuple(filters["lots"]), everything=bool(filters["everything"]),
                        created_ms=int(row.created_ms))
