"""What only the HTTP service needs: its integrator and witnesses, and its request limits.

The store and keys come from ``ledger.config.Settings``; this adds what only the service needs,
read from the environment by ``ServiceSettings.from_env``:

- ``AGRITRACE_INTEGRATE``: ``0``, ``false`` or ``no`` turns the integrator thread off (another
  process integrates); it is on by default.
- ``AGRITRACE_WITNESSES``: witnesses to cosign each new checkpoint, separated by spaces, each
  ``URL=VKEY``: the witness's URL (``http://host:port``; ``/add-checkpoint`` is added unless
  given, https://c2sp.org/tlog-witness) and its cosignature/v1 verifier key. A verifier key
  never holds ``=`` (33 bytes in base64), so the last ``=`` separates the two.
- ``AGRITRACE_RATE_LIMIT``: requests per second that one client address may make without a
  token to the public endpoints (default 20; ``0`` turns the limit off), and
  ``AGRITRACE_RATE_BURST`` how many it may make at once (default 60).
- ``AGRITRACE_MAX_BODY``: the largest request body, in bytes (default 1 MiB); larger is 413.
- ``AGRITRACE_WAIT_TIMEOUT``: seconds a ``?wait=true`` request waits for its checkpoint (5).
- ``AGRITRACE_TOKEN_CACHE``: seconds a token's grant is remembered between lookups (1; ``0``
  looks every request up). A revocation made elsewhere takes effect within that time.
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
    rate_per_second: float = 20.0  # anonymous requests per client address; 0: no limit
    rate_burst: int = 60
    max_body_bytes: int = 1 << 20
    wait_timeout: float = 5.0  # seconds ?wait=true waits for a checkpoint covering the record
    conflict_retries: int = 2  # times a server-signed step is retried on a new head
    token_cache: float = 1.0  # seconds a token's grant is remembered (ledger.access)

    @classmethod
    def from_env(cls) -> ServiceSettings:
        switch = os.environ.get("AGRITRACE_INTEGRATE", "1").strip().lower()
        if switch not in ("1", "true", "yes", "0", "false", "no"):
            raise InvalidInput("must be 1 or 0 (true or false)", field="AGRITRACE_INTEGRATE")
        specs = os.environ.get("AGRITRACE_WITNESSES", "").split()
        return cls(integrate=switch in ("1", "true", "yes"), witnesses=parse_witnesses(specs),
                   rate_per_second=_number("AGRITRACE_RATE_LIMIT", cls.rate_per_second),
                   rate_burst=int(_number("AGRITRACE_RATE_BURST", cls.rate_burst, whole=True)),
                   max_body_bytes=int(_number("AGRITRACE_MAX_BODY", cls.max_body_bytes,
                                              whole=True)),
                   wait_timeout=_number("AGRITRACE_WAIT_TIMEOUT", cls.wait_timeout),
                   token_cache=_number("AGRITRACE_TOKEN_CACHE", cls.token_cache))


def _number(name: str, default: float, *, whole: bool = False) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text) if whole else float(text)
    except ValueError as error:
        raise InvalidInput("must be a whole number" if whole else "must be a number",
                           field=name) from error
    if not 0 <= value < 1e9:
        raise InvalidInput("must be between 0 and 10^9", field=name)
    return value


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
