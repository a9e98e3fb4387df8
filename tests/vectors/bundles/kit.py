"""Small tools the vector generator uses to copy and change a bundle."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from tests.vectors.bundles.scenario import Forger, Scenario, resign
from verify.checkpoints import Checkpoint
from verify.keys import key_id
from verify.notes import Note, Signature
from verify.records import signing_message

Bundle = dict[str, Any]
MALFORMED = (2, 0, "MalformedInput")


def bad(step: int, error: str) -> tuple[int, int, str]:
    """A vector that must fail ``step`` with ``error`` (exit 1)."""
    return (1, step, error)


@dataclass(frozen=True)
class Vector:
    name: str
    description: str
    expect: tuple[int, int | None, str | None]  # exit code, failing step, error class
    make: Callable[[Kit], Bundle | bytes]
    since: str | None = None
    witnesses: bool = True  # pin witness.vkey and require one cosignature
    version: int = 2  # the format a valid vector is in: 1 verifies with a warning
    stale_since: int | None = None  # a checkpoint signed (and cosigned) at this POSIX time


def dump(bundle: Bundle) -> bytes:
    """A bundle document, changed or not, written as ``verify.bundle.Bundle.to_json`` writes
    a valid one: compact UTF-8 JSON ending in a newline."""
    return json.dumps(bundle, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def flip(raw: bytes, at: int = 0) -> bytes:
    """``raw`` with the lowest bit of byte ``at`` flipped."""
    return raw[:at] + bytes([raw[at] ^ 1]) + raw[at + 1:]


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


class Kit:
    """The scenario's valid bundle, and ways to make changed copies of it."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.forger = Forger(scenario)

    def base(self) -> Bundle:
        return copy.deepcopy(self.scenario.base)

    def text(self) -> bytes:
        return self.scenario.bundle.to_json()

    @staticmethod
    def find(bundle: Bundle, chain: str, seq: int) -> int:
        """Position in ``bundle["records"]`` of record ``chain#seq``."""
        for i, entry in enumerate(bundle["records"]):
            value = json.loads(unb64(entry["record"]))
            if value["chain"] == chain and value["seq"] == seq:
                return i
        raise LookupError(f"{chain}#{seq} is not in the bundle")

    def entry(self, chain: str, seq: int) -> dict[str, Any]:
        bundle = self.scenario.base
        return bundle["records"][self.find(bundle, chain, seq)]  # type: ignore[no-any-return]

    def raw(self, chain: str, seq: int) -> bytes:
        return unb64(self.entry(chain, seq)["record"])

    def changed(self, change: Callable[[Bundle], None]) -> Bundle:
        bundle = self.base()
        change(bundle)
        return bundle

    def without(self, *records: tuple[str, int]) -> Bundle:
        bundle = self.base()
        for chain, seq in records:
            del bundle["records"][self.find(bundle, chain, seq)]
        return bundle

    def checkpoint(self) -> Checkpoint:
        return Checkpoint.from_text(Note.from_text(self.scenario.base["checkpoint"]).text)

    @staticmethod
    def head(bundle: Bundle, chain: str) -> dict[str, Any]:
        """The ``heads`` entry of ``chain`` in ``bundle``."""
        return next(h for h in bundle["heads"] if h["chain"] == chain)  # type: ignore[no-any-return]

    def seqs(self, chain: str) -> list[int]:
        """The seqs of ``chain`` in the base bundle, in order."""
        return sorted(json.loads(unb64(e["record"]))["seq"] for e in self.scenario.base["records"]
                      if json.loads(unb64(e["record"]))["chain"] == chain)

    def cut(self, chain: str, last: int, *, claim: str = "last") -> Bundle:
        """``chain`` cut short after its record ``last``: the records after it left out, and
        its heads entry claiming ``last`` is the head (``claim="last"``, the proof of the
        real head kept) or still naming the real head (``claim="head"``)."""
        bundle = self.base()
        for seq in self.seqs(chain):
            if seq > last:
                del bundle["records"][self.find(bundle, chain, seq)]
        if claim == "last":
            self.head(bundle, chain)["seq"] = last
        return bundle

    def with_note(self, change: Callable[[Note], Note]) -> Bundle:
        bundle = self.base()
        bundle["checkpoint"] = change(Note.from_text(bundle["checkpoint"])).to_text()
        return bundle

    # -- a dishonest log: the forger rebuilds the tree and signs it ------------------------

    def forged(self, replace: dict[bytes, tuple[bytes, bytes]] | None = None,
               append: Sequence[tuple[bytes, bytes]] = (), **signing: Any) -> Bundle:
        """The base bundle's records against a log where ``replace`` maps old record bytes
        to new (bytes, signature) and ``append`` adds records at the end."""
        replace = replace or {}
        log = [replace.get(raw, (raw, b""))[0] for raw, _ in self.scenario.leaves]
        log += [raw for raw, _ in append]
        entries = [(unb64(e["record"]), unb64(e["signature"]))
                   for e in self.scenario.base["records"]]
        entries = [replace.get(raw, (raw, signature)) for raw, signature in entries]
        return self.forger.bundle(log, [*entries, *append], **signing)

    def resigned(self, chain: str, seq: int, change: Callable[[dict[str, Any]], None]) -> Bundle:
        """``chain#seq`` changed, re-signed by its own key, and integrated by the forger."""
        raw = self.raw(chain, seq)
        return self.forged({raw: resign(raw, change, self.scenario.key_of(raw))})

    def not_canonical(self, chain: str, seq: int) -> Bundle:
        """``chain#seq`` with a space after its first brace, signed, and integrated."""
        raw = self.raw(chain, seq)
        spaced = raw.replace(b"{", b"{ ", 1)
        key = self.scenario.key_of(raw)
        return self.forged({raw: (spaced, key.sign(signing_message(sha256(spaced).digest())))})

    def signed_by_revoked_key(self, chain: str) -> Bundle:
        """A new last record of ``chain`` signed by the inspector's revoked key."""
        bundle = self.scenario.base
        last = max((json.loads(unb64(e["record"])) for e in bundle["records"]
                    if json.loads(unb64(e["record"]))["chain"] == chain),
                   key=lambda value: value["seq"])
        previous = self.raw(chain, last["seq"])
        revoked = self.scenario.revoked_key
        raw, signature = resign(previous, lambda value: value.update(
            seq=last["seq"] + 1, prev=sha256(previous).hexdigest(), links=[],
            key=key_id(revoked.public_key), time="2026-09-18T01:00:00Z",
            recorded="2026-09-18T01:00:00.000Z"), revoked)
        return self.forged(append=[(raw, signature)])


def replace_signature(note: Note, name: str, change: Callable[[bytes], bytes]) -> Note:
    """``note`` with the signature by ``name`` changed."""
    signatures = tuple(Signature(s.name, s.key_id, change(s.signature)) if s.name == name else s
                       for s in note.signatures)
    return Note(note.text, signatures)
