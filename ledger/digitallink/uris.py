"""GS1 Digital Link URIs for lots and serialised units: parse and format.

The subset the resolver serves (GS1 Digital Link 1.2 grammar, ``gtin-path``)::

    /01/{gtin}[/22/{cpv}][/10/{lot}][/21/{serial}]

- AI 01: a GTIN-8, -12, -13 or -14 with a valid GS1 mod-10 check digit; normalised to 14
  digits (``ledger.domain.fields.gtin``).
- Qualifiers follow the key in the order 22, 10, 21 (the syntax dictionary's
  ``dlpkey=22,10,21``); any other order, a repeated qualifier or an unknown AI is malformed.
- AI 10, 21 and 22 values: 1-20 characters of GS1 CSET 82, percent-encoded in the path.

Anything malformed raises ``InvalidInput`` naming the path element, so the resolver answers
400; a well-formed code that names no lot is the resolver's business (404).
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from dataclasses import dataclass
from urllib.parse import quote, unquote

from ledger.domain.fields import gtin as parse_gtin
from ledger.errors import InvalidInput, LedgerError

__all__ = [
    "DEFAULT_PUBLIC_URL",
    "MAX_PATH",
    "DigitalLink",
    "digital_link_uri",
    "lot_page_uri",
    "parse_digital_link",
    "public_url",
    "serving_url",
]

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
MAX_PATH = 200  # /01/ + 14 + three qualifiers of 20 characters, percent-encoded, fits easily
MAX_VALUE = 20

# GS1 CSET 82 (GS1 General Specifications figure 7.11-1).
_CSET82 = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}")
_QUALIFIERS = ("22", "10", "21")  # in the only order GS1 allows after AI 01
_NAMES = {"22": "cpv", "10": "lot", "21": "serial"}
# Characters left as they are in a path segment; everything else in CSET 82 is encoded,
# as the GS1 grammar's XSYMBOL rules require ("/" becomes %2F, "%" becomes %25, ...).
_SAFE = "-._"


@dataclass(frozen=True)
class DigitalLink:
    """A parsed GS1 Digital Link path: GTIN-14 and the qualifiers present."""

    gtin: str
    lot: str | None = None
    serial: str | None = None
    cpv: str | None = None

    @property
    def path(self) -> str:
        """The canonical path: GTIN-14, qualifiers in GS1 order, values percent-encoded."""
        parts = [f"/01/{self.gtin}"]
        for ai, value in (("22", self.cpv), ("10", self.lot), ("21", self.serial)):
            if value is not None:
                parts.append(f"/{ai}/{quote(value, safe=_SAFE)}")
        return "".join(parts)

    def uri(self, host: str | None = None) -> str:
        return (host or public_url()).rstrip("/") + self.path


def parse_digital_link(path: str) -> DigitalLink:
    """Parse the path of a Digital Link URI, as sent (percent-encoded, no query).

    Raises ``InvalidInput`` for anything malformed: unknown or missing primary key, a bad
    GTIN or check digit, qualifiers out of order or repeated, values outside CSET 82 or
    longer than 20 characters, a path over ``MAX_PATH`` characters.
    """
    if len(path) > MAX_PATH:
        raise InvalidInput(f"is longer than {MAX_PATH} characters", field="path")
    segments = path.split("/")
    if segments and segments[0] == "":
        segments = segments[1:]
    if segments and segments[-1] == "":
        segments = segments[:-1]  # one trailing slash is forgiven
    if len(segments) < 2 or len(segments) % 2:
        raise InvalidInput("must be /01/{gtin} followed by AI/value pairs such as /10/{lot}",
                           field="path")
    if segments[0] != "01":
        raise InvalidInput("must start with the GTIN key /01/", field="path")
    try:
        key = parse_gtin(segments[1], "gtin")
    except LedgerError as error:
        raise InvalidInput(error.reason, field="gtin") from error
    values: dict[str, str] = {}
    expected = 0
    for ai, raw in zip(segments[2::2], segments[3::2], strict=True):
        if ai not in _QUALIFIERS:
            raise InvalidInput(f"AI {ai[:8]!r} is not a qualifier of a GTIN; use 22, 10 "
                               "and 21", field="path")
        position = _QUALIFIERS.index(ai)
        if position < expected:
            raise InvalidInput("qualifiers must follow the GTIN in the order 22, 10, 21, "
                               "each at most once", field=_NAMES[ai])
        expected = position + 1
        values[ai] = _value(raw, _NAMES[ai])
    return DigitalLink(gtin=key, lot=values.get("10"), serial=values.get("21"),
                       cpv=values.get("22"))


def _value(raw: str, name: str) -> str:
    if len(raw) > MAX_VALUE * 3:
        raise InvalidInput(f"must be at most {MAX_VALUE} characters", field=name)
    try:
        value = unquote(raw, errors="strict")
    except UnicodeDecodeError as error:
        raise InvalidInput("is not valid percent-encoded text", field=name) from error
    if len(value) > MAX_VALUE:
        raise InvalidInput(f"must be at most {MAX_VALUE} characters", field=name)
    if not _CSET82.fullmatch(value):
        raise InvalidInput("must be 1-20 characters of GS1 CSET 82 (letters, digits and "
                           "!\"%&'()*+,-./:;<=>?_)", field=name)
    return value


def digital_link_uri(host: str | None, gtin: str, lot: str, serial: str | int | None = None
                     ) -> str:
    """``https://HOST/01/{gtin14}/10/{lot}[/21/{serial}]``, checked as the resolver checks.

    ``host`` is the public base URL (scheme and host, optionally a path prefix); None means
    ``public_url()``. Raises ``InvalidInput`` when the GTIN, lot or serial is not valid.
    """
    link = parse_digital_link(DigitalLink(
        gtin=parse_gtin(gtin, "gtin"), lot=lot,
        serial=None if serial is None else str(serial)).path)
    return link.uri(host)


def lot_page_uri(host: str | None, lot: str, gtin: str | None) -> str:
    """Where a lot's consumer page is: its Digital Link when it has a GTIN (a packed lot);
    else ``/lots/{lot}/page`` (harvest, collection and grade lots carry no GTIN)."""
    if gtin:
        return digital_link_uri(host, gtin, lot)
    return f"{(host or public_url()).rstrip('/')}/lots/{quote(lot, safe=_SAFE)}/page"


def public_url() -> str:
    """The configured public base URL of the resolver: ``AGRITRACE_PUBLIC_URL``."""
    configured = os.environ.get("AGRITRACE_PUBLIC_URL", "").strip() or DEFAULT_PUBLIC_URL
    if not configured.startswith(("http://", "https://")):
        raise InvalidInput("must be an http:// or https:// URL", field="AGRITRACE_PUBLIC_URL")
    return configured.rstrip("/")


WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104 - names, not a bind


def serving_url(host: str, port: int) -> str:
    """The public base URL of a service listening on ``host``:``port``, for when
    ``AGRITRACE_PUBLIC_URL`` is not set: that host and port, or, for a wildcard address
    (``0.0.0.0``, ``::``), this machine's address on its local network, so phones on the
    same network can open the codes it prints."""
    if host in WILDCARD_HOSTS:
        host = _local_network_address()
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:
        pass  # a host name
    return f"http://{host}:{port}"


def _local_network_address() -> str:
    """The address this machine would use to reach another network; connecting a UDP
    socket sends nothing. 127.0.0.1 when there is no such route."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1 (RFC 5737): never routed anywhere
        return str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()
