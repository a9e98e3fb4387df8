"""Captured EPCIS documents checked against the official EPCIS 2.0 JSON schema (the file
beside this module, unmodified; draft-07 as it declares, formats checked), compiled once per
process.

The validator is ``jsonschema-rs`` (a compiled validator): the pure-Python ``jsonschema``
took three quarters of a capture's time on documents with sensor readings (see
docs/benchmarks.md); the tests still check exported documents with ``jsonschema``, so two
independent validators read the same schema.

``schema_errors`` gives each violation as a JSON pointer into the document and a reason, at
most ``limit`` of them, so a client sees where its document breaks the standard
(``/epcisBody/eventList/3/action``) rather than one message.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs

__all__ = ["SchemaError", "pointer", "schema_errors"]

SchemaError = tuple[str, str]  # (JSON pointer, reason)


@cache
def _validator() -> Any:
    text = resources.files(__package__).joinpath("EPCIS-JSON-Schema.json").read_text("utf-8")
    return jsonschema_rs.validator_for(json.loads(text), validate_formats=True)


def pointer(path: Any) -> str:
    """A JSON pointer (RFC 6901) of a path of keys and indices."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def schema_errors(document: Any, limit: int = 20) -> list[SchemaError]:
    """The schema's objections to ``document``, as (pointer, reason), deepest first; empty
    if it is valid."""
    found = [(pointer(error.instance_path), str(error.message)[:300])
             for error in _validator().iter_errors(document)]
    found.sort(key=lambda item: -item[0].count("/"))
    return found[:limit]
