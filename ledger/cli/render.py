"""How a lot looks to a person in a terminal: summary lines, history table, lineage trees."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ledger.cli.context import HASH_SHOWN, out
from ledger.cli.facts import key_facts
from ledger.domain.corrections import Correction
from ledger.domain.fields import format_decimal
from ledger.domain.lot import Lot
from verify.records import Record

__all__ = ["history_table", "lineage_tree", "print_lot"]


def print_lot(lot: Lot) -> None:
    """What the lot is now, corrections applied, and what inspectors should see."""
    product = " ".join(str(lot.product.get(k, "")) for k in ("name", "variety")).strip()
    origin = "".join(str(lot.origin.get(k, "")) for k in
                     ("province", "city", "county", "township", "village"))
    out.print(Text(f"批次 Lot {lot.code}  {product}", style="bold"))
    packed = (f"{format_decimal(lot.packed)} {lot.unit}"
              + (f" + {format_decimal(lot.pack_loss)} {lot.unit} loss" if lot.pack_loss else "")
              if lot.packings else "")
    lines = [
        ("状态 status", lot.status + (f" → {lot.in_transit_to}" if lot.in_transit_to else "")),
        ("保管方 custodian", lot.custodian),
        ("数量 quantity", f"{format_decimal(lot.remaining)} of {format_decimal(lot.quantity)} "
                        f"{lot.unit} left"),
        ("包装 packed", packed),
        ("产地 origin", origin),
        ("等级 grade", lot.grade or ""),
        ("GTIN", lot.gtin or ""),
        ("更正 corrections", str(len(lot.history.corrections))
         if lot.history.corrections else ""),
    ]
    for label, value in lines:
        if value:
            out.print(Text(f"  {label}: {value}"))
    for excursion in lot.excursions:
        out.print(Text(f"  ⚠ 温度超标 excursion: {excursion['temp_c']} °C at "
                       f"{_short_time(excursion['at'])} (target {excursion['target_min_c']}–"
                       f"{excursion['target_max_c']} °C)", style="yellow"))
    for purchase in lot.below_protective_price:
        out.print(Text(f"  ⚠ 低于保护价 below the protective price: lot {purchase['lot']} at "
                       f"{purchase['price_per_kg']} yuan/kg (protective "
                       f"{purchase['protective_price_per_kg']})", style="yellow"))


def history_table(history: Sequence[Record], corrections: Sequence[Correction] = ()) -> Table:
    """The records as recorded; a correction's row says what it changed from what to what,
    and a corrected record's row says it was corrected."""
    made = {correction.record: correction for correction in corrections}
    corrected = {correction.original for correction in corrections}
    table = Table(title="记录 History")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("时间 time (UTC)", no_wrap=True)
    table.add_column("步骤 step", no_wrap=True)
    table.add_column("组织 org", max_width=22)
    table.add_column("要点 key facts", ratio=1, overflow="fold")
    table.add_column("哈希 hash", no_wrap=True)
    for record in history:
        facts = key_facts(record)
        if record.hash_hex in made:
            facts = _changes(made[record.hash_hex])
        elif record.hash_hex in corrected:
            facts += " (已更正 corrected)"
        table.add_row(str(record.seq), _short_time(record.time), record.type,
                      Text(record.org), Text(facts), record.hash_hex[:HASH_SHOWN])
    return table


def _changes(correction: Correction) -> str:
    changes = "; ".join(f"{change.field} {_value(change.before)} → {_value(change.after)}"
                        for change in correction.changes)
    return (f"{correction.original_type} {correction.original[:HASH_SHOWN]}: {changes} · "
            f"{correction.reason}")


def _value(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict):
        return "private" if set(value) == {"commitment"} else \
            " ".join(_value(part) for part in value.values())
    if isinstance(value, list):
        return f"[{len(value)}]"
    return str(value)


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
