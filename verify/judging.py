"""Judging a platform listing's claims against a lot's verified state (docs/platform.md).

``judge(claims, state, serials, issued)`` is pure: the service computes every verdict with
it, and ``agritrace-verify verdict`` computes it again from the same claims and the state it
derives itself from the bundle, so a verdict holds without trusting the service.

Claims are normalised (``Claims``): GTIN-14, lot, serial, product name, origin parts
(province, county, village), grade, net weight (a decimal text and ``kg``, ``g`` or
``jin``) and certificate schemes as the records name them (``CERTIFICATE_SCHEMES``).

Verdicts, the first that applies winning:

1. ``unknown``: no lot is registered under the code (``state`` is None), the lot carries
   none of the claimed GTIN, or the claimed serial was not assigned in its packing;
2. ``recalled``: the lot's chain holds a recall (an ancestor's recall cascades into it);
3. ``held``: the lot, or an ancestor (``flagged_ancestors``), is held;
4. ``expired``: the latest best-before of the lot's packings under the claimed GTIN is
   before the moment the verdict is issued;
5. ``mismatch``: a claim differs from what the records say (``mismatches``, field by field);
6. ``ok``.

Mismatches are listed whatever the verdict (except ``unknown`` without a lot), so a recalled
lot's answer still says which claims were also wrong. Texts are compared after Unicode NFKC,
case folding and collapsing white space; the rules per field are in ``_MATCHERS``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from verify.freshness import parse_utc

__all__ = ["CERTIFICATE_SCHEMES", "ORIGIN_PARTS", "UNITS", "VERDICTS", "Claims", "judge"]

VERDICTS = ("unknown", "recalled", "held", "expired", "mismatch", "ok")  # precedence
ORIGIN_PARTS = ("province", "county", "village")
CERTIFICATE_SCHEMES = ("compliance-certificate", "gap", "geographical-indication",
                       "green-food", "organic")
UNITS = {"kg": Decimal(1000), "g": Decimal(1), "jin": Decimal(500)}  # grams per unit
# What an administrative name may end in beyond the name itself: 湖南 is 湖南省.
_ADMIN_SUFFIXES = ("省", "市", "自治区", "自治州", "自治县", "县", "区", "镇", "乡", "村", "街道")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Claims:
    """What a seller's listing claims, normalised; absent claims are None or empty."""

    gtin: str | None = None
    lot: str | None = None
    serial: str | None = None
    product: str | None = None
    origin: Mapping[str, str] = field(default_factory=dict)
    grade: str | None = None
    net_weight: str | None = None
    net_weight_unit: str | None = None
    certificates: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The claims as the verdict note names them: every key, origin parts given only."""
        return {"gtin": self.gtin, "lot": self.lot, "serial": self.serial,
                "product": self.product, "origin": dict(sorted(self.origin.items())),
                "grade": self.grade, "net_weight": self.net_weight,
                "net_weight_unit": self.net_weight_unit,
                "certificates": sorted(self.certificates)}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Claims:
        """Claims from a verdict note (``to_json``); the caller checked the shape."""
        return cls(gtin=value["gtin"], lot=value["lot"], serial=value["serial"],
                   product=value["product"], origin=dict(value["origin"]),
                   grade=value["grade"], net_weight=value["net_weight"],
                   net_weight_unit=value["net_weight_unit"],
                   certificates=tuple(value["certificates"]))


def judge(claims: Claims, state: Mapping[str, Any] | None,
          serials: Sequence[tuple[int, int]], issued: int) -> dict[str, Any]:
    """The findings on ``claims``: ``{"verdict", "unknown", "status", "best_before",
    "mismatches"}``. ``state`` is the lot's derived state (``verify.state``), None when no
    lot was found; ``serials`` the ranges the lot's packings assigned; ``issued`` the POSIX
    second the verdict is given at."""
    if state is None:
        return _findings("unknown", unknown="no lot is registered under this code")
    unknown = _unknown(claims, state, serials)
    status = _status(state)
    best_before = _expired(claims, state, issued)
    mismatches = _mismatches(claims, state)
    if unknown is not None:
        verdict = "unknown"
    elif status is not None:
        verdict = status["status"]
    elif best_before is not None:
        verdict = "expired"
    else:
        verdict = "mismatch" if mismatches else "ok"
    return _findings(verdict, unknown=unknown, status=status, best_before=best_before,
                     mismatches=mismatches)


def _findings(verdict: str, *, unknown: str | None = None,
              status: dict[str, Any] | None = None, best_before: str | None = None,
              mismatches: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"verdict": verdict, "unknown": unknown, "status": status,
            "best_before": best_before, "mismatches": mismatches or []}


def _gtins(state: Mapping[str, Any]) -> set[str]:
    found = {state.get("gtin")} | {p.get("gtin") for p in state.get("packed", ())}
    return {g for g in found if isinstance(g, str)}


def _unknown(claims: Claims, state: Mapping[str, Any],
             serials: Sequence[tuple[int, int]]) -> str | None:
    lot = state.get("lot")
    if claims.gtin is not None and claims.gtin not in _gtins(state):
        return f"lot {lot} is not registered under GTIN {claims.gtin}"
    if claims.serial is not None:
        number = int(claims.serial) if claims.serial.isdigit() and \
            claims.serial == str(int(claims.serial)) else None
        if number is None or not any(first <= number <= last for first, last in serials):
            return f"serial {claims.serial} was not assigned in lot {lot}"
    return None


def _status(state: Mapping[str, Any]) -> dict[str, Any] | None:
    """Recalled or held, here or through an ancestor: the record and the ancestors."""
    flagged = [a for a in state.get("flagged_ancestors", ()) if isinstance(a, Mapping)]
    for word in ("recalled", "held"):
        ancestors = [dict(a) for a in flagged if a.get("status") == word]
        if state.get("status") == word:
            return {"status": word, "record": state.get("status_record"),
                    "reason": state.get("status_reason"), "ancestors": ancestors}
        if ancestors:
            first = ancestors[0]
            return {"status": word, "record": first.get("record"),
                    "reason": first.get("reason"), "ancestors": ancestors}
    return None


def _packings(claims: Claims, state: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    packed = [p for p in state.get("packed", ()) if isinstance(p, Mapping)]
    if claims.gtin is None:
        return packed
    return [p for p in packed if p.get("gtin") == claims.gtin]


def _expired(claims: Claims, state: Mapping[str, Any], issued: int) -> str | None:
    """The latest best-before of the packings under the claimed GTIN, when it is past."""
    dated = [(moment, p["best_before"]) for p in _packings(claims, state)
             if (moment := parse_utc(p.get("best_before"))) is not None]
    if not dated:
        return None
    moment, text = max(dated)
    return text if moment < issued else None


def _mismatches(claims: Claims, state: Mapping[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def differs(name: str, claimed: Any, recorded: Any) -> None:
        found.append({"field": name, "claimed": claimed, "recorded": recorded})

    product = state.get("product") or {}
    name = product.get("name") if isinstance(product, Mapping) else None
    if claims.product is not None and not _same_product(claims.product, name):
        differs("product", claims.product, name)
    origin = state.get("origin") or {}
    for part in ORIGIN_PARTS:
        claimed = claims.origin.get(part)
        recorded = origin.get(part) if isinstance(origin, Mapping) else None
        if claimed is not None and not _same_place(claimed, recorded):
            differs(f"origin.{part}", claimed, recorded if isinstance(recorded, str) else None)
    grade = state.get("grade")
    if claims.grade is not None and not _same_words(claims.grade, grade):
        differs("grade", claims.grade, grade)
    if claims.net_weight is not None:
        weights = _weights(claims, state)
        if _grams(claims.net_weight, claims.net_weight_unit) not in {g for g, _ in weights}:
            recorded = ", ".join(text for _, text in weights) or None
            differs("net_weight", f"{claims.net_weight} {claims.net_weight_unit}", recorded)
    valid = sorted({str(c.get("scheme")) for c in state.get("certificates", ())
                    if isinstance(c, Mapping) and c.get("valid") is True
                    and isinstance(c.get("scheme"), str)})
    for scheme in sorted(claims.certificates):
        if scheme not in valid:
            differs("certificates", scheme, valid)
    return found


def _weights(claims: Claims, state: Mapping[str, Any]) -> list[tuple[Decimal | None, str]]:
    weights = []
    for packing in _packings(claims, state):
        amount, unit = packing.get("net_weight_per_unit"), packing.get("net_weight_unit")
        if isinstance(amount, str) and isinstance(unit, str):
            weights.append((_grams(amount, unit), f"{amount} {unit}"))
    return weights


def _grams(amount: str | None, unit: str | None) -> Decimal | None:
    if amount is None or unit not in UNITS or not _DECIMAL.fullmatch(amount):
        return None
    return Decimal(amount) * UNITS[unit]


def normal(text: str) -> str:
    """NFKC, case folded, white space collapsed to single spaces and trimmed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def _same_words(claimed: str, recorded: Any) -> bool:
    """Equal, or one side of a bilingual record text ``中文 English``: 一级 and Grade 1 both
    match 一级 Grade 1."""
    if not isinstance(recorded, str):
        return False
    mine, theirs = normal(claimed), normal(recorded)
    return bool(mine) and (mine == theirs or theirs.startswith(mine + " ")
                           or theirs.endswith(" " + mine))


def _same_product(claimed: str, recorded: Any) -> bool:
    """The listing's title names the recorded product: it contains the recorded name, or
    its Chinese or English side (猕猴桃 kiwifruit: 湘西红心猕猴桃 5kg matches)."""
    if not isinstance(recorded, str) or not normal(recorded):
        return False
    theirs, mine = normal(recorded), normal(claimed)
    first, _, rest = theirs.partition(" ")
    return any(part and part in mine for part in (theirs, first, rest))


def _same_place(claimed: str, recorded: Any) -> bool:
    """Equal, or equal but for an administrative suffix: 湖南 and 湖南省, 凤凰 and 凤凰县."""
    if not isinstance(recorded, str):
        return False
    mine, theirs = normal(claimed), normal(recorded)
    if mine == theirs:
        return True
    short, long = sorted((mine, theirs), key=len)
    return bool(short) and long.startswith(short) and long[len(short):] in _ADMIN_SUFFIXES
