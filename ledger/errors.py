"""Errors the ledger raises. ``api/`` and the command line map them to statuses and exits.

LedgerError
 ├─ InvalidInput          a field is missing or wrong (422 / exit 2); names the field
 ├─ NotFound              an unknown lot, organisation, key or record (404)
 │   ├─ LotNotFound
 │   └─ OrganisationNotFound
 ├─ AlreadyExists         a lot code or organisation id is taken (409)
 ├─ Unauthenticated       no valid token was presented (401)
 ├─ NotPermitted          the acting organisation may not do this (403)
 │   └─ NotCustodian      only the organisation holding the lot may handle it
 ├─ WrongState            a lot's (or organisation's) state forbids this step (409)
 │   ├─ LotRecalled       the lot, or a lot it was made from, is recalled
 │   ├─ LotHeld           the lot, or a lot it was made from, is on hold
 │   ├─ LotConsumed
 │   ├─ LotInTransit
 │   ├─ RuleBroken        the step breaks a domain rule given the lot's records (packing
 │   │                    more than the lot holds, a certificate resting on a failed test)
 │   └─ KeyLimitReached   the organisation holds as many active keys as allowed
 ├─ RateLimited           too many changes of one kind in a time window (429)
 ├─ ChainConflict         another writer appended to the chain first; retry (409)
 ├─ AuditFailed           the store does not verify; names the first bad record
 ├─ StoreUnavailable      the database cannot be reached or is misconfigured
 └─ ContentTooLarge       more at once than the service takes, naming the limit (413)

An error refusing a step by a domain rule names the rule (``rule``, e.g. ``pack-within-lot``)
and the records it rests on (``records``, hashes in hex), so the API's answer and the command
line's message can say which rule and which records (docs/records.md lists the rules).
"""

from __future__ import annotations

__all__ = [
    "AlreadyExists",
    "AuditFailed",
    "ChainConflict",
    "ContentTooLarge",
    "InvalidInput",
    "KeyLimitReached",
    "LedgerError",
    "LotConsumed",
    "LotHeld",
    "LotInTransit",
    "LotNotFound",
    "LotRecalled",
    "NotCustodian",
    "NotFound",
    "NotPermitted",
    "OrganisationNotFound",
    "RateLimited",
    "RuleBroken",
    "StoreUnavailable",
    "Unauthenticated",
    "WrongState",
]


class LedgerError(Exception):
    """Base of every error the ledger raises on purpose."""

    def __init__(self, reason: str, *, field: str | None = None, rule: str | None = None,
                 records: tuple[str, ...] = ()) -> None:
        self.reason = reason
        self.field = field
        self.rule = rule
        self.records = records
        super().__init__(f"{field}: {reason}" if field else reason)

    def locate(self, prefix: str) -> None:
        """Put the error inside a larger input: ``data.quantity`` → ``entries[3].data.quantity``."""
        self.field = f"{prefix}.{self.field}" if self.field else prefix
        self.args = (f"{self.field}: {self.reason}",)

    def relocate(self, field: str) -> None:
        """Name the field as the caller's input has it: ``data.quantity`` → ``quantity``."""
        self.field = field
        self.args = (f"{field}: {self.reason}",)


class InvalidInput(LedgerError):
    """A value is missing or invalid. ``field`` is a dotted path such as ``data.quantity``."""


class NotFound(LedgerError):
    """Something named does not exist."""


class LotNotFound(NotFound):
    pass


class OrganisationNotFound(NotFound):
    pass


class AlreadyExists(LedgerError):
    """A lot code or organisation id is already taken."""


class Unauthenticated(LedgerError):
    """No token, or a token that is unknown, expired or revoked."""


class NotPermitted(LedgerError):
    """The acting organisation's role or custody does not allow this."""


class NotCustodian(NotPermitted):
    pass


class WrongState(LedgerError):
    """The current state of a lot (or an organisation) forbids this step."""


class LotRecalled(WrongState):
    pass


class LotHeld(WrongState):
    pass


class LotConsumed(WrongState):
    pass


class LotInTransit(WrongState):
    pass


class RuleBroken(WrongState):
    """A domain rule refuses the step given what the lot's records already say; ``rule``
    names it and ``records`` the records involved."""


class KeyLimitReached(WrongState):
    """The organisation already holds the most active keys allowed; revoke one first."""


class RateLimited(LedgerError):
    """Too many changes of one kind within a time window; ``retry_after`` seconds until
    the next one is allowed."""

    def __init__(self, reason: str, *, retry_after: int, field: str | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(reason, field=field)


class ChainConflict(LedgerError):
    """Another writer appended to the chain first. Reload and retry."""

    def __init__(self, reason: str, *, chain: str, head: str | None = None) -> None:
        self.chain = chain
        self.head = head
        super().__init__(reason)


class AuditFailed(LedgerError):
    """The store does not verify. ``record`` names the first bad record."""

    def __init__(self, reason: str, *, record: str | None = None) -> None:
        self.record = record
        super().__init__(reason)


class StoreUnavailable(LedgerError):
    """The database cannot be reached or is misconfigured."""


class ContentTooLarge(LedgerError):
    """A request asks for more work at once than the service takes (413), naming the limit."""
