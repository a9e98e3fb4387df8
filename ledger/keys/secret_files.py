"""Files only their owner may read (mode 0600, whatever the umask): secret files (master key,
log key, witness key), created once and never replaced; and the SQLite store with its
``-wal`` and ``-shm`` files, which hold private values.

``read_or_create_secret`` lives with the witness's key files (``ledger.witness.keyfile``),
since the witness may import nothing of the ledger but ``verify``; it is the same function.
"""

from __future__ import annotations

import os
from pathlib import Path

from ledger.witness.keyfile import read_or_create_secret

__all__ = ["read_or_create_secret", "restrict_to_owner"]


def restrict_to_owner(path: Path, *, create: bool) -> None:
    """Make ``path`` readable and writable by its owner only: created empty with mode 0600
    if missing and ``create``; an existing file that others could read is narrowed to 0600.
    SQLite gives a new ``-wal`` or ``-shm`` file the mode of its database file."""
    flags = os.O_RDONLY | (os.O_CREAT if create else 0)
    try:
        descriptor = os.open(path, flags, 0o600)
    except FileNotFoundError:
        return
    try:
        if os.fstat(descriptor).st_mode & 0o077:
            os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)
