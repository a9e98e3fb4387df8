"""A step as an HTTP step endpoint gives it (``Ledger.record_step``): its data and its path's
lot, with errors naming the fields as the request has them."""

from __future__ import annotations

import pytest

from ledger.application import Ledger
from ledger.errors import AlreadyExists, InvalidInput
from tests.journeys import COOP, harvest, register_parties


def test_a_step_as_its_request_gives_it_names_the_fields_of_its_data(ledger: Ledger) -> None:
    # An HTTP step endpoint sends the step's data and its path's lot: the ledger answers
    # with the fields the request has (quantity, not data.quantity; a collection's new lot
    # is the path's lot).
    register_parties(ledger)
    harvest(ledger, "KH0")
    with pytest.raises(InvalidInput) as stored:
        ledger.record_step(COOP, "Stored", "KH0", {"facility": "冷库", "started": "soon"})
    assert stored.value.field == "started"
    purchase = {"lot": "KH0", "quantity": "10", "price_per_kg": "6",
                "protective_price_per_kg": "6"}
    with pytest.raises(AlreadyExists) as taken:
        ledger.record_step(COOP, "Collected", "KH0", {"collection_point": "田头",
                                                      "purchases": [purchase]})
    assert taken.value.field == "lot"
    made = ledger.record_step(COOP, "Collected", "KC1", {"collection_point": "田头",
                                                         "purchases": [purchase]})
    assert [receipt.chain for receipt in made] == ["lot/KH0", "lot/KC1"]
    assert len(ledger.lot_history("KH0")) == 2
