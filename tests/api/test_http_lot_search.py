"""A platform searching lots (``GET /lots``), on SQLite and PostgreSQL: every documented filter
filters, and a misspelt one is refused rather than silently returning every lot."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_http_helpers import Api, api_fixture, log_key_file_fixture  # noqa: F401
from tests.journeys import COOP, PLATFORM
from tests.platform_journeys import GTIN, OTHER_GTIN, packed_kiwifruit, recall


def codes(api: Api, **filters: Any) -> set[str]:
    return {row["code"] for row in api.ok(api.get(PLATFORM, "/lots", **filters), 200)["lots"]}


def test_every_filter_filters(api: Api) -> None:
    packed_kiwifruit(api.ledger)
    everything = codes(api, limit=500)
    assert everything == {"KH0", "KH1", "KH2", "KC1", "KG1", "KG2"}
    # GTIN: only the lots packed under it (given as GTIN-13 or -14).
    assert codes(api, gtin=GTIN) == {"KG1", "KG2"}
    assert codes(api, gtin=GTIN[1:]) == {"KG1", "KG2"}
    assert codes(api, gtin=OTHER_GTIN) == set()
    assert codes(api, org=COOP) == everything
    assert codes(api, org=PLATFORM) == set()
    assert codes(api, county="凤凰县") == everything
    assert codes(api, county="吉首市") == set()
    assert codes(api, product="猕猴") == everything
    assert codes(api, product="橙") == set()
    assert codes(api, status="consumed") == {"KH0", "KH1", "KH2", "KC1"}
    recall(api.ledger, "KC1")
    assert codes(api, status="recalled") == {"KC1", "KG1", "KG2"}
    assert codes(api, status="recalled", gtin=GTIN) == {"KG1", "KG2"}
    # Dates: the harvests are recorded at their end, 11:00+08:00 on the 10th, the collection
    # at 14:00; bounds are inclusive.
    assert codes(api, since="2026-09-10T11:00:00+08:00", until="2026-09-10T11:00:00+08:00") \
        == {"KH0", "KH1", "KH2"}
    assert codes(api, since="2026-09-10T12:00:00+08:00") == {"KC1", "KG1", "KG2"}
    assert codes(api, until="2026-09-09T00:00:00Z") == set()


@pytest.mark.parametrize(("query", "field"), [
    ({"gtn": GTIN}, "gtn"), ({"county": "凤凰县", "orgs": COOP}, "orgs"),
    ({"gtin": "06901234567893"}, "gtin"), ({"gtin": "abc"}, "gtin"),
])
def test_an_unknown_parameter_or_bad_gtin_is_400_naming_it(api: Api, query: dict[str, str],
                                                           field: str) -> None:
    response = api.get(PLATFORM, "/lots", **query)
    assert response.status_code == 400, response.text
    assert (response.json()["field"] or "").endswith(field), response.text
