"""What both ``agritrace-verify`` commands (a bundle, a verdict) read from their command line:
the exit codes, a parser whose usage errors are exit 2, files (or standard input) of bounded
size, and verifier keys given as text or as a file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from verify.errors import MalformedInput, VerificationError
from verify.notes import Verifier

__all__ = ["EXIT_INVALID", "EXIT_MALFORMED", "EXIT_VALID", "KEY_FILE_LIMIT", "UsageParser",
           "exit_code", "read_input", "utf8_text", "verifier_key"]

EXIT_VALID, EXIT_INVALID, EXIT_MALFORMED = 0, 1, 2
KEY_FILE_LIMIT = 64 * 1024


class UsageParser(argparse.ArgumentParser):
    """An argument parser whose usage errors exit 2, as unreadable input does."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_MALFORMED, f"无法读取 unreadable: {message}\n")


def exit_code(error: VerificationError) -> int:
    """2 for input that cannot be read or is malformed, 1 for input that does not verify."""
    return EXIT_MALFORMED if isinstance(error, MalformedInput) else EXIT_INVALID


def read_input(path: str, limit: int) -> bytes:
    """The bytes of ``path`` (``-``: standard input), at most ``limit`` of them."""
    try:
        if path == "-":
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(limit + 1)
    except OSError as error:
        raise MalformedInput(f"cannot read {path}: {error.strerror or error}") from error
    if len(data) > limit:
        raise MalformedInput(f"{path} is over {limit} bytes")
    return data


def utf8_text(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedInput(f"{what} is not UTF-8") from error


def verifier_key(value: str, what: str) -> Verifier:
    """A verifier key given as text, or as the path of a file holding it."""
    text = value
    if "\n" not in value and Path(value).is_file():
        text = utf8_text(read_input(value, KEY_FILE_LIMIT), what).strip()
    try:
        return Verifier.from_vkey(text.strip())
    except MalformedInput as error:
        raise MalformedInput(f"{what} is not a verifier key name+hexid+base64: "
                             f"{error.reason}") from error
