"""Organisations: who records, in which roles, with which keys (key history is a chain)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ledger.domain.chain import Chain
from ledger.errors import InvalidInput, NotPermitted
from verify.keys import decode_public_key, key_id
from verify.records import Record

__all__ = ["ROLES", "Actor", "Organisation"]

ROLES = frozenset({
    "cooperative", "farm", "collector", "processor", "carrier", "warehouse", "retailer",
    "platform", "inspector",
})
PRODUCER_ROLES = frozenset({"cooperative", "farm", "collector"})


@dataclass(frozen=True)
class Actor:
    """The organisation a request acts for, as the domain rules see it."""

    org: str
    roles: frozenset[str]

    @property
    def is_inspector(self) -> bool:
        return "inspector" in self.roles


class Organisation(Chain):
    """An organisation's chain: registration, then keys added, rotated and revoked."""

    kind: ClassVar[str] = "org"
    mutable_state: ClassVar[tuple[str, ...]] = ("active_keys", "revoked_keys")

    def __init__(self) -> None:
        super().__init__()
        self.org_id = ""
        self.name = ""
        self.roles: frozenset[str] = frozenset()
        self.contact = ""
        self.region = ""
        self.active_keys: dict[str, str] = {}
        self.revoked_keys: set[str] = set()

    @property
    def actor(self) -> Actor:
        return Actor(self.org_id, self.roles)

    def require_key(self, key: str) -> None:
        if key not in self.active_keys:
            state = "was revoked" if key in self.revoked_keys else "is not registered"
            raise NotPermitted(f"key {key} {state} for organisation {self.org_id}", field="key")

    def check_revocation(self, key: str) -> None:
        """A revocation must leave the organisation at least one other active key."""
        if key not in self.active_keys:
            raise InvalidInput(f"key {key} is not an active key of {self.org_id}", field="key_id")
        if len(self.active_keys) == 1:
            raise InvalidInput("cannot revoke the last active key; add or rotate a key first",
                               field="key_id")

    def apply_record(self, record: Record) -> None:
        data = record.data
        if record.type == "OrganisationRegistered":
            self.org_id = record.subject
            self.name = data["name"]
            self.roles = frozenset(data["roles"])
            self.contact = data.get("contact", "")
            self.region = data.get("region", "")
        if record.type in ("OrganisationRegistered", "KeyAdded", "KeyRotated"):
            public_key = data["public_key"]
            self.active_keys[key_id(decode_public_key(public_key))] = public_key
        if record.type == "KeyRotated":
            self._revoke(record.key)
        elif record.type == "KeyRevoked":
            self._revoke(data["key_id"])

    def _revoke(self, key: str) -> None:
        self.active_keys.pop(key, None)
        self.revoked_keys.add(key)
