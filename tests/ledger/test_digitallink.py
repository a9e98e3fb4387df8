"""GS1 Digital Link paths: parsing, formatting, check digits and qualifier order, checked
against the GS1 conformance files in ``tests/vectors/digitallink``."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, quote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ledger.digitallink.compressed import Decompressed, decompress_digital_link
from ledger.digitallink.uris import (
    DEFAULT_PUBLIC_URL,
    DigitalLink,
    digital_link_uri,
    lot_page_uri,
    parse_digital_link,
    public_url,
)
from ledger.domain.fields import gtin_check_digit
from ledger.errors import InvalidInput
from tests.conftest import CONFORMANCE

DL = CONFORMANCE / "digitallink"
CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"


def _resolver_anchors() -> list[str]:
    anchors = []
    for path in sorted(DL.glob("resolver_test_*.json")):
        entries = json.loads(path.read_text())
        for entry in entries if isinstance(entries, list) else [entries]:
            anchors.append(entry["anchor"])
    return anchors


def test_the_conformance_files_are_there() -> None:
    assert len(_resolver_anchors()) >= 4


@pytest.mark.parametrize("anchor", sorted(set(_resolver_anchors())))
def test_gs1_resolver_anchors_parse_with_valid_check_digits(anchor: str) -> None:
    link = parse_digital_link(anchor)
    assert link.gtin == anchor.rsplit("/", 1)[1]
    assert gtin_check_digit(link.gtin[:13]) == link.gtin[13]
    assert link.path == anchor


def test_gs1_resolver_qualifier_examples_parse() -> None:
    # resolver_test_01_09506000134376.json names the lot and serial qualifiers of a GTIN.
    link = parse_digital_link("/01/09506000134376/10/LOT_123/21/SERIAL_456")
    assert link == DigitalLink(gtin="09506000134376", lot="LOT_123", serial="SERIAL_456")


def test_our_qualifier_order_is_the_gs1_one() -> None:
    identifiers = json.loads((DL / "identifier-list.json").read_text())
    gtin = next(entry for entry in identifiers if entry["code"] == "01")
    assert gtin["keyQualifiers"] == ["22", "10", "21"]
    dictionary = (DL / "gs1-syntax-dictionary.txt").read_text()
    assert re.search(r"^01\s.*dlpkey=22,10,21", dictionary, re.MULTILINE)
    for ai in ("10", "21", "22"):
        assert re.search(rf"^{ai}\s+\??\s*X\.\.20\s", dictionary, re.MULTILINE), ai


@pytest.mark.parametrize(("given_gtin", "normalised"), [
    ("09506000134352", "09506000134352"),  # GTIN-14
    ("9506000134352", "09506000134352"),  # GTIN-13
    ("614141000036", "00614141000036"),  # GTIN-12
    ("96385074", "00000096385074"),  # GTIN-8
])
def test_short_gtins_are_normalised_to_fourteen_digits(given_gtin: str, normalised: str) -> None:
    link = parse_digital_link(f"/01/{given_gtin}/10/A1")
    assert link.gtin == normalised
    assert link.path == f"/01/{normalised}/10/A1"


@pytest.mark.parametrize(("path", "field"), [
    ("/01/09506000134353/10/A1", "gtin"),  # check digit
    ("/01/0950600013435/10/A1", "gtin"),  # 13 digits with a wrong check digit
    ("/01/095060001343521/10/A1", "gtin"),  # 15 digits
    ("/01/0950600013435X/10/A1", "gtin"),
    ("/01/09506000134352/21/S1/10/A1", "lot"),  # lot after serial
    ("/01/09506000134352/10/A1/22/C1", "cpv"),  # cpv after lot
    ("/01/09506000134352/10/A1/10/A2", "lot"),  # repeated
    ("/01/09506000134352/17/261231", "path"),  # a data attribute is not a path qualifier
    ("/01/09506000134352/10", "path"),  # odd number of segments
    ("/01/09506000134352/10/" + "A" * 21, "lot"),
    ("/01/09506000134352/10/A1/21/" + "9" * 21, "serial"),
    ("/01/09506000134352/10/A1/21/" + "9" * 5000, "path"),
    ("/01/09506000134352/10/%C3%A9", "lot"),  # é is not in CSET 82
    ("/01/09506000134352/10/A%20B", "lot"),  # nor is a space
    ("/01/09506000134352/10/%FF", "lot"),  # not UTF-8
    ("/01/09506000134352/10/", "path"),
    ("/00/009506000134352000", "path"),  # an SSCC: not served here
    ("/01", "path"),
    ("", "path"),
])
def test_malformed_paths_name_the_bad_part(path: str, field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_digital_link(path)
    assert error.value.field == field


def test_values_are_percent_decoded_and_reencoded() -> None:
    link = parse_digital_link("/01/09506000134352/10/AB%2F12%25")
    assert link.lot == "AB/12%"
    assert link.path == "/01/09506000134352/10/AB%2F12%25"
    assert parse_digital_link("/01/09506000134352/10/A1/").lot == "A1"  # trailing slash


@given(st.text(alphabet=CSET82, min_size=1, max_size=20),
       st.text(alphabet=CSET82, min_size=1, max_size=20))
def test_any_cset82_lot_and_serial_round_trip(lot: str, serial: str) -> None:
    link = DigitalLink(gtin="09506000134352", lot=lot, serial=serial)
    assert parse_digital_link(link.path) == link
    assert "/" not in link.path.split("/10/", 1)[1].split("/21/")[0]


@given(st.text(alphabet="0123456789", min_size=13, max_size=13))
def test_check_digits_are_required(body: str) -> None:
    assume(body.strip("0"))  # all zeros is no GTIN whatever its check digit
    good = body + gtin_check_digit(body)
    assert parse_digital_link(f"/01/{good}").gtin == good
    bad = body + str((int(good[-1]) + 1) % 10)
    with pytest.raises(InvalidInput):
        parse_digital_link(f"/01/{bad}")


def test_digital_link_uri_formats_on_the_public_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGRITRACE_PUBLIC_URL", raising=False)
    assert public_url() == DEFAULT_PUBLIC_URL
    assert (digital_link_uri(None, "16941234000125", "KW26-SBD-G1")
            == "http://127.0.0.1:8000/01/16941234000125/10/KW26-SBD-G1")
    monkeypatch.setenv("AGRITRACE_PUBLIC_URL", "https://trace.example.cn/")
    assert (digital_link_uri(None, "6941234000128", "KW1", 7)
            == "https://trace.example.cn/01/06941234000128/10/KW1/21/7")
    assert (digital_link_uri("https://a.example", "16941234000125", "L/1")
            == f"https://a.example/01/16941234000125/10/{quote('L/1', safe='')}")
    assert lot_page_uri(None, "TEA26-BJ-001", None) == (
        "https://trace.example.cn/lots/TEA26-BJ-001/page")
    monkeypatch.setenv("AGRITRACE_PUBLIC_URL", "ftp://nope")
    with pytest.raises(InvalidInput):
        public_url()


@pytest.mark.parametrize(("gtin", "lot", "serial"), [
    ("16941234000126", "KW1", None), ("16941234000125", "X" * 21, None),
    ("16941234000125", "KW1", "1" * 21), ("16941234000125", "", None),
])
def test_digital_link_uri_refuses_what_the_resolver_would(gtin: str, lot: str,
                                                          serial: str | None) -> None:
    with pytest.raises(InvalidInput):
        digital_link_uri("https://a.example", gtin, lot, serial)


# --- compressed Digital Links -------------------------------------------------------------

COMPRESSION = json.loads((DL / "compression.json").read_text())
BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _bits(segment: str) -> str:
    return "".join(format(BASE64.index(c), "06b") for c in segment)


def _segment(bits: str) -> str:
    bits += "0" * (-len(bits) % 6)
    return "".join(BASE64[int(bits[i:i + 6], 2)] for i in range(0, len(bits), 6))


def test_the_compression_vectors_are_gs1s_prototypes() -> None:
    assert COMPRESSION["origin"]["made_by"].startswith("npm digital-link.js@1.4.3")
    assert len(COMPRESSION["vectors"]) >= 40
    # The example a GS1 resolver test names: the demo kiwifruit.
    assert {"uncompressed": "/01/16941234000125/10/KW26-SBD-G1", "optimisations": True,
            "compressed": "/Cx7Q4Hgh-tZS23XyQIfw2o",
            "prototype_decompresses_to": "/01/16941234000125/10/KW26-SBD-G1",
            } in COMPRESSION["vectors"]


@pytest.mark.parametrize("vector", COMPRESSION["vectors"],
                         ids=[f"{v['uncompressed']}-{v['optimisations']}"
                              for v in COMPRESSION["vectors"]])
def test_compressed_links_decompress_as_gs1s_prototype_compressed_them(
        vector: dict[str, Any]) -> None:
    found = decompress_digital_link(vector["compressed"].removeprefix("/"))
    path, _, query = vector["uncompressed"].partition("?")
    assert found.query == tuple(parse_qsl(query))
    if path.startswith("/01/"):
        assert parse_digital_link(found.path) == parse_digital_link(path)
    else:
        assert found.path == path  # an SSCC: the resolver answers that it serves GTINs only
    # Where the prototype reads its own output back differently, it is the prototype that
    # is wrong: it drops the leading zeros of an all-digit lot the length field counts.
    if vector["prototype_decompresses_to"] != vector["uncompressed"]:
        assert vector["uncompressed"].endswith(("/10/0012", "/10/A!B%25C%26D"))


@pytest.mark.parametrize(("segment", "reason"), [
    ("Cx7Q4Hgh+tZS23XyQIfw2o", "A-Z a-z 0-9 - _"),  # not URI-safe base64
    ("C" * 201, "at most 200"),
    ("Cx7Q4Hgh-tZS23XyQIfw2", "ends inside an element"),  # truncated
    ("Cx7Q4Hgh-tZS23XyQIfw2p", "padding that is not zero"),
    ("4AAAAAAAAAAA", "neither an AI nor an optimisation code"),  # E0
    ("mgAAAAAAAAAA", "AI (8010) is not one this resolver reads"),  # 9A
    ("YAAAAAAAAAAA", "no AI starts with 60"),
    ("EGEA", "names no GS1 primary key"),  # AI 10 "A" alone
])
def test_malformed_compressed_links_say_why(segment: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(reason)) as refused:
        decompress_digital_link(segment)
    assert refused.value.field == "path"


def test_an_ai_given_twice_is_refused() -> None:
    once = _bits("Cx7Q4Hgh-tZS23XyQIfw2o")  # 0B: AI 01 and 10
    lot = once[8 + 47:].rstrip("0")
    lot += "0" * (3 + 5 + 6 * 11 - len(lot))  # enc, length, KW26-SBD-G1 in base64
    twice = _segment(once[:8 + 47] + lot + "00010000" + lot)  # then AI 10 again
    with pytest.raises(InvalidInput, match="given twice"):
        decompress_digital_link(twice)


@given(st.text(alphabet=BASE64, min_size=1, max_size=120))
def test_any_segment_decompresses_or_is_refused(segment: str) -> None:
    found: object
    try:
        found = decompress_digital_link(segment)
    except InvalidInput as error:
        found = error
    if isinstance(found, InvalidInput):
        assert found.field == "path"
    else:
        assert isinstance(found, Decompressed)
        assert found.path.startswith(("/01/", "/00/"))
