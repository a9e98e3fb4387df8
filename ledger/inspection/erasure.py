"""Erasure by person: every private value of one household of a cooperative, in one request.

A household is named by its household id in a cooperative's register (``ledger.households``)
and in the records of the cooperative's lots, where each mention is a commitment of its own
(a harvest's ``household``, a purchase's ``household``, a correction's). Its values are:

1. its entry in the cooperative's register (name, village, household id, formerly poor);
2. every ``household`` value equal to its id on a lot whose first record the cooperative
   recorded (the harvests, the collections with their purchases, and corrections of them,
   whoever recorded the correction);
3. every private value of the harvests that are its own: a harvest lot naming it as its
   household, or named by a purchase of it and naming no other household (the harvester's
   name, the household id, and the corrections of those), since each says who harvested.

All of them are erased at once, as ``ledger.private.values.erase_private`` erases one: value
and salt set to NULL in one transaction, the row kept with its commitment and the time, then
the database files rewritten once (``ledger.private.scrubbing``). Before that the
fingerprints of the idempotent requests that may have carried them are forgotten (those on
their chains and every batch, ``ledger.persistence.idempotency.forget_fingerprints``). No
record changes: every chain, bundle and proof verifies as before. The answer lists what was
erased, each value by its record (hash, chain, seq), field and commitment. Matching is by
the stored value, so it finds what was kept under exactly that id; once erased, nothing
links the commitments to the household any more, so a second request finds nothing (404).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, update

from ledger.application import Ledger
from ledger.errors import LotNotFound, NotFound
from ledger.households import HOUSEHOLD_ID
from ledger.inspection.labels import commitment_fields
from ledger.persistence.idempotency import forget_fingerprints
from ledger.persistence.tables import private_values
from ledger.private.scrubbing import scrub

__all__ = ["ErasedValue", "erase_household", "household_values"]

_CHUNK = 500


@dataclass(frozen=True)
class ErasedValue:
    """A value of the household: the record and field holding its commitment (for the
    register entry, no record: the field is ``register``)."""

    chain: str
    record: str | None
    seq: int | None
    type: str | None
    field: str
    commitment: str

    def as_json(self) -> dict[str, Any]:
        return {"chain": self.chain, "record": self.record, "seq": self.seq,
                "type": self.type, "field": self.field, "commitment": self.commitment}


def household_values(ledger: Ledger, org_id: str, household_id: Any) -> list[ErasedValue]:
    """The unerased values of household ``household_id`` of cooperative ``org_id``."""
    household = HOUSEHOLD_ID(household_id, "household_id")
    ledger.organisation(org_id)  # NotFound for an unknown organisation
    engine = ledger.store.engine
    found = {value.commitment: value for value in _register_entries(engine, org_id, household)}
    harvests: set[str] = set()
    for chain in _chains_mentioning(engine, household):
        lot = ledger.lot(chain.removeprefix("lot/"))
        if lot.history.first.org != org_id:
            continue  # another organisation's lot: its household ids are its own
        mentioned = _mentions(engine, chain, household)
        for record in lot.history.records:
            for field in commitment_fields(record):
                if field.commitment in mentioned and field.name == "household":
                    found[field.commitment] = _erased(field.record, field.field,
                                                      field.commitment)
                    if lot.history.first.type == "Harvested":
                        harvests.add(lot.code)
                    if isinstance(field.entry.get("lot"), str):
                        harvests.add(field.entry["lot"])
    for code in sorted(harvests):
        for value in _harvest_values(ledger, code, org_id, household):
            found.setdefault(value.commitment, value)
    open_ = _unerased(engine, found)
    return [value for commitment, value in found.items() if commitment in open_]


def erase_household(ledger: Ledger, org_id: str, household_id: Any) -> list[ErasedValue]:
    """Erase every value of the household (see the module); what was erased. ``NotFound``
    when nothing unerased is found."""
    values = household_values(ledger, org_id, household_id)
    if not values:
        raise NotFound(f"{org_id} keeps no unerased private value of household "
                       f"{household_id} (in its register or its lots' records)",
                       field="household_id")
    engine = ledger.store.engine
    for commitment in {value.chain: value.commitment for value in values}.values():
        forget_fingerprints(engine, commitment)
    erased = _erase(engine, [value.commitment for value in values])
    return [value for value in values if value.commitment in erased]


def _erased(record: Any, field: str, commitment: str) -> ErasedValue:
    return ErasedValue(record.chain, record.hash_hex, record.seq, record.type, field,
                       commitment)


def _register_entries(engine: Engine, org_id: str, household: str) -> list[ErasedValue]:
    chain = f"hh/{org_id}"
    query = select(private_values.c.commitment, private_values.c.value_json).where(
        private_values.c.chain == chain, private_values.c.erased_at.is_(None))
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [ErasedValue(chain, None, None, None, "register", row.commitment) for row in rows
            if json.loads(row.value_json).get("household_id") == household]


def _stored(household: str) -> str:
    """The household id as the table stores a value (``ledger.persistence.work``)."""
    return json.dumps(household, ensure_ascii=False)


def _chains_mentioning(engine: Engine, household: str) -> list[str]:
    query = select(private_values.c.chain).distinct().where(
        private_values.c.value_json == _stored(household), private_values.c.erased_at.is_(None),
        private_values.c.chain.like("lot/%"))
    with engine.connect() as connection:
        return sorted(connection.execute(query).scalars())


def _mentions(engine: Engine, chain: str, household: str) -> set[str]:
    query = select(private_values.c.commitment).where(
        private_values.c.chain == chain, private_values.c.value_json == _stored(household),
        private_values.c.erased_at.is_(None))
    with engine.connect() as connection:
        return set(connection.execute(query).scalars())


def _harvest_values(ledger: Ledger, code: str, org_id: str,
                    household: str) -> list[ErasedValue]:
    """Every value of harvest lot ``code`` (its harvest record and corrections of it), when
    ``org_id`` recorded the harvest and it names ``household`` or no household at all."""
    try:
        lot = ledger.lot(code)
    except LotNotFound:
        return []
    first = lot.history.first
    if first.type != "Harvested" or first.org != org_id:
        return []
    fields = [field for record in lot.history.records for field in commitment_fields(record)]
    named = _kept_strings(ledger.store.engine,
                          [field.commitment for field in fields if field.name == "household"])
    if named and household not in named:
        return []  # the harvest names another household: its values are that one's
    return [_erased(field.record, field.field, field.commitment) for field in fields]


def _kept_strings(engine: Engine, commitments: list[str]) -> set[Any]:
    """The unerased values behind ``commitments``."""
    if not commitments:
        return set()
    query = select(private_values.c.value_json).where(
        private_values.c.commitment.in_(commitments), private_values.c.erased_at.is_(None))
    with engine.connect() as connection:
        return {json.loads(text) for text in connection.execute(query).scalars()}


def _unerased(engine: Engine, commitments: Iterable[str]) -> set[str]:
    names = sorted(set(commitments))
    found: set[str] = set()
    with engine.connect() as connection:
        for start in range(0, len(names), _CHUNK):
            found.update(connection.execute(select(private_values.c.commitment).where(
                private_values.c.commitment.in_(names[start:start + _CHUNK]),
                private_values.c.erased_at.is_(None))).scalars())
    return found


def _erase(engine: Engine, commitments: list[str]) -> set[str]:
    """Erase the values behind ``commitments`` in one transaction, then scrub the files
    once; the commitments this request erased (another may have been first)."""
    names = sorted(set(commitments))
    erased: set[str] = set()
    moment = datetime.now(UTC)
    with engine.begin() as connection:
        for start in range(0, len(names), _CHUNK):
            chunk = names[start:start + _CHUNK]
            erased.update(connection.execute(
                update(private_values)
                .where(private_values.c.commitment.in_(chunk),
                       private_values.c.erased_at.is_(None))
                .values(value_json=None, salt=None, erased_at=moment)
                .returning(private_values.c.commitment)).scalars())
    if erased:
        scrub(engine, private_values)
    return erased
