"""Platform listings as sellers claim them: read from JSON or CSV, checked row by row.

A request holds one listing or up to ``MAX_LISTINGS``: JSON ``{"listings": [...]}`` or a
single listing object, or CSV (UTF-8, or GB18030 as spreadsheets in China save it) with a
header row naming the columns. The fields (docs/platform.md):

=================  ==========================================================================
listing_id         the platform's own id of the listing (required, at most 100 characters)
gtin               GTIN-8/12/13/14 with a valid check digit, normalised to 14 digits
lot                the lot code (GS1 AI 10); or, with ``gtin``, ``serial`` alone
serial             a serial number printed on the unit (GS1 AI 21); needs ``gtin``
product            the product name or listing title
province, county,  the origin claimed (JSON may give them as ``origin: {...}``)
village
grade              the grade claimed (一级, Grade 1, ...)
net_weight         a decimal, with ``net_weight_unit`` kg, g or jin (千克, 公斤, 克, 斤), or
                   both in one (``5 kg``, ``2.5千克``)
certificates       schemes claimed, a JSON list or a text separated by ``;`` ``|`` ``、`` or
                   ``，``: organic 有机, green food 绿色食品, geographical indication 地理标志,
                   承诺达标合格证 compliance certificate, GAP 良好农业规范
=================  ==========================================================================

A row that breaks a rule gives ``RowError`` entries (the row, 1 for the first listing, the
field and why) instead of a listing; the other rows are still judged. More than
``MAX_LISTINGS`` rows is ``ContentTooLarge`` (413); a body that is no listing at all, or a
CSV header naming an unknown column, is ``InvalidInput`` (422).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ledger.domain.fields import gtin as parse_gtin
from ledger.domain.fields import lot_code, text
from ledger.errors import ContentTooLarge, InvalidInput, LedgerError
from verify.judging import ORIGIN_PARTS, Claims, normal

__all__ = ["FIELDS", "MAX_LISTINGS", "Listing", "RowError", "listings_from_csv",
           "listings_from_json"]

MAX_LISTINGS = 10_000
FIELDS = ("listing_id", "gtin", "lot", "serial", "product", *ORIGIN_PARTS, "grade",
          "net_weight", "net_weight_unit", "certificates")
_UNITS = {"kg": "kg", "千克": "kg", "公斤": "kg", "g": "g", "克": "g", "jin": "jin", "斤": "jin"}
_CERTIFICATES = {
    "organic": "organic", "有机": "organic", "有机产品": "organic", "有机食品": "organic",
    "green-food": "green-food", "green food": "green-food", "绿色食品": "green-food",
    "geographical-indication": "geographical-indication",
    "geographical indication": "geographical-indication", "gi": "geographical-indication",
    "地理标志": "geographical-indication", "农产品地理标志": "geographical-indication",
    "地理标志产品": "geographical-indication",
    "compliance-certificate": "compliance-certificate",
    "compliance certificate": "compliance-certificate",
    "承诺达标合格证": "compliance-certificate", "合格证": "compliance-certificate",
    "gap": "gap", "良好农业规范": "gap",
}
_SEPARATORS = re.compile(r"[;；|、,，]")
_WEIGHT = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(\S*)")
_CSET82 = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}")


@dataclass(frozen=True)
class Listing:
    """One listing's claims, checked and normalised."""

    row: int
    listing_id: str
    claims: Claims


@dataclass(frozen=True)
class RowError:
    """Why a row was not judged: the row (1 for the first listing), its field and why."""

    row: int
    listing_id: str | None
    field: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "listing_id": self.listing_id, "field": self.field,
                "reason": self.reason}


Parsed = Listing | list[RowError]


def listings_from_json(body: Any) -> list[Parsed]:
    """The listings of a JSON body: ``{"listings": [...]}`` or one listing object."""
    if isinstance(body, Mapping) and "listings" in body:
        if set(body) != {"listings"}:
            extra = sorted(set(body) - {"listings"})[0]
            raise InvalidInput("is not a field of a listings request; send {\"listings\": "
                               "[...]}", field=extra)
        rows = body["listings"]
        if not isinstance(rows, list) or not rows:
            raise InvalidInput("must be a non-empty list of listings", field="listings")
    elif isinstance(body, Mapping):
        rows = [body]
    else:
        raise InvalidInput("send a listing object or {\"listings\": [...]}", field="listings")
    _within_limit(len(rows))
    return [_parse(i + 1, row) for i, row in enumerate(rows)]


def listings_from_csv(raw: bytes) -> list[Parsed]:
    """The listings of CSV text with a header row (module docstring)."""
    reader = csv.reader(io.StringIO(_decode(raw)))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput("the CSV is empty; the first row names the columns",
                           field="header") from None
    except csv.Error as error:
        raise InvalidInput(f"the header row is not CSV: {error}", field="header") from None
    names = [normal(name).replace(" ", "_") for name in header]
    unknown = [name for name in names if name not in FIELDS]
    if unknown:
        raise InvalidInput(f"unknown column {unknown[0]!r}; the columns are "
                           f"{', '.join(FIELDS)}", field="header")
    if "listing_id" not in names:
        raise InvalidInput("the header must name the listing_id column", field="header")
    parsed: list[Parsed] = []
    for number in range(1, MAX_LISTINGS + 2):
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            parsed.append([RowError(number, None, "row", f"is not CSV: {error}")])
            continue
        if not any(cell.strip() for cell in cells):
            continue  # a blank line, as spreadsheets leave at the end
        if number > MAX_LISTINGS:
            _within_limit(number)
        if len(cells) > len(names):
            parsed.append([RowError(number, None, "row", f"has {len(cells)} cells, the header "
                                                         f"{len(names)}")])
            continue
        parsed.append(_parse(number, {name: cell for name, cell in zip(names, cells,
                                                                        strict=False)
                                      if cell.strip()}))
    if not parsed:
        raise InvalidInput("the CSV holds a header but no listing", field="listings")
    return parsed


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise InvalidInput("the CSV is neither UTF-8 nor GB18030 text",
                           field="listings") from None


def _within_limit(count: int) -> None:
    if count > MAX_LISTINGS:
        raise ContentTooLarge(f"at most {MAX_LISTINGS:,} listings a request; split the "
                              f"{'rest' if count == MAX_LISTINGS + 1 else f'{count:,}'} "
                              "into several requests", field="listings")


def _parse(row: int, value: Any) -> Parsed:
    """One row: a ``Listing``, or every error found in it."""
    if not isinstance(value, Mapping):
        return [RowError(row, None, "listing", "must be an object of a listing's fields")]
    fields = dict(value)
    origin = fields.pop("origin", None)
    errors: list[RowError] = []
    listing_id = _field(fields, "listing_id", text(100), errors, row, None)
    if isinstance(origin, Mapping):
        for part, claimed in origin.items():
            key = part if part in ORIGIN_PARTS else f"origin.{part}"
            fields.setdefault(key, claimed)
    elif origin is not None:
        errors.append(RowError(row, listing_id, "origin", "must be an object of province, "
                                                          "county, village"))
    for name in sorted(set(fields) - set(FIELDS)):
        errors.append(RowError(row, listing_id, name, f"is not a listing field; one of "
                                                      f"{', '.join(FIELDS)}"))

    def take(name: str, parser: Any) -> Any:
        return _field(fields, name, parser, errors, row, listing_id)

    gtin = take("gtin", parse_gtin)
    lot = take("lot", lot_code)
    serial = take("serial", _serial)
    claimed_origin = {part: found for part in ORIGIN_PARTS
                      if (found := take(part, text(40))) is not None}
    weight, unit = _weight(fields, errors, row, listing_id)
    claims = Claims(gtin=gtin, lot=lot, serial=serial, product=take("product", text(200)),
                    origin=claimed_origin, grade=take("grade", text(40)), net_weight=weight,
                    net_weight_unit=unit,
                    certificates=take("certificates", _certificates) or ())
    if "listing_id" not in fields:
        errors.append(RowError(row, None, "listing_id", "is required: the platform's own id "
                                                        "of the listing"))
    if lot is None and serial is None and "lot" not in fields and "serial" not in fields:
        errors.append(RowError(row, listing_id, "lot", "give the lot code, or the GTIN and "
                                                       "the unit's serial"))
    if serial is not None and gtin is None and "gtin" not in fields:
        errors.append(RowError(row, listing_id, "gtin", "a serial names a unit only with its "
                                                        "GTIN"))
    if errors or listing_id is None:
        return errors
    return Listing(row, listing_id, claims)


def _field(fields: Mapping[str, Any], name: str, parser: Any, errors: list[RowError],
           row: int, listing_id: str | None) -> Any:
    value = fields.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return parser(value.strip() if isinstance(value, str) else value, name)
    except LedgerError as error:
        errors.append(RowError(row, listing_id, error.field or name, error.reason))
        return None


def _serial(value: Any, path: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        value = str(value)
    if not isinstance(value, str) or not _CSET82.fullmatch(value):
        raise InvalidInput("must be 1-20 characters of GS1 CSET 82, as printed on the unit",
                           field=path)
    return value


def _weight(fields: Mapping[str, Any], errors: list[RowError], row: int,
            listing_id: str | None) -> tuple[str | None, str | None]:
    amount, unit = fields.get("net_weight"), fields.get("net_weight_unit")
    if isinstance(amount, int) and not isinstance(amount, bool):
        amount = str(amount)
    if amount is None or (isinstance(amount, str) and not amount.strip()):
        if unit is not None and str(unit).strip():
            errors.append(RowError(row, listing_id, "net_weight", "is required with "
                                                                  "net_weight_unit"))
        return None, None
    match = _WEIGHT.fullmatch(amount.strip()) if isinstance(amount, str) else None
    if match is None:
        errors.append(RowError(row, listing_id, "net_weight", "must be a decimal such as 5 or "
                                                              "2.5 (a text), optionally with "
                                                              "its unit"))
        return None, None
    number, inline = match.groups()
    given = inline or (unit.strip() if isinstance(unit, str) else "")
    found = _UNITS.get(normal(given)) if given else None
    if found is None:
        where = "net_weight" if inline else "net_weight_unit"
        errors.append(RowError(row, listing_id, where, "must be kg, g or jin (千克, 公斤, 克, "
                                                       "斤)"))
        return None, None
    whole, _, fraction = number.partition(".")
    return (whole.lstrip("0") or "0") + ("." + fraction.rstrip("0") if fraction.rstrip("0")
                                         else ""), found


def _certificates(value: Any, path: str) -> tuple[str, ...]:
    names: Iterable[Any] = _SEPARATORS.split(value) if isinstance(value, str) else value
    if not isinstance(names, list | tuple) and not isinstance(value, str):
        raise InvalidInput("must be a list of certificate schemes, or a text separated by ;",
                           field=path)
    schemes = set()
    for name in names:
        if not isinstance(name, str):
            raise InvalidInput("must name certificate schemes as text", field=path)
        if not name.strip():
            continue
        scheme = _CERTIFICATES.get(normal(name).replace("_", "-"))
        if scheme is None:
            raise InvalidInput(f"{name.strip()[:40]!r} is no certificate scheme; organic 有机, "
                               "green-food 绿色食品, geographical-indication 地理标志, "
                               "compliance-certificate 承诺达标合格证, gap", field=path)
        schemes.add(scheme)
    return tuple(sorted(schemes))
