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

from ledger.config import Settings
from ledger.errors import InvalidInput
from ledger.keys.notekeys import configured_note_signer
from verify.notes import Signer, Verifier

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
    signer = configured_note_signer(settings, "log", wanted or DEFAULT_ORIGIN)
    if wanted is not None and signer.name != wanted:
        raise InvalidInput(f"the log key is named {signer.name!r} but the origin is "
                           f"{wanted!r}; a checkpoint key is named after its origin",
                           field="AGRITRACE_LOG_ORIGIN")
    return LogKey(signer)
