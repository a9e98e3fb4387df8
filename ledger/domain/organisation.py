"""Organisations: who records, in which roles, with which keys (key history is a chain), and
under which GS1 company prefixes they may assign GTINs (``ledger.domain.gtins``).

An organisation's chain goes into every proof bundle that carries a record it signed, up to
that record; ``KeyLimits`` bounds how fast it can grow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from ledger.domain.chain import Chain
from ledger.domain.fields import gtin as parse_gtin
from ledger.domain.gtins import covers
from ledger.errors import InvalidInput, KeyLimitReached, NotPermitted, RateLimited
from verify.keys import decode_public_key, key_id
from verify.records import Record

__all__ = ["ROLES", "Actor", "KeyLimits", "Organisation"]

ROLES = frozenset({
    "cooperative", "farm", "collector", "processor", "carrier", "warehouse", "retailer",
    "platform", "inspector",
})
PRODUCER_ROLES = frozenset({"cooperative", "farm", "collector"})
KEY_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class KeyLimits:
    """How many keys an organisation may hold at once, and add (or rotate in) per day
    (``ledger.config.Settings`` holds the defaults)."""

    max_active: int
    new_per_day: int


@dataclass(frozen=True)
class Actor:
    """The organisation a request acts for, as the domain rules see it."""

    org: str
    roles: frozenset[str]

    @property
    def is_inspector(self) -> bool:
        return "inspector" in self.roles


class Organisation(Chain):
    """An organisation's chain: registration, then keys added, rotated and revoked, and GS1
    prefixes registered."""

    kind: ClassVar[str] = "org"
    mutable_state: ClassVar[tuple[str, ...]] = ("active_keys", "revoked_keys", "keys_added_at",
                                                "registrations")

    def __init__(self) -> None:
        super().__init__()
        self.org_id = ""
        self.name = ""
        self.roles: frozenset[str] = frozenset()
        self.contact = ""
        self.region = ""
        self.active_keys: dict[str, str] = {}
        self.revoked_keys: set[str] = set()
        self.keys_added_at: list[str] = []  # ``recorded`` of each KeyAdded and KeyRotated
        self.registrations: list[str] = []  # GS1 company prefixes and single GTIN-14s

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

    def check_new_key(self, limits: KeyLimits, now: str, *, replacing: bool) -> None:
        """Refuse a new key beyond ``limits``; a rotation (``replacing``) keeps the count."""
        if not replacing and len(self.active_keys) >= limits.max_active:
            raise KeyLimitReached(f"{self.org_id} already has {len(self.active_keys)} active "
                                  f"keys, the most allowed ({limits.max_active}); revoke one "
                                  "first", field="org")
        moment = datetime.fromisoformat(now)
        recent = sorted(added for added in map(datetime.fromisoformat, self.keys_added_at)
                        if added > moment - KEY_WINDOW)
        if len(recent) >= limits.new_per_day:
            wait = math.ceil((recent[-limits.new_per_day] + KEY_WINDOW - moment).total_seconds())
            raise RateLimited(f"{self.org_id} added {len(recent)} keys in the last 24 hours, "
                              f"the most allowed ({limits.new_per_day}); the next may be added "
                              f"in {max(wait, 1)} s", retry_after=max(wait, 1), field="org")

    def require_gtin(self, value: Any, field: str) -> None:
        """Raise unless GTIN ``value`` is under one of this organisation's registrations."""
        code = parse_gtin(value, field)
        if not any(covers(registration, code) for registration in self.registrations):
            raise NotPermitted(f"GTIN {code} is not under a GS1 company prefix or GTIN "
                               f"registered to {self.org_id}; an administrator registers an "
                               "organisation's prefixes", field=field)

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
        if record.type in ("KeyAdded", "KeyRotated"):
            self.keys_added_at.append(record.recorded)
        if record.type == "PrefixRegistered":
            self.registrations.append(data.get("prefix") or data["gtin"])
        if record.type == "KeyRotated":
            self._revoke(record.key)
        elif record.type == "KeyRevoked":
            self._revoke(data["key_id"])

    def _revoke(self, key: str) -> None:
        self.active_keys.pop(key, None)
        self.revoked_keys.add(key)
