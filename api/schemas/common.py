"""What every part of the API shares: the error body, the documented error responses, and the
field types of identifiers, hashes, decimals and times (mirroring ``ledger.domain.fields``).

The ledger checks every value again and has the last word; these types document the shapes in
the OpenAPI description and refuse the obviously wrong early, with the field and the reason.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

__all__ = [
    "DECIMAL_PATTERN",
    "HASH_PATTERN",
    "LOT_PATTERN",
    "ORG_PATTERN",
    "ConflictPublic",
    "Decimal",
    "ErrorPublic",
    "Hash",
    "LotCode",
    "OrgId",
    "Text",
    "Timestamp",
    "errors",
]

LOT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$"  # GS1 AI 10
ORG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,39}$"
HASH_PATTERN = r"^[0-9a-f]{64}$"
DECIMAL_PATTERN = r"^-?[0-9]{1,13}(\.[0-9]{1,12})?$"

LotCode = Annotated[str, Field(pattern=LOT_PATTERN, examples=["KW26-XX-001"],
                               description="A lot code: 1-20 letters, digits, '.', '_' or '-' "
                                           "(GS1 AI 10).")]
OrgId = Annotated[str, Field(pattern=ORG_PATTERN, examples=["coop-xixiang"],
                             description="An organisation id: 2-40 lowercase letters, digits "
                                         "or '-'.")]
Hash = Annotated[str, Field(pattern=HASH_PATTERN, description="A SHA-256 hash, 64 hex digits.")]
Decimal = Annotated[str, Field(pattern=DECIMAL_PATTERN, examples=["12.5"],
                               description="A decimal number written as a string, never a "
                                           "float.")]
Timestamp = Annotated[str, Field(min_length=10, max_length=40,
                                 examples=["2026-09-10T06:00:00+08:00"],
                                 json_schema_extra={"format": "date-time"},
                                 description="ISO 8601 with a time zone.")]


def Text(max_length: int) -> Any:  # noqa: N802 - reads as a type: Annotated[str, Text(80)]
    return Field(min_length=1, max_length=max_length)


class ErrorPublic(BaseModel):
    """Every error: what went wrong, which field, and why, in one sentence."""

    error: str = Field(description="The kind of error, e.g. LotNotFound, NotCustodian.",
                       examples=["NotCustodian"])
    field: str | None = Field(description="The field at fault, as a dotted path into the "
                                          "request (purchases[0].lot), or null.",
                              examples=["org"])
    reason: str = Field(description="Why, for people.",
                        examples=["lot KG1 is held by coop-xixiang, not carrier-sf"])
    rule: str | None = Field(default=None, description="When a domain rule refuses the step: "
                             "its name (docs/records.md), e.g. pack-within-lot; absent "
                             "otherwise.", examples=["pack-within-lot"])
    records: list[str] | None = Field(default=None, description="With a rule: the hashes "
                                      "(hex) of the records the refusal rests on.")


class ConflictPublic(ErrorPublic):
    """A conflict on a lot's chain, with the chain's current head to build on and retry."""

    chain: str | None = Field(default=None, description="The chain another writer extended.",
                              examples=["lot/KG1"])
    head: str | None = Field(default=None, description="That chain's current head (hex).")


_DESCRIPTIONS = {
    400: ("Invalid URL: a path or query value is malformed.", ErrorPublic),
    401: ("No valid token: send Authorization: Bearer at_….", ErrorPublic),
    403: ("The token's organisation may not do this (not the custodian, not an inspector, "
          "not an admin).", ErrorPublic),
    404: ("No such lot, organisation, record or token.", ErrorPublic),
    409: ("Wrong state (the lot or one it was made from recalled or held; consumed, in "
          "transit), a domain rule the lot's records refuse (packing more than the lot holds; "
          "with rule and records), taken id, or a conflict on the lot's chain (with its "
          "current head: rebuild and retry).", ConflictPublic),
    413: ("The request body is over the size limit.", ErrorPublic),
    422: ("Invalid body: the field and the reason.", ErrorPublic),
    429: ("Too many requests from this address without a token, or too many key changes by "
          "the organisation in 24 hours; see Retry-After.", ErrorPublic),
    503: ("The store cannot be reached.", ErrorPublic),
}


def errors(*codes: int, plain: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the error statuses an operation can answer.

    Errors are JSON even where the operation answers something else (a page, a signed note,
    a tile): ``plain`` documents them as JSON by reference, since FastAPI files a ``model``
    under the operation's own media type."""
    if plain:
        return {code: {"description": _DESCRIPTIONS[code][0], "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{_DESCRIPTIONS[code][1].__name__}"}}}}
            for code in codes}
    return {code: {"model": _DESCRIPTIONS[code][1], "description": _DESCRIPTIONS[code][0]}
            for code in codes}
