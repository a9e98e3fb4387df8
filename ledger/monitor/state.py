"""What the monitor keeps between runs, in its state folder, so it resumes where it stopped.

- ``state.json``: the log it follows (URL and key), how many entries it has verified, the
  tree's frontier over them (``ledger.monitor.frontier``), each chain's head, each
  organisation's keys (active by id, and revoked), the latest checkpoint it verified whole
  and the largest it has seen (which it may be catching up to). Replaced atomically: written
  to a temporary file, flushed to disk, renamed over the old one.
- ``records.bin``: the record hash of every verified entry in leaf order, 32 bytes each,
  appended to and flushed before ``state.json`` counts them; on loading it is cut back to
  the count, so an append cut short by a crash is forgotten, not trusted. Links are checked
  against it, and a rewritten log is compared with it to name the first entry it changed.
- ``checkpoint``: the latest verified checkpoint note, cosigned when the monitor witnesses.
- ``lock``: held while a monitor runs on the folder, so two never share one state.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ledger.monitor.errors import MonitorMisconfigured
from ledger.monitor.frontier import Frontier

__all__ = ["MonitorState", "StateFolder"]

STATE_VERSION = 1
HASH_SIZE = 32


@dataclass
class MonitorState:
    """The monitor's state; ``entries`` record hashes are in ``records`` (leaf order)."""

    url: str
    log_key: str
    entries: int = 0
    frontier: list[bytes] = field(default_factory=list)
    heads: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    organisations: dict[str, tuple[dict[str, bytes], list[str]]] = field(default_factory=dict)
    verified: str | None = None  # the latest checkpoint note verified whole
    pending: str | None = None  # the largest checkpoint note seen, maybe still being verified
    records: bytearray = field(default_factory=bytearray)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION, "url": self.url, "log_key": self.log_key,
            "entries": self.entries, "frontier": [_b64(h) for h in self.frontier],
            "heads": {chain: [seq, digest.hex()] for chain, (seq, digest) in
                      sorted(self.heads.items())},
            "organisations": {org: {"active": {kid: _b64(raw) for kid, raw in active.items()},
                                    "revoked": revoked}
                              for org, (active, revoked) in sorted(self.organisations.items())},
            "verified": self.verified, "pending": self.pending,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any], records: bytes) -> MonitorState:
        if value.get("version") != STATE_VERSION:
            raise ValueError(f"unknown state version {value.get('version')!r}")
        entries = int(value["entries"])
        if len(records) < entries * HASH_SIZE:
            raise ValueError(f"records.bin holds {len(records) // HASH_SIZE} record hashes, "
                             f"the state counts {entries}")
        state = cls(url=str(value["url"]), log_key=str(value["log_key"]), entries=entries,
                    frontier=[base64.b64decode(h) for h in value["frontier"]],
                    heads={chain: (int(seq), bytes.fromhex(digest))
                           for chain, (seq, digest) in value["heads"].items()},
                    organisations={org: ({kid: base64.b64decode(raw) for kid, raw in
                                          keys["active"].items()}, list(keys["revoked"]))
                                   for org, keys in value["organisations"].items()},
                    verified=value["verified"], pending=value["pending"],
                    records=bytearray(records[:entries * HASH_SIZE]))
        Frontier(state.entries, state.frontier)  # raises ValueError if it does not fit
        return state


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


class StateFolder:
    """The state folder ``path``: locked while open, read once, written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock: IO[str] | None = None
        self._saved_records = 0  # record hashes known to be in records.bin on disk

    def __enter__(self) -> StateFolder:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self._lock = open(self.path / "lock", "a")  # held until __exit__
        except OSError as error:
            raise MonitorMisconfigured(f"--state: cannot use {self.path}: "
                                       f"{error.strerror}") from None
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock.close()
            self._lock = None
            raise MonitorMisconfigured(f"--state: another monitor is running on {self.path}"
                                       ) from None
        return self

    def __exit__(self, *_: object) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def load(self, url: str, log_key: str) -> MonitorState:
        """The saved state, or a fresh one; ``MonitorMisconfigured`` if it is unreadable or
        follows another log (another URL or key)."""
        try:
            value = json.loads((self.path / "state.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            return MonitorState(url=url, log_key=log_key)
        except (OSError, ValueError) as error:
            raise MonitorMisconfigured(f"--state: {self.path}/state.json is unreadable: "
                                       f"{error}") from None
        try:
            records = (self.path / "records.bin").read_bytes()
            state = MonitorState.from_json(value, records)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise MonitorMisconfigured(f"--state: {self.path} is not a monitor's state: "
                                       f"{error}") from None
        if state.log_key != log_key:
            raise MonitorMisconfigured(f"--state: {self.path} follows the log of key "
                                       f"{state.log_key}, not {log_key}")
        if state.url != url:
            raise MonitorMisconfigured(f"--state: {self.path} follows {state.url}, not {url}")
        self._saved_records = state.entries
        return state

    def save(self, state: MonitorState) -> None:
        """Append the new record hashes to records.bin and flush them, then replace
        state.json; a crash at any point leaves the last saved state readable."""
        records = self.path / "records.bin"
        with open(records, "ab") as handle:
            handle.truncate(self._saved_records * HASH_SIZE)  # forget a torn append
            handle.write(state.records[self._saved_records * HASH_SIZE:
                                       state.entries * HASH_SIZE])
            handle.flush()
            os.fsync(handle.fileno())
        self._replace("state.json", json.dumps(state.to_json(), indent=1))
        self._saved_records = state.entries

    def write_checkpoint(self, note: str) -> None:
        """The latest verified (and maybe cosigned) checkpoint, for the office to publish."""
        self._replace("checkpoint", note)

    def _replace(self, name: str, text: str) -> None:
        descriptor, temporary = tempfile.mkstemp(prefix=f".{name}-", dir=self.path)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        directory = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(directory)  # make the rename itself durable
        finally:
            os.close(directory)
