"""Freshness: when a bundle's checkpoint was signed, and how old that makes what it proves.

A bundle proves what the log held at its checkpoint, no later. Two signed statements say
when that was:

- the log's own line ``agritrace/time <decimal POSIX seconds>`` among the checkpoint's
  extension lines (https://c2sp.org/tlog-checkpoint), signed with the checkpoint:
  ``verify.checkpoints.signed_time``;
- the timestamp of each cosignature by a pinned witness (https://c2sp.org/tlog-cosignature),
  which says when that witness saw the checkpoint: ``witness_times``.

``AsOf`` gathers them with the checkpoint's origin and size and whether the bundle proved
its chains complete; it is the ``as_of`` of the derived lot state (``verify.state``). The
age of a checkpoint is now minus the latest of those times (``AsOf.latest``); with no time
at all, it is unknown. ``agritrace-verify --max-age`` (``parse_age``, ``stale_reason``)
fails on an older checkpoint and on one of unknown age. Nothing here reads a clock: the
caller gives ``now``.

Times are whole POSIX seconds written in RFC 3339 UTC as ``2026-11-30T14:05:00Z``
(``format_utc``); a time after 9999-12-31T23:59:59Z cannot be written so: an
``agritrace/time`` line beyond it is malformed, and a witness timestamp beyond it is left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from verify.checkpoints import MAX_TIME, TIME_LINE
from verify.cosignatures import cosignature_timestamp
from verify.errors import MalformedInput, NoteInvalid, VerificationError
from verify.notes import COSIGNATURE_V1, Note, Verifier

__all__ = [
    "MAX_TIME",
    "TIME_LINE",
    "AsOf",
    "CheckpointStale",
    "describe_age",
    "format_utc",
    "parse_age",
    "parse_utc",
    "stale_reason",
    "witness_times",
]

_AGE_UNITS = ((86400, "天", "d"), (3600, "小时", "h"), (60, "分钟", "min"), (1, "秒", "s"))
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_AGE = re.compile(r"([0-9]{1,12})([smhd]?)")
_UTC = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d{1,6})?Z")


class CheckpointStale(VerificationError):
    """The checkpoint is older than the verifier accepts, or its age is unknown."""


@dataclass(frozen=True)
class AsOf:
    """The checkpoint a derived state holds as of: origin, tree size, the log's signed time
    (``None`` without an ``agritrace/time`` line), the pinned witnesses' cosignature times,
    and whether the bundle proved every chain it carries complete."""

    origin: str
    size: int
    time: int | None = None
    witness_times: tuple[int, ...] = ()
    complete: bool = False

    @property
    def latest(self) -> int | None:
        """The latest of the checkpoint's time and its witnesses' times, if any is known."""
        times = [*self.witness_times, *([] if self.time is None else [self.time])]
        return max(times) if times else None

    def to_json(self) -> dict[str, Any]:
        return {"origin": self.origin, "size": self.size,
                "time": None if self.time is None else format_utc(self.time),
                "witness_times": [format_utc(t) for t in sorted(self.witness_times)],
                "complete": self.complete}


def witness_times(note: Note, witnesses: Iterable[Verifier]) -> tuple[int, ...]:
    """The timestamps of the cosignatures on ``note`` by ``witnesses``, earliest first.

    Give only witnesses whose cosignatures verified (``verify.policy.verify_witnesses``):
    this reads the timestamps, it does not check the signatures.
    """
    keys = {(key.name, key.key_id) for key in witnesses if key.sig_type == COSIGNATURE_V1}
    times = []
    for signature in note.signatures:
        if (signature.name, signature.key_id) in keys:
            try:
                moment = cosignature_timestamp(signature)
            except NoteInvalid:
                continue
            if moment <= MAX_TIME:
                times.append(moment)
    return tuple(sorted(times))


def format_utc(seconds: int) -> str:
    """``2026-11-30T14:05:00Z``: RFC 3339 UTC to the second."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: Any) -> int | None:
    """The whole POSIX seconds of a record time ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` (the
    fraction dropped), or ``None`` when ``text`` is not one or names no real moment."""
    match = _UTC.fullmatch(text) if type(text) is str else None
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        return None
    return int(moment.timestamp())


def parse_age(text: str) -> int:
    """Seconds in a duration: digits and a unit ``s``, ``m``, ``h`` or ``d`` (``90m``,
    ``1h``, ``2d``); digits alone are seconds. Raises ``MalformedInput``."""
    match = _AGE.fullmatch(text)
    if match is None:
        raise MalformedInput(f"--max-age 时长格式不对 is not a duration: {text[:40]!r}; use a "
                             "number with s, m, h or d (e.g. 90m, 1h, 2d), or seconds alone")
    return int(match.group(1)) * _UNITS[match.group(2)]


def stale_reason(as_of: AsOf, now: int, max_age: int) -> str | None:
    """Why the checkpoint is too old for ``max_age`` seconds at ``now``, or ``None`` when it
    is fresh enough. A checkpoint whose time is unknown is never fresh enough."""
    latest = as_of.latest
    if latest is None:
        return ("检查点没有时间，无法判断新鲜度 the checkpoint's age is unknown: it has no "
                f"{TIME_LINE} line and no pinned witness cosigned it")
    age = now - latest
    if age <= max_age:
        return None
    chinese, english = describe_age(age)
    return (f"检查点签于 {format_utc(latest)}，{chinese}，超过 --max-age {max_age} 秒 the "
            f"checkpoint was signed {format_utc(latest)}, {english}, more than --max-age "
            f"({max_age} s)")


def describe_age(seconds: int) -> tuple[str, str]:
    """An age in words, in its largest whole unit: ``("3 小时前", "3 h ago")``."""
    if seconds < 0:
        return "晚于本机时钟", "ahead of this computer's clock"
    size, chinese, english = next(u for u in _AGE_UNITS if seconds >= u[0] or u[0] == 1)
    return f"{seconds // size} {chinese}前", f"{seconds // size} {english} ago"
