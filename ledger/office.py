"""The inspector's office in one process: its monitor (``ledger.monitor``) is also its witness
(``ledger.witness``), and the two share one view of the log.

``OfficeWitness`` is the witness as the monitor uses it (``ledger.monitor.witnessing``): a
``ledger.witness.Witness`` that trusts only the monitor's log key and keeps its state file,
``witness.json``, in the monitor's state folder. The same ``Witness`` answers the log's
add-checkpoint requests over HTTP (``ledger.witness.witness_server``) by its usual rules, and
takes every checkpoint the monitor fetches by the same rules (``Witness.see``), so whatever
the log asks it to cosign must extend what the monitor saw, and the monitor checks what the
log showed the witness. The monitor and the witness each import only ``verify``: they meet
here, in the one module that may import both.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from ledger.monitor.errors import LogMisbehaved, LogUnreachable, MonitorMisconfigured
from ledger.monitor.witnessing import ProofFrom
from ledger.witness import (
    AddCheckpoint,
    OldSizeConflict,
    ProofRejected,
    RootConflict,
    Witness,
    WitnessRefused,
)
from verify.checkpoints import Checkpoint
from verify.cosignatures import cosign_note
from verify.notes import Note, Signer, Verifier

__all__ = ["STATE_FILE", "OfficeWitness"]

STATE_FILE = "witness.json"  # in the monitor's state folder
ATTEMPTS = 5  # add-checkpoint requests from the log may move the witness on meanwhile


class OfficeWitness:
    """The office's witness of one log, shared with the office's monitor."""

    def __init__(self, witness: Witness, origin: str, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.witness = witness
        self.origin = origin
        self.clock = clock

    @classmethod
    def open(cls, signer: Signer, folder: Path, log_key: Verifier) -> OfficeWitness:
        """The witness signing with ``signer``, trusting ``log_key``, its state in
        ``folder``."""
        return cls(Witness(signer, folder / STATE_FILE, {log_key.name: (log_key,)}),
                   log_key.name)

    @property
    def vkey(self) -> str:
        return self.witness.vkey

    def latest(self) -> str | None:
        found = self.witness.latest(self.origin)
        return None if found is None else found.note

    def see(self, note: str, proof_from: ProofFrom) -> None:
        """The witness takes ``note`` (checked by the monitor: the log's key signed it) as
        its latest checkpoint, with the log's proof from the witness's latest size."""
        size = Checkpoint.from_text(Note.from_text(note).text).size
        for _ in range(ATTEMPTS):
            latest = self.witness.latest(self.origin)
            old = 0 if latest is None else latest.size
            if old > size:
                raise LogMisbehaved(
                    "truncation", f"the log's latest checkpoint has {size} entries, but the "
                    f"office's witness accepted its checkpoint {old} before: the log was "
                    "truncated or rolled back", leaf=size)
            proof = proof_from(old) if 0 < old < size else ()
            try:
                self.witness.see(AddCheckpoint(old, proof, note))
            except OldSizeConflict:
                continue  # the log's own request came first: again, from the size it left
            except RootConflict:
                raise LogMisbehaved(
                    "fork", f"checkpoint {size} is not the tree of that size the office's "
                    "witness accepted before: the log forked, two different trees of one "
                    "size signed by its key") from None
            except ProofRejected as refusal:
                raise LogMisbehaved(
                    "consistency", f"checkpoint {size} does not extend checkpoint {old} the "
                    f"office's witness accepted ({refusal.reason})") from None
            except WitnessRefused as refusal:  # the monitor checked the key: not the log's fault
                raise MonitorMisconfigured(f"--witness-key: the witness refused checkpoint "
                                           f"{size}: {refusal.reason}") from None
            return
        raise LogUnreachable(f"the office's witness moved on {ATTEMPTS} times while it was "
                             f"shown checkpoint {size}; try again")

    def cosign(self, note: Note) -> Note:
        return cosign_note(note, self.witness.signer, int(self.clock()))
