"""Signing records with server-held Ed25519 keys, fast and in bulk.

Signing uses libsodium (PyNaCl), which signs in about two thirds of the time OpenSSL takes
here and, through cffi, releases the GIL while it does, so large batches sign on several
threads at once. Ed25519 signatures are deterministic (RFC 8032), so these are the very
bytes any other implementation would produce; verification stays with ``cryptography``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from nacl.bindings import crypto_sign, crypto_sign_seed_keypair

from verify.records import Record, signing_message

__all__ = ["RecordSigner", "SigningKey", "sign_records"]

PARALLEL_FROM = 64  # below this, handing work to threads costs more than it saves
_pool = ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2)),
                           thread_name_prefix="agritrace-sign")


class RecordSigner(Protocol):
    """Whatever gives a record its signature: a server-held key, or a client's signatures
    submitted with the records (``ledger.recording.submission``)."""

    def sign_record(self, record: Record) -> bytes: ...


class SigningKey:
    """An Ed25519 private key held by the server."""

    __slots__ = ("_secret", "public_key", "seed")

    def __init__(self, seed: bytes) -> None:
        if len(seed) != 32:
            raise ValueError("an Ed25519 seed is 32 bytes")
        self.seed = seed
        self.public_key, self._secret = crypto_sign_seed_keypair(seed)

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(os.urandom(32))

    def sign(self, message: bytes) -> bytes:
        return crypto_sign(message, self._secret)[:64]

    def sign_record(self, record: Record) -> bytes:
        return self.sign(signing_message(record.hash))


def sign_records(work: Sequence[tuple[RecordSigner, Record]]) -> list[bytes]:
    """Signatures for many records, in order; large batches are split across threads."""
    if len(work) < PARALLEL_FROM:
        return [key.sign_record(record) for key, record in work]
    half = len(work) // 2
    first = _pool.submit(lambda: [key.sign_record(record) for key, record in work[:half]])
    second = [key.sign_record(record) for key, record in work[half:]]
    return first.result() + second
