"""The recording endpoints' request bodies are made from the ledger's step definitions: the
same fields, the same required ones, the same nested shapes, and every documented example is
one the ledger takes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from api.schemas.steps import BODIES, STEP_BODIES, Body, StepIn, step_body
from ledger.domain.fields import Parser, choice, count, decimal, list_of, obj, text, timestamp
from ledger.domain.steps import COLLECT, parse_record_data, private


def _shape(model: type[BaseModel], spec: obj, omit: frozenset[str] = frozenset()) -> None:
    """``model`` takes exactly ``spec``'s fields (by their JSON names), requires exactly its
    required ones, and nests the same shapes."""
    fields = {info.alias or name: info for name, info in model.model_fields.items()
              if name != "time"}
    assert set(fields) == set(spec.fields) - omit, model.__name__
    required = {name for name, (_, needed) in spec.fields.items() if needed} - omit
    assert {name for name, info in fields.items() if info.is_required()} == required
    for name, info in fields.items():
        parser = spec.fields[name][0]
        inner = parser.item if isinstance(parser, list_of) else parser
        if isinstance(inner, obj):
            nested = _model_in(info.annotation)
            assert nested.__name__ == f"{inner.name}In"
            _shape(nested, inner)


def _model_in(annotation: Any) -> type[BaseModel]:
    """The model class inside ``X``, ``list[X]`` or ``list[X] | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        try:
            return _model_in(argument)
        except LookupError:
            continue
    raise LookupError(annotation)


@pytest.mark.parametrize("step", sorted(BODIES))
def test_each_body_has_exactly_its_steps_fields(step: str) -> None:
    body = BODIES[step]
    assert STEP_BODIES[step].__name__ == body.name
    _shape(STEP_BODIES[step], body.spec, body.omit)


@pytest.mark.parametrize("step", sorted(BODIES))
def test_each_documented_example_is_taken_by_the_body_and_by_the_ledger(step: str) -> None:
    model = STEP_BODIES[step]
    (example,) = model.model_json_schema()["examples"]
    data = model.model_validate(example).data()
    if step == "Collected":
        COLLECT({"into": "KC1", **data}, "data")
    else:
        parse_record_data(step, data, genesis=step == "Harvested")


THING = obj({"label": (text(5), True), "size": (choice({"s", "m"}), False)}, name="Thing")
SPEC = obj({
    "from": (text(10), True),
    "amount": (decimal(minimum=Decimal(-5), maximum=Decimal(5), places=1,
                       description="Degrees Celsius"), True),
    "units": (count(9), False),
    "things": (list_of(THING, minimum=1, maximum=2), False),
    "who": (private(text(3)), False),
    "at": (timestamp, False),
    "made_by_ledger": (text(5), False),
})
BODY = Body("ExampleIn", SPEC, "An example step.", {"from": "farm", "amount": "1.5"},
            omit=frozenset({"made_by_ledger"}))


def _refusal(model: type[StepIn], body: dict[str, Any]) -> tuple[Any, ...]:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(body)
    return tuple(refused.value.errors()[0]["loc"])


def test_a_body_is_made_from_any_step_definition() -> None:
    model = step_body(BODY)
    assert step_body(BODY) is model  # one model per body
    taken = model.model_validate({"from": "farm", "amount": "1.5", "units": 3,
                                  "things": [{"label": "box"}], "who": {"commitment": "a" * 64},
                                  "time": "2026-09-10T06:00:00+08:00"})
    assert taken.data() == {"from": "farm", "amount": "1.5", "units": 3,
                            "things": [{"label": "box"}], "who": {"commitment": "a" * 64}}
    assert _refusal(model, {"from": "f" * 11, "amount": "1"}) == ("from",)
    assert _refusal(model, {"from": "f", "amount": 1.5}) == ("amount",)
    assert _refusal(model, {"from": "f", "amount": "1", "units": 10}) == ("units",)
    assert _refusal(model, {"from": "f", "amount": "1", "things": []}) == ("things",)
    assert _refusal(model, {"from": "f", "amount": "1", "things": [{"label": "x", "size": "l"}]}
                    ) == ("things", 0, "size")
    assert _refusal(model, {"from": "f", "amount": "1", "made_by_ledger": "x"}
                    ) == ("made_by_ledger",)
    schema = model.model_json_schema()
    assert schema["description"] == "An example step."
    assert schema["examples"] == [{"from": "farm", "amount": "1.5"}]
    assert schema["required"] == ["from", "amount"]
    assert schema["properties"]["amount"]["description"] == (
        "Degrees Celsius: from -5 to 5, at most 1 decimal places.")
    assert schema["$defs"]["ThingIn"]["properties"]["size"]["anyOf"][0]["enum"] == ["m", "s"]


@pytest.mark.parametrize("parser", [
    obj({"inner": (obj({"x": (text(5), True)}), True)}),  # a nested shape needs a name
    obj({"odd": (lambda value, path: value, True)}),  # a parser the API has no type for
])
def test_a_definition_the_api_cannot_show_fails_at_once(parser: Parser) -> None:
    assert isinstance(parser, obj)
    with pytest.raises(TypeError):
        step_body(Body("OddIn", parser, "", {}))
