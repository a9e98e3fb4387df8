"""The service's own signed-note keys (the log's checkpoint key, the verdict key), each
configured the same way by its ``AGRITRACE_<KIND>_KEY`` variables.

Where a key comes from, first match wins:

1. ``AGRITRACE_<KIND>_KEY``: the private key string ``PRIVATE+KEY+<name>+<hexid>+<base64>``;
2. ``AGRITRACE_<KIND>_KEY_FILE``: a file holding it;
3. for SQLite, ``<db file>.<kind>-key`` beside the database; for PostgreSQL
   ``~/.agritrace/<kind>-key``.

A missing key file is created on first use (mode 0600) with the name it is given. Only
Ed25519 keys (type 0x01) are taken: checkpoints and verdicts are signed with nothing else.
"""

from __future__ import annotations

import os
from pathlib import Path

from ledger.config import Settings
from ledger.errors import InvalidInput
from ledger.witness.errors import WitnessMisconfigured
from ledger.witness.keyfile import key_file_signer, parse_skey
from verify.notes import ED25519, Signer

__all__ = ["configured_note_signer"]


def configured_note_signer(settings: Settings, kind: str, name: str) -> Signer:
    """The configured Ed25519 note signer of ``kind`` (``log``, ``verdict``); a new key file
    is named ``name``. Raises ``InvalidInput`` naming the variable at fault."""
    variable = f"AGRITRACE_{kind.upper()}_KEY"
    text = os.environ.get(variable, "").strip()
    try:
        if text:
            signer = parse_skey(text, variable)
        else:
            signer = key_file_signer(_key_path(settings, kind), name, ED25519)
    except WitnessMisconfigured as error:  # ledger.witness.keyfile reads key files
        raise InvalidInput(error.reason, field=variable if text else f"{variable}_FILE"
                           ) from error
    if signer.sig_type != ED25519:
        raise InvalidInput(f"the {kind} key must be an Ed25519 signed-note key (type 0x01)",
                           field=variable)
    return signer


def _key_path(settings: Settings, kind: str) -> Path:
    configured = os.environ.get(f"AGRITRACE_{kind.upper()}_KEY_FILE")
    if configured:
        return Path(configured)
    sqlite_path = settings.backend.sqlite_path
    if sqlite_path is not None:
        return sqlite_path.with_name(f"{sqlite_path.name}.{kind}-key")
    return Path.home() / ".agritrace" / f"{kind}-key"
