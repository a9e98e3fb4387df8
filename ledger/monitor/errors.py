"""Errors the monitor raises: its own family, since the monitor imports only ``verify``.

An inspector's office runs the monitor with nothing of the ledger's database, so it cannot
share ``ledger.errors``. Each error is one line for the person running it, and an exit code
(the same as ``agritrace-verify``: 1 when something does not verify, 2 when the input is
unusable).

MonitorError                  ``reason``
 ├─ MonitorMisconfigured      a key, key file or state folder it cannot use (exit 2)
 ├─ LogUnreachable            the URL cannot be reached, or does not answer as an agritrace
 │                            log does (exit 2)
 ├─ WrongLogKey               the log signs its checkpoints with another key (exit 2)
 └─ LogMisbehaved             the log failed a check: names the rule, and the entry (leaf
                              index) and the record (hash, chain, seq) where it has them (exit 1)
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "LogMisbehaved",
    "LogUnreachable",
    "MonitorError",
    "MonitorMisconfigured",
    "WrongLogKey",
]


class MonitorError(Exception):
    """Base of every error the monitor raises on purpose; ``exit_code`` for the command."""

    exit_code: ClassVar[int] = 2

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class MonitorMisconfigured(MonitorError):
    """A key, key file or state folder the monitor cannot use."""


class LogUnreachable(MonitorError):
    """The URL cannot be reached, or answers what no agritrace log would."""


class WrongLogKey(MonitorError):
    """The log's checkpoints are signed by another key (or for another origin) than given."""


class LogMisbehaved(MonitorError):
    """The log failed a check. ``rule`` names it (``signature``, ``chain continuity``, …);
    ``leaf``, ``record``, ``chain`` and ``seq`` name the entry and its record when known."""

    exit_code = 1

    def __init__(self, rule: str, reason: str, *, leaf: int | None = None,
                 record: str | None = None, chain: str | None = None,
                 seq: int | None = None) -> None:
        self.rule = rule
        self.leaf = leaf
        self.record = record
        self.chain = chain
        self.seq = seq
        super().__init__(reason)

    def __str__(self) -> str:
        return f"{self.where()}rule {self.rule}: {self.reason}"

    def where(self) -> str:
        """``leaf 17, record 3f2a… (lot/KG1#2): `` or nothing, as known."""
        parts = []
        if self.leaf is not None:
            parts.append(f"leaf {self.leaf}")
        if self.record is not None:
            parts.append(f"record {self.record}")
        text = ", ".join(parts)
        if self.chain is not None:
            seq = "" if self.seq is None else f"#{self.seq}"
            text += f" ({self.chain}{seq})" if text else f"{self.chain}{seq}"
        return f"{text}: " if text else ""
