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
- ``AGRITRACE_HEADER_TIMEOUT``: seconds a client has to send a request's head, from opening
  the connection or from the first byte of a following request (10); then it gets 408 and
  the connection is closed. ``AGRITRACE_BODY_TIMEOUT``: seconds it has, once the head is in,
  to send the whole body (30); then the connection is closed. Both hold under ``agritrace
  serve`` (``api.serving``); an idle kept-alive connection closes after 5 s (uvicorn's).
- ``AGRITRACE_TRUSTED_PROXIES``: the reverse proxies whose ``X-Forwarded-For`` and
  ``X-Forwarded-Proto`` name the client, as IP addresses or networks separated by commas or
  spaces (``127.0.0.1, 10.0.0.0/8``). None by default: the client is the peer that
  connected, whatever headers it sends, so a forged header cannot dodge the rate limit.
- ``AGRITRACE_METRICS_ALLOW``: addresses or networks (as above) that may read ``/metrics``
  without a token. None by default: ``/metrics`` then needs an admin token (401 without a
  token, 403 with another token).
- ``AGRITRACE_IDEMPOTENCY_LEASE``: seconds a request holds its ``Idempotency-Key`` before a
  retry may take the key over (30): how long a key stays blocked after its request died
  with its process (``ledger.persistence.idempotency``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network

from ledger.errors import InvalidInput
from ledger.log import WitnessEndpoint

__all__ = ["Network", "ServiceSettings", "parse_networks", "parse_witness", "parse_witnesses"]

ADD_CHECKPOINT = "/add-checkpoint"
Network = IPv4Network | IPv6Network


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
    header_timeout: float = 10.0  # seconds to send a request's head
    body_timeout: float = 30.0  # seconds, after the head, to send the body
    trusted_proxies: tuple[Network, ...] = ()  # peers whose X-Forwarded-For names the client
    metrics_allow: tuple[Network, ...] = ()  # addresses that read /metrics without a token
    idempotency_lease: float = 30.0  # seconds before a retry may take a running key over

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
                   token_cache=_number("AGRITRACE_TOKEN_CACHE", cls.token_cache),
                   header_timeout=_number("AGRITRACE_HEADER_TIMEOUT", cls.header_timeout,
                                          positive=True),
                   body_timeout=_number("AGRITRACE_BODY_TIMEOUT", cls.body_timeout,
                                        positive=True),
                   trusted_proxies=parse_networks(
                       os.environ.get("AGRITRACE_TRUSTED_PROXIES", ""),
                       "AGRITRACE_TRUSTED_PROXIES"),
                   metrics_allow=parse_networks(os.environ.get("AGRITRACE_METRICS_ALLOW", ""),
                                                "AGRITRACE_METRICS_ALLOW"),
                   idempotency_lease=_number("AGRITRACE_IDEMPOTENCY_LEASE",
                                             cls.idempotency_lease, positive=True))


def _number(name: str, default: float, *, whole: bool = False,
            positive: bool = False) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text) if whole else float(text)
    except ValueError as error:
        raise InvalidInput("must be a whole number" if whole else "must be a number",
                           field=name) from error
    if not 0 <= value < 1e9 or (positive and value == 0):
        raise InvalidInput("must be over 0 and under 10^9" if positive
                           else "must be between 0 and 10^9", field=name)
    return value


def parse_networks(text: str, field: str) -> tuple[Network, ...]:
    """IP addresses and networks separated by commas or spaces (an address is a network of
    one); ``InvalidInput`` naming ``field`` for anything else."""
    networks = []
    for item in filter(None, re.split(r"[\s,]+", text)):
        try:
            networks.append(ip_network(item, strict=False))
        except ValueError as error:
            raise InvalidInput(f"{item!r} is not an IP address or network (such as "
                               "10.0.0.0/8)", field=field) from error
    return tuple(networks)


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
