"""The office's witness, as the monitor uses it: one view of the log shared by both.

When an inspector's office runs its monitor as its witness too, the two keep one latest
checkpoint of the log: the witness's (``ledger.witness``, C2SP tlog-witness). The monitor
shows the witness every checkpoint it fetches, and the witness accepts it only when it
extends the latest one the witness accepted, from the log's own add-checkpoint requests or
from the monitor; the monitor in turn checks that what it fetches never goes back from, and
its entries give the root of, the latest checkpoint the witness accepted. So the office's
cosignature means "consistent with everything this office saw", and its monitor audits every
entry of what it cosigned.

The monitor imports only ``verify`` and the standard library, so it names here what it needs
of the witness; ``ledger.office`` gives it from ``ledger.witness.Witness``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from verify.notes import Note

__all__ = ["ProofFrom", "SharedWitness"]

ProofFrom = Callable[[int], tuple[bytes, ...]]
"""``proof_from(size)``: the log's consistency proof from ``size`` to the checkpoint shown."""


class SharedWitness(Protocol):
    """The office's witness of the log the monitor follows."""

    @property
    def vkey(self) -> str:
        """The witness's verifier key (cosignature/v1)."""
        ...

    def latest(self) -> str | None:
        """The latest checkpoint note of the log the witness accepted, None before any."""
        ...

    def see(self, note: str, proof_from: ProofFrom) -> None:
        """Make the checkpoint ``note`` the witness's latest when it extends the one before
        (proved by ``proof_from``); ``LogMisbehaved`` (rule ``fork``, ``truncation`` or
        ``consistency``) when it does not."""
        ...

    def cosign(self, note: Note) -> Note:
        """``note`` with the witness's cosignature added."""
        ...
