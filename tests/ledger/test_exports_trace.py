"""The traceability spreadsheet, read back: an inspector exports a recall's whole reach and
finds every record of it once, with its hash, leaf index and corrections, in time order,
under a cover naming the query, the exporter and the checkpoint. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.application import Ledger
from ledger.errors import InvalidInput, LotNotFound, NotFound
from ledger.exports.columns import BEIJING, header, index_of
from ledger.exports.csv import BOM, csv_chunks
from ledger.exports.query import parse_trace_query
from ledger.exports.sorting import SpillingSorter
from ledger.exports.trace import TraceTooLarge, build_trace
from ledger.exports.xlsx import write_xlsx
from ledger.log import TransparencyLog
from tests.exports_story import RECALL_LOTS, recalled_journey
from tests.journeys import COOP, register_parties

HASH, TIME, LEAF = index_of("record_hash"), index_of("time"), index_of("leaf_index")
CORRECTED_BY, CORRECTS = index_of("corrected_by"), index_of("corrects")
REFERENCES, LOT = index_of("references"), index_of("lot")


@pytest.fixture
def story(ledger: Ledger) -> TransparencyLog:
    register_parties(ledger)
    return recalled_journey(ledger)


def workbook(ledger: Ledger, log: TransparencyLog, **query: str) -> openpyxl.Workbook:
    with build_trace(ledger, parse_trace_query(**query), by="市场监管 test inspector",
                     checkpoint=log.latest_checkpoint()) as trace:
        buffer = io.BytesIO()
        write_xlsx(trace, buffer)
    buffer.seek(0)
    return openpyxl.load_workbook(buffer)


def test_a_recalls_reach_exports_every_record_once_in_time_order(
        ledger: Ledger, story: TransparencyLog) -> None:
    # The inspector exports the recall ordered on KC1.
    book = workbook(ledger, story, recall="KC1")
    assert book.sheetnames == ["封面 Cover", "追溯 Trace"]
    sheet = book["追溯 Trace"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == header()
    body = rows[1:]
    # Every record of the reach and of where it came from is one row, nothing else.
    stored = {signed.record.hash_hex: signed.record for lot in RECALL_LOTS
              for signed in ledger.history(f"lot/{lot}")}
    hashes = [row[HASH] for row in body]
    assert sorted(hashes) == sorted(stored)
    # Each row's time is its record's, in UTC+8; the rows run in time order.
    for row in body:
        record = stored[row[HASH]]
        assert row[TIME] == datetime.fromisoformat(record.time).astimezone(BEIJING).replace(
            tzinfo=None)
        assert row[LOT] == record.subject
    times = [row[TIME] for row in body]
    assert times == sorted(times)
    # Leaf indices are the log's.
    size = story.latest_checkpoint().size
    assert all(isinstance(row[LEAF], int) and row[LEAF] < size for row in body)
    # The cover says what, who, when and against which checkpoint.
    cover = {row[0]: row[1] for row in book["封面 Cover"].iter_rows(values_only=True) if row[0]}
    checkpoint = story.latest_checkpoint()
    assert cover["查询 Query"] == "recall=KC1"
    assert cover["导出者 Exported by"] == "市场监管 test inspector"
    assert cover["记录数 Records (rows)"] == str(len(stored))
    assert cover["检查点大小 Checkpoint size"] == str(checkpoint.size)
    assert cover["根哈希 Root hash (hex)"] == checkpoint.root_hash.hex()
    assert cover["签名检查点 Signed checkpoint"] == checkpoint.note
    assert "UTC+8" in cover["导出时间 Exported at"]


def test_corrections_apply_and_are_named_both_ways(ledger: Ledger,
                                                    story: TransparencyLog) -> None:
    body = list(workbook(ledger, story, lot="KG1")["追溯 Trace"].iter_rows(values_only=True))
    shipped = next(row for row in body if str(row[1]).endswith("Shipped"))
    correction = next(row for row in body if str(row[1]).endswith("Corrected"))
    assert "XL20260912009" in shipped[REFERENCES]  # the corrected waybill
    assert "XL20260912001" not in shipped[REFERENCES]
    assert shipped[CORRECTED_BY] == correction[HASH]
    assert correction[CORRECTS] == shipped[HASH]
    assert "XL20260912001 → XL20260912009" in correction[index_of("details")]


def test_csv_has_the_same_rows_with_a_bom(ledger: Ledger, story: TransparencyLog) -> None:
    query = parse_trace_query(recall="KC1")
    with build_trace(ledger, query, by="x", checkpoint=story.latest_checkpoint()) as trace:
        text = b"".join(csv_chunks(trace)).decode("utf-8")
    assert text.startswith(BOM)
    rows = list(csv.reader(io.StringIO(text.removeprefix(BOM))))
    assert rows[0] == header()
    book = workbook(ledger, story, recall="KC1")
    expected = [row[HASH] for row in book["追溯 Trace"].iter_rows(min_row=2, values_only=True)]
    assert [row[HASH] for row in rows[1:]] == expected
    assert rows[1][TIME].endswith("+08:00")


def test_dates_narrow_the_rows(ledger: Ledger, story: TransparencyLog) -> None:
    # 2026-09-12 in UTC+8: the packing, the shipment and its correction (not the recall,
    # recorded today, nor the harvests of the 10th).
    body = list(workbook(ledger, story, lot="KG1", since="2026-09-12",
                         until="2026-09-12")["追溯 Trace"].iter_rows(min_row=2,
                                                                     values_only=True))
    assert [str(row[1]).split()[-1] for row in body] == ["Packed", "Shipped", "Corrected"]


def test_gtin_and_organisation_select_their_lots(ledger: Ledger,
                                                 story: TransparencyLog) -> None:
    by_gtin = workbook(ledger, story, gtin="06901234567892")["追溯 Trace"]
    lots = {row[LOT] for row in by_gtin.iter_rows(min_row=2, values_only=True)}
    assert lots == {"KG1", "KC1", "KH0", "KH1", "KH2"}  # KG1 and where it came from
    by_org = workbook(ledger, story, org="platform-wh")["追溯 Trace"]  # shipped KG1
    assert {row[LOT] for row in by_org.iter_rows(min_row=2, values_only=True)} == lots


def test_refusals_name_the_field(ledger: Ledger, story: TransparencyLog) -> None:
    with pytest.raises(LotNotFound) as unknown:
        build_trace(ledger, parse_trace_query(lot="NOPE"), by="x", checkpoint=None)
    assert unknown.value.field == "lot"
    with pytest.raises(NotFound) as no_gtin:
        build_trace(ledger, parse_trace_query(gtin="06901234567809"), by="x", checkpoint=None)
    assert no_gtin.value.field == "gtin"
    with pytest.raises(NotFound) as no_recall:
        build_trace(ledger, parse_trace_query(recall="NOPE"), by="x", checkpoint=None)
    assert no_recall.value.field == "recall"
    for query, field in (({"lot": "KG1", "gtin": "06901234567892"}, "gtin"),
                         ({"lot": "bad lot!"}, "lot"), ({"since": "yesterday"}, "since"),
                         ({"since": "2026-09-12", "until": "2026-09-11"}, "until"),
                         ({"gtin": "06901234567890"}, "gtin")):
        with pytest.raises(InvalidInput) as bad:
            parse_trace_query(**query)
        assert bad.value.field == field


def test_a_trace_over_the_limit_is_refused_naming_it(ledger: Ledger,
                                                     story: TransparencyLog) -> None:
    with pytest.raises(TraceTooLarge) as refused:
        build_trace(ledger, parse_trace_query(recall="KC1"), by="x", checkpoint=None, limit=5)
    assert "more than 5 rows, the limit" in refused.value.reason
    assert refused.value.field == "recall"


def test_spilled_runs_give_the_same_rows(ledger: Ledger, story: TransparencyLog) -> None:
    query = parse_trace_query(recall="KC1")
    with build_trace(ledger, query, by="x", checkpoint=None) as whole, \
            build_trace(ledger, query, by="x", checkpoint=None, run=3) as spilled:
        assert list(spilled.rows()) == list(whole.rows())


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.text(max_size=3)), max_size=40),
       st.integers(1, 7))
def test_the_sorter_sorts_like_sorted(items: list[tuple[int, str]], run: int) -> None:
    with SpillingSorter(run) as sorter:
        for key, value in items:
            sorter.add((key, value), (key, value))
        assert list(sorter.rows()) == sorted(items)


def test_an_organisations_own_lots_only_by_default(ledger: Ledger,
                                                   story: TransparencyLog) -> None:
    from ledger.access.grants import Caller
    from ledger.errors import NotPermitted
    from ledger.exports.access import trace_allowed
    coop = Caller("t1", COOP, admin=False)
    assert trace_allowed(ledger, coop, parse_trace_query()).org == COOP
    with pytest.raises(NotPermitted) as refused:
        trace_allowed(ledger, Caller("t2", "carrier-sf", admin=False),
                      parse_trace_query(lot="KG1"))
    assert refused.value.field == "lot"
    inspector = Caller("t3", "insp-xx", admin=False)
    assert trace_allowed(ledger, inspector, parse_trace_query()).selector is None
