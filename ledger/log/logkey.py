"""The log's signing key and origin, configured like the master key (``ledger.config``).

The key is a C2SP signed-note Ed25519 key (https://c2sp.org/signed-note), written as
``PRIVATE+KEY+<name>+<hexid>+<base64>``; its public form ``<name>+<hexid>+<base64>`` is what
verifiers and witnesses are given. By tlog-checkpoint convention the key's name is the log's
origin (https://c2sp.org/tlog-checkpoint), the first line of every checkpoint.

Where the key comes from, first match wins:

1. ``AGRITRACE_LOG_KEY``: the private key string;
2. ``AGRITRACE_LOG_KEY_FILE``: a file holding it;
3. for SQLite, ``<db file>.log-key`` beside the database; for PostgreSQL ``~/.agritrace/log-key``.

A missing key file is created on first use (mode 0600). The origin is ``AGRITRACE_LOG_ORIGIN``
when set (and must then be the key's name), else the key's name; a new key is named
``DEFAULT_ORIGIN`` unless an origin is configured.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ledger.config import Settings
from ledger.errors import InvalidInput
from ledger.witness.errors import WitnessMisconfigured
from ledger.witness.keyfile import key_file_signer, parse_skey
from verify.notes import ED25519, Signer, Verifier

__all__ = ["DEFAULT_ORIGIN", "LogKey", "load_log_key"]

DEFAULT_ORIGIN = "agritrace.example/log"


@dataclass(frozen=True)
class LogKey:
    """The log's checkpoint signer; its name is the log's origin."""

    signer: Signer

    @property
    def origin(self) -> str:
        return self.signer.name

    @property
    def verifier(self) -> Verifier:
        return self.signer.verifier

    @property
    def vkey(self) -> str:
        """The verifier key string ``name+hexid+base64`` (what ``agritrace log-key`` prints)."""
        return self.signer.verifier.to_vkey()


def load_log_key(settings: Settings, *, origin: str | None = None) -> LogKey:
    """The configured log key (see the module docstring); raises ``InvalidInput``."""
    wanted = origin or os.environ.get("AGRITRACE_LOG_ORIGIN", "").strip() or None
    text = os.environ.get("AGRITRACE_LOG_KEY", "").strip()
    try:
        if text:
            signer = parse_skey(text, "AGRITRACE_LOG_KEY")
        else:
            signer = key_file_signer(_key_path(settings), wanted or DEFAULT_ORIGIN, ED25519)
    except WitnessMisconfigured as error:  # ledger.witness.keyfile reads key files
        raise InvalidInput(error.reason, field=error.field) from error
    if signer.sig_type != ED25519:
        raise InvalidInput("the log key must be an Ed25519 signed-note key (type 0x01)",
                           field="AGRITRACE_LOG_KEY")
    if wanted is not None and signer.name != wanted:
        raise InvalidInput(f"the log key is named {signer.name!r} but the origin is "
                           f"{wanted!r}; a checkpoint key is named after its origin",
                           field="AGRITRACE_LOG_ORIGIN")
    return LogKey(signer)


def _key_path(settings: Settings) -> Path:
    configured = os.environ.get("AGRITRACE_LOG_KEY_FILE")
    if configured:
        return Path(configured)
    sqlite_path = settings.backend.sqlite_path
    if sqlite_path is not None:
        return sqlite_path.with_name(sqlite_path.name + ".log-key")
    return Path.home() / ".agritrace" / "log-key"
