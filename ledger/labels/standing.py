"""Nothing is printed for a lot that must not be sold: label sheets and the 承诺达标合格证 of a
lot that is recalled or on hold, or made from a lot that is, are refused, as recording a
packing, a shipment or a certificate for it is (``ledger.domain.lot``)."""

from __future__ import annotations

from ledger.consumer.model import LotSummary
from ledger.errors import LotHeld, LotRecalled

__all__ = ["require_standing"]


def require_standing(summary: LotSummary, what: str) -> None:
    """Raise ``LotRecalled`` or ``LotHeld``, naming the rule, the lot and the record, when a
    recall or hold is in force on the lot or a lot it was made from (recalls first)."""
    alerts = sorted(summary.alerts, key=lambda alert: alert.kind != "recalled")
    if not alerts:
        return
    alert = alerts[0]
    recalled = alert.kind == "recalled"
    where = (f"lot {summary.lot}" if alert.own
             else f"lot {summary.lot} was made from lot {alert.lot}, which")
    state = "is recalled" if recalled else "is on hold"
    error = LotRecalled if recalled else LotHeld
    rule = f"{'lot' if alert.own else 'ancestor'}-{alert.kind}"
    raise error(f"{where} {state} by record {alert.record} ({alert.reason}); {what} cannot "
                "be printed", field="lot", rule=rule, records=(alert.record,))
