"""JSON as people send it (``ledger.recording.json_input``): I-JSON within limits, each refusal
naming
the field as a path into the document."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ledger.errors import InvalidInput
from ledger.recording.json_input import MAX_DEPTH, parse_json


def _nested(depth: int, inner: str = "1") -> str:
    return '{"a": ' * depth + inner + "}" * depth


@pytest.mark.parametrize(("text", "field", "reason"), [
    ('{"quantity": "1", "quantity": "100"}', "quantity", "more than once"),
    ('{"product": {"name": "a", "name": "b"}}', "product.name", "more than once"),
    ('{"purchases": [{}, {"lot": "A", "lot": "B"}]}', "purchases[1].lot", "more than once"),
    ('[{"x": 1, "x": 1}]', "[0].x", "more than once"),
    ('{"household": "\\ud800"}', "household", "lone surrogate (U+D800)"),
    ('{"a": ["ok", "\\udc00x"]}', "a[1]", "lone surrogate (U+DC00)"),
    ('{"\\ud800": 1}', "\\ud800", "lone surrogate"),
    ('{"\\ud800": 1, "\\ud800": 2}', "\\ud800", "more than once"),
    ('"\\ud83d"', None, "lone surrogate (U+D83D)"),
    (_nested(MAX_DEPTH + 1), "a", f"more than {MAX_DEPTH} levels"),
    ('{"values": {"a": ' + "[" * 700 + "1" + "]" * 700 + "}}", "values", "levels deep"),
    (_nested(100_000), None, f"more than {MAX_DEPTH} levels"),
    ('{"q": ' + "9" * 5000 + "}", None, "more than 4,300 digits"),
    ('{"q": NaN}', None, "NaN, which is not a JSON number"),
    ('{"q": -Infinity}', None, "-Infinity"),
])
def test_what_json_would_take_but_a_ledger_must_not(text: str, field: str | None,
                                                    reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_json(text)
    assert refused.value.field == field
    assert reason in refused.value.reason
    json.dumps(refused.value.field).encode("utf-8")  # the answer itself can be sent


@pytest.mark.parametrize("text", [
    _nested(MAX_DEPTH), '{"name": "张三 \\ud83e\\udd5d", "a": [1, 2.5, null, true]}',
    '{"a": {"x": 1}, "b": {"x": 1}}', '[]', '"x"', "12",
])
def test_plain_json_reads_as_json_does(text: str) -> None:
    expected: Any = json.loads(text)
    assert parse_json(text) == expected


def test_a_syntax_error_stays_a_json_error_with_its_place() -> None:
    with pytest.raises(json.JSONDecodeError) as broken:
        parse_json('{\n  "a": 1,\n}')
    assert broken.value.lineno == 3
