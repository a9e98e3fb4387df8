"""A witness: the add-checkpoint half of C2SP tlog-witness, answering with cosignature/v1.

https://c2sp.org/tlog-witness and https://c2sp.org/tlog-cosignature. The witness keeps, per
log origin it trusts, the latest checkpoint it cosigned, in a JSON file replaced atomically
(write a temporary file, fsync, ``os.replace``) under a file lock, so several processes may
share it. An add-checkpoint request is::

    old <size>\\n
    <base64 consistency proof hash>\\n   (zero or more)
    \\n
    <signed checkpoint note>

and is checked in the spec's order, each refusal carrying its HTTP status:

1. the body parses (400 ``RequestMalformed``);
2. the origin is trusted (404 ``UnknownOrigin``) and a trusted key signed it (403
   ``CheckpointForbidden``);
3. ``old`` is not larger than the checkpoint's size (400);
4. ``old`` is the size the witness last cosigned, 0 if none (409 ``OldSizeConflict``, with the
   witness's size for a ``text/x.tlog.size`` body), checked and updated under the state lock;
5. the consistency proof from the old checkpoint verifies, empty from size 0 (422
   ``ProofRejected``), and an equal size has the same root (409);
6. the checkpoint is persisted, then cosigned; the answer is the cosignature line.

``see`` runs the same steps and persists, but does not cosign: the office's monitor
(``ledger.office``) records each checkpoint it fetched from the log this way, so the log must
prove its next add-checkpoint consistent with what the monitor saw as well.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.witness.errors import (
    CheckpointForbidden,
    OldSizeConflict,
    ProofRejected,
    RequestMalformed,
    RootConflict,
    UnknownOrigin,
    WitnessMisconfigured,
)
from ledger.witness.keyfile import key_file_signer
from ledger.witness.protocol import AddCheckpoint
from verify.checkpoints import Checkpoint
from verify.cosignatures import cosign_note
from verify.errors import VerificationError
from verify.merkle import verify_consistency
from verify.notes import (
    COSIGNATURE_V1,
    ED25519,
    Note,
    Signature,
    Signer,
    Verifier,
    verified_signers,
)

__all__ = ["Witness", "Witnessed", "load_witness_key", "trusted_logs"]


def trusted_logs(vkeys: Iterable[str]) -> dict[str, tuple[Verifier, ...]]:
    """Log verifier keys by origin (a checkpoint key is named after its log's origin)."""
    logs: dict[str, list[Verifier]] = {}
    for vkey in vkeys:
        try:
            verifier = Verifier.from_vkey(vkey)
        except VerificationError as error:
            raise WitnessMisconfigured(f"not a log verifier key: {error.reason}",
                                       field="log") from None
        if verifier.sig_type != ED25519:
            raise WitnessMisconfigured(f"{verifier.name} is not an Ed25519 note key", field="log")
        logs.setdefault(verifier.name, []).append(verifier)
    return {origin: tuple(keys) for origin, keys in logs.items()}


def load_witness_key(path: Path, name: str) -> Signer:
    """The witness's cosignature/v1 key from ``path``, created (mode 0600) when missing."""
    return key_file_signer(path, name, COSIGNATURE_V1)


@dataclass(frozen=True)
class Witnessed:
    """The latest checkpoint the witness cosigned for one origin."""

    size: int
    root_hash: bytes
    note: str


class Witness:
    """Witness state for the trusted logs, and the add-checkpoint operation."""

    def __init__(self, signer: Signer, state_path: Path,
                 logs: Mapping[str, Sequence[Verifier]], *,
                 clock: Callable[[], float] = time.time) -> None:
        if signer.sig_type != COSIGNATURE_V1:
            raise WitnessMisconfigured("a witness signs with a cosignature/v1 key", field="key")
        self.signer = signer
        self.state_path = state_path
        self.logs = {origin: tuple(keys) for origin, keys in logs.items()}
        self.clock = clock
        self._thread_lock = threading.Lock()

    @property
    def vkey(self) -> str:
        """The witness's verifier key (type 0x04), for logs and clients to trust."""
        return self.signer.verifier.to_vkey()

    def latest(self, origin: str) -> Witnessed | None:
        entry = self._load().get(origin)
        if entry is None:
            return None
        return Witnessed(int(entry["size"]), base64.b64decode(entry["root"]), entry["note"])

    def handle(self, body: bytes | str) -> str:
        """Answer an add-checkpoint request body with the cosignature line."""
        return self.add_checkpoint(AddCheckpoint.from_body(body)).to_line()

    def add_checkpoint(self, request: AddCheckpoint) -> Signature:
        """Steps 1-6 of the module docstring; returns the cosignature."""
        note, timestamp = self._accept(request)
        cosigned = cosign_note(Note(note.text), self.signer, timestamp)
        return cosigned.signatures[-1]

    def see(self, request: AddCheckpoint) -> None:
        """Steps 1-5 and persisting, without cosigning: a checkpoint the witness's owner
        fetched itself (the office's monitor) becomes the latest one the log must extend,
        so the witness and the monitor hold one view of the log. Refused as
        ``add_checkpoint`` refuses."""
        self._accept(request)

    def _accept(self, request: AddCheckpoint) -> tuple[Note, int]:
        """Steps 1-5, then persist; the note and the time to cosign it at."""
        note, checkpoint = self._authentic(request.note)
        if checkpoint.size < request.old_size:
            raise RequestMalformed(f"checkpoint size {checkpoint.size} is smaller than old "
                                   f"size {request.old_size}")
        with self._locked():
            state = self._load()
            entry = state.get(checkpoint.origin)
            latest_size = 0 if entry is None else int(entry["size"])
            if request.old_size != latest_size:
                raise OldSizeConflict(f"old size {request.old_size} is not the witness's "
                                      f"latest size {latest_size}", latest_size=latest_size)
            latest_root = None if entry is None else base64.b64decode(entry["root"])
            _check_extends(request, checkpoint, latest_root)
            if checkpoint.size > latest_size or entry is None:
                state[checkpoint.origin] = {
                    "size": checkpoint.size,
                    "root": base64.b64encode(checkpoint.root_hash).decode(),
                    "note": note.to_text(),
                }
                self._save(state)
            return note, int(self.clock())

    def _authentic(self, text: str) -> tuple[Note, Checkpoint]:
        try:
            note = Note.from_text(text)
            checkpoint = Checkpoint.from_text(note.text)
        except VerificationError as error:
            raise RequestMalformed(f"not a signed checkpoint: {error.reason}") from None
        keys = self.logs.get(checkpoint.origin)
        if not keys:
            raise UnknownOrigin(f"the witness does not follow origin {checkpoint.origin!r}")
        try:
            signed = verified_signers(note, keys)
        except VerificationError as error:
            raise CheckpointForbidden(f"checkpoint signature rejected: {error.reason}"
                                      ) from None
        if not signed:
            raise CheckpointForbidden(f"no trusted key of {checkpoint.origin} signed the "
                                      "checkpoint")
        return note, checkpoint

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.state_path.with_name(self.state_path.name + ".lock")
        with self._thread_lock, open(lock_path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        logs: dict[str, Any] = data["logs"]
        return logs

    def _save(self, logs: dict[str, Any]) -> None:
        directory = self.state_path.parent
        descriptor, temporary = tempfile.mkstemp(prefix=".witness-", dir=directory)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump({"version": 1, "logs": logs}, handle, indent=1, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.state_path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        directory_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(directory_fd)  # make the rename itself durable
        finally:
            os.close(directory_fd)


def _check_extends(request: AddCheckpoint, checkpoint: Checkpoint,
                   latest_root: bytes | None) -> None:
    """Step 4: the new checkpoint extends the witness's latest one."""
    old = request.old_size
    if latest_root is None or old == 0:
        if request.proof:
            raise ProofRejected("a checkpoint after size 0 needs an empty consistency proof")
        return
    if checkpoint.size == old:
        if request.proof:
            raise ProofRejected("equal sizes need an empty consistency proof")
        if checkpoint.root_hash != latest_root:
            raise RootConflict(f"a different root for size {old} was cosigned before: the "
                               "log forked")
        return
    try:
        verify_consistency(old, checkpoint.size, latest_root, checkpoint.root_hash,
                           request.proof)
    except VerificationError as error:
        raise ProofRejected(f"consistency proof from {old} to {checkpoint.size} does not "
                            f"verify: {error.reason}") from None
