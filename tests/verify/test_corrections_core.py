"""The one meaning of a correction: resolving ``corrects`` and merging ``values``."""

from __future__ import annotations

from typing import Any

from verify.canonical import canonical_bytes
from verify.corrections import merged, original_of
from verify.records import ZERO_HASH, Record


def chain_of(*steps: tuple[str, dict[str, Any]], chain: str = "lot/H1") -> list[Record]:
    records: list[Record] = []
    for seq, (step, data) in enumerate(steps):
        records.append(Record.from_bytes(canonical_bytes({
            "v": 1, "chain": chain, "seq": seq,
            "prev": (records[-1].hash if records else ZERO_HASH).hex(), "links": [],
            "type": step, "data": data, "org": "coop", "key": "0" * 16,
            "time": "2026-09-10T04:00:00Z", "recorded": "2026-09-10T04:00:00.000Z"})))
    return records


def test_a_correction_of_a_correction_resolves_to_the_original_walked_once() -> None:
    harvest, = chain_of(("Harvested", {"quantity": "310.5"}))
    first = chain_of(("Harvested", {"quantity": "310.5"}),
                     ("Corrected", {"corrects": harvest.hash_hex, "values": {}}))[1]
    second = chain_of(("Harvested", {"quantity": "310.5"}),
                      ("Corrected", {"corrects": harvest.hash_hex, "values": {}}),
                      ("Corrected", {"corrects": first.hash_hex, "values": {}}))[2]
    by_hex = {r.hash_hex: r for r in (harvest, first, second)}
    looked: list[str] = []

    def find(digest: str) -> Record | None:
        looked.append(digest)
        return by_hex.get(digest)

    resolved: dict[str, Record | None] = {}
    assert original_of(second.hash_hex, "lot/H1", 3, find, resolved) == harvest
    assert resolved == {second.hash_hex: harvest, first.hash_hex: harvest}
    looked.clear()
    assert original_of(second.hash_hex, "lot/H1", 4, find, resolved) == harvest
    assert looked == []  # remembered


def test_a_correction_leads_nowhere_unless_it_names_an_earlier_record_of_its_chain() -> None:
    harvest, = chain_of(("Harvested", {"quantity": "1"}))
    other, = chain_of(("Harvested", {"quantity": "1"}), chain="lot/H2")
    by_hex = {r.hash_hex: r for r in (harvest, other)}
    assert original_of(harvest.hash_hex, "lot/H1", 1, by_hex.get) == harvest
    assert original_of(harvest.hash_hex, "lot/H1", 0, by_hex.get) is None  # not earlier
    assert original_of(other.hash_hex, "lot/H1", 1, by_hex.get) is None  # another chain
    assert original_of(harvest.hash_hex.upper(), "lot/H1", 1, by_hex.get) is None
    assert original_of(None, "lot/H1", 1, by_hex.get) is None
    assert original_of("ab" * 32, "lot/H1", 1, by_hex.get) is None  # unknown


def test_values_replace_top_level_fields_and_null_withdraws_one() -> None:
    data = {"quantity": "310.5", "origin": {"county": "花垣县"}, "valid_until": "2027"}
    assert merged(data, {"quantity": "290", "valid_until": None}) == {
        "quantity": "290", "origin": {"county": "花垣县"}}
    assert data["quantity"] == "310.5"  # the original's data is never changed
