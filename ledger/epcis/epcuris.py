"""Identifiers in the form the CBV 2.0 event hash compares them: constrained canonical GS1
Digital Link URIs.

CBV 2.0 §8.9 (EPCIS Event Hash ID), steps 17-18: an EPC URI (``urn:epc:id:…``), an EPC class
URI (``urn:epc:class:lgtin:…``) or an EPC pattern URI (``urn:epc:idpat:…``) becomes its
canonical GS1 Digital Link URI on ``https://id.gs1.org`` (GS1 Tag Data Standard 2.0 §6-7);
a Digital Link URI loses its custom domain, query string, CPV (AI 22) and, when a serial
is present, its lot: only the finest identification is kept. Anything else is no GS1 key
and is left alone (``None``).

The conversions follow the event hash's reference implementation
(github.com/RalphTro/epcis-event-hash-generator, ``dl_normaliser.py``, MIT licence), whose
output the official vectors record, including which characters are percent-encoded.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["check_digit", "normalise_identifier"]

CANONICAL = "https://id.gs1.org"

# A character of an EPC URI's alphanumeric component (TDS 2.0 §6.3, with the escapes the
# reference accepts), and of a CPI component reference.
_CHAR = (r"(?:%2[125-9A-Fa-f]|%3[0-9A-Fa-f]|%4[1-9A-Fa-f]|%5[0-9AaFf]|%6[1-9A-Fa-f]"
         r"|%7[0-9Aa]|[!')(*+,.0-9:;=A-Za-z_-])")
_CPI_CHAR = r"(?:%2[3dfDF]|%3[0-9]|%4[1-9A-Fa-f]|%5[0-9Aa]|[0-9A-Z-])"
# Characters of a value the Digital Link syntax requires percent-encoded and EPC URIs allow
# unencoded (GS1 Digital Link 1.2 table 7-1).
_ENCODE = str.maketrans({"!": "%21", "(": "%28", ")": "%29", "*": "%2A", "+": "%2B",
                         ",": "%2C", ":": "%3A"})


def check_digit(digits: str) -> str:
    """GS1 mod-10 check digit of ``digits`` (GS1 General Specifications §7.9.1)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def _encode(value: str) -> str:
    return value.translate(_ENCODE)


def _gtin(prefix: str, item: str) -> str:
    """GTIN-14 from a company prefix and an item reference whose first digit is the
    indicator."""
    body = item[0] + prefix + item[1:]
    return body + check_digit(body)


def _key(prefix: str, reference: str) -> str:
    body = prefix + reference
    return body + check_digit(body)


def _fits(match: re.Match[str], total: int) -> bool:
    """A company prefix of 6-12 digits and, unless ``total`` is 0, a reference making
    ``total`` digits with it."""
    prefix = len(match.group(1))
    return 6 <= prefix <= 12 and (total == 0 or prefix + len(match.group(2)) == total)


Rule = tuple[re.Pattern[str], int, Callable[[re.Match[str]], str]]

_RULES: tuple[Rule, ...] = (
    (re.compile(rf"urn:epc:id:sgtin:(\d+)\.(\d+)\.({_CHAR}{{1,20}})"), 13,
     lambda m: f"/01/{_gtin(m[1], m[2])}/21/{_encode(m[3])}"),
    (re.compile(r"urn:epc:id:sscc:(\d+)\.(\d+)"), 17,
     lambda m: f"/00/{_key(m[2][0] + m[1], m[2][1:])}"),
    (re.compile(rf"urn:epc:id:sgln:(\d+)\.(\d*)\.({_CHAR}{{1,20}})"), 12,
     lambda m: f"/414/{_key(m[1], m[2])}" + ("" if m[3] == "0" else f"/254/{_encode(m[3])}")),
    (re.compile(rf"urn:epc:id:grai:(\d+)\.(\d*)\.({_CHAR}{{1,16}})"), 12,
     lambda m: f"/8003/{_key('0' + m[1], m[2])}{_encode(m[3])}"),
    (re.compile(rf"urn:epc:id:giai:(\d+)\.()({_CHAR}+)"), 0,
     lambda m: f"/8004/{m[1]}{_encode(m[3])}"),
    (re.compile(r"urn:epc:id:gsrn:(\d+)\.(\d+)"), 17, lambda m: f"/8018/{_key(m[1], m[2])}"),
    (re.compile(r"urn:epc:id:gsrnp:(\d+)\.(\d+)"), 17, lambda m: f"/8017/{_key(m[1], m[2])}"),
    (re.compile(rf"urn:epc:id:gdti:(\d+)\.(\d*)\.({_CHAR}{{0,17}})"), 12,
     lambda m: f"/253/{_key(m[1], m[2])}{_encode(m[3])}"),
    (re.compile(rf"urn:epc:id:cpi:(\d+)\.()({_CPI_CHAR}+)\.(\d{{1,12}})"), 0,
     lambda m: f"/8010/{_encode(m[1] + m[3])}/8011/{m[4]}"),
    (re.compile(r"urn:epc:id:sgcn:(\d+)\.(\d*)\.(\d{1,12})"), 12,
     lambda m: f"/255/{_key(m[1], m[2])}{m[3]}"),
    (re.compile(rf"urn:epc:id:ginc:(\d+)\.()({_CHAR}+)"), 0,
     lambda m: f"/401/{m[1]}{_encode(m[3])}"),
    (re.compile(r"urn:epc:id:gsin:(\d+)\.(\d+)"), 16, lambda m: f"/402/{_key(m[1], m[2])}"),
    (re.compile(rf"urn:epc:id:itip:(\d+)\.(\d+)\.(\d\d)\.(\d\d)\.({_CHAR}{{1,20}})"), 13,
     lambda m: f"/8006/{_gtin(m[1], m[2])}{m[3]}{m[4]}/21/{_encode(m[5])}"),
    (re.compile(rf"urn:epc:id:upui:(\d+)\.(\d+)\.({_CHAR}{{1,28}})"), 13,
     lambda m: f"/01/{_gtin(m[1], m[2])}/235/{_encode(m[3])}"),
    (re.compile(r"urn:epc:id:pgln:(\d+)\.(\d*)"), 12, lambda m: f"/417/{_key(m[1], m[2])}"),
    (re.compile(rf"urn:epc:class:lgtin:(\d+)\.(\d+)\.({_CHAR}{{1,20}})"), 13,
     lambda m: f"/01/{_gtin(m[1], m[2])}/10/{_encode(m[3])}"),
    (re.compile(r"urn:epc:idpat:sgtin:(\d+)\.(\d+)\.\*"), 13,
     lambda m: f"/01/{_gtin(m[1], m[2])}"),
    (re.compile(r"urn:epc:idpat:grai:(\d+)\.(\d*)\.\*"), 12,
     lambda m: f"/8003/{_key('0' + m[1], m[2])}"),
    (re.compile(r"urn:epc:idpat:gdti:(\d+)\.(\d*)\.\*"), 12,
     lambda m: f"/253/{_key(m[1], m[2])}"),
    (re.compile(r"urn:epc:idpat:sgcn:(\d+)\.(\d*)\.\*"), 12,
     lambda m: f"/255/{_key(m[1], m[2])}"),
    (re.compile(rf"urn:epc:idpat:cpi:(\d+)\.()({_CPI_CHAR}+)\.\*"), 0,
     lambda m: f"/8010/{_encode(m[1] + m[3])}"),
    (re.compile(r"urn:epc:idpat:itip:(\d+)\.(\d+)\.(\d\d)\.(\d\d)\.\*"), 13,
     lambda m: f"/8006/{_gtin(m[1], m[2])}{m[3]}{m[4]}"),
    (re.compile(r"urn:epc:idpat:upui:(\d+)\.(\d+)\.\*"), 13,
     lambda m: f"/01/{_gtin(m[1], m[2])}"),
)

# Digital Link: a key (by AI or by its short name) and at most one qualifier pair after it.
_SHORT_NAMES = {"gtin": "01", "itip": "8006", "cpid": "8010", "gln": "414", "party": "417",
                "gsrnp": "8017", "gsrn": "8018", "gcn": "255", "sscc": "00", "gdti": "253",
                "ginc": "401", "gsin": "402", "grai": "8003", "giai": "8004", "cpv": "22",
                "lot": "10", "ser": "21"}
_DIGITAL_LINK = re.compile(
    r"https?:(//(([^/?#]*)@)?([^/?#:]*)(:([^/?#]*))?)?(([^?#]*)(/(01|gtin|8006|itip|8010|cpid"
    r"|414|gln|417|party|8017|gsrnp|8018|gsrn|255|gcn|00|sscc|253|gdti|401|ginc|402|gsin"
    r"|8003|grai|8004|giai)/)(\d{4}[^/]+)(/[^/]+/[^/]+)?/?(\?([^?\n]*))?(#([^\n]*))?"
    r"|(/[A-Za-z_-]{10}$))")
_KEYS = ("00", "01", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006",
         "8010", "8017", "8018")
_DL_VALUE = r"[\x22\x27\x2D\x2E\x30-\x39\x3B-\x3F\x41-\x5A\x5F\x61-\x7A]"
_CONSTRAINED = tuple(re.compile(CANONICAL.replace(".", r"\.") + pattern) for pattern in (
    r"/00/\d{18}", rf"/01/\d{{14}}/21/{_DL_VALUE}{{0,20}}", rf"/01/\d{{14}}/10/{_DL_VALUE}{{0,20}}",
    r"/01/\d{14}", rf"/01/\d{{14}}/235/{_DL_VALUE}{{0,28}}", rf"/253/\d{{13}}{_DL_VALUE}{{0,17}}",
    r"/255/\d{13}\d{0,12}", rf"/401/{_DL_VALUE}{{0,30}}", r"/402/\d{17}", r"/414/\d{13}",
    rf"/414/\d{{13}}/254/{_DL_VALUE}{{0,20}}", r"/417/\d{13}",
    rf"/8003/\d{{14}}{_DL_VALUE}{{0,16}}", rf"/8004/{_DL_VALUE}{{0,30}}",
    rf"/8006/\d{{18}}/21/{_DL_VALUE}{{0,20}}", rf"/8006/\d{{18}}/10/{_DL_VALUE}{{0,20}}",
    r"/8006/\d{18}", r"/8010/[\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30}/8011/\d{0,12}",
    r"/8010/[\x23\x2D\x2F\x30-\x39\x41-\x5A]{0,30}", r"/8017/\d{18}", r"/8018/\d{18}"))


def normalise_identifier(uri: str) -> str | None:
    """The constrained canonical Digital Link URI of an identifier, or ``None`` when ``uri``
    is no GS1 key in a form the event hash knows (it is then hashed as it is)."""
    if "." not in uri:
        return None
    for pattern, total, build in _RULES:
        found = pattern.fullmatch(uri)
        if found is not None and _fits(found, total):
            return CANONICAL + build(found)
    return _constrain_digital_link(uri)


def _constrain_digital_link(uri: str) -> str | None:
    if _DIGITAL_LINK.match(uri) is None:
        return None
    uri = uri.split("?", 1)[0]
    for name, ai in _SHORT_NAMES.items():
        uri = uri.replace(f"/{name}/", f"/{ai}/")
    if not uri.startswith(CANONICAL + "/"):
        for ai in _KEYS:
            at = uri.find(f"/{ai}/")
            if at != -1:
                uri = CANONICAL + uri[at:]
                break
    uri = _pad_gtin(uri)
    uri = re.sub(r"^(https://id\.gs1\.org/(?:01/\d{14}|8006/\d{18}))/22/[^/]*", r"\1", uri)
    uri = re.sub(rf"^(https://id\.gs1\.org/(?:01/\d{{14}}|8006/\d{{18}}))/10/{_DL_VALUE}{{0,20}}"
                 rf"(/21/{_DL_VALUE}{{0,20}})$", r"\1\2", uri)
    if any(pattern.fullmatch(uri) for pattern in _CONSTRAINED):
        return uri
    return None


def _pad_gtin(uri: str) -> str:
    found = re.match(r"https://id\.gs1\.org/01/(\d+)", uri)
    if found is None or len(found.group(1)) not in (8, 12, 13):
        return uri
    digits = found.group(1)
    return uri.replace(f"/01/{digits}", f"/01/{digits.zfill(14)}", 1)
