"""How a lot looks to a person in a terminal: summary lines, history table, lineage trees."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ledger.cli.context import HASH_SHOWN, out
from ledger.cli.facts import key_facts
from ledger.domain.fields import format_decimal
from ledger.domain.lot import Lot
from verify.records import Record

__all__ = ["history_table", "lineage_tree", "print_lot"]


def print_lot(lot: Lot) -> None:
    product = " ".join(str(lot.product.get(k, "")) for k in ("name", "variety")).strip()
    origin = "".join(str(lot.origin.get(k, "")) for k in
                     ("province", "city", "county", "township", "village"))
    out.print(Text(f"批次 Lot {lot.code}  {product}", style="bold"))
    lines = [
        ("状态 status", lot.status + (f" → {lot.in_transit_to}" if lot.in_transit_to else "")),
        ("保管方 custodian", lot.custodian),
        ("数量 quantity", f"{format_decimal(lot.remaining)} of {format_decimal(lot.quantity)} "
                        f"{lot.unit} left"),
        ("产地 origin", origin),
        ("等级 grade", lot.grade or ""),
        ("GTIN", lot.gtin or ""),
    ]
    for label, value in lines:
        if value:
            out.print(Text(f"  {label}: {value}"))


def history_table(history: Sequence[Record]) -> Table:
    table = Table(title="记录 History")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("时间 time (UTC)", no_wrap=True)
    table.add_column("步骤 step", no_wrap=True)
    table.add_column("组织 org", max_width=22)
    table.add_column("要点 key facts", ratio=1, overflow="fold")
    table.add_column("哈希 hash", no_wrap=True)
    for record in history:
        table.add_row(str(record.seq), _short_time(record.time), record.type,
                      Text(record.org), Text(key_facts(record)), record.hash_hex[:HASH_SHOWN])
    return table


def _short_time(moment: str) -> str:
    """``2026-09-08T08:30:00Z`` → ``2026-09-08 08:30Z``; the JSON output keeps seconds."""
    day, clock = moment.rstrip("Z").split("T")
    return f"{day} {clock[:5]}Z"


def lineage_tree(title: str, root: str, lots: Mapping[str, Lot],
                 nexts: Callable[[Lot], list[str]]) -> Tree:
    tree = Tree(Text(title, style="bold"))
    shown: set[str] = set()

    def grow(branch: Tree, code: str) -> None:
        lot = lots.get(code)
        if lot is None:
            branch.add(Text(code))
            return
        again = code in shown
        node = branch.add(Text(_lot_label(lot) + (" (see above)" if again else "")))
        shown.add(code)
        if not again:
            for following in nexts(lot):
                grow(node, following)

    grow(tree, root)
    return tree


def _lot_label(lot: Lot) -> str:
    grade = f" {lot.grade}" if lot.grade else ""
    return (f"{lot.code} · {lot.product.get('name', '')}{grade} · "
            f"{format_decimal(lot.quantity)} {lot.unit} · {lot.status}")
