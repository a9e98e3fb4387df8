"""Who may export what.

- An **admin** token and an **inspector**'s (an organisation with the ``inspector`` role)
  export any trace and any scan report: inspecting the whole chain is their job.
- Any other **organisation** exports the traces of lots it produced or held, and scan
  reports of its own GTINs:

  - ``org``: only its own id; with no selector at all, the query is of its own lots;
  - ``lot``: a lot it recorded on (it produced, handled, received or inspected it) or was
    shipped;
  - ``recall``: a recall reaching (the ordered lot or a descendant) such a lot;
  - ``gtin``: a GTIN under one of its GS1 registrations (``ledger.domain.gtins``);
  - scan reports: the GTINs under its registrations only.

  The trace of such a lot still runs back and forward through the lineage, other
  organisations' records included: each lot's records are public (``GET /lots/{lot}``); what
  is withheld is a way to enumerate other organisations' business wholesale.

Refusals are ``NotPermitted`` naming the field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ledger.access.grants import Caller
from ledger.domain.gtins import covers
from ledger.domain.organisation import Organisation
from ledger.errors import NotPermitted
from ledger.exports.query import TraceQuery
from ledger.recalls import recall_reach

if TYPE_CHECKING:
    from ledger.application import Ledger

__all__ = ["gtin_filter", "sees_everything", "trace_allowed"]


def sees_everything(ledger: Ledger, caller: Caller) -> bool:
    """Admin tokens and inspectors."""
    return caller.admin or (caller.org is not None and
                            "inspector" in ledger.organisation(caller.org).roles)


def trace_allowed(ledger: Ledger, caller: Caller, query: TraceQuery) -> TraceQuery:
    """``query`` as ``caller`` may run it (an organisation's query without a selector
    becomes one of its own lots); ``NotPermitted`` naming the field otherwise."""
    if sees_everything(ledger, caller):
        return query
    org = caller.acting_org()
    if query.selector is None:
        return query.with_org(org)
    if query.org is not None and query.org != org:
        raise NotPermitted(f"a token of {org} exports its own lots (org={org}), not "
                           f"{query.org}'s; inspectors export any", field="org")
    if query.gtin is not None and not _owns(ledger.organisation(org), query.gtin):
        raise NotPermitted(f"GTIN {query.gtin} is not under a GS1 registration of {org}",
                           field="gtin")
    if query.lot is not None and not _held(ledger, query.lot, org):
        raise NotPermitted(f"{org} neither produced nor held lot {query.lot}", field="lot")
    if query.recall is not None:
        reach = recall_reach(ledger, query.recall)
        if not any(_held(ledger, lot.code, org) for lot in reach.lots):
            raise NotPermitted(f"the recall reaches no lot {org} produced or held",
                               field="recall")
    return query


def gtin_filter(ledger: Ledger, caller: Caller) -> list[str] | None:
    """The GS1 registrations whose GTINs ``caller`` may see scans of; None for all."""
    if sees_everything(ledger, caller):
        return None
    return list(ledger.organisation(caller.acting_org()).registrations)


def _owns(organisation: Organisation, gtin: str) -> bool:
    return any(covers(registration, gtin) for registration in organisation.registrations)


def _held(ledger: Ledger, lot: str, org: str) -> bool:
    return any(record.org == org or (record.type == "Shipped" and record.data.get("to") == org)
               for record, _ in ledger.lot_history(lot))
