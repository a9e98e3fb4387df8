"""Files only their owner may read (mode 0600, whatever the umask): secret files (master key,
log key, witness key), created once and never replaced; and the SQLite store with its
``-wal`` and ``-shm`` files, which hold private values."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["read_or_create_secret", "restrict_to_owner"]


def read_or_create_secret(path: Path, make: Callable[[], str]) -> str:
    """The stripped text of ``path``; when missing, first write ``make()`` to it with mode
    0600. Two processes starting together agree: only one creates the file. ``make`` may
    raise to refuse, and then no file is left behind."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            try:
                content = make()
            except BaseException:
                os.close(descriptor)
                path.unlink()
                raise
            with os.fdopen(descriptor, "w") as handle:
                handle.write(content + "\n")
    return path.read_text().strip()


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
