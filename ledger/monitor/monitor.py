"""The monitor: follows an agritrace log's checkpoints from outside and checks every entry.

Each round, in numbered steps:

1. the latest checkpoint (``GET /log/checkpoint``) is a C2SP signed note for the log's origin,
   signed by the log key given (else ``WrongLogKey``, or a failure once the key has signed
   before);
2. it does not go back: its size is not smaller than the largest checkpoint seen before,
   by the monitor or by the office's witness (a truncated or rolled-back log), and a
   checkpoint of the same size has the same root (a forked log);
3. the log's consistency proof from the latest checkpoint verified before verifies against
   both roots (``verify.merkle.verify_consistency``): the new tree extends the old one; the
   office's witness, when the monitor is one, accepts it as its latest checkpoint by the
   witness's own rules, with the log's proof from the witness's latest size
   (``ledger.monitor.witnessing``);
4. every new entry, with its signature, passes the replay of ``ledger.monitor.replay``
   (canonical bytes, chain continuity, links, key history, signature), and its leaf hash is
   the one in the log's hash tile;
5. the root of all entries so far equals the checkpoint's (and every checkpoint seen on the
   way, the witness's latest among them), and so does the chain-head map root of its
   ``agritrace/heads`` line;
6. the state is saved (atomically; also every few seconds while catching up), and the
   checkpoint is cosigned (cosignature/v1) when the monitor is also the office's witness.

Steps 3 and 5 together check every two checkpoints the monitor has seen: both roots come
from the same entries. When a root does not match, the monitor names the first entry the log
changed by comparing the entries with the record hashes it kept.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from hashlib import sha256
from typing import NoReturn

from ledger.monitor.client import LogClient, Refused
from ledger.monitor.errors import LogMisbehaved, LogUnreachable, WrongLogKey
from ledger.monitor.replay import Replay
from ledger.monitor.state import MonitorState, StateFolder
from ledger.monitor.tiles import (
    HASH_SIZE,
    SIGNATURE_SIZE,
    Bundle,
    bundles_between,
    split_entries,
    split_fixed,
)
from ledger.monitor.witnessing import SharedWitness
from verify.checkpoints import Checkpoint, heads_root
from verify.errors import BadSignature, VerificationError
from verify.merkle import verify_consistency
from verify.notes import Note, Verifier, verified_signers
from verify.records import Record

__all__ = ["Monitor", "Round"]

Progress = Callable[[int, int], None]  # (entries verified, entries in the checkpoint)
PREFETCH = 2  # entry bundles fetched ahead of the one being checked


@dataclass(frozen=True)
class Round:
    """What one round established: the checkpoint verified, how many entries it has and how
    many were new, whether its chain-head map was checked, and the cosignature line made."""

    size: int
    root: bytes
    new_entries: int
    heads_checked: bool
    cosignature: str | None
    seconds: float


class Monitor:
    """Follows the log behind ``client``, signed with ``log_key``, keeping its state in
    ``folder``; when it is also the office's ``witness``, shares that witness's view of the
    log and cosigns what it verified."""

    def __init__(self, client: LogClient, log_key: Verifier, folder: StateFolder,
                 state: MonitorState, *, witness: SharedWitness | None = None,
                 progress: Progress | None = None,
                 save_every: float = 5.0) -> None:
        self.client = client
        self.log_key = log_key
        self.folder = folder
        self.state = state
        self.witness = witness
        self.progress = progress
        self.save_every = save_every
        self.replay = Replay(state)

    def check_once(self) -> Round:
        """Steps 1-6 for the log's latest checkpoint."""
        started = time.perf_counter()
        before = self.replay.size
        note, checkpoint = self._authentic(self.client.checkpoint())  # 1
        seen, verified = _parsed(self.state.pending), _parsed(self.state.verified)
        witnessed = None if self.witness is None else _parsed(self.witness.latest())
        if seen is not None and witnessed is not None and seen.size == witnessed.size:
            self._check_not_back(witnessed, seen)  # 2: one tree of that size
        for earlier in (seen, witnessed):
            if earlier is not None:
                self._check_not_back(checkpoint, earlier)  # 2
        if verified is not None and checkpoint.size > verified.size:
            self._check_consistency(verified, checkpoint)  # 3
        if self.witness is not None:
            self._show_witness(self.witness, note, checkpoint)  # 3
        if seen is None or checkpoint.size > seen.size:
            self.state.pending = note.to_text()
            self._save()
        due = {checkpoint.size: checkpoint}
        for earlier in (seen, witnessed):  # their roots, if not yet checked
            if earlier is not None and earlier.size >= self.replay.size:
                due.setdefault(earlier.size, earlier)
        if self.replay.size in due:
            self._check_root(due.pop(self.replay.size))  # 5
        self._catch_up(checkpoint, due)  # 4, 5
        changed = self.state.verified != note.to_text()
        self.state.verified = self.state.pending = note.to_text()
        self._save()  # 6
        cosignature = None
        if changed and self.witness is not None:
            cosignature = self._cosign(note, self.witness)
        if changed and cosignature is None:
            self.folder.write_checkpoint(note.to_text())
        return Round(checkpoint.size, checkpoint.root_hash, self.replay.size - before,
                     heads_root(checkpoint) is not None, cosignature,
                     time.perf_counter() - started)

    # -- step 1 -------------------------------------------------------------------------

    def _authentic(self, text: str) -> tuple[Note, Checkpoint]:
        url, key = self.client.url, self.log_key
        try:
            note = Note.from_text(text)
            checkpoint = Checkpoint.from_text(note.text)
        except VerificationError as error:
            raise LogUnreachable(f"{url} is not an agritrace log: its /log/checkpoint is not a "
                                 f"signed checkpoint ({error.reason})") from None
        if checkpoint.origin != key.name:
            raise WrongLogKey(f"{url} is the log {checkpoint.origin!r}, but --log-key is a key "
                              f"of {key.name!r}")
        try:
            signed = verified_signers(note, [key])
        except BadSignature:
            raise LogMisbehaved("checkpoint signature", f"checkpoint {checkpoint.size} carries "
                                f"a signature by {key.name} that does not verify: it was "
                                "forged or altered") from None
        except VerificationError as error:
            raise LogUnreachable(f"{url} serves a malformed checkpoint: {error.reason}"
                                 ) from None
        if not signed:
            names = ", ".join(f"{s.name}+{s.key_id:08x}" for s in note.signatures)
            if self.state.verified is not None:
                raise LogMisbehaved("checkpoint signature", f"checkpoint {checkpoint.size} is "
                                    f"signed by {names}, no longer by the log key "
                                    f"{key.name}+{key.key_id:08x} that signed before")
            raise WrongLogKey(f"{url} signs its checkpoints with {names}, not with --log-key "
                              f"{key.name}+{key.key_id:08x}")
        try:
            heads_root(checkpoint)
        except VerificationError as error:
            raise LogMisbehaved("checkpoint", f"checkpoint {checkpoint.size}: {error.reason}"
                                ) from None
        return note, checkpoint

    # -- steps 2 and 3 ------------------------------------------------------------------

    def _check_not_back(self, checkpoint: Checkpoint, seen: Checkpoint) -> None:
        if checkpoint.size < seen.size:
            size = checkpoint.size
            record = self._kept_hash(size)
            raise LogMisbehaved(
                "truncation", f"the log's latest checkpoint has {size} entries, but it signed "
                f"checkpoint {seen.size} (root {_hex(seen.root_hash)}) before: the log was "
                f"truncated or rolled back, and entries {size}-{seen.size - 1} are gone",
                leaf=size, record=record)
        if checkpoint.size == seen.size and checkpoint.root_hash != seen.root_hash:
            raise LogMisbehaved(
                "fork", f"checkpoint {seen.size} now has root {_hex(checkpoint.root_hash)}, but "
                f"the log signed root {_hex(seen.root_hash)} for the same size before: the log "
                "forked, two different trees of one size signed by its key")

    def _check_consistency(self, old: Checkpoint, new: Checkpoint) -> None:
        try:
            proof = self.client.consistency(old.size, new.size)
            verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof)
        except Refused as refusal:
            self._rewritten(new, f"the log no longer proves checkpoint {new.size} consistent "
                            f"with checkpoint {old.size} verified before ({refusal})")
        except VerificationError as error:
            self._rewritten(new, f"checkpoint {new.size} is not consistent with checkpoint "
                            f"{old.size} verified before ({error.reason})")

    def _show_witness(self, witness: SharedWitness, note: Note,
                      checkpoint: Checkpoint) -> None:
        """The office's witness takes ``checkpoint`` as its latest, by its own rules."""
        def proof_from(size: int) -> tuple[bytes, ...]:
            try:
                return tuple(self.client.consistency(size, checkpoint.size))
            except Refused as refusal:
                self._rewritten(checkpoint, f"the log does not prove checkpoint "
                                f"{checkpoint.size} consistent with checkpoint {size} the "
                                f"office's witness accepted ({refusal})")

        try:
            witness.see(note.to_text(), proof_from)
        except LogMisbehaved as failure:
            if failure.rule == "consistency" and failure.leaf is None:
                self._rewritten(checkpoint, failure.reason)
            raise

    def _rewritten(self, checkpoint: Checkpoint, reason: str) -> NoReturn:
        """Raise ``LogMisbehaved`` (rule ``consistency``), naming the first entry the log
        serves differently from the record hash the monitor kept for it, when one does."""
        leaf, kept, record = self._first_changed(min(checkpoint.size, self.replay.size))
        if leaf is None or kept is None:
            raise LogMisbehaved("consistency", f"{reason}: the log was rewritten")
        now = "no longer serves it" if record is None else \
            f"now serves record {record.hash_hex} ({record.chain}#{record.seq}) there"
        raise LogMisbehaved("consistency", f"{reason}: the log was rewritten; leaf {leaf} was "
                            f"record {kept} when verified, and the log {now}", leaf=leaf,
                            record=kept, chain=None if record is None else record.chain,
                            seq=None if record is None else record.seq)

    def _first_changed(self, size: int) -> tuple[int | None, str | None, Record | None]:
        """The first leaf below ``size`` whose entry is not the record verified there."""
        for bundle in bundles_between(0, size):
            try:
                entries = split_entries(self.client.get("/log/" + bundle.entries_path), bundle)
            except (Refused, LogMisbehaved):
                return bundle.first, self._kept_hash(bundle.first), None
            for offset, raw in enumerate(entries):
                leaf = bundle.first + offset
                if sha256(raw).hexdigest() != self._kept_hash(leaf):
                    try:
                        record: Record | None = Record.from_bytes(raw)
                    except VerificationError:
                        record = None
                    return leaf, self._kept_hash(leaf), record
        return None, None, None

    def _kept_hash(self, leaf: int) -> str | None:
        kept = self.replay.records[leaf * 32:(leaf + 1) * 32]
        return bytes(kept).hex() if len(kept) == 32 else None

    # -- steps 4 and 5 ------------------------------------------------------------------

    def _catch_up(self, checkpoint: Checkpoint, due: dict[int, Checkpoint]) -> None:
        """Steps 4 and 5 up to ``checkpoint``; the next bundles are fetched on another
        connection while this one is checked, so the network and the checks overlap."""
        replay, saved = self.replay, time.monotonic()
        bundles = bundles_between(replay.size, checkpoint.size)
        if not bundles:
            return
        fetcher = self.client.another()
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agritrace-monitor")
        try:
            ahead = deque(pool.submit(self._fetch, fetcher, bundle, checkpoint)
                          for bundle in bundles[:PREFETCH])
            for position, bundle in enumerate(bundles):
                entries, signatures, leaf_hashes = ahead.popleft().result()
                if position + PREFETCH < len(bundles):
                    ahead.append(pool.submit(self._fetch, fetcher, bundles[position + PREFETCH],
                                             checkpoint))
                self._check_bundle(bundle, entries, signatures, leaf_hashes, due)
                if self.progress is not None:
                    self.progress(replay.size, checkpoint.size)
                if time.monotonic() - saved > self.save_every:
                    self._save()
                    saved = time.monotonic()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            fetcher.close()

    def _check_bundle(self, bundle: Bundle, entries: list[bytes], signatures: list[bytes],
                      leaf_hashes: list[bytes], due: dict[int, Checkpoint]) -> None:
        replay = self.replay
        for offset in range(replay.size - bundle.first, bundle.width):
            if replay.check(entries[offset], signatures[offset]) != leaf_hashes[offset]:
                leaf = bundle.first + offset
                raise LogMisbehaved(
                    "served tiles", f"the entry's leaf hash is not the one in the log's "
                    f"hash tile {bundle.leaf_tile_path}: the entry or the tile was changed",
                    leaf=leaf, record=self._kept_hash(leaf))
            if replay.size in due:
                self._check_root(due.pop(replay.size))

    @staticmethod
    def _fetch(client: LogClient, bundle: Bundle, checkpoint: Checkpoint
               ) -> tuple[list[bytes], list[bytes], list[bytes]]:
        """The entries, signatures and leaf hashes of ``bundle``; a refusal is a failure,
        since ``checkpoint`` covers them."""
        parts = []
        for path in (bundle.entries_path, bundle.signatures_path, bundle.leaf_tile_path):
            try:
                parts.append(client.get("/log/" + path))
            except Refused as refusal:
                last = bundle.first + bundle.width - 1
                raise LogMisbehaved("served tiles", f"the log does not serve {path} (leaves "
                                    f"{bundle.first}-{last}), which its checkpoint "
                                    f"{checkpoint.size} covers: it answered {refusal}"
                                    ) from None
        return (split_entries(parts[0], bundle),
                split_fixed(parts[1], SIGNATURE_SIZE, bundle, bundle.signatures_path),
                split_fixed(parts[2], HASH_SIZE, bundle, bundle.leaf_tile_path))

    def _check_root(self, checkpoint: Checkpoint) -> None:
        root = self.replay.frontier.root()
        if root != checkpoint.root_hash:
            self._rewritten(checkpoint, f"the first {checkpoint.size} entries hash to root "
                            f"{_hex(root)}, but checkpoint {checkpoint.size} signs "
                            f"{_hex(checkpoint.root_hash)}")
        signed = heads_root(checkpoint)
        if signed is not None and signed != self.replay.heads.root():
            raise LogMisbehaved(
                "chain-head map", f"checkpoint {checkpoint.size} signs chain-head map root "
                f"{_hex(signed)}, but its entries give {_hex(self.replay.heads.root())}: the "
                "log committed to chain heads its entries do not have")

    # -- step 6 -------------------------------------------------------------------------

    def _save(self) -> None:
        self.replay.save_into(self.state)
        self.folder.save(self.state)

    def _cosign(self, note: Note, witness: SharedWitness) -> str:
        cosigned = witness.cosign(note)
        self.folder.write_checkpoint(cosigned.to_text())
        return cosigned.signatures[-1].to_line().rstrip("\n")


def _parsed(note: str | None) -> Checkpoint | None:
    return None if note is None else Checkpoint.from_text(Note.from_text(note).text)


def _hex(value: bytes) -> str:
    return value.hex()
