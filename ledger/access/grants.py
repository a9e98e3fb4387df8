"""Who may do what: the caller a token grants, and the rules beyond custody.

Custody and role rules for records live in ``Lot.check``, which every writer passes. This
module holds the rules about callers:

- an **admin** token (made on the command line) administers organisations and tokens, and
  acts for no organisation: it records nothing and reads no private data itself. It can issue
  an organisation's token, which can; every issuance is in the token log
  (``ledger.access.tokens``), naming the admin token that made it;
- an organisation's token acts for that organisation: it records what ``Lot.check`` allows,
  manages its own keys and tokens, and reads what the public reads;
- **private values** (a harvester's name, a household id) are read only by the organisation
  that recorded them, and by an inspector that has inspected the lot.

``Authenticator`` remembers a presented token's grant for ``ttl`` seconds (one by default), so
a client sending many requests costs one token lookup a second rather than one a request;
only a SHA-256 of the token is kept. Revoking through this process forgets the grant at once;
another process honours a revocation within ``ttl``. An expired token is refused at once.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from ledger.access.tokens import Grant
from ledger.domain.organisation import Organisation
from ledger.domain.steps import PRIVATE_STEPS
from ledger.errors import NotPermitted, Unauthenticated
from verify.records import Record

__all__ = ["Authenticator", "Caller", "require_private_access"]

MAX_REMEMBERED = 10_000


@dataclass(frozen=True)
class Caller:
    """Who a request acts for: an organisation, or the administrator."""

    token_id: str
    org: str | None
    admin: bool

    @classmethod
    def of(cls, grant: Grant) -> Caller:
        return cls(grant.token_id, grant.org_id, grant.admin)

    def acting_org(self) -> str:
        """The organisation that records; admin tokens record nothing."""
        if self.org is None:
            raise NotPermitted("an admin token acts for no organisation; use a token of the "
                               "organisation that records", field="authorization")
        return self.org

    def require_admin(self) -> None:
        if not self.admin:
            raise NotPermitted("needs an admin token (agritrace token create --admin)",
                               field="authorization")

    def require_self_or_admin(self, org: str) -> None:
        if not self.admin and self.org != org:
            raise NotPermitted(f"a token of {self.org} cannot manage {org}; use {org}'s own "
                               "token or an admin token", field="authorization")


def require_private_access(caller: Caller, organisation: Organisation | None,
                           history: Iterable[Record]) -> None:
    """Raise ``NotPermitted`` unless ``caller`` may read the private values of the lot whose
    records are ``history``; ``organisation`` is the caller's (None for an admin)."""
    if organisation is None:
        raise NotPermitted("admin tokens read no private data; use the token of the "
                           "organisation that recorded it, or of an inspector that inspected "
                           "the lot", field="authorization")
    inspector = "inspector" in organisation.roles
    for record in history:
        if record.org != organisation.org_id:
            continue
        made_private = record.seq == 0 and record.type in PRIVATE_STEPS
        if made_private or (inspector and record.type == "Inspected"):
            return
    raise NotPermitted(f"{organisation.org_id} neither recorded this lot's private data nor "
                       "inspected it", field="authorization")


class Authenticator:
    """``authenticate`` with each grant remembered for ``ttl`` seconds (0: never)."""

    def __init__(self, authenticate: Callable[[str | None], Grant], *, ttl: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._authenticate = authenticate
        self._ttl = ttl
        self._clock = clock
        self._grants: dict[bytes, tuple[Grant, float]] = {}
        self._lock = threading.Lock()

    def caller(self, presented: str | None) -> Caller:
        """The caller a presented token grants; ``Unauthenticated`` with the reason."""
        if self._ttl <= 0 or not presented:
            return Caller.of(self._authenticate(presented))
        digest = hashlib.sha256(presented.encode("utf-8", "surrogatepass")).digest()
        now = self._clock()
        with self._lock:
            remembered = self._grants.get(digest)
        if remembered is not None and now - remembered[1] < self._ttl:
            grant = remembered[0]
            if grant.expires_at is not None and grant.expires_at <= datetime.now(UTC):
                raise Unauthenticated("token has expired", field="authorization")
            return Caller.of(grant)
        grant = self._authenticate(presented)
        with self._lock:
            if len(self._grants) >= MAX_REMEMBERED:
                self._grants.clear()
            self._grants[digest] = (grant, now)
        return Caller.of(grant)

    def forget(self, token_id: str) -> None:
        """Forget a token's grant (it was revoked): its next use is looked up again."""
        with self._lock:
            for digest in [d for d, (g, _) in self._grants.items() if g.token_id == token_id]:
                del self._grants[digest]
