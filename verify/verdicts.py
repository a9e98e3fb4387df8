"""Platform verdicts: the signed note, the document a platform keeps, and its offline check.

A **verdict note** is a C2SP signed note (``verify.notes``) by the service's verdict key;
its text is two lines::

    agritrace/verdict/v1
    {RFC 8785 canonical JSON: VERDICT_FIELDS}

A **verdict document** (what ``agritrace-verify verdict FILE`` reads) is a JSON object
``{"format": "agritrace-verdict", "version": 1, "verdict": <signed verdict note>,
"checkpoint": <the signed checkpoint it names>}`` with, optionally, ``"bundle"`` (the lot's
proof bundle as the exact text whose SHA-256 the note names) and ``"key"`` (the proof that the
verdict key is registered in the log, ``verify.keyproof``).

``verify_verdict(document, verdict_keys, log_keys)``, in numbered steps:

1. the verdict note is signed by a pinned verdict key, and its text is a verdict;
2. the checkpoint is signed by a pinned log key and is the one the verdict names (origin,
   size, root hash), and the verdict was issued no earlier than the checkpoint was signed;
3. with ``bundle``: its SHA-256 is the note's ``bundle_sha256``, it is the lot the note
   names, it verifies against the log keys (``verify.verification``) at that very checkpoint,
   and ``verify.judging.judge`` over the note's claims and the state derived from it gives
   exactly the note's findings; without one, nothing of the lot is recomputed (a warning);
4. with ``key``: the verdict key is an active key of an organisation whose chain is proven
   whole in the checkpoint (``verify.keyproof``); without one, a warning.

Every failure is a ``VerificationError`` whose ``step`` is the step's number; anything
unreadable is ``MalformedInput`` (exit 2).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from verify.bundle import MAX_BUNDLE_BYTES, Bundle
from verify.canonical import canonical_bytes, parse_canonical
from verify.checkpoints import Checkpoint, signed_time
from verify.errors import MalformedInput, NoteInvalid, VerificationError
from verify.freshness import parse_utc
from verify.judging import VERDICTS, Claims, judge
from verify.keyproof import KeyProof, verify_key_proof
from verify.notes import Note, Verifier, verified_signers
from verify.policy import parse_checkpoint, verify_log_signature
from verify.records import Record
from verify.state import _Records
from verify.verification import verify_bundle

__all__ = ["FORMAT", "HEADER", "VERDICT_FIELDS", "VerdictDocument", "VerdictResult",
           "packed_serials", "verdict_text", "verify_verdict"]

FORMAT = "agritrace-verdict"
VERSION = 1
HEADER = "agritrace/verdict/v1"
FINDINGS = ("verdict", "unknown", "status", "best_before", "mismatches")
VERDICT_FIELDS = frozenset({"listing_id", "claims", *FINDINGS, "lot", "checkpoint",
                            "bundle_sha256", "issued", "verdict_key_org"})
_DOCUMENT_FIELDS = frozenset({"format", "version", "verdict", "checkpoint"})
_OPTIONAL = frozenset({"bundle", "key"})
NO_BUNDLE = "the lot's state was not recomputed: the document carries no bundle"
NO_KEY = "the verdict key's record in the log was not checked: the document carries no key"


def verdict_text(body: Mapping[str, Any]) -> str:
    """The note text of a verdict: the header line and the canonical JSON line."""
    return f"{HEADER}\n{canonical_bytes(dict(body)).decode('utf-8')}\n"


def packed_serials(records: Sequence[Record], lot: str) -> list[tuple[int, int]]:
    """The serial ranges the lot's ``Packed`` records assigned, after corrections, from
    verified records in log order."""
    found = _Records(records)
    ranges = []
    for record in found.chains.get(f"lot/{lot}", ()):
        if record.type != "Packed":
            continue
        data = found.effective(record)
        first, last = data.get("serial_first"), data.get("serial_last")
        if type(first) is int and type(last) is int:
            ranges.append((first, last))
    return ranges


@dataclass(frozen=True)
class VerdictDocument:
    """A verdict document, parsed and shape-checked (nothing verified)."""

    note: Note
    body: dict[str, Any]
    checkpoint_note: Note
    checkpoint: Checkpoint
    bundle_text: bytes | None
    key: KeyProof | None

    @classmethod
    def from_json(cls, raw: bytes | str) -> VerdictDocument:
        """Parse a document; raises ``MalformedInput`` naming the bad part."""
        if len(raw) > MAX_BUNDLE_BYTES + 1024 * 1024:
            raise MalformedInput("the verdict document is too large")
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError) as error:
            raise MalformedInput(f"the verdict document is not UTF-8 JSON: {error}") from error
        if type(value) is not dict or value.get("format") != FORMAT or \
                value.get("version") != VERSION:
            raise MalformedInput(f"not an {FORMAT} document of version {VERSION}")
        missing = sorted(_DOCUMENT_FIELDS - set(value))
        extra = sorted(set(value) - _DOCUMENT_FIELDS - _OPTIONAL)
        if missing or extra:
            raise MalformedInput(f"document fields wrong: missing {missing}, unexpected {extra}")
        note, body = _verdict_note(value["verdict"])
        checkpoint_note, checkpoint = parse_checkpoint(value["checkpoint"])
        bundle = value.get("bundle")
        if bundle is not None and type(bundle) is not str:
            raise MalformedInput("bundle must be the bundle's JSON text, as a string")
        key = value.get("key")
        return cls(note, body, checkpoint_note, checkpoint,
                   None if bundle is None else bundle.encode("utf-8"),
                   None if key is None else KeyProof.from_json(key))


def _verdict_note(text: Any) -> tuple[Note, dict[str, Any]]:
    if type(text) is not str or len(text) > 4 * 1024 * 1024:
        raise MalformedInput("verdict must be a signed note")
    try:
        note = Note.from_text(text)
    except NoteInvalid as error:
        raise MalformedInput(f"verdict is unreadable: {error.reason}") from error
    header, _, rest = note.text.partition("\n")
    if header != HEADER or rest.count("\n") != 1:
        raise MalformedInput(f"verdict note must be the line {HEADER} and one JSON line")
    body = parse_canonical(rest[:-1].encode("utf-8"))
    if type(body) is not dict or set(body) != VERDICT_FIELDS:
        raise MalformedInput(f"verdict JSON must hold exactly {sorted(VERDICT_FIELDS)}")
    _check_body(body)
    return note, body


def _check_body(body: dict[str, Any]) -> None:
    claims, checkpoint = body["claims"], body["checkpoint"]
    if type(claims) is not dict or set(claims) != set(Claims().to_json()):
        raise MalformedInput("verdict claims are not a claims object")
    if type(claims["origin"]) is not dict or type(claims["certificates"]) is not list:
        raise MalformedInput("verdict claims: origin must be an object, certificates a list")
    if body["verdict"] not in VERDICTS or type(body["mismatches"]) is not list:
        raise MalformedInput(f"verdict must be one of {', '.join(VERDICTS)}")
    if type(checkpoint) is not dict or set(checkpoint) != {"origin", "size", "root_hash"}:
        raise MalformedInput("verdict checkpoint must be {origin, size, root_hash}")
    if parse_utc(body["issued"]) is None:
        raise MalformedInput("verdict issued must be a UTC time")


@dataclass(frozen=True)
class VerdictResult:
    """What a verified verdict document established."""

    body: dict[str, Any]
    recomputed: bool
    key_in_log: bool
    warnings: tuple[str, ...]
    state: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return {"valid": True, **self.body, "recomputed": self.recomputed,
                "key_in_log": self.key_in_log, "warnings": list(self.warnings),
                "state": self.state}


def verify_verdict(document: VerdictDocument, verdict_keys: Sequence[Verifier],
                   log_keys: Sequence[Verifier]) -> VerdictResult:
    """Check ``document`` in steps 1-4 (module docstring); raises ``VerificationError``."""
    body = document.body
    _at(1, lambda: _signed(document.note, verdict_keys))
    _at(2, lambda: _checkpoint(document, log_keys))
    warnings = []
    state = None
    if document.bundle_text is None:
        warnings.append(NO_BUNDLE)
    else:
        state = _at(3, lambda: _recomputed(document, log_keys))
    if document.key is None:
        warnings.append(NO_KEY)
    else:
        key = document.key
        _at(4, lambda: verify_key_proof(key, verdict_keys, document.checkpoint,
                                        body["verdict_key_org"]))
    return VerdictResult(body, document.bundle_text is not None, document.key is not None,
                         tuple(warnings), state)


def _at(step: int, check: Any) -> Any:
    try:
        return check()
    except VerificationError as error:
        raise type(error)(error.reason, record=error.record, step=str(step)) from error


def _signed(note: Note, verdict_keys: Sequence[Verifier]) -> None:
    if not verdict_keys:
        raise MalformedInput("pin the service's verdict key (--verdict-key)")
    if not verified_signers(note, verdict_keys):
        raise NoteInvalid("the verdict carries no signature by the pinned verdict key")


def _checkpoint(document: VerdictDocument, log_keys: Sequence[Verifier]) -> None:
    checkpoint, named = document.checkpoint, document.body["checkpoint"]
    verify_log_signature(document.checkpoint_note, checkpoint, log_keys)
    given = {"origin": checkpoint.origin, "size": checkpoint.size,
             "root_hash": checkpoint.root_hash.hex()}
    if named != given:
        raise NoteInvalid(f"the verdict names checkpoint {named}, the document carries {given}")
    signed = signed_time(checkpoint)
    issued = parse_utc(document.body["issued"])
    if signed is not None and issued is not None and issued < signed:
        raise NoteInvalid("the verdict was issued before the checkpoint it names was signed")


def _recomputed(document: VerdictDocument, log_keys: Sequence[Verifier]) -> dict[str, Any]:
    body, raw = document.body, document.bundle_text or b""
    digest = hashlib.sha256(raw).hexdigest()
    if digest != body["bundle_sha256"]:
        raise NoteInvalid(f"the bundle's SHA-256 is {digest}, the verdict names "
                          f"{body['bundle_sha256']}")
    bundle = Bundle.from_json(raw)
    if bundle.lot != body["lot"]:
        raise NoteInvalid(f"the bundle is of lot {bundle.lot}, the verdict of {body['lot']}")
    if bundle.note.text != document.checkpoint_note.text:
        raise NoteInvalid("the bundle is cut at another checkpoint than the verdict names")
    result = verify_bundle(bundle, log_keys)
    records = [Record.from_bytes(item.raw) for item in sorted(bundle.records,
                                                               key=lambda r: r.index)]
    issued = parse_utc(body["issued"]) or 0
    findings = judge(Claims.from_json(body["claims"]), result.state,
                     packed_serials(records, bundle.lot), issued)
    for name in FINDINGS:
        if findings[name] != body[name]:
            said, found = (json.dumps(value, ensure_ascii=False)
                           for value in (body[name], findings[name]))
            raise NoteInvalid(f"the verdict says {name} {said}, the records say {found}")
    return result.state or {}
