"""Corrections: the one meaning of a ``Corrected`` record, for the ledger and the verifiers.

Nothing is ever edited. A ``Corrected`` record names an earlier record of its own chain
(``data.corrects``, 64 lowercase hex digits), why (``reason``) and new values for some of its
fields (``values``). The record it names may itself be a correction: ``corrects`` is followed
back, record by record, to the first that is not one, the *original* (``original_of``). The
*effective* data of an original is its data with the ``values`` of every correction resolving
to it merged in at the top level, in log order (``merged``): a later correction of a field
wins, and ``null`` withdraws the field.

The ledger (``ledger.domain.corrections``) applies corrections as records arrive and holds
them to the rules of the record they correct; ``verify.state`` applies them to the records of
a verified bundle. Both resolve and merge here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from verify.records import Record

__all__ = ["merged", "original_of"]

_HASH_HEX = re.compile(r"[0-9a-f]{64}")


def merged(data: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with ``values`` replacing its top-level fields; a ``None`` value removes one."""
    result = dict(data)
    for name, value in values.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = value
    return result


def original_of(corrects: Any, chain: str, seq: int, find: Callable[[str], Record | None],
                resolved: MutableMapping[str, Record | None] | None = None) -> Record | None:
    """The original that a correction at position ``seq`` of ``chain``, naming ``corrects``,
    corrects: ``corrects``' record, or, while that is a correction itself, the record it
    names in turn. ``None`` when a step leads nowhere: not a hash, no record ``find`` knows
    (``find`` takes lowercase hex), a record of another chain, or one not earlier in it.

    ``resolved``, when given, remembers what each correction on the way resolves to, so a
    long run of corrections of corrections is walked once.
    """
    walked: list[str] = []
    found: Record | None = None
    named, before = corrects, seq
    while True:
        if resolved is not None and isinstance(named, str) and named in resolved:
            found = resolved[named]
            break
        if type(named) is not str or not _HASH_HEX.fullmatch(named):
            break
        target = find(named)
        if target is None or target.chain != chain or target.seq >= before:
            break
        if target.type != "Corrected":
            found = target
            break
        walked.append(named)
        named, before = target.data.get("corrects"), target.seq
    if resolved is not None:
        for digest in walked:
            resolved[digest] = found
    return found
