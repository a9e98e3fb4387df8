"""Schemathesis over the app's own OpenAPI document, shared by the fuzz tests.

Hypothesis is derandomized and bounded per operation, so a run is repeatable and short.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    import schemathesis
    from schemathesis import Case
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )
    from schemathesis.core.result import Ok

__all__ = ["fuzz_operations"]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def fuzz_operations(app: Any, *, examples: int, callers: Sequence[dict[str, str]],
                    select: Callable[[str], bool] = lambda _: True) -> tuple[int, list[str]]:
    """Call every selected operation of the ASGI ``app`` with generated requests, once per
    caller's headers.

    Returns how many operations were fuzzed and one failure line per failing operation:
    any 500, or any answer whose status, content type or schema the document does not give.
    Raises ``AssertionError`` if an operation's description itself is invalid."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results), "an operation's OpenAPI description is invalid"
    chosen = [operation for operation in operations if select(operation.path)]
    failures: list[str] = []
    for operation in chosen:
        @given(case=operation.as_strategy())
        @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.generate])
        def call(case: Case[Any]) -> None:
            for headers in callers:
                case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            call()
        except Exception as error:  # collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    return len(chosen), failures
