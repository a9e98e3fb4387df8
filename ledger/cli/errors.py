"""How the ``agritrace`` command reports failure: one line on stderr and an exit code.

Exit codes, so scripts can tell failures apart:

    0   done
    1   the audit found a bad record (named on stderr)
    2   invalid input or usage: the message names the field, or the file and line
    3   any other ledger error: not found, not permitted, wrong state, conflict, store down
    70  an internal error (a bug); AGRITRACE_DEBUG=1 shows the traceback
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer

from ledger.errors import AuditFailed, InvalidInput, LedgerError

__all__ = [
    "EXIT_AUDIT_FAILED",
    "EXIT_INTERNAL",
    "EXIT_INVALID",
    "EXIT_LEDGER",
    "describe",
    "exit_code",
    "fail",
    "reason_of",
    "reported_errors",
]

EXIT_AUDIT_FAILED, EXIT_INVALID, EXIT_LEDGER, EXIT_INTERNAL = 1, 2, 3, 70


def exit_code(error: LedgerError) -> int:
    if isinstance(error, InvalidInput):
        return EXIT_INVALID
    if isinstance(error, AuditFailed):
        return EXIT_AUDIT_FAILED
    return EXIT_LEDGER


def describe(error: LedgerError) -> str:
    """One line naming the field (or the first bad record), the reason and, when a domain
    rule refuses the step, the rule (docs/records.md)."""
    text = f"{error.field}: {reason_of(error)}" if error.field else reason_of(error)
    if isinstance(error, AuditFailed) and error.record:
        text += f"; first bad record {error.record}"
    return text


def reason_of(error: LedgerError) -> str:
    """The reason, with the rule that refused the step if one did."""
    return error.reason if error.rule is None else f"{error.reason} [rule {error.rule}]"


def fail(message: str, code: int = EXIT_INVALID) -> NoReturn:
    # One line on stderr, never a traceback: the user should see what to fix, not our stack.
    flat = " ".join(message.split())
    typer.echo(f"agritrace: error: {flat}", err=True)
    raise typer.Exit(code)


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn a ``LedgerError`` raised inside into its one-line message and exit code."""
    try:
        yield
    except LedgerError as error:
        fail(describe(error), exit_code(error))
