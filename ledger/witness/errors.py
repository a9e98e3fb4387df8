"""Errors the witness raises: its own family, since the witness imports only ``verify``.

An inspector's office runs the witness with nothing else of the ledger, so it cannot share
``ledger.errors``; the log's cosigner and the command line catch these as well. Each refusal
carries the HTTP status https://c2sp.org/tlog-witness requires.

WitnessError                  ``reason``, and ``field`` naming a bad setting
 ├─ WitnessMisconfigured      a key, key file or trusted log key it cannot use (exit 2)
 ├─ WitnessUnreachable        the witness could not be reached or answered nonsense (client)
 └─ WitnessRefused            the witness will not cosign; ``status`` is its HTTP status
     ├─ RequestMalformed      400: not an add-checkpoint request, or ``old`` past the size
     ├─ CheckpointForbidden   403: no trusted key signed the checkpoint
     ├─ UnknownOrigin         404: a log the witness does not follow
     ├─ OldSizeConflict       409: ``old`` is not the witness's ``latest_size``
     ├─ RootConflict          409: another root for the size last cosigned; the log forked
     └─ ProofRejected         422: the consistency proof does not verify
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "CheckpointForbidden",
    "OldSizeConflict",
    "ProofRejected",
    "RequestMalformed",
    "RootConflict",
    "UnknownOrigin",
    "WitnessError",
    "WitnessMisconfigured",
    "WitnessRefused",
    "WitnessUnreachable",
]


class WitnessError(Exception):
    """Base of every error the witness raises on purpose."""

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        self.reason = reason
        self.field = field
        super().__init__(f"{field}: {reason}" if field else reason)


class WitnessMisconfigured(WitnessError):
    """A key, key file or trusted log key the witness cannot use; ``field`` names it."""


class WitnessUnreachable(WitnessError):
    """The witness could not be reached or answered nonsense; the log carries on without it."""


class WitnessRefused(WitnessError):
    """The witness will not cosign; ``status`` is the tlog-witness HTTP status."""

    status: ClassVar[int] = 400


class RequestMalformed(WitnessRefused):
    status = 400


class CheckpointForbidden(WitnessRefused):
    status = 403


class UnknownOrigin(WitnessRefused):
    status = 404


class OldSizeConflict(WitnessRefused):
    """``old`` is not the witness's latest size, ``latest_size`` (a ``text/x.tlog.size`` body)."""

    status = 409

    def __init__(self, reason: str, *, latest_size: int) -> None:
        self.latest_size = latest_size
        super().__init__(reason)


class RootConflict(WitnessRefused):
    """A checkpoint of the size last cosigned, with another root: the log forked."""

    status = 409


class ProofRejected(WitnessRefused):
    status = 422
