"""The log's side of witnessing: send each new checkpoint to the witnesses, keep cosignatures.

https://c2sp.org/tlog-witness (add-checkpoint) and https://c2sp.org/tlog-cosignature. For each
configured witness the log remembers the size it last had cosigned (0 at first); a 409 answer
tells it the witness's real size, and it retries once with a consistency proof from there.
Returned cosignatures are checked against the witness's key before they are appended to the
stored note. A witness that is down, slow or refuses is logged and skipped: it never blocks
recording or integration.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from ledger.errors import InvalidInput, LedgerError
from ledger.log.checkpoints import PublishedCheckpoint, attach_cosignatures
from ledger.log.proofs import consistency_between
from ledger.witness import (
    AddCheckpoint,
    OldSizeConflict,
    WitnessError,
    WitnessUnreachable,
    submit_checkpoint,
)
from verify.errors import VerificationError
from verify.notes import COSIGNATURE_V1, Note, Signature, Verifier, verified_signers

__all__ = ["Cosigner", "Submit", "WitnessEndpoint"]

log = logging.getLogger(__name__)

Submit = Callable[[str, AddCheckpoint], tuple[Signature, ...]]
"""``submit(url, request)``: deliver an add-checkpoint request, return the signature lines."""


@dataclass(frozen=True)
class WitnessEndpoint:
    """A witness's add-checkpoint URL and its cosignature/v1 verifier key."""

    url: str
    key: Verifier

    @classmethod
    def parse(cls, url: str, vkey: str) -> WitnessEndpoint:
        try:
            key = Verifier.from_vkey(vkey)
        except VerificationError as error:
            raise InvalidInput(f"not a witness key: {error.reason}", field="witness") from None
        if key.sig_type != COSIGNATURE_V1:
            raise InvalidInput(f"{key.name} is not a cosignature/v1 key", field="witness")
        return cls(url, key)


class Cosigner:
    """Collects cosignatures on the log's checkpoints from a fixed set of witnesses."""

    def __init__(self, engine: Engine, witnesses: Sequence[WitnessEndpoint], *,
                 timeout: float = 5.0, submit: Submit | None = None) -> None:
        self.engine = engine
        self.witnesses = tuple(witnesses)
        self._submit: Submit = submit or (
            lambda url, request: submit_checkpoint(url, request, timeout=timeout))
        self._sizes: dict[str, int] = {}

    def cosign(self, checkpoint: PublishedCheckpoint) -> PublishedCheckpoint:
        """Ask every witness to cosign ``checkpoint``; store and return what they signed."""
        collected: list[Signature] = []
        for witness in self.witnesses:
            try:
                collected.append(self._ask(witness, checkpoint))
            except (LedgerError, WitnessError) as error:
                log.warning("witness %s did not cosign size %d: %s", witness.url,
                            checkpoint.size, error)
        if not collected:
            return checkpoint
        with self.engine.begin() as connection:
            return attach_cosignatures(connection, checkpoint.size, collected)

    def _ask(self, witness: WitnessEndpoint, checkpoint: PublishedCheckpoint) -> Signature:
        old = self._sizes.get(witness.url, 0)
        for attempt in range(2):
            if old > checkpoint.size:
                raise WitnessUnreachable(f"the witness is at size {old}, beyond {checkpoint.size}")
            request = AddCheckpoint(old, self._proof(old, checkpoint.size), checkpoint.note)
            try:
                lines = self._submit(witness.url, request)
            except OldSizeConflict as conflict:
                if attempt or conflict.latest_size == old:
                    raise
                old = conflict.latest_size
                continue
            signature = _cosignature(lines, witness.key, checkpoint)
            self._sizes[witness.url] = checkpoint.size
            return signature
        raise WitnessUnreachable("unreachable")  # pragma: no cover - the loop returns or raises

    def _proof(self, old: int, size: int) -> tuple[bytes, ...]:
        if old in (0, size):
            return ()
        with self.engine.connect() as connection:
            return consistency_between(connection, old, size).hashes


def _cosignature(lines: tuple[Signature, ...], key: Verifier,
                 checkpoint: PublishedCheckpoint) -> Signature:
    """The witness's valid cosignature among the lines it returned."""
    text = checkpoint.signed_note.text
    for line in lines:
        if (line.name, line.key_id) != (key.name, key.key_id):
            continue
        try:
            if verified_signers(Note(text, (line,)), [key]):
                return line
        except VerificationError as error:
            raise WitnessUnreachable(f"{key.name}'s cosignature does not verify: "
                                     f"{error.reason}") from None
    raise WitnessUnreachable(f"{key.name} returned no cosignature of its own")
