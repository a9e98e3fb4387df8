"""The traceability trace: one row per record of every lot a query reaches, in time order.

``build_trace`` selects the lots (``ledger.exports.selection``: the seeds, then back and
forward through the lineage), reads each lot's records from the store with its corrections
applied, makes one row per record (``ledger.exports.kdes``), keeps those within the query's
dates, and sorts them by time (then leaf index, chain and position), spilling to disk beyond
a run of rows (``ledger.exports.sorting``). It counts the rows as it goes and stops, with
``TraceTooLarge`` naming the limit, as soon as there are more than ``limit``: nothing is
written for a trace that is refused, and no trace holds more than a run of rows in memory.

The ``Trace`` it returns knows its rows' count before any is written, and the cover: the
query, who exported it and when, and the checkpoint (size, root, signed note) the leaf
indices refer to. Records after that checkpoint have no leaf index in it; the cover counts
them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING

from ledger.errors import InvalidInput
from ledger.exports.columns import BEIJING, index_of
from ledger.exports.kdes import Row, lot_rows
from ledger.exports.query import TraceQuery
from ledger.exports.selection import load_lot, seeds, walk
from ledger.exports.sorting import RUN, SpillingSorter
from ledger.log.checkpoints import PublishedCheckpoint
from ledger.persistence.lookup import leaf_indices

if TYPE_CHECKING:
    from ledger.application import Ledger

__all__ = ["DEFAULT_LIMIT", "Cover", "Trace", "TraceTooLarge", "build_trace"]

DEFAULT_LIMIT = 10**6
_LEAF, _CHAIN, _SEQ = index_of("leaf_index"), index_of("chain"), index_of("seq")
_NO_LEAF = 2**63
_LOOKUP = 500  # record hashes per leaf-index query


class TraceTooLarge(InvalidInput):
    """The trace would hold more rows than the limit allows."""


@dataclass(frozen=True)
class Cover:
    """What the cover sheet says: what was exported, by whom, when, against which
    checkpoint."""

    query: str
    exported_by: str
    exported_at: datetime  # UTC+8
    rows: int
    lots: int
    checkpoint: PublishedCheckpoint | None
    after_checkpoint: int  # rows whose record is not in the checkpoint


class Trace:
    """A built trace: its cover and its rows in time order (read once). Close it (or use it
    as a context manager) to remove the temporary files of a large trace."""

    def __init__(self, cover: Cover, sorter: SpillingSorter, lots: Sequence[str]) -> None:
        self.cover = cover
        self.lots = lots
        self._sorter = sorter

    @property
    def count(self) -> int:
        return self._sorter.count

    def rows(self) -> Iterator[Row]:
        return self._sorter.rows()

    def close(self) -> None:
        self._sorter.close()

    def __enter__(self) -> Trace:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()


def build_trace(ledger: Ledger, query: TraceQuery, *, by: str,
                checkpoint: PublishedCheckpoint | None, limit: int = DEFAULT_LIMIT,
                run: int = RUN, now: datetime | None = None) -> Trace:
    """The trace of ``query`` (already allowed for its caller, ``ledger.exports.access``);
    ``by`` names who exports it, ``checkpoint`` is the log's latest. Raises ``NotFound``
    naming the field for an unknown lot, GTIN, organisation or recall, and
    ``TraceTooLarge`` past ``limit`` rows."""
    start = seeds(ledger, query)
    names: dict[str, str] = {}

    def name_of(org: str) -> str:
        if org not in names:
            names[org] = ledger.organisation(org).name
        return names[org]

    size = checkpoint.size if checkpoint is not None else 0
    sorter = SpillingSorter(run)
    lots: list[str] = []
    after = 0
    try:
        for lot in walk(start, lambda code: load_lot(ledger, code)):
            lots.append(lot.code)
            leaves = _leaves(ledger, [record.hash for record in lot.history.records])
            for row in lot_rows(lot, leaves, name_of):
                if not query.within(row[0]):
                    continue
                leaf = row[_LEAF]
                after += leaf is None or leaf >= size
                sorter.add((row[0], _NO_LEAF if leaf is None else leaf, row[_CHAIN],
                            row[_SEQ]), row)
                if sorter.count > limit:
                    raise TraceTooLarge(
                        f"the trace of {query.describe()} holds more than {limit:,} rows, the "
                        "limit; narrow it with since and until, or by lot",
                        field=(query.selector or ("since", ""))[0])
    except BaseException:
        sorter.close()
        raise
    cover = Cover(query=query.describe(), exported_by=by,
                  exported_at=(now or datetime.now(UTC)).astimezone(BEIJING),
                  rows=sorter.count, lots=len(lots), checkpoint=checkpoint,
                  after_checkpoint=after)
    return Trace(cover, sorter, lots)


def _leaves(ledger: Ledger, digests: Sequence[bytes]) -> dict[bytes, int]:
    found: dict[bytes, int] = {}
    for first in range(0, len(digests), _LOOKUP):
        found.update(leaf_indices(ledger.store, digests[first:first + _LOOKUP]))
    return found
