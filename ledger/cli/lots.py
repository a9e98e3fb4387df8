"""``agritrace lot``: a lot's history and lineage, and the list of lots."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from ledger.cli.context import DbOption, JsonFlag, opened, out, print_json
from ledger.cli.groups import lot_app
from ledger.cli.render import history_table, lineage_tree, print_lot
from ledger.domain.fields import format_decimal
from ledger.views import lineage_view, lot_summary, record_view

__all__: list[str] = []


@lot_app.command("show")
def lot_show(lot: str, as_json: JsonFlag = False, db: DbOption = None) -> None:
    """A lot's summary, history and lineage (trace back and forward)."""
    with opened(db) as ledger:
        current = ledger.lot(lot)
        history = ledger.lot_history(lot)
        back = {found.code: found for found in ledger.trace_back(lot)}
        forward = {found.code: found for found in ledger.trace_forward(lot)}
    if as_json:
        print_json({
            "lot": lot_summary(current),
            "history": [record_view(signed.record, signed.signature) for signed in history],
            "trace_back": [lineage_view(found) for found in back.values()],
            "trace_forward": [lineage_view(found) for found in forward.values()],
        })
        return
    print_lot(current)
    out.print(history_table([signed.record for signed in history],
                            current.history.corrections))
    out.print(lineage_tree("溯源 trace back", current.code, back, lambda x: x.parents))
    out.print(lineage_tree("追踪 trace forward", current.code, forward, lambda x: x.children))


@lot_app.command("list")
def lot_list(as_json: JsonFlag = False, db: DbOption = None) -> None:
    """Every lot, in the order it was started."""
    with opened(db) as ledger:
        lots = [ledger.lot(first.subject) for first in ledger.chains("lot")]
    if as_json:
        print_json([lot_summary(found) for found in lots])
        return
    table = Table("批次 lot", "产品 product", "数量 quantity", "状态 status",
                  "保管方 custodian", title="批次 Lots")
    for found in lots:
        table.add_row(Text(found.code), Text(found.product.get("name", "")),
                      Text(f"{format_decimal(found.quantity)} {found.unit}"),
                      Text(found.status), Text(found.custodian))
    out.print(table)
