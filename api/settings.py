"""How the HTTP service runs its transparency log: the background integrator and witnesses.

The store and keys come from ``ledger.config.Settings``; this adds what only the service needs,
read from the environment by ``ServiceSettings.from_env``:

- ``AGRITRACE_INTEGRATE``: ``0``, ``false`` or ``no`` turns the integrator thread off (another
  process integrates); it is on by default.
- ``AGRITRACE_WITNESSES``: witnesses to cosign each new checkpoint, separated by spaces, each
  ``URL=VKEY``: the witness's URL (``http://host:port``; ``/add-checkpoint`` is added unless
  given, https://c2sp.org/tlog-witness) and its cosignature/v1 verifier key. A verifier key
  never holds ``=`` (33 bytes in base64), so the last ``=`` separates the two.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from ledger.errors import InvalidInput
from ledger.log import WitnessEndpoint

__all__ = ["ServiceSettings", "parse_witness", "parse_witnesses"]

ADD_CHECKPOINT = "/add-checkpoint"


@dataclass(frozen=True)
class ServiceSettings:
    """The integrator thread (on unless ``integrate`` is false) and its witnesses."""

    integrate: bool = True
    witnesses: tuple[WitnessEndpoint, ...] = ()
    batch_size: int = 1000  # records per integration transaction (and per checkpoint)
    idle: float = 0.5  # seconds the integrator rests when caught up

    @classmethod
    def from_env(cls) -> ServiceSettings:
        switch = os.environ.get("AGRITRACE_INTEGRATE", "1").strip().lower()
        if switch not in ("1", "true", "yes", "0", "false", "no"):
            raise InvalidInput("must be 1 or 0 (true or false)", field="AGRITRACE_INTEGRATE")
        specs = os.environ.get("AGRITRACE_WITNESSES", "").split()
        return cls(integrate=switch in ("1", "true", "yes"), witnesses=parse_witnesses(specs))


def parse_witness(spec: str) -> WitnessEndpoint:
    """``URL=VKEY`` → the witness's add-checkpoint URL and key; ``InvalidInput`` otherwise."""
    url, separator, vkey = spec.strip().rpartition("=")
    if not separator or not url or not vkey:
        raise InvalidInput(f"{spec!r} is not URL=VKEY", field="witness")
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(f"{url!r} is not an http:// or https:// URL", field="witness")
    if not url.endswith(ADD_CHECKPOINT):
        url = url.rstrip("/") + ADD_CHECKPOINT
    return WitnessEndpoint.parse(url, vkey)


def parse_witnesses(specs: Iterable[str]) -> tuple[WitnessEndpoint, ...]:
    return tuple(parse_witness(spec) for spec in specs)
