"""Which lots a trace covers: its seeds, then back and forward through the lineage.

The seeds are the lot asked for; the lot a recall was ordered on; every lot that carries a
GTIN (its product's, or a packing's, corrections applied); every lot an organisation
recorded on or was shipped; or, with no selector, every lot. From the seeds the walk goes
back through parents to the harvests and forward through children to every lot made from
them, as ``ledger.domain.lineage`` does, but hands out each lot as it is loaded and keeps
only the codes of its parents and children: a trace of a million records never holds them
all at once. Lots are loaded from the store (their records and corrections), never from a
read model.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from ledger.domain.lot import Lot
from ledger.errors import LedgerError, LotNotFound
from ledger.exports.query import TraceQuery
from ledger.recalls import recall_reach
from verify.records import Record

if TYPE_CHECKING:
    from ledger.application import Ledger

__all__ = ["load_lot", "lot_gtins", "seeds", "walk"]


def seeds(ledger: Ledger, query: TraceQuery) -> list[str]:
    """The lot codes the trace starts from, in log order; ``NotFound`` naming the field for
    an unknown lot, recall, GTIN or organisation."""
    if query.lot is not None:
        if not ledger.store.chain_records(f"lot/{query.lot}", limit=1):
            raise LotNotFound(f"lot {query.lot} is not registered", field="lot")
        return [query.lot]
    if query.recall is not None:
        try:
            return [recall_reach(ledger, query.recall).lot]
        except LedgerError as error:
            error.relocate("recall")
            raise
    if query.gtin is not None:
        found = [code for code in _lots_where(ledger, query.gtin.encode(), _any_record)
                 if query.gtin in lot_gtins(load_lot(ledger, code))]
        if not found:
            raise LotNotFound(f"no lot carries GTIN {query.gtin}", field="gtin")
        return found
    if query.org is not None:
        ledger.organisation(query.org)
        org = query.org
        return _lots_where(ledger, f'"{org}"'.encode(), lambda record: _touched_by(record, org))
    return [record.subject for record in ledger.chains("lot")]


def load_lot(ledger: Ledger, code: str) -> Lot:
    """Lot ``code`` as its records build it: read with ``Ledger.history`` and absorbed one by
    one, as the aggregate is, without the event store's aggregate machinery (a third of the
    cost of a large lot's export)."""
    records = ledger.history(f"lot/{code}")
    if not records:
        raise LotNotFound(f"lot {code} is not registered", field="lot")
    lot: Lot = object.__new__(Lot)
    Lot.__init__(lot)
    for record, signature in records:
        lot.absorb(record, signature)
    return lot


def lot_gtins(lot: Lot) -> set[str]:
    """Every GTIN the lot carried: its product's and each packing's, corrections applied."""
    found = set()
    for record in lot.history.records:
        data = lot.history.data(record)
        if record.seq == 0 and isinstance(data.get("product"), dict):
            found.add(data["product"].get("gtin"))
        elif record.type == "Packed":
            found.add(data.get("gtin"))
    found.discard(None)
    return found


def _touched_by(record: Record, org: str) -> bool:
    """Whether ``record`` shows ``org`` producing, handling, receiving or inspecting its lot,
    or being shipped it."""
    return record.org == org or (record.type == "Shipped" and record.data.get("to") == org)


def _any_record(_: Record) -> bool:
    return True


def _lots_where(ledger: Ledger, needle: bytes, matches: Callable[[Record], bool]) -> list[str]:
    """Lots with a record whose bytes contain ``needle`` and that ``matches``, in log order:
    one pass over the store, parsing only the records that may match."""
    found: dict[str, None] = {}
    for stored in ledger.store.records():
        if needle in stored.raw:
            record = Record.from_bytes(stored.raw)
            if record.chain_kind == "lot" and matches(record):
                found.setdefault(record.subject)
    return list(found)


def walk(codes: Iterable[str], load: Callable[[str], Lot]) -> Iterator[Lot]:
    """Every lot of the lineage of ``codes``: the seeds, their ancestors and descendants,
    each once. Each lot is loaded once; only the codes it links to are kept."""
    start = list(dict.fromkeys(codes))
    links: dict[str, tuple[list[str], list[str]]] = {}
    for forward in (False, True):
        pending, seen = deque(start), set()
        while pending:
            code = pending.popleft()
            if code in seen:
                continue
            seen.add(code)
            if code not in links:
                lot = load(code)
                links[code] = (list(lot.parents), list(lot.children))
                yield lot
            pending.extend(links[code][1 if forward else 0])
