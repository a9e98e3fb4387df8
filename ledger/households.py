"""A cooperative's register of households: private data kept apart from every record.

Each household (its name, village, household id, and whether it is registered as formerly
poor, 脱贫户) is one private value, sealed under a commitment like the private values of
records (``verify.commitments``) and kept in the same table on the chain name
``hh/<organisation>``: it never enters a record or the log, and it is erased like any
private value. A harvest or a purchase names a household by its id, sealed again into the
record's own commitment by the phone that signs it.

Who reads it: the organisation itself, and inspectors (organisations with the ``inspector``
role). The public sees only how many households a cooperative has registered, and how many
of them formerly poor.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select

from ledger.domain.fields import boolean, identifier, text
from ledger.domain.organisation import Organisation
from ledger.errors import AlreadyExists, NotPermitted
from ledger.persistence.tables import private_values
from verify.commitments import SALT_SIZE, commitment

__all__ = ["add_household", "household_counts", "households", "require_register_access"]

NAME = text(80)
VILLAGE = text(40)
HOUSEHOLD_ID = text(40)


def _chain(org_id: str) -> str:
    return f"hh/{org_id}"


def require_register_access(reader: Organisation | None, org_id: str) -> None:
    """``NotPermitted`` unless ``reader`` is ``org_id`` itself or an inspector."""
    if reader is None:
        raise NotPermitted("admin tokens read no private data; use the cooperative's token or "
                           "an inspector's", field="authorization")
    if reader.org_id != org_id and "inspector" not in reader.roles:
        raise NotPermitted(f"only {org_id} and inspectors read its households",
                           field="authorization")


def households(engine: Engine, org_id: str) -> list[dict[str, Any]]:
    """The register, oldest first, each with its commitment (erased ones left out)."""
    query = (select(private_values.c.commitment, private_values.c.value_json)
             .where(private_values.c.chain == _chain(org_id),
                    private_values.c.erased_at.is_(None))
             .order_by(private_values.c.created_at, private_values.c.commitment))
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [{**json.loads(row.value_json), "commitment": row.commitment} for row in rows]


def add_household(engine: Engine, org_id: str, data: Any) -> dict[str, Any]:
    """Register a household; its id must be new in the register."""
    if not isinstance(data, dict):
        data = {}
    value = {"name": NAME(data.get("name"), "name"),
             "village": VILLAGE(data.get("village"), "village"),
             "household_id": HOUSEHOLD_ID(data.get("household_id"), "household_id"),
             "formerly_poor": boolean(data.get("formerly_poor", False), "formerly_poor")}
    identifier(org_id, "org")
    if any(h["household_id"] == value["household_id"] for h in households(engine, org_id)):
        raise AlreadyExists(f"household {value['household_id']} is registered already",
                            field="household_id")
    salt = os.urandom(SALT_SIZE)
    sealed = commitment(value, salt)
    with engine.begin() as connection:
        connection.execute(insert(private_values).values(
            commitment=sealed, chain=_chain(org_id),
            value_json=json.dumps(value, ensure_ascii=False), salt=salt,
            created_at=datetime.now(UTC)))
    return {**value, "commitment": sealed}


def household_counts(engine: Engine, org_id: str) -> dict[str, int]:
    """What the public sees: how many households, and how many formerly poor."""
    register = households(engine, org_id)
    return {"households": len(register),
            "formerly_poor": sum(1 for h in register if h.get("formerly_poor"))}
