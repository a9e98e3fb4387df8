"""Tokens for organisations and admins; the lot index answers searches."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ledger.application import Ledger
from ledger.errors import NotFound, OrganisationNotFound, Unauthenticated
from ledger.persistence.projections import LotQuery
from ledger.recalls import recall_reach
from tests.journeys import COOP, INSPECTOR, PLATFORM, kiwi_journey


def test_a_token_is_shown_once_stored_hashed_and_can_be_revoked(ledger: Ledger) -> None:
    kiwi_journey(ledger)
    issued = ledger.issue_token(COOP, label="合作社手机")
    grant = ledger.authenticate(issued.token)
    assert (grant.org_id, grant.admin) == (COOP, False)
    secret = issued.token.split("_", 2)[2]
    with ledger.store.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT * FROM agritrace_api_tokens").all()
    assert secret not in repr(stored)

    ledger.revoke_token(issued.token_id)
    with pytest.raises(Unauthenticated, match="revoked"):
        ledger.authenticate(issued.token)
    with pytest.raises(NotFound):
        ledger.revoke_token(issued.token_id)


@pytest.mark.parametrize(("presented", "reason"), [
    (None, "send a token"),
    ("Bearer xyz", "not an agritrace token"),
    ("at_0000000000000000_nope", "unknown token"),
])
def test_bad_tokens_are_refused_with_the_reason(ledger: Ledger, presented: str | None,
                                                 reason: str) -> None:
    with pytest.raises(Unauthenticated, match=reason):
        ledger.authenticate(presented)


def test_tokens_expire_and_admin_tokens_act_for_no_organisation(ledger: Ledger) -> None:
    kiwi_journey(ledger)
    expired = ledger.issue_token(COOP, lifetime=timedelta(seconds=-1))
    with pytest.raises(Unauthenticated, match="expired"):
        ledger.authenticate(expired.token)
    admin = ledger.authenticate(ledger.issue_token(None).token)
    assert admin.admin
    assert admin.org_id is None
    with pytest.raises(OrganisationNotFound):
        ledger.issue_token("nobody-here")


def test_search_lots_by_product_county_organisation_status_and_date(ledger: Ledger) -> None:
    kiwi_journey(ledger)
    codes = lambda **q: {row["code"] for row in ledger.search_lots(LotQuery(**q))}  # noqa: E731
    assert codes(product="猕猴桃") == {"KH0", "KH1", "KH2", "KC1", "KG1", "KG2"}
    assert codes(county="凤凰县", status="consumed") == {"KH0", "KH1", "KH2", "KC1"}
    assert codes(org=PLATFORM) == {"KG1"}
    assert codes(since="2026-09-10T05:00:00Z") == {"KC1", "KG1", "KG2"}  # after harvests
    assert codes(product="橙") == set()

    # The index follows new records, including a recall cascade.
    ledger.record(INSPECTOR, "Recalled", {"reason": "抽检不合格"}, lot="KC1")
    assert codes(status="recalled") == {"KC1", "KG1", "KG2"}
    row = next(r for r in ledger.search_lots(LotQuery(product="猕猴桃")) if r["code"] == "KG1")
    assert (row["custodian"], row["producer"], row["gtin"]) == (
        PLATFORM, COOP, "06901234567892")

    # Rebuilt from nothing, it is the same.
    before = ledger.search_lots(LotQuery(limit=100))
    ledger.lot_index.rebuild()
    assert ledger.search_lots(LotQuery(limit=100)) == before


def test_a_recall_reaches_descendants_and_names_their_holders(ledger: Ledger) -> None:
    kiwi_journey(ledger)
    reach = recall_reach(ledger, "KH1")
    assert reach.order is None  # not recalled: the reach a recall would have
    assert {lot.code: lot.custodian for lot in reach.lots} == {
        "KH1": COOP, "KC1": COOP, "KG1": PLATFORM, "KG2": COOP}
    # Only lots that still exist are held: KH1 and KC1 were used up by collection and grading.
    assert {holder.org: holder.holds for holder in reach.holders} == {
        COOP: ["KG2"], PLATFORM: ["KG1"]}
