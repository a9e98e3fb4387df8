"""Replaying records in log order: chains, links and key history (DESIGN §4 items 2-3).

``ChainVerifier`` takes signed records one at a time, in the order the log holds them, and
checks each in numbered steps:

1. the record continues its chain: ``seq`` is the next position and ``prev`` the hash of
   the chain's previous record (32 zero bytes at ``seq`` 0);
2. every ``links`` entry is the hash of a record already seen;
3. the signing key was registered for the recording organisation earlier in the log and not
   revoked before this record; organisation records are signed by their own organisation;
4. the Ed25519 signature verifies.

Key history is itself a chain of records per organisation (``org/<id>``):
``OrganisationRegistered`` (self-signed by its first key), ``KeyAdded``, ``KeyRotated``
(signed by the key it replaces) and ``KeyRevoked``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from verify.errors import BadSignature, ChainBroken, LinkBroken, MalformedInput, UnknownKey
from verify.keys import decode_public_key, key_id, verify_record_signature
from verify.records import ZERO_HASH, Record

__all__ = ["KEY_RECORD_TYPES", "ChainVerifier", "OrganisationKeys"]

KEY_RECORD_TYPES = frozenset({"OrganisationRegistered", "KeyAdded", "KeyRotated", "KeyRevoked"})


@dataclass
class OrganisationKeys:
    """The keys an organisation has registered, and which of them still sign."""

    active: dict[str, Ed25519PublicKey] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)

    def raw(self) -> tuple[dict[str, bytes], list[str]]:
        """The active keys as raw 32-byte public keys by key id, and the revoked ids, sorted:
        what a replay that stops and resumes keeps (``ChainVerifier.resumed``)."""
        return ({kid: key.public_bytes_raw() for kid, key in sorted(self.active.items())},
                sorted(self.revoked))

    @classmethod
    def from_raw(cls, active: Mapping[str, bytes], revoked: Iterable[str]) -> OrganisationKeys:
        """The inverse of ``raw``; raises ``MalformedInput`` for a key that is not one."""
        keys = cls(revoked=set(revoked))
        for kid, raw in active.items():
            if len(raw) != 32 or key_id(raw) != kid:
                raise MalformedInput(f"key {kid} is not the id of the public key beside it")
            keys.active[kid] = Ed25519PublicKey.from_public_bytes(raw)
        return keys


@dataclass
class _Head:
    seq: int
    hash: bytes


class ChainVerifier:
    """Verifies a stream of signed records given in log order; raises on the first bad one."""

    def __init__(self) -> None:
        self.heads: dict[str, _Head] = {}
        self.seen: set[bytes] = set()
        self.organisations: dict[str, OrganisationKeys] = {}
        self.count = 0

    @classmethod
    def resumed(cls, heads: Mapping[str, tuple[int, bytes]], seen: Iterable[bytes],
                organisations: Mapping[str, OrganisationKeys], count: int) -> ChainVerifier:
        """A verifier that continues a replay stopped after ``count`` records: each chain's
        head (seq, record hash), every record hash seen, and the organisations' keys."""
        verifier = cls()
        verifier.heads = {chain: _Head(seq, digest) for chain, (seq, digest) in heads.items()}
        verifier.seen = set(seen)
        verifier.organisations = dict(organisations)
        verifier.count = count
        return verifier

    def add(self, record: Record, signature: bytes) -> None:
        """Check ``record`` against everything before it, then remember it."""
        self._check_chain(record)
        self._check_links(record)
        public_key = self._signing_key(record)
        try:
            verify_record_signature(public_key, record, signature)
        except BadSignature as error:
            raise BadSignature(f"{_where(record)}: {error.reason}",
                               record=record.hash_hex) from error
        if record.type in KEY_RECORD_TYPES and record.chain_kind == "org":
            self._apply_key_record(record)
        self.heads[record.chain] = _Head(record.seq, record.hash)
        self.seen.add(record.hash)
        self.count += 1

    def _check_chain(self, record: Record) -> None:
        head = self.heads.get(record.chain)
        expected_seq, expected_prev = (0, ZERO_HASH) if head is None else (head.seq + 1, head.hash)
        if record.seq != expected_seq:
            raise ChainBroken(
                f"{_where(record)}: expected position {expected_seq} in {record.chain}",
                record=record.hash_hex,
            )
        if record.prev != expected_prev:
            raise ChainBroken(
                f"{_where(record)}: prev {record.prev.hex()[:16]}… is not the hash of the "
                f"previous record in {record.chain}",
                record=record.hash_hex,
            )

    def _check_links(self, record: Record) -> None:
        for link in record.links:
            if link not in self.seen:
                raise LinkBroken(
                    f"{_where(record)}: links to {link.hex()[:16]}…, which is not an earlier "
                    "record",
                    record=record.hash_hex,
                )

    def _signing_key(self, record: Record) -> Ed25519PublicKey:
        if record.chain_kind == "org":
            if record.subject != record.org:
                raise UnknownKey(f"{_where(record)}: organisation records must be signed by "
                                 f"{record.subject}, not {record.org}", record=record.hash_hex)
            if record.type == "OrganisationRegistered":
                return self._registration_key(record)
        keys = self.organisations.get(record.org)
        if keys is None:
            raise UnknownKey(f"{_where(record)}: organisation {record.org} is not registered "
                             "earlier in the log", record=record.hash_hex)
        public_key = keys.active.get(record.key)
        if public_key is None:
            state = "was revoked" if record.key in keys.revoked else "is not registered"
            raise UnknownKey(f"{_where(record)}: key {record.key} {state} for {record.org} at "
                             "this point", record=record.hash_hex)
        return public_key

    def _registration_key(self, record: Record) -> Ed25519PublicKey:
        if record.seq != 0 or record.org in self.organisations:
            raise UnknownKey(f"{_where(record)}: organisation {record.org} is already "
                             "registered", record=record.hash_hex)
        raw = _public_key_of(record)
        if key_id(raw) != record.key:
            raise UnknownKey(f"{_where(record)}: registration must be signed by the key it "
                             "registers", record=record.hash_hex)
        return Ed25519PublicKey.from_public_bytes(raw)

    def _apply_key_record(self, record: Record) -> None:
        keys = self.organisations.setdefault(record.org, OrganisationKeys())
        if record.type in ("OrganisationRegistered", "KeyAdded", "KeyRotated"):
            raw = _public_key_of(record)
            new_id = key_id(raw)
            if new_id in keys.active or new_id in keys.revoked:
                raise UnknownKey(f"{_where(record)}: key {new_id} was registered before",
                                 record=record.hash_hex)
            keys.active[new_id] = Ed25519PublicKey.from_public_bytes(raw)
        if record.type == "KeyRotated":
            self._revoke(keys, record, record.key)
        elif record.type == "KeyRevoked":
            revoked = record.data.get("key_id")
            if not isinstance(revoked, str) or revoked not in keys.active:
                raise UnknownKey(f"{_where(record)}: revokes key {revoked!r}, which is not an "
                                 "active key", record=record.hash_hex)
            self._revoke(keys, record, revoked)

    @staticmethod
    def _revoke(keys: OrganisationKeys, record: Record, revoked: str) -> None:
        keys.active.pop(revoked, None)
        keys.revoked.add(revoked)
        if not keys.active:
            # An organisation without keys could never sign again; the ledger refuses this.
            raise UnknownKey(f"{_where(record)}: would leave {record.org} without an active "
                             "key", record=record.hash_hex)


def _public_key_of(record: Record) -> bytes:
    try:
        return decode_public_key(record.data.get("public_key"))
    except MalformedInput as error:
        raise MalformedInput(f"{_where(record)}: {error.reason}",
                             record=record.hash_hex) from error


def _where(record: Record) -> str:
    return f"{record.chain}#{record.seq} ({record.type})"
