"""Lineage: the lots reachable from one lot through merges, splits and packing.

Tracing back follows a lot's parents down to the harvests; tracing forward follows its
children to every lot made from it (what a recall cascades to).
"""

from __future__ import annotations

from collections.abc import Callable

from ledger.domain.lot import Lot

__all__ = ["lineage"]


def lineage(code: str, load: Callable[[str], Lot], *, forward: bool) -> list[Lot]:
    """``code``'s lot and every lot reachable from it, breadth first and each once, nearest
    first: its descendants when ``forward``, else its ancestors. ``load`` gives a lot by
    code."""
    found: list[Lot] = []
    pending, seen = [code], set()
    while pending:
        current = pending.pop(0)
        if current in seen:
            continue
        seen.add(current)
        lot = load(current)
        found.append(lot)
        pending.extend(lot.children if forward else lot.parents)
    return found
