"""The lot index: one searchable row per lot, projected from the lot aggregates.

It follows the store's notification order from its saved position; for every lot touched
since, it loads the aggregate (the one place lot state is computed) and upserts its row, and
moves the position forward in the same transaction. Rows are a pure function of the aggregates, so
replaying a stretch twice, from two processes at once, or from zero (``rebuild``) gives the
same table. ``search`` catches up first, so a search sees every record saved before it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, String, case, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ledger.domain.lot import Lot
from ledger.persistence.store import EventStore
from ledger.persistence.tables import lot_index, projection_state
from verify.records import Record

__all__ = ["LotIndex", "LotQuery"]

_NAME = "lot-index"
_BATCH = 2000


@dataclass(frozen=True)
class LotQuery:
    """A search of the lot index; every filter given narrows it (all must hold)."""

    product: str | None = None  # part of the product name
    county: str | None = None
    org: str | None = None  # producer or current custodian
    status: str | None = None
    gtin: str | None = None  # GTIN-14 the lot is packed under
    since: str | None = None  # started at or after (UTC ISO 8601, as ``format_time`` writes)
    until: str | None = None  # started at or before
    limit: int = 50
    offset: int = 0


class LotIndex:
    def __init__(self, store: EventStore, load_lot: Callable[[str], Lot]) -> None:
        self._store = store
        self._load_lot = load_lot

    def catch_up(self) -> int:
        """Apply every record saved since the last position; returns how many were read."""
        applied = 0
        while True:
            position = self._position()
            touched: set[str] = set()
            last = position
            for stored in self._store.records(start=position + 1, page=_BATCH):
                record = Record.from_bytes(stored.raw)
                if record.chain_kind == "lot":
                    touched.add(record.subject)
                last = stored.notification_id
                if last - position >= _BATCH:
                    break
            if last == position:
                return applied
            rows = [_row(self._load_lot(code)) for code in sorted(touched)]
            with self._store.engine.begin() as connection:
                for row in rows:
                    self._upsert(connection, row)
                connection.execute(update(projection_state).where(
                    projection_state.c.name == _NAME, projection_state.c.position < last,
                ).values(position=last))
            applied += last - position

    def rebuild(self) -> int:
        with self._store.engine.begin() as connection:
            connection.execute(delete(lot_index))
            connection.execute(update(projection_state).where(
                projection_state.c.name == _NAME).values(position=0))
        return self.catch_up()

    def search(self, query: LotQuery) -> list[dict[str, Any]]:
        self.catch_up()
        table = lot_index.c
        statement = select(lot_index).order_by(table.started_at.desc(), table.code)
        if query.product:
            statement = statement.where(table.product.contains(query.product,
                                                               autoescape=True))
        if query.county:
            statement = statement.where(table.county == query.county)
        if query.org:
            statement = statement.where((table.producer == query.org)
                                        | (table.custodian == query.org))
        if query.status:
            statement = statement.where(table.status == query.status)
        if query.gtin:
            statement = statement.where(table.gtin == query.gtin)
        if query.since:
            statement = statement.where(_comparable(table.started_at) >= _to_millis(query.since))
        if query.until:
            statement = statement.where(_comparable(table.started_at) <= _to_millis(query.until))
        statement = statement.limit(query.limit).offset(query.offset)
        with self._store.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(statement)]

    def _position(self) -> int:
        with self._store.engine.begin() as connection:
            row = connection.execute(select(projection_state.c.position).where(
                projection_state.c.name == _NAME)).first()
            if row is None:
                connection.execute(self._insert(projection_state).values(
                    name=_NAME, position=0).on_conflict_do_nothing())
                return 0
        return int(row[0])

    def _upsert(self, connection: Connection, row: Mapping[str, Any]) -> None:
        """Insert or update; never let a row read earlier overwrite a newer one, when two
        processes catch up at once."""
        statement = self._insert(lot_index).values(**row)
        connection.execute(statement.on_conflict_do_update(
            index_elements=[lot_index.c.code],
            set_={key: value for key, value in row.items() if key != "code"},
            where=lot_index.c.records <= statement.excluded.records))

    def _insert(self, table: Any) -> Any:
        return (sqlite_insert if self._store.backend.kind == "sqlite" else pg_insert)(table)


def _to_millis(time: str) -> str:
    """``2026-09-10T05:00:00Z`` as ``2026-09-10T05:00:00.000Z``: times written to the second
    and to the millisecond then compare as text in time order (``"00.5Z" < "00Z"`` would
    not)."""
    return time[:-1] + ".000Z" if len(time) == 20 else time


def _comparable(column: Any) -> Any:
    """The stored start time in ``_to_millis`` form, in SQL (SQLite and PostgreSQL alike)."""
    return case((func.length(column) == 20, func.substr(column, 1, 19, type_=String()) + ".000Z"),
                else_=column)


def _row(lot: Lot) -> dict[str, Any]:
    return {
        "code": lot.code, "product": lot.product.get("name", ""),
        "variety": lot.product.get("variety"), "grade": lot.grade, "gtin": lot.gtin,
        "province": lot.origin.get("province", ""), "city": lot.origin.get("city", ""),
        "county": lot.origin.get("county", ""), "producer": lot.producer,
        "custodian": lot.custodian, "status": lot.status, "started_at": lot.started_at,
        "updated_at": lot.last_time, "records": lot.length,
    }
