"""What only the HTTP service needs: its integrator and witnesses, and its request limits.

The store and keys come from ``ledger.config.Settings``; this adds what only the service needs,
read from the environment by ``ServiceSettings.from_env`` (pydantic-settings; a value that
cannot be read is ``InvalidInput`` naming its variable):

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
- ``AGRITRACE_DELIVER``: ``0``, ``false`` or ``no`` turns the webhook delivery thread off
  (another process delivers; deliveries still go into the outbox); on by default.
- ``AGRITRACE_WEBHOOK_TIMEOUT``: seconds a webhook receiver has for a whole attempt
  (connecting, sending, reading the answer) before the attempt fails (10).
  ``AGRITRACE_WEBHOOK_BACKOFF``: seconds before the first retry (5), doubling each time up to
  ``AGRITRACE_WEBHOOK_BACKOFF_CAP`` (3600), with jitter; ``AGRITRACE_WEBHOOK_HORIZON``:
  seconds after which an undelivered webhook is dead (86400: 24 hours);
  ``AGRITRACE_WEBHOOK_POLL``: seconds between looks for deliveries written by other processes
  (2). ``AGRITRACE_WEBHOOK_CONCURRENCY``: webhooks sent at once, each by its own thread
  (32, at most 256). ``AGRITRACE_WEBHOOK_ALLOW_PRIVATE``: ``1`` lets webhooks go to loopback
  and private addresses (tests, closed networks); off by default (``ledger.platform.webhooks``).
- ``AGRITRACE_EXPORT_ROWS``: the most rows a trace export may hold (default 1,000,000); a
  larger trace is refused with 400 naming the limit (docs/exports.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated, Any

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUseDefault
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from ledger.errors import InvalidInput
from ledger.log import WitnessEndpoint
from ledger.platform.delivery import DeliverySettings

__all__ = ["Network", "ServiceSettings", "parse_networks", "parse_witness", "parse_witnesses"]

ADD_CHECKPOINT = "/add-checkpoint"
LIMIT = 1e9  # every number read here is below it
Network = IPv4Network | IPv6Network
SWITCH = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


class ServiceSettings(BaseSettings):
    """The integrator thread (on unless ``integrate`` is false), its witnesses, and the
    request limits. ``from_env()`` reads them from the ``AGRITRACE_*`` variables each field
    names; the fields without a variable are set in code only. Made with keyword arguments
    (by field name), the given values win over the environment's."""

    model_config = SettingsConfigDict(frozen=True, validate_by_name=True,
                                      arbitrary_types_allowed=True)

    integrate: bool = Field(default=True, validation_alias="AGRITRACE_INTEGRATE")
    witnesses: Annotated[tuple[WitnessEndpoint, ...], NoDecode] = Field(
        default=(), validation_alias="AGRITRACE_WITNESSES")
    batch_size: int = 1000  # records per integration transaction (and per checkpoint)
    idle: float = 0.5  # seconds the integrator rests when caught up
    # anonymous requests per second per client address; 0: no limit
    rate_per_second: float = Field(default=20.0, validation_alias="AGRITRACE_RATE_LIMIT")
    rate_burst: int = Field(default=60, validation_alias="AGRITRACE_RATE_BURST")
    max_body_bytes: int = Field(default=1 << 20, validation_alias="AGRITRACE_MAX_BODY")
    # seconds ?wait=true waits for a checkpoint covering the record
    wait_timeout: float = Field(default=5.0, validation_alias="AGRITRACE_WAIT_TIMEOUT")
    conflict_retries: int = 2  # times a server-signed step is retried on a new head
    # seconds a token's grant is remembered (ledger.access)
    token_cache: float = Field(default=1.0, validation_alias="AGRITRACE_TOKEN_CACHE")
    header_timeout: float = Field(default=10.0, validation_alias="AGRITRACE_HEADER_TIMEOUT")
    body_timeout: float = Field(default=30.0, validation_alias="AGRITRACE_BODY_TIMEOUT")
    # peers whose X-Forwarded-For names the client
    trusted_proxies: Annotated[tuple[Network, ...], NoDecode] = Field(
        default=(), validation_alias="AGRITRACE_TRUSTED_PROXIES")
    # addresses that read /metrics without a token
    metrics_allow: Annotated[tuple[Network, ...], NoDecode] = Field(
        default=(), validation_alias="AGRITRACE_METRICS_ALLOW")
    # seconds before a retry may take a running key over
    idempotency_lease: float = Field(default=30.0,
                                     validation_alias="AGRITRACE_IDEMPOTENCY_LEASE")
    # rows a trace export may hold (GET /exports/trace.xlsx|.csv); more is refused
    export_rows: int = Field(default=10**6, validation_alias="AGRITRACE_EXPORT_ROWS")

    # the webhook delivery thread (ledger.platform.delivery)
    deliver: bool = Field(default=True, validation_alias="AGRITRACE_DELIVER")
    webhook_timeout: float = Field(default=10.0, validation_alias="AGRITRACE_WEBHOOK_TIMEOUT")
    webhook_backoff: float = Field(default=5.0, validation_alias="AGRITRACE_WEBHOOK_BACKOFF")
    webhook_backoff_cap: float = Field(default=3600.0,
                                       validation_alias="AGRITRACE_WEBHOOK_BACKOFF_CAP")
    webhook_horizon: float = Field(default=86400.0,
                                   validation_alias="AGRITRACE_WEBHOOK_HORIZON")
    webhook_poll: float = Field(default=2.0, validation_alias="AGRITRACE_WEBHOOK_POLL")
    webhook_private: bool = Field(default=False,
                                  validation_alias="AGRITRACE_WEBHOOK_ALLOW_PRIVATE")
    webhook_concurrency: int = Field(default=32,
                                     validation_alias="AGRITRACE_WEBHOOK_CONCURRENCY")
    webhook_leaf_wait: float = 30.0  # seconds a delivery waits for its record's leaf index

    @property
    def delivery(self) -> DeliverySettings:
        """How the delivery thread sends and retries."""
        return DeliverySettings(
            timeout=self.webhook_timeout, backoff=self.webhook_backoff,
            backoff_cap=self.webhook_backoff_cap, horizon=self.webhook_horizon,
            poll=self.webhook_poll, lease=max(60.0, 3 * self.webhook_timeout),
            concurrency=self.webhook_concurrency, leaf_wait=self.webhook_leaf_wait,
            allow_private=self.webhook_private)

    @classmethod
    def from_env(cls) -> ServiceSettings:
        """The settings the environment names; ``InvalidInput`` naming the variable for a
        value that cannot be read."""
        try:
            return cls()
        except ValidationError as error:
            first = error.errors()[0]
            raise InvalidInput(first["msg"], field=str(first["loc"][0])) from error

    @classmethod
    def settings_customise_sources(
            cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _Variables(settings_cls)

    @field_validator("integrate", "deliver", "webhook_private", mode="before")
    @classmethod
    def _switch(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str):
            return value
        if value.strip().lower() not in SWITCH:
            raise InvalidInput("must be 1 or 0 (true or false)", field=_variable(info))
        return SWITCH[value.strip().lower()]

    @field_validator("witnesses", mode="before")
    @classmethod
    def _witnesses(cls, value: Any) -> Any:
        return parse_witnesses(value.split()) if isinstance(value, str) else value

    @field_validator("trusted_proxies", "metrics_allow", mode="before")
    @classmethod
    def _networks(cls, value: Any, info: ValidationInfo) -> Any:
        return parse_networks(value, _variable(info)) if isinstance(value, str) else value

    @field_validator("rate_per_second", "wait_timeout", "token_cache", mode="before")
    @classmethod
    def _number(cls, value: Any, info: ValidationInfo) -> Any:
        return _read_number(value, _variable(info))

    @field_validator("rate_burst", "max_body_bytes", mode="before")
    @classmethod
    def _whole(cls, value: Any, info: ValidationInfo) -> Any:
        return _read_number(value, _variable(info), whole=True)

    @field_validator("header_timeout", "body_timeout", "idempotency_lease", "webhook_timeout",
                     "webhook_backoff", "webhook_backoff_cap", "webhook_horizon",
                     "webhook_poll", mode="before")
    @classmethod
    def _positive(cls, value: Any, info: ValidationInfo) -> Any:
        return _read_number(value, _variable(info), positive=True)

    @field_validator("webhook_concurrency", mode="before")
    @classmethod
    def _senders(cls, value: Any, info: ValidationInfo) -> Any:
        value = _read_number(value, _variable(info), whole=True, positive=True)
        if isinstance(value, int) and value > MAX_SENDERS:
            raise InvalidInput(f"must be at most {MAX_SENDERS}", field=_variable(info))
        return value

    @field_validator("export_rows", mode="before")
    @classmethod
    def _count(cls, value: Any, info: ValidationInfo) -> Any:
        return _read_number(value, _variable(info), whole=True, positive=True)


class _Variables(EnvSettingsSource):
    """The environment, for the fields that name a variable (their validation alias)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        if field.validation_alias is None:
            return None, field_name, False
        return super().get_field_value(field, field_name)


def _variable(info: ValidationInfo) -> str:
    """The variable that names the field being validated."""
    assert info.field_name is not None  # noqa: S101 - field validators always have one
    alias = ServiceSettings.model_fields[info.field_name].validation_alias
    return alias if isinstance(alias, str) else info.field_name


MAX_SENDERS = 256  # webhook sender threads at most


def _read_number(value: Any, name: str, *, whole: bool = False,
                 positive: bool = False) -> Any:
    """A number from ``value`` (text, or a number given in code) in [0, 10^9), over 0 when
    ``positive``; blank text leaves the default."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise PydanticUseDefault
        try:
            value = int(text) if whole else float(text)
        except ValueError as error:
            raise InvalidInput("must be a whole number" if whole else "must be a number",
                               field=name) from error
    if isinstance(value, int | float) and not (0 <= value < LIMIT and (value or not positive)):
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
