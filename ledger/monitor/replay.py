"""Checking the log's entries one by one, in leaf order, from outside.

For each entry (leaf ``i``) with its signature, in numbered steps:

1. its bytes are a record in RFC 8785 canonical form (``verify.records``);
2. it continues its chain (seq and prev), its links point at earlier records, its key was
   registered for its organisation and not revoked at this point of the log, and its
   Ed25519 signature verifies: the verifier's own replay, ``verify.chain.ChainVerifier``,
   resumed from the monitor's state;
3. it is appended to the tree's frontier (its leaf hash) and becomes its chain's head in the
   chain-head map (``verify.headmap``), whose roots the monitor compares with checkpoints.

A failure raises ``LogMisbehaved`` naming the leaf, the record (hash, chain, seq) and the
rule it broke.
"""

from __future__ import annotations

from hashlib import sha256

from ledger.monitor.errors import LogMisbehaved
from ledger.monitor.frontier import Frontier
from ledger.monitor.state import MonitorState
from verify.chain import ChainVerifier, OrganisationKeys
from verify.errors import (
    BadSignature,
    ChainBroken,
    LinkBroken,
    UnknownKey,
    VerificationError,
)
from verify.headmap import HeadMap
from verify.records import Record

__all__ = ["RULES", "Replay"]

# The rule each kind of verifier error names.
RULES: tuple[tuple[type[VerificationError], str], ...] = (
    (ChainBroken, "chain continuity"),
    (LinkBroken, "links"),
    (UnknownKey, "key history"),
    (BadSignature, "signature"),
)
_LEAF = b"\x00"


class Replay:
    """The monitor's replay of the log: chains, keys, frontier and head map so far."""

    def __init__(self, state: MonitorState) -> None:
        self.frontier = Frontier(state.entries, state.frontier)
        records = state.records
        self.verifier = ChainVerifier.resumed(
            state.heads, (bytes(records[i:i + 32]) for i in range(0, len(records), 32)),
            {org: OrganisationKeys.from_raw(active, revoked)
             for org, (active, revoked) in state.organisations.items()}, state.entries)
        self.heads = HeadMap.from_heads(
            (chain, seq, digest) for chain, (seq, digest) in state.heads.items())
        self.records = records

    @property
    def size(self) -> int:
        return self.frontier.size

    def check(self, raw: bytes, signature: bytes) -> bytes:
        """Steps 1-3 for the next leaf; returns its leaf hash."""
        leaf = self.frontier.size
        try:
            record = Record.from_bytes(raw)
        except VerificationError as error:
            raise LogMisbehaved("canonical bytes", error.reason, leaf=leaf,
                                record=sha256(raw).hexdigest()) from None
        try:
            self.verifier.add(record, signature)
        except VerificationError as error:
            rule = next((name for kind, name in RULES if isinstance(error, kind)), "record")
            reason = error.reason.removeprefix(f"{record.chain}#{record.seq} ({record.type}): ")
            raise LogMisbehaved(rule, f"{record.type}: {reason}", leaf=leaf,
                                record=record.hash_hex, chain=record.chain,
                                seq=record.seq) from None
        digest = sha256(_LEAF + raw).digest()
        self.frontier.append(digest)
        self.heads.set(record.chain, record.seq, record.hash)
        self.records += record.hash
        return digest

    def save_into(self, state: MonitorState) -> None:
        """Write what the replay holds into ``state`` (which shares its record hashes)."""
        state.entries = self.frontier.size
        state.frontier = self.frontier.hashes()
        state.heads = {chain: (head.seq, head.hash)
                       for chain, head in self.verifier.heads.items()}
        state.organisations = {org: keys.raw()
                               for org, keys in self.verifier.organisations.items()}
        state.records = self.records
