"""The Digital Link resolver over HTTP: content negotiation, link sets, bad codes, serials.

Most tests share one demo ledger on SQLite; scan counting runs on SQLite and PostgreSQL.
``scan_app`` builds the application the way ``api.app.create_app`` does, with the resolver's
router included if ``create_app`` does not include it yet.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from api.app import create_app
from api.scan.linkset import BUNDLE, GS1
from api.services import services_of
from api.settings import ServiceSettings
from ledger.config import Settings
from ledger.consumer.scans import SUSPICIOUS_SCANS
from ledger.demo import KIWI_GTIN, ORANGE_GTIN, ORANGE_LOT, seed_demo
from ledger.log.cosigning import WitnessEndpoint
from tests.conftest import CONFORMANCE

PUBLIC = "https://trace.example.cn"
BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
G1 = f"/01/{KIWI_GTIN}/10/KW26-SBD-G1"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def scan_app(settings: Settings, folder: Path, monkeypatch: pytest.MonkeyPatch | None = None,
             *, seed: bool = True, witnesses: tuple[WitnessEndpoint, ...] = ()) -> FastAPI:
    """The service over ``settings`` with the demo data and the resolver's routes, its
    checkpoints cosigned by ``witnesses``."""
    env = {"AGRITRACE_LOG_KEY_FILE": str(folder / "log-key"), "AGRITRACE_PUBLIC_URL": PUBLIC}
    for name, value in env.items():
        if monkeypatch is not None:
            monkeypatch.setenv(name, value)
        else:
            os.environ[name] = value
    app = create_app(settings, ServiceSettings(integrate=False, witnesses=witnesses))
    if seed:
        seed_demo(services_of(app).ledger)
    return app


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("resolver")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("AGRITRACE_LOG_KEY", raising=False)
        app = scan_app(Settings(db_url=f"sqlite:///{folder / 'a.db'}",
                                master_key=os.urandom(32)), folder, patch)
        with TestClient(app) as opened:
            yield opened


def test_a_browser_gets_the_page_in_chinese_by_default(client: TestClient) -> None:
    response = client.get(G1, headers=BROWSER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-language"] == "zh"
    assert '<html lang="zh-CN">' in response.text
    assert "猕猴桃 kiwifruit" in response.text
    assert "全程记录" in response.text
    assert f'<{PUBLIC}{G1}?linkType=all>; rel="linkset"' in response.headers["link"]
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert len(response.content) < 100_000  # the first view on a slow rural connection


@pytest.mark.parametrize(("accept_language", "lang"), [
    ("en-US,en;q=0.9", "en"), ("zh-CN,zh;q=0.9,en;q=0.8", "zh"), ("en;q=0.5,zh;q=0.9", "zh"),
    ("fr-FR,en;q=0.7", "en"), ("fr-FR", "zh"), ("", "zh"), ("en;q=abc", "en"),
])
def test_the_language_follows_accept_language(client: TestClient, accept_language: str,
                                              lang: str) -> None:
    response = client.get(G1, headers={**BROWSER, "Accept-Language": accept_language})
    assert response.headers["content-language"] == lang
    vary = {part.strip() for part in response.headers["vary"].split(",")}
    assert {"Accept", "Accept-Language"} <= vary  # and Accept-Encoding when gzipped


def test_english_first_with_chinese_beside_it(client: TestClient) -> None:
    text = client.get(G1 + "?lang=en", headers={"Accept-Language": "zh"}).text
    assert '<html lang="en">' in text
    assert 'Every step <span class="alt" lang="zh">全程记录</span>' in text


def test_json_gets_the_public_summary(client: TestClient) -> None:
    response = client.get(G1, headers={"Accept": "application/json"})
    assert response.status_code == 200
    body = response.json()
    assert body["lot"] == "KW26-SBD-G1"
    assert body["digital_link"] == PUBLIC + G1
    assert body["links"]["bundle"] == f"{PUBLIC}/lots/KW26-SBD-G1/bundle"
    assert body["households"]["count"] == 3
    assert body["cold_chain"]["excursions"] == 1
    assert client.get(G1 + "?linkType=gs1:traceability").json() == body


def test_the_link_set_follows_rfc_9264_and_the_gs1_resolver(client: TestClient) -> None:
    response = client.get(G1 + "?linkType=all")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/linkset+json"
    assert client.get(G1, headers={"Accept": "application/linkset+json"}).json() == (
        response.json())
    (context,) = response.json()["linkset"]
    assert context["anchor"] == PUBLIC + G1
    assert context["itemDescription"] == "猕猴桃 kiwifruit"
    # Shaped like the GS1 resolver's example link set: relation URI -> list of targets.
    example = json.loads((CONFORMANCE / "digitallink" / "resolver_linkset.json").read_text())
    gs1_context = example["linkset"][0]
    gs1_targets = [t for k, v in gs1_context.items() if k.startswith(GS1) for t in v]
    ours = [t for k, v in context.items() if isinstance(v, list) for t in v]
    assert {key for t in ours for key in t} <= {key for t in gs1_targets for key in t}
    # The default link has a title and no other attribute (GS1-Conformant Resolver 1.0).
    (default,) = context[GS1 + "defaultLink"]
    assert default.keys() == {"href", "title"}
    assert default["href"] == PUBLIC + G1
    others = [t for t in ours if t is not default]
    assert all(isinstance(t["hreflang"], list) and t["href"].startswith(PUBLIC) for t in others)
    # Every GS1 link type we use is one the GS1 resolver knows.
    known = json.loads((CONFORMANCE / "digitallink" / "resolver_gs1resolver.json").read_text())
    known_urls = {entry["url"] for entry in known["activeLinkTypes"]["en"].values()}
    relations = {key for key, value in context.items() if isinstance(value, list)}
    assert relations - known_urls - {GS1 + "defaultLink"} == {BUNDLE}
    assert {GS1 + "pip", GS1 + "traceability", GS1 + "certificationInfo",
            GS1 + "recallStatus"} <= relations


def test_the_link_set_validates_against_gs1s_linkset_schema(client: TestClient) -> None:
    """GS1's resolver test suite validates the link set against this schema: relation types
    are registered lowercase names or http(s) URIs, targets have an href and a title."""
    schema = json.loads((CONFORMANCE / "digitallink" / "gs1-linkset-schema.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    link_set = client.get(G1 + "?linkType=all").json()
    assert list(validator.iter_errors(link_set)) == []
    assert BUNDLE.startswith("https://")
    # The schema refuses what the bundle's relation type was before: a URN.
    (context,) = link_set["linkset"]
    context["urn:agritrace:linktype:bundle"] = context.pop(BUNDLE)
    assert not validator.is_valid(link_set)


def test_every_link_in_the_link_set_is_served(client: TestClient) -> None:
    (context,) = client.get(G1 + "?linkType=all").json()["linkset"]
    for relation, targets in context.items():
        if not isinstance(targets, list):
            continue
        for target in targets:
            response = client.get(target["href"].removeprefix(PUBLIC))
            assert response.status_code == 200, (relation, target)
            media_type = target.get("type", "text/html")  # the default link gives none
            assert response.headers["content-type"].startswith(media_type), target


@pytest.mark.parametrize(("link_type", "location"), [
    ("agritrace:bundle", "/lots/KW26-SBD-G1/bundle"), (BUNDLE, "/lots/KW26-SBD-G1/bundle"),
    ("urn:agritrace:linktype:bundle", "/lots/KW26-SBD-G1/bundle"),
    ("gs1:certificationInfo", "/lots/KW26-SBD-G1/certificate"),
    (GS1 + "certificationInfo", "/lots/KW26-SBD-G1/certificate"),
])
def test_link_types_redirect_to_their_targets(client: TestClient, link_type: str,
                                              location: str) -> None:
    response = client.get(G1, params={"linkType": link_type}, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == location


def test_an_unknown_link_type_gets_the_default_page(client: TestClient) -> None:
    response = client.get(G1 + "?linkType=gs1:nutritionalInfo", headers=BROWSER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


def test_recall_status_names_the_recall_of_an_ancestor(client: TestClient) -> None:
    status = client.get(G1 + "?linkType=gs1:recallStatus").json()
    assert status["recalled"] is False
    assert status["alerts"] == []
    recalled = client.get("/lots/OR26-MY-A/page", headers={"Accept": "application/json"}).json()
    assert recalled["status"] == "recalled"
    assert [alert["lot"] for alert in recalled["alerts"]] == [ORANGE_LOT]
    # The recalled grade lot was packed for sale: its page is its Digital Link.
    assert recalled["links"]["page"] == f"{PUBLIC}/01/{ORANGE_GTIN}/10/OR26-MY-A"


@pytest.mark.parametrize("path", [
    f"/01/{KIWI_GTIN[:-1]}9/10/KW26-SBD-G1",  # check digit
    f"/01/{KIWI_GTIN}/21/5/10/KW26-SBD-G1",  # qualifier order
    f"/01/{KIWI_GTIN}/10/KW26-SBD-G1/21/{'9' * 21}",  # serial too long
    f"/01/{KIWI_GTIN}/10/KW26-SBD-G1/21/{'9' * 3000}",  # huge
    f"/01/{KIWI_GTIN}/10/KW26%20SBD",  # a space is not in CSET 82
    f"/01/{KIWI_GTIN}/99/X",
    "/01/abc", "/01/", "/01/16941234000125/10",
    "/qr/01/16941234000126/10/KW26-SBD-G1.png", "/qr/01/16941234000125/10/KW26-SBD-G1.gif",
    "/qr/01/16941234000125/10/KW26-SBD-G1.png?size=0",
    "/qr/01/16941234000125/10/KW26-SBD-G1.png?size=x", "/lots/KW%20X/page",
])
def test_malformed_codes_are_400(client: TestClient, path: str) -> None:
    page = client.get(path, headers=BROWSER)
    assert page.status_code == 400
    assert "无效的编码" in page.text
    program = client.get(path, headers={"Accept": "application/json"})
    assert program.status_code == 400
    assert program.json()["error"] == "InvalidInput"


@pytest.mark.parametrize("path", [
    f"/01/{KIWI_GTIN}/10/NO-SUCH-LOT",  # unknown lot
    "/01/06941234000128/10/KW26-SBD-G1",  # a valid GTIN that is not this lot's
    f"/01/{KIWI_GTIN}/10/KW26-SBD-G1/21/301",  # past the last serial
    f"/01/{KIWI_GTIN}/10/KW26-SBD-G1/21/007",  # never printed with leading zeros
    f"/01/{KIWI_GTIN}/10/KW26-SBD-G1/21/A1",
    f"/01/{KIWI_GTIN}/22/V1/10/KW26-SBD-G1",  # we issue no CPVs
    f"/01/{KIWI_GTIN}/10/_LOT",  # CSET 82 but not one of our lot codes
    f"/01/{KIWI_GTIN}",  # a product, not a batch
    "/lots/NO-SUCH-LOT/page", "/qr/01/16941234000125/10/NO-SUCH.svg",
])
def test_unknown_codes_are_a_friendly_404(client: TestClient, path: str) -> None:
    page = client.get(path, headers=BROWSER)
    assert page.status_code == 404
    assert "未登记的编码" in page.text
    assert "counterfeit" in page.text
    assert client.get(path, headers={"Accept": "application/json"}).status_code == 404


def test_a_serialised_unit_resolves_and_is_counted(client: TestClient) -> None:
    path = f"{G1}/21/17"
    first = client.get(path, headers={"Accept": "application/json"}).json()
    assert first["serial"] == "17"
    assert first["scans"] == 1
    assert client.head(path).status_code == 200  # a HEAD is not a scan
    second = client.get(path, headers={"Accept": "application/json"}).json()
    assert second["scans"] == 2
    # The demo is dated from the day it is seeded: its kiwifruit is fresh, not past its date.
    assert "after-best-before" not in second["warnings"]
    page = client.get(path, headers=BROWSER).text
    assert "序列号" in page
    assert ">17<" in page


def test_many_scans_of_one_code_warn_of_a_copied_label(client: TestClient) -> None:
    path = f"{G1}/21/42"
    for _ in range(SUSPICIOUS_SCANS):
        client.get(path, headers={"Accept": "application/json"})
    page = client.get(path, headers=BROWSER).text
    assert 'data-warning="many-scans"' in page
    assert f"{SUSPICIOUS_SCANS + 1} 次" in page


def test_head_and_unknown_methods(client: TestClient) -> None:
    assert client.head(G1).status_code == 200
    assert client.post(G1).status_code == 405


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet="0123456789AZaz-._~%/!$&'()*+,;=:@ ", max_size=25),
                min_size=0, max_size=6))
def test_no_path_under_01_is_a_server_error(client: TestClient, segments: list[str]) -> None:
    path = "/01/" + "/".join(segments)
    for accept in ("text/html", "application/json"):
        response = client.get(path.replace(" ", "%20"), headers={"Accept": accept})
        assert response.status_code in (200, 400, 404), (path, response.status_code)


def _summary_bytes(client: TestClient, lot: str) -> bytes:
    return client.get(f"/lots/{lot}/page", headers={"Accept": "application/json"}).content


def test_pages_show_no_private_values(client: TestClient) -> None:
    ledger: Any = services_of(client.app).ledger
    for lot in ("KW26-SBD-G1", "KW26-SBD-H01", "KW26-SBD-C01", "TEA26-BJ-001"):
        for body in (_summary_bytes(client, lot).decode(),
                     client.get(f"/lots/{lot}/page").text):
            for record in ledger.lot_history(lot):
                for commitment in _commitments(record.record.data):
                    assert commitment not in body
            for private in ("石光明", "龙秀英", "施成林", "SBD-017", "SBD-023", "彭金花"):
                assert private not in body
            assert '"commitment"' not in body


def _commitments(value: Any) -> list[str]:
    if isinstance(value, dict):
        if set(value) == {"commitment"}:
            return [value["commitment"]]
        return [c for item in value.values() for c in _commitments(item)]
    if isinstance(value, list):
        return [c for item in value for c in _commitments(item)]
    return []


def test_an_unchanged_page_revalidates_with_its_etag(client: TestClient) -> None:
    first = client.get(G1, headers=BROWSER)
    etag = first.headers["etag"]
    again = client.get(G1, headers={**BROWSER, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    english = client.get(G1 + "?lang=en", headers={**BROWSER, "If-None-Match": etag})
    assert english.status_code == 200  # another language is another page
    ledger: Any = services_of(client.app).ledger
    ledger.record("samr-xiangxi", "Inspected", {"kind": "visual", "verdict": "pass"},
                  lot="KW26-SBD-G1")
    changed = client.get(G1, headers={**BROWSER, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert "感官检查" in changed.text


# --- GS1-Conformant Resolver: CORS, the link set's Link header, the description file,
# --- compressed links, the query string on redirects -------------------------------------

COMPRESSED = {v["uncompressed"]: v["compressed"] for v in json.loads(
    (CONFORMANCE / "digitallink" / "compression.json").read_text())["vectors"]
    if v["optimisations"]}
LINKSET_TITLE = re.compile(r'<([^>]+)>; rel="linkset"; type="application/linkset\+json"; '
                           r'title="[^"]+"')


@pytest.mark.parametrize("path", [
    G1, G1 + "?linkType=all", G1 + "?linkType=gs1:recallStatus",
    f"/01/{KIWI_GTIN}/10/NO-SUCH-LOT", "/01/abc", COMPRESSED[G1], "/.well-known/gs1resolver",
    "/lots/KW26-SBD-G1", "/lots/KW26-SBD-G1/page", "/lots/KW26-SBD-G1/bundle",
    "/lots/KW26-SBD-G1/certificate", f"/qr/01/{KIWI_GTIN}/10/KW26-SBD-G1.svg", "/log/key",
])
def test_the_resolver_and_public_reads_answer_any_origin(client: TestClient,
                                                         path: str) -> None:
    # GS1's test suite reads the headers of a plain request, without an Origin.
    for response in (client.get(path), client.head(path),
                     client.get(path, headers={"Origin": "https://shop.example"})):
        assert response.headers["access-control-allow-origin"] == "*"
        assert response.headers["access-control-allow-methods"] == "GET, HEAD, OPTIONS"
        assert "access-control-allow-credentials" not in response.headers
    assert "Link" in client.get(path).headers["access-control-expose-headers"]
    # OPTIONS, plain or a browser's preflight, is answered.
    for headers in ({}, {"Origin": "https://shop.example", "Access-Control-Request-Method":
                         "GET", "Access-Control-Request-Headers": "accept-language"}):
        options = client.options(path, headers=headers)
        assert options.status_code == 204
        assert options.headers["access-control-allow-origin"] == "*"
        assert options.headers["allow"] == "GET, HEAD, OPTIONS"
        assert "Accept-Language" in options.headers["access-control-allow-headers"]


@pytest.mark.parametrize("path", ["/lots/KW26-SBD-G1/private", "/whoami", "/lots",
                                  "/orgs/coop-xiangxi/tokens"])
def test_private_reads_get_no_cors(client: TestClient, path: str) -> None:
    assert "access-control-allow-origin" not in client.get(path).headers
    assert client.options(path).status_code == 405


def test_the_link_header_gives_the_link_set_a_title(client: TestClient) -> None:
    page = client.get(G1, headers=BROWSER)
    found = LINKSET_TITLE.fullmatch(page.headers["link"])
    assert found is not None, page.headers["link"]
    assert found.group(1) == f"{PUBLIC}{G1}?linkType=all"
    # A redirect names the link set too (GS1: SHOULD, when redirecting).
    redirect = client.get(G1 + "?linkType=agritrace:bundle", follow_redirects=False)
    assert LINKSET_TITLE.fullmatch(redirect.headers["link"])


def test_link_type_linkset_gets_the_link_set(client: TestClient) -> None:
    response = client.get(G1 + "?linkType=linkset")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/linkset+json"
    assert response.json() == client.get(G1 + "?linkType=all").json()


def test_a_link_type_redirect_passes_the_rest_of_the_query_on(client: TestClient) -> None:
    query = [("linkType", "gs1:certificationInfo"), ("lang", "en"), ("campaign", "a b")]
    response = client.get(G1, params=query, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == (
        "/lots/KW26-SBD-G1/certificate?lang=en&campaign=a+b")
    response = client.get(G1 + "?foo=bar&linkType=agritrace:bundle", follow_redirects=False)
    assert response.headers["location"] == "/lots/KW26-SBD-G1/bundle?foo=bar"


def test_the_resolver_description_file(client: TestClient) -> None:
    response = client.get("/.well-known/gs1resolver")
    assert response.status_code == 200
    assert client.head("/.well-known/gs1resolver").status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    schema = json.loads(
        (CONFORMANCE / "digitallink" / "resolver-description-file-schema.json").read_text())
    assert list(jsonschema.Draft7Validator(schema).iter_errors(body)) == []
    # Shaped like the GS1 resolver's own file, with this service's values.
    example = json.loads((CONFORMANCE / "digitallink" / "resolver_gs1resolver.json").read_text())
    assert body.keys() <= example.keys() | schema["properties"].keys()
    assert body["resolverRoot"] == PUBLIC
    assert body["supportedPrimaryKeys"] == ["01"]
    (context,) = client.get(G1 + "?linkType=all").json()["linkset"]
    for language in ("en", "zh"):
        described = body["activeLinkTypes"][language]
        assert {entry["url"] for entry in described.values()} <= context.keys()
        assert all(entry["title"] for entry in described.values())
    # Every link type it names is one the resolver answers.
    for curie in body["activeLinkTypes"]["en"]:
        assert client.get(G1, params={"linkType": curie}, follow_redirects=False,
                          headers={"Accept": "application/json"}).status_code in (200, 307)


def test_a_compressed_link_gets_the_answer_of_the_uncompressed_one(client: TestClient) -> None:
    compressed = COMPRESSED[G1]
    assert compressed == "/Cx7Q4Hgh-tZS23XyQIfw2o"
    for headers in (BROWSER, {"Accept": "application/json"},
                    {"Accept": "application/linkset+json"}, {"Accept-Language": "en"}):
        plain, packed = client.get(G1, headers=headers), client.get(compressed, headers=headers)
        assert packed.status_code == plain.status_code == 200
        assert packed.headers["content-type"] == plain.headers["content-type"]
        assert packed.content == plain.content
        # GS1: the uncompressed URI is named, as owl:sameAs.
        assert f'<{PUBLIC}{G1}>; rel="owl:sameAs"' in packed.headers["link"]
    assert client.head(compressed).status_code == 200
    assert client.get(compressed + "?linkType=all").json() == client.get(
        G1 + "?linkType=all").json()
    # Compressed without GS1's optimisation codes, the same.
    unoptimised = next(v["compressed"] for v in json.loads(
        (CONFORMANCE / "digitallink" / "compression.json").read_text())["vectors"]
        if v["uncompressed"] == G1 and not v["optimisations"])
    assert client.get(unoptimised, headers=BROWSER).content == client.get(
        G1, headers=BROWSER).content


def test_a_compressed_link_carries_its_query_and_serial(client: TestClient) -> None:
    # key=value pairs compressed into the link act as the query string would.
    certificate = client.get(
        COMPRESSED[G1 + "?linkType=gs1:certificationInfo&lang=en"], follow_redirects=False)
    assert certificate.status_code == 307
    assert certificate.headers["location"] == "/lots/KW26-SBD-G1/certificate?lang=en"
    bundle = client.get(COMPRESSED[G1 + "?linkType=agritrace:bundle"] + "?lang=zh",
                        follow_redirects=False)
    assert bundle.headers["location"] == "/lots/KW26-SBD-G1/bundle?lang=zh"
    dated = client.get(COMPRESSED[G1 + "?17=261231"], headers=BROWSER)
    assert dated.status_code == 200
    assert f'<{PUBLIC}{G1}?17=261231>; rel="owl:sameAs"' in dated.headers["link"]
    # A serialised unit's compressed code counts a scan like its plain code.
    unit = f"{G1}/21/1"
    before = client.get(unit, headers={"Accept": "application/json"}).json()["scans"]
    packed = client.get(COMPRESSED[unit], headers={"Accept": "application/json"}).json()
    assert (packed["serial"], packed["scans"]) == ("1", before + 1)


def test_bad_compressed_links_are_400_and_unknown_ones_404(client: TestClient) -> None:
    unknown = client.get(COMPRESSED[f"/01/{KIWI_GTIN}/10/NO-SUCH-LOT"], headers=BROWSER)
    assert unknown.status_code == 404
    assert "未登记的编码" in unknown.text
    # The kiwifruit's code with the GTIN's check digit changed.
    bits = "".join(format(BASE64.index(c), "06b") for c in COMPRESSED[G1][1:])
    bits = bits[:8] + format(int(KIWI_GTIN[:-1] + "6"), "047b") + bits[55:]
    changed = "/" + "".join(BASE64[int(bits[i:i + 6], 2)] for i in range(0, len(bits), 6))
    for path in (changed, "/Cx7Q4Hgh-tZS23XyQIfw2p", "/AAAAAAAAAAAAAAAAAAAAAAAA",
                 "/documentation-of-this-service", "/" + "A" * 201):
        response = client.get(path, headers={"Accept": "application/json"})
        assert response.status_code == 400, path
        assert response.json()["field"] in ("path", "gtin")
        assert client.get(path, headers=BROWSER).status_code == 400
    # Short words are not taken for compressed links.
    assert client.get("/no-such").status_code == 404
