"""JSON as people send it: request bodies, ``--data`` and batch files.

Python's ``json`` takes more than JSON should carry into a ledger. ``parse_json`` reads only
I-JSON (RFC 7493), within limits:

- no name twice in one object (RFC 7493 §2.3): ``json`` would keep the last silently, so
  what a client signed or meant and what the ledger records could differ;
- no lone surrogate (``"\\ud800"``) in any string (RFC 7493 §2.1): it is not text, and
  cannot be stored or hashed as UTF-8;
- no ``NaN`` or ``Infinity``, which are not JSON at all;
- at most ``MAX_DEPTH`` nested objects and lists, and no number of more than 4,300 digits
  (Python's own limit), each refused with a message that says so.

Each refusal is an ``InvalidInput`` naming the field as a path into the document
(``purchases[0].household``), or no field when the place cannot be named. Syntax errors stay
``json.JSONDecodeError``, with their line and column, for the caller to report its way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from ledger.domain.fields import unicode_text
from ledger.errors import InvalidInput

__all__ = ["MAX_DEPTH", "parse_json"]

MAX_DEPTH = 32  # objects and lists inside one another; a record's data needs fewer than 8
# A surrogate, raw (from text decoded with surrogateescape) or escaped: only then can a
# string hold a lone one, so only then are strings checked one by one.
_SURROGATE = re.compile("[\ud800-\udfff]|\\\\u[dD][89a-fA-F]")


_FIRST_NAME = re.compile(r"(?:\[\d+\])*\.?[^.\[]*")


class _Duplicated(dict[str, Any]):
    """An object in which ``name`` appeared more than once (found when the tree is walked,
    where its path is known)."""

    def __init__(self, pairs: list[tuple[str, Any]], name: str) -> None:
        super().__init__(pairs)
        self.name = name


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    seen: set[str] = set()
    for name, _ in pairs:
        if name in seen:
            return _Duplicated(pairs, name)
        seen.add(name)
    raise AssertionError("unreachable: fewer names than pairs means a repeated name")


def _constant(name: str) -> Any:
    raise InvalidInput(f"the JSON holds {name}, which is not a JSON number; write numbers as "
                       "decimal strings")


def parse_json(text: str, *, parse_float: Callable[[str], Any] | None = None) -> Any:
    """The JSON value of ``text``; raises ``InvalidInput`` for what I-JSON refuses (see the
    module docstring) and ``json.JSONDecodeError`` for a syntax error."""
    try:
        value = json.loads(text, object_pairs_hook=_object, parse_constant=_constant,
                           parse_float=parse_float)
    except RecursionError as error:
        raise InvalidInput(f"the JSON nests objects and lists more than {MAX_DEPTH} levels "
                           "deep") from error
    except json.JSONDecodeError:
        raise
    except ValueError as error:  # int() refuses over 4,300 digits (CVE-2020-10735)
        raise InvalidInput("the JSON holds a number of more than 4,300 digits; no field "
                           "takes one that long") from error
    _check_tree(value, strings=_SURROGATE.search(text) is not None)
    return value


def _check_tree(value: Any, *, strings: bool) -> None:
    """Walk the parsed value: nesting depth, repeated names, and (when ``strings``: the text
    holds a surrogate) lone surrogates, each named by its path."""
    stack: list[tuple[Any, str, int]] = []
    _push(stack, value, "", 0, strings)
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            unicode_text(item, path)
            continue
        if depth >= MAX_DEPTH:
            raise InvalidInput(f"is nested more than {MAX_DEPTH} levels deep", field=_top(path))
        if isinstance(item, _Duplicated):
            raise InvalidInput("appears more than once in the same object",
                               field=_member(path, _escaped(item.name)))
        if isinstance(item, dict):
            for name, member in item.items():
                inner = _member(path, _escaped(name) if strings else name)
                if strings:
                    unicode_text(name, inner)
                _push(stack, member, inner, depth + 1, strings)
        else:
            for i, member in enumerate(item):
                _push(stack, member, f"{path}[{i}]", depth + 1, strings)


def _push(stack: list[tuple[Any, str, int]], item: Any, path: str, depth: int,
          strings: bool) -> None:
    """Only what can hold a problem is walked: containers, and strings when ``strings``."""
    if isinstance(item, dict | list) or (strings and isinstance(item, str)):
        stack.append((item, path, depth))


def _member(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _escaped(name: str) -> str:
    """A name as a path may show it: a lone surrogate as its ``\\udXXX`` escape."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def _top(path: str) -> str | None:
    """The first named member a path goes through: ``values.a[0][0]`` → ``values``,
    ``[3].data.q[0]`` → ``[3].data``."""
    found = _FIRST_NAME.match(path)
    return found.group() if found and found.group() else None
