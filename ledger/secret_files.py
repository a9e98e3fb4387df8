"""Secret files (master key, log key, witness key): created once, mode 0600, never replaced."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

__all__ = ["read_or_create_secret"]


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
