"""Key files: a signed-note private key in a file only its owner may read, made on first use.

The witness keeps its cosignature/v1 key this way, and the log its checkpoint key
(``ledger.log.logkey``), whose loading builds on this module: the witness imports only
``verify``, so what both use lives here. ``read_or_create_secret`` also keeps the master key
(``ledger.config``, through ``ledger.keys.secret_files``). Keys are written
``PRIVATE+KEY+<name>+<hexid>+<base64>`` (https://c2sp.org/signed-note).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ledger.witness.errors import WitnessMisconfigured
from verify.errors import MalformedInput
from verify.notes import Signer

__all__ = ["key_file_signer", "parse_skey", "read_or_create_secret"]


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


def key_file_signer(path: Path, name: str, sig_type: int) -> Signer:
    """The signer stored in ``path``, created (mode 0600, named ``name``) when missing;
    ``WitnessMisconfigured`` when the file holds no key of ``sig_type``."""
    def make() -> str:
        try:
            return Signer.generate(name, sig_type).to_skey()
        except MalformedInput as error:
            raise WitnessMisconfigured(f"{name!r} cannot name a key: {error.reason}",
                                       field="origin") from error

    signer = parse_skey(read_or_create_secret(path, make), str(path))
    if signer.sig_type != sig_type:
        raise WitnessMisconfigured(f"{path} holds a key of signature type {signer.sig_type}, "
                                   f"not {sig_type}", field="key")
    return signer


def parse_skey(text: str, where: str) -> Signer:
    """The signer a private key string holds; ``WitnessMisconfigured`` naming ``where``."""
    try:
        return Signer.from_skey(text)
    except MalformedInput as error:
        raise WitnessMisconfigured(f"{where} does not hold a PRIVATE+KEY+name+hexid+base64 "
                                   f"key: {error.reason}", field="log_key") from error
