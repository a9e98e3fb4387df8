"""Captured EPCIS documents checked against the official EPCIS 2.0 JSON schema (the file
beside this module, unmodified; draft-07 as it declares), compiled once per process.

``schema_errors`` gives each violation as a JSON pointer into the document and a reason,
deepest first within an event, at most ``limit`` of them, so a client sees where its
document breaks the standard (``/epcisBody/eventList/3/bizStep``) rather than one message.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema

__all__ = ["SchemaError", "schema_errors"]

SchemaError = tuple[str, str]  # (JSON pointer, reason)


@cache
def _validator() -> Any:
    text = resources.files(__package__).joinpath("EPCIS-JSON-Schema.json").read_text("utf-8")
    schema = json.loads(text)
    kind = jsonschema.validators.validator_for(schema)
    kind.check_schema(schema)
    return kind(schema, format_checker=kind.FORMAT_CHECKER)


def pointer(path: Any) -> str:
    """A JSON pointer (RFC 6901) of a path of keys and indices."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def schema_errors(document: Any, limit: int = 20) -> list[SchemaError]:
    """The schema's objections to ``document``, as (pointer, reason); empty if it is valid."""
    found: list[SchemaError] = []
    for error in _validator().iter_errors(document):
        deepest = error
        while deepest.context:  # an if/then or anyOf: name the innermost failure
            deepest = max(deepest.context, key=lambda e: len(e.absolute_path))
        found.append((pointer(deepest.absolute_path), deepest.message[:300]))
        if len(found) >= limit:
            break
    return found
