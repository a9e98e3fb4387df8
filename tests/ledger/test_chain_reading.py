"""A chain's records are read one way (``EventStore.chain_records``): the ledger's history,
the API's kept pages (``ChainReader``) and any page of a chain are the same records."""

from __future__ import annotations

import itertools

from ledger.application import Ledger
from ledger.persistence.lookup import ChainReader
from tests.journeys import COOP, harvest, register_parties

STORED = {"facility": "冷库", "started": "2026-09-10T22:00:00+08:00"}


def test_every_page_of_a_chain_is_the_same_slice_of_its_history(ledger: Ledger) -> None:
    register_parties(ledger)
    harvest(ledger, "KH0")
    for n in range(4):
        ledger.record(COOP, "Stored", {**STORED, "facility": f"冷库{n}"}, lot="KH0")
    history = ledger.lot_history("KH0")
    assert [signed.record.seq for signed in history] == [0, 1, 2, 3, 4]
    assert ledger.store.chain_records("lot/KH0") == history
    reader = ChainReader(ledger.store)
    for offset, limit in itertools.product(range(7), range(1, 7)):
        expected = history[offset:offset + limit]
        assert ledger.store.chain_records("lot/KH0", after=offset, limit=limit) == expected
        assert reader.page("lot/KH0", offset, limit) == expected
    # The kept pages see what is recorded after them.
    ledger.record(COOP, "Stored", {**STORED, "facility": "冷库9"}, lot="KH0")
    assert reader.page("lot/KH0", 5, 10) == ledger.lot_history("KH0")[5:]
    assert ledger.store.chain_records("lot/NONE") == []
