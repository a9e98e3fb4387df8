"""The exports over HTTP: an inspector downloads a recall's trace as a workbook and as CSV;
an organisation exports only what it produced or held; bad queries are 400 naming the
field, unknown lots 404, a trace over the row limit 400 naming the limit. SQLite and
PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from api.app import create_app
from api.services import services_of
from ledger.config import Settings
from ledger.consumer.scans import ScanCounter
from ledger.exports.columns import index_of
from ledger.exports.xlsx import MEDIA_TYPE
from tests.api.test_http_helpers import (  # noqa: F401 - fixtures
    ADMIN,
    OTHER,
    Api,
    TestClient,
    api_fixture,
    log_key_file_fixture,
    register,
    service,
)
from tests.exports_story import RECALL_LOTS, recalled_journey
from tests.journeys import CARRIER, COOP, INSPECTOR, PLATFORM

HASH = index_of("record_hash")


@pytest.fixture
def story(api: Api) -> Api:
    recalled_journey(api.ledger, services_of(api.client.app).log)
    return api


def test_an_inspector_downloads_a_recalls_trace(story: Api) -> None:
    response = story.get(INSPECTOR, "/exports/trace.xlsx", recall="KC1")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MEDIA_TYPE
    assert "attachment" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    hashes = [row[HASH] for row in book["追溯 Trace"].iter_rows(min_row=2, values_only=True)]
    stored = {signed.record.hash_hex for lot in RECALL_LOTS
              for signed in story.ledger.history(f"lot/{lot}")}
    assert sorted(hashes) == sorted(stored)
    cover = {row[0]: row[1] for row in book["封面 Cover"].iter_rows(values_only=True) if row[0]}
    assert cover["导出者 Exported by"].startswith("凤凰县市场监督管理局 (insp-xx, token ")
    checkpoint = services_of(story.client.app).log.latest_checkpoint()
    assert cover["检查点大小 Checkpoint size"] == str(checkpoint.size)

    # The CSV holds the same rows, in the same order.
    table = story.get(INSPECTOR, "/exports/trace.csv", recall="KC1")
    assert table.status_code == 200, table.text
    assert table.headers["content-type"].startswith("text/csv")
    assert table.headers["x-agritrace-rows"] == str(len(stored))
    text = table.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [row[HASH] for row in rows[1:]] == hashes


def test_who_may_export_what(story: Api) -> None:
    assert story.get(None, "/exports/trace.csv", lot="KG1").status_code == 401
    assert story.get(ADMIN, "/exports/trace.csv", lot="KG1").status_code == 200
    assert story.get(COOP, "/exports/trace.csv", lot="KG1").status_code == 200  # produced it
    assert story.get(PLATFORM, "/exports/trace.csv", lot="KG1").status_code == 200  # shipped it
    assert story.get(PLATFORM, "/exports/trace.csv", recall="KC1").status_code == 200
    for who, params, field in ((CARRIER, {"lot": "KG1"}, "lot"),
                               (OTHER, {"org": COOP}, "org"),
                               (OTHER, {"gtin": "06901234567892"}, "gtin"),
                               (OTHER, {"recall": "KC1"}, "recall")):
        refused = story.get(who, "/exports/trace.xlsx", **params)
        assert refused.status_code == 403, (who, params, refused.text)
        assert refused.json()["field"] == field
    # An organisation's export without a selector is of its own lots.
    own = story.get(PLATFORM, "/exports/trace.csv")
    assert "org=platform-wh" in own.headers["content-disposition"]


def test_bad_queries_and_unknown_lots(story: Api) -> None:
    for params, status, field in (({"lot": "NOPE"}, 404, "lot"),
                                  ({"gtin": "06901234567809"}, 404, "gtin"),
                                  ({"recall": "NOPE"}, 404, "recall"),
                                  ({"lot": "bad lot!"}, 400, "lot"),
                                  ({"lot": "KG1", "gtin": "06901234567892"}, 400, "gtin"),
                                  ({"since": "last week"}, 400, "since"),
                                  ({"gtin": "123"}, 400, "gtin")):
        for path in ("/exports/trace.xlsx", "/exports/trace.csv"):
            answer = story.get(INSPECTOR, path, **params)
            assert answer.status_code == status, (params, answer.text)
            assert answer.json()["field"] == field


@pytest.fixture
def small(settings: Settings, log_key_file: Path) -> Iterator[Api]:
    app = create_app(settings, service(export_rows=5))
    with TestClient(app) as client:
        admin = services_of(app).ledger.issue_token(None, label="test admin").token
        api = Api(client, register(client, admin))
        recalled_journey(api.ledger, services_of(app).log)
        yield api


def test_a_trace_over_the_row_limit_is_refused_naming_it(small: Api) -> None:
    for path in ("/exports/trace.xlsx", "/exports/trace.csv"):
        refused = small.get(INSPECTOR, path, recall="KC1")
        assert refused.status_code == 400
        assert "more than 5 rows, the limit" in refused.json()["reason"]
    fits = small.get(INSPECTOR, "/exports/trace.csv", lot="KG1", since="2026-09-12",
                     until="2026-09-12")  # packed, shipped, corrected: 3 rows
    assert fits.status_code == 200
    assert fits.headers["x-agritrace-rows"] == "3"


def test_scan_reports_for_the_gtins_owner_and_inspectors(story: Api) -> None:
    counter = ScanCounter(story.ledger.store.engine)
    for _ in range(3):
        counter.count("06901234567892", "KG1", "7")
    counter.flush()
    for who in (INSPECTOR, COOP, ADMIN):
        answer = story.get(who, "/exports/scans.csv")
        assert answer.status_code == 200, answer.text
        rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8").removeprefix(
            "\ufeff"))))
        assert [row[:5] for row in rows[1:]] == [["06901234567892", "KG1", rows[1][2], "3",
                                                  "1"]]
    other = story.get(OTHER, "/exports/scans.csv")
    assert other.status_code == 200
    assert len(other.content.decode("utf-8").splitlines()) == 1  # the header: none of its own
    refused = story.get(OTHER, "/exports/scans.csv", gtin="06901234567892")
    assert refused.status_code == 403
    assert refused.json()["field"] == "gtin"
    assert story.get(INSPECTOR, "/exports/scans.csv", since="tomorrow").json()["field"] == \
        "since"
    assert story.get(None, "/exports/scans.csv").status_code == 401
