"""The browser verifier (``api/static/verify.js``) in a real Chromium, on every bundle vector,
through WebCrypto and through the vendored noble fallback: both must agree with the Python
verifier and the vectors' index on every vector (valid or not, the failing step and the error
class), and on every valid one derive the lot's state the Python verifier derives, key for
key, as the vectors' ``*.state.json`` files record it.

Skipped without Chromium or Playwright, except when ``AGRITRACE_REQUIRE_BROWSER=1``, where
their absence fails the run. Chromium is Debian's (``apt-get install chromium``).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import threading
from collections.abc import Iterator
from decimal import Decimal
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.application import Ledger
from ledger.bundles import build_bundle
from ledger.config import Settings
from ledger.demo import DEMO_LOTS, seed_demo
from ledger.log import TransparencyLog
from ledger.log.logkey import LogKey
from tests.journeys import (
    COOP,
    INSPECTOR,
    PLATFORM,
    grade,
    handle,
    harvest,
    kiwi_journey,
    register_parties,
)
from tests.ledger.test_bundle import records_of
from tests.verify.test_verify_vectors import INDEX, VECTORS, matches, python_outcome
from verify.bundle import Bundle, BundleRecord
from verify.canonical import canonical_bytes
from verify.checkpoints import Checkpoint
from verify.encoding import encode_base64
from verify.errors import MalformedInput, VerificationError
from verify.keys import key_id
from verify.merkle import leaf_hash, root_from_leaf_hashes
from verify.notes import Signer, Verifier, sign_note
from verify.policy import SeenCheckpoint
from verify.records import record_hash, signing_message
from verify.verification import verify_bundle

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "api" / "static"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

RUN_VECTORS = """async ({vectors, mode}) => {
  const m = await import("/static/verify.js");
  const text = async (url) => (await fetch(url)).text();
  const logKey = (await text("/vectors/log.vkey")).trim();
  const outcomes = {};
  for (const v of vectors) {
    const o = v.options;
    const witnesses = [];
    for (const w of o.witnesses) witnesses.push((await text("/vectors/" + w)).trim());
    const since = o.since ? {checkpoint: await text("/vectors/" + o.since), proof: null} : null;
    const bytes = new Uint8Array(await (await fetch("/vectors/" + v.file)).arrayBuffer());
    try {
      const r = await m.verifyBundle(bytes, {
        logKeys: [logKey], witnesses, minWitnesses: o.min_witnesses, since, crypto: mode});
      outcomes[v.name] = [0, null, null, r.crypto, r.state];
    } catch (e) {
      if (!(e instanceof m.VerificationError)) {
        outcomes[v.name] = ["exception", String(e.stack)];
        continue;
      }
      const f = m.describeFailure(e);
      outcomes[v.name] = [f.exit, f.step, f.error, f.reason];
    }
  }
  return outcomes;
}"""


class _Handler(SimpleHTTPRequestHandler):
    """Serves ``/static/`` from api/static, ``/vectors/`` from the bundle vectors, and
    ``/log/key`` — this service's log key, as the app serves it — from ``service_key``: the
    vectors' log key unless a test names another."""

    service_key = VECTORS / "log.vkey"

    def translate_path(self, path: str) -> str:
        path = path.split("?", 1)[0]
        if path == "/log/key":
            return str(self.service_key)
        for prefix, folder in (("/static/", STATIC), ("/vectors/", VECTORS)):
            if path.startswith(prefix):
                target = (folder / path[len(prefix):]).resolve()
                if target.is_relative_to(folder):
                    return str(target)
        return str(STATIC / "missing")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(STATIC)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _unavailable(reason: str) -> None:
    if os.environ.get("AGRITRACE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"a browser is required (AGRITRACE_REQUIRE_BROWSER=1): {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed")
    chromium = shutil.which("chromium")
    if chromium is None:
        _unavailable("chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context()
    opened = context.new_page()
    yield opened
    context.close()


def _python_outcomes() -> dict[str, tuple[Any, ...]]:
    return {v["name"]: python_outcome(v) for v in INDEX["vectors"]}


@pytest.mark.parametrize("mode", ["webcrypto", "noble"])
def test_browser_and_python_verifiers_agree_on_every_vector(page: Any, server: str,
                                                            mode: str) -> None:
    page.goto(f"{server}/static/verify.html")
    outcomes = page.evaluate(RUN_VECTORS, {"vectors": INDEX["vectors"], "mode": mode})
    expected = _python_outcomes()
    disagreements = {name: (outcomes[name][:4], expected[name]) for name in expected
                     if tuple(outcomes[name][:3]) != expected[name]}
    assert not disagreements, json.dumps(disagreements, ensure_ascii=False, indent=1)
    unexpected = {v["name"]: outcomes[v["name"]][:4] for v in INDEX["vectors"]
                  if not matches(tuple(outcomes[v["name"]][:3]), v)}
    assert not unexpected, json.dumps(unexpected, ensure_ascii=False, indent=1)
    used = {outcome[3] for outcome in outcomes.values() if outcome[0] == 0}
    assert used == {mode}


def _state_files() -> dict[str, Path]:
    """The expected derived state of each valid vector, by vector file: ``X.state.json``
    beside ``X.json``."""
    return {path.name.removesuffix(".state.json") + ".json": path
            for path in sorted(VECTORS.glob("*.state.json"))}


def test_browser_derives_the_state_python_derives_for_every_valid_vector(
        page: Any, server: str) -> None:
    valid = [v for v in INDEX["vectors"] if v["exit"] == 0]
    files = _state_files()
    assert files, f"no expected states (*.state.json) in {VECTORS}"
    missing = [v["file"] for v in valid if v["file"] not in files]
    assert not missing, f"valid vectors without an expected state: {missing}"
    page.goto(f"{server}/static/verify.html")
    outcomes = page.evaluate(RUN_VECTORS, {"vectors": valid, "mode": "auto"})
    for vector in valid:
        outcome = outcomes[vector["name"]]
        assert outcome[0] == 0, outcome
        recorded = json.loads(files[vector["file"]].read_text(encoding="utf-8"))
        assert outcome[4] == recorded, vector["name"]
        assert outcome[4] == _python_state(vector), vector["name"]


def _python_state(vector: dict[str, Any]) -> Any:
    """The state the Python verifier derives for a valid vector, as its --json gives it."""
    key = Verifier.from_vkey((VECTORS / INDEX["log_key"]).read_text().strip())
    witnesses = [Verifier.from_vkey((VECTORS / name).read_text().strip())
                 for name in vector["options"]["witnesses"]]
    since = vector["options"]["since"]
    result = verify_bundle(Bundle.from_json((VECTORS / vector["file"]).read_bytes()), [key],
                           witnesses=witnesses, min_witnesses=vector["options"]["min_witnesses"],
                           since=SeenCheckpoint.from_text((VECTORS / since).read_bytes())
                           if since else None)
    return result.to_json()["state"]


VERIFY_BYTES = """async ({bytes, logKey}) => {
  const m = await import("/static/verify.js");
  try {
    const r = await m.verifyBundle(new Uint8Array(bytes), {logKeys: [logKey], witnesses: [],
                                                           minWitnesses: 0, since: null});
    return ["valid", r.records, r.complete];
  } catch (e) {
    return ["invalid", String(e)];
  }
}"""


def test_a_bundle_carrying_the_whole_key_history_verifies_and_a_trimmed_one_in_version_1(
        page: Any, server: str, tmp_path: Path) -> None:
    # The platform adds keys after it received the lot. A version 2 bundle carries its whole
    # key history, proven whole (step 7); a version 1 bundle could stop at its last signature,
    # and the browser still accepts that shorter history, as the Python verifier does.
    ledger = Ledger(Settings(db_url=f"sqlite:///{tmp_path / 'keys.db'}",
                             master_key=os.urandom(32)))
    try:
        kiwi_journey(ledger)
        for _ in range(5):
            ledger.add_key(PLATFORM)
        log = TransparencyLog(ledger.store, LogKey(Signer.generate("agritrace.test/browser")))
        log.integrate()
        bundle = build_bundle(ledger, log, "KG1")
    finally:
        ledger.close()
    platform = [r["type"] for r in records_of(bundle) if r["chain"] == f"org/{PLATFORM}"]
    assert platform == ["OrganisationRegistered", *["KeyAdded"] * 5]
    page.goto(f"{server}/static/verify.html")
    outcome = page.evaluate(VERIFY_BYTES, {"bytes": list(bundle.to_json()),
                                           "logKey": log.key.vkey})
    assert outcome == ["valid", len(bundle.records), True]
    value = json.loads(bundle.to_json())
    value["records"] = [entry for entry in value["records"]
                        if json.loads(base64.b64decode(entry["record"]))["type"] != "KeyAdded"]
    value["version"] = 1
    del value["heads"]
    trimmed = json.dumps(value).encode()
    outcome = page.evaluate(VERIFY_BYTES, {"bytes": list(trimmed), "logKey": log.key.vkey})
    assert outcome == ["valid", len(value["records"]), False]


STATES = """async ({bundles, logKey}) => {
  const m = await import("/static/verify.js");
  const states = {};
  for (const [lot, bytes] of Object.entries(bundles)) {
    const r = await m.verifyBundle(new Uint8Array(bytes), {logKeys: [logKey]});
    states[lot] = r.state;
  }
  return states;
}"""


def _eventful_ledger(folder: Path) -> tuple[Ledger, TransparencyLog]:
    """The demo (a recall cascading to packed lots, inspections, certificates, a cold-store
    excursion, purchases from households) and the kiwifruit journey with what the demo lacks:
    a harvest corrected and the correction corrected, a harvest corrected by an inspector, a
    lot released and then used up, a purchase below the protective price, a hold released,
    another hold in force on an ancestor, a certificate with an end."""
    ledger = Ledger(Settings(db_url=f"sqlite:///{folder / 'eventful.db'}",
                             master_key=os.urandom(32)))
    seed_demo(ledger)
    register_parties(ledger)
    for i in range(3):
        harvest(ledger, f"KH{i}", household=f"HH-00{i}")
    first = ledger.lot_history("KH0")[0].record.hash_hex
    handle(ledger, COOP, "KH0", "Corrected", {
        "corrects": first, "reason": "称重有误 weighed wrong", "values": {"quantity": "130"}})
    again = ledger.lot_history("KH0")[1].record.hash_hex
    handle(ledger, COOP, "KH0", "Corrected", {
        "corrects": again, "reason": "复核 checked again", "values": {"quantity": "120.5"}})
    handle(ledger, INSPECTOR, "KH2", "Corrected", {
        "corrects": ledger.lot_history("KH2")[0].record.hash_hex, "reason": "抽查 spot check",
        "values": {"quantity": "100.0"}})
    handle(ledger, INSPECTOR, "KH1", "Held", {"reason": "待检 awaiting a test"})
    handle(ledger, INSPECTOR, "KH1", "Released", {"reason": "检测合格 passed"})
    ledger.record(COOP, "Collected", {
        "into": "KC1", "collection_point": "西乡村田头集货点",
        "purchases": [{"lot": lot, "quantity": "100", "price_per_kg": price,
                       "protective_price_per_kg": "6.00"}
                      for lot, price in (("KH0", "6.50"), ("KH1", "5.80"), ("KH2", "6"))]},
        time="2026-09-10T14:00:00+08:00")
    grade(ledger, "KC1", {"KG1": ("一级", "200"), "KG2": ("二级", "90")}, loss="10")
    handle(ledger, INSPECTOR, "KG2", "Held", {"reason": "待检 awaiting a test"})
    handle(ledger, INSPECTOR, "KG2", "Released", {"reason": "检测合格 passed"})
    handle(ledger, COOP, "KG1", "Certified", {
        "scheme": "green-food", "number": "LB-1", "issuer": "中国绿色食品发展中心",
        "valid_from": "2026-09-10T12:00:00+08:00", "valid_until": "2027-09-01T00:00:00Z"},
        time="2026-09-10T20:00:00+08:00")
    handle(ledger, INSPECTOR, "KC1", "Inspected", {"kind": "visual", "verdict": "pass"})
    handle(ledger, INSPECTOR, "KH2", "Held", {"reason": "抽检 sampled"})
    log = TransparencyLog(ledger.store, LogKey(Signer.generate("agritrace.test/eventful")))
    log.integrate()
    return ledger, log


def test_browser_and_python_derive_the_same_state_for_every_lot(
        page: Any, server: str, tmp_path: Path) -> None:
    ledger, log = _eventful_ledger(tmp_path)
    try:
        lots = [*DEMO_LOTS, "KH0", "KH1", "KH2", "KC1", "KG1", "KG2"]
        bundles = {lot: build_bundle(ledger, log, lot).to_json() for lot in lots}
    finally:
        ledger.close()
    key = Verifier.from_vkey(log.key.vkey)
    python = {lot: verify_bundle(Bundle.from_json(raw), [key]).to_json()["state"]
              for lot, raw in bundles.items()}
    page.goto(f"{server}/static/verify.html")
    browser = page.evaluate(STATES, {"bundles": {lot: list(raw) for lot, raw in bundles.items()},
                                     "logKey": log.key.vkey})
    differing = [lot for lot in lots if browser[lot] != python[lot]]
    assert not differing, json.dumps({lot: [browser[lot], python[lot]] for lot in differing},
                                     ensure_ascii=False, indent=1)
    # The story is there to be derived: a correction of a correction, a purchase below the
    # protective price, a release, a hold on an ancestor, a recall, a lapsing certificate.
    assert python["KH0"]["quantity"] == "120.5"
    first, second = python["KH0"]["corrections"]
    assert second["corrects"] == first["record"]
    assert second["original"] == first["original"]
    assert python["KH2"]["corrections"][0]["reason"] == "抽查 spot check"
    assert python["KH1"]["status"] == "consumed"
    assert [p["lot"] for p in python["KC1"]["below_protective_price"]] == ["KH1"]
    assert python["KG2"]["status"] == "released"
    assert [a["lot"] for a in python["KG1"]["flagged_ancestors"]] == ["KH2"]
    assert python["OR26-MY-A"]["status"] == "recalled"
    assert python["KG1"]["certificates"][0]["valid_until"] == "2027-09-01T00:00:00Z"


DECIMALS = ["0", "-0", "1", "1.0", "1.50", "0.1", "0.2", "0.3", "290", "310.5", "-1.5",
            "9007199254740993", "9007199254740992", "0.30000000000000004", "+1", "1e3", " 1",
            "1.", ".5", "١"]
COMPARE = """async (texts) => {
  const d = await import("/static/verify-decimal.js");
  const out = [];
  for (const a of texts) for (const b of texts) {
    const [x, y] = [d.parseDecimal(a), d.parseDecimal(b)];
    out.push(x === null || y === null ? null : d.compare(x, y));
  }
  const sum = d.sum(["0.1", "0.2"].map(d.parseDecimal));
  return {out, sum: d.format(sum)};
}"""


def test_decimals_are_compared_exactly_as_python_compares_them(page: Any, server: str) -> None:
    # Quantities, prices and temperatures are decimal strings: never floats, where 0.1 + 0.2
    # is not 0.3 and 2**53 + 1 is 2**53. What verify/state.py takes for a decimal, and only
    # that, the browser compares, and the same way.
    pattern = re.compile(r"-?[0-9]+(\.[0-9]+)?")
    parsed = [Decimal(t) if pattern.fullmatch(t) else None for t in DECIMALS]
    expected = [None if x is None or y is None else (x > y) - (x < y)
                for x in parsed for y in parsed]
    page.goto(f"{server}/static/verify.html")
    found = page.evaluate(COMPARE, DECIMALS)
    assert found == {"out": expected, "sum": "0.3"}


DESCRIBE_BYTES = """async ({bytes, logKey, mode}) => {
  const m = await import("/static/verify.js");
  try {
    await m.verifyBundle(new Uint8Array(bytes), {logKeys: [logKey], witnesses: [],
                                                 minWitnesses: 0, since: null, crypto: mode});
    return [0, null, null];
  } catch (e) {
    const f = m.describeFailure(e);
    return [f.exit, f.step, f.error];
  }
}"""


def _registration_bundle(public_key: str) -> tuple[bytes, Verifier]:
    """A two-record bundle, made by hand: an organisation registered with ``public_key``
    (the base64 text of its key) and one harvest it signed, in a log of those two leaves."""
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    raw_key = key.public_key().public_bytes_raw()
    common = {"v": 1, "seq": 0, "prev": "00" * 32, "links": [], "org": "coop-a",
              "key": key_id(raw_key), "time": "2026-09-01T08:00:00Z",
              "recorded": "2026-09-01T08:00:00.000Z"}
    raws = [canonical_bytes({**common, "chain": "org/coop-a", "type": "OrganisationRegistered",
                             "data": {"name": "合作社 Co-op A", "public_key": public_key}}),
            canonical_bytes({**common, "chain": "lot/KX1", "type": "Harvested", "data": {}})]
    leaves = [leaf_hash(raw) for raw in raws]
    log = Signer("agritrace.test/hand-made", bytes(32))
    note = sign_note(Checkpoint(log.name, 2, root_from_leaf_hashes(leaves)).to_text(), [log])
    records = [BundleRecord(i, raw, key.sign(signing_message(record_hash(raw))),
                            (leaves[1 - i],)) for i, raw in enumerate(raws)]
    return Bundle.of("KX1", note.to_text(), records).to_json(), log.verifier


@pytest.mark.parametrize("mode", ["webcrypto", "noble"])
def test_a_public_key_in_non_canonical_base64_is_refused_as_python_refuses_it(
        page: Any, server: str, mode: str) -> None:
    # The last base64 character of a 32-byte key carries two unused bits; set, they give the
    # same key in a second text. Both verifiers accept only the canonical one.
    canonical = encode_base64(Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
                              .public_key().public_bytes_raw())
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    other = canonical[:-2] + alphabet[alphabet.index(canonical[-2]) | 3] + "="
    page.goto(f"{server}/static/verify.html")
    for text, expected in ((canonical, (0, None, None)), (other, (2, 4, "MalformedInput"))):
        data, log_key = _registration_bundle(text)
        try:
            verify_bundle(Bundle.from_json(data), [log_key])
            python: tuple[Any, ...] = (0, None, None)
        except VerificationError as error:
            python = (2 if isinstance(error, MalformedInput) else 1, int(error.step or 0),
                      type(error).__name__)
        assert python == expected
        browser = page.evaluate(DESCRIBE_BYTES, {"bytes": list(data), "mode": mode,
                                                 "logKey": log_key.to_vkey()})
        assert tuple(browser) == expected


def _open(page: Any, server: str, bundle: str, **extra: str) -> str:
    """Open verify.html on a vector bundle, naming the vectors' log key unless ``extra``
    names one (``log_key=""``: none, so the page takes this service's)."""
    vkey = (VECTORS / "log.vkey").read_text().strip()
    query = f"bundle=/vectors/{bundle}.json"
    query += "".join(f"&{key}={quote(value)}" for key, value in {"log_key": vkey, **extra}.items()
                     if value)
    page.goto(f"{server}/static/verify.html?{query}")
    page.wait_for_function("!['loading', 'form'].includes(document.body.dataset.state)")
    return str(page.evaluate("document.body.dataset.state"))


def test_the_page_shows_a_verified_bundle_in_chinese_and_english(page: Any,
                                                                server: str) -> None:
    witness = (VECTORS / "witness.vkey").read_text().strip()
    assert _open(page, server, "valid", witness=witness) == "valid"
    text = page.inner_text("body")
    assert "已在本机验证 Verified on this device" in text
    assert "KW26-SBD-G1" in text
    assert "agritrace.test/witness" in text
    assert "WebCrypto" in text
    assert "记录所示状态 Status the records give\t正常 active" in text
    assert "截至 As of" in text


def test_the_page_names_the_failing_step_and_record(page: Any, server: str) -> None:
    assert _open(page, server, "signed-by-revoked-key") == "invalid"
    text = page.inner_text("body")
    assert "验证失败 Verification failed" in text
    assert "4 记录签名与密钥 record signatures and keys" in text
    assert "首个问题记录 First bad record" in text
    assert _open(page, server, "truncated-json") == "malformed"


NO_WEBCRYPTO = "Object.defineProperty(Crypto.prototype, 'subtle', {get: () => undefined});"
NO_ED25519 = """
const importKey = SubtleCrypto.prototype.importKey;
SubtleCrypto.prototype.importKey = function (format, data, algorithm, ...rest) {
  const name = typeof algorithm === "string" ? algorithm : algorithm.name;
  if (name === "Ed25519") return Promise.reject(new DOMException("no", "NotSupportedError"));
  return importKey.call(this, format, data, algorithm, ...rest);
};"""


@pytest.mark.parametrize("missing", [NO_WEBCRYPTO, NO_ED25519], ids=["no-webcrypto", "no-ed25519"])
def test_the_page_falls_back_to_noble_when_webcrypto_cannot_verify(page: Any, server: str,
                                                                  missing: str) -> None:
    page.add_init_script(missing)
    assert _open(page, server, "valid") == "valid"
    assert page.evaluate("window.agritraceVerification.crypto") == "noble"
    assert _open(page, server, "signature-forged") == "invalid"
    assert page.evaluate("window.agritraceVerification.step") == 4


def test_the_page_verifies_against_this_services_own_key_by_default(page: Any,
                                                                   server: str) -> None:
    assert _open(page, server, "valid", log_key="") == "valid"
    assert page.evaluate("document.body.dataset.key") == "service"
    assert "已在本机验证 Verified on this device" in page.inner_text("body")
    assert not page.is_visible("#foreign")
    assert _open(page, server, "signature-forged", log_key="") == "invalid"


def test_another_logs_key_is_named_in_large_type_and_never_looks_verified(
        page: Any, server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # This service's key is now another one: the vectors' key is someone else's.
    ours = tmp_path / "service.vkey"
    ours.write_text(Signer.generate("agritrace.example/log").verifier.to_vkey() + "\n")
    monkeypatch.setattr(_Handler, "service_key", ours)
    assert _open(page, server, "valid") == "foreign"
    assert page.evaluate("document.body.dataset.key") == "foreign"
    notice = page.locator("#foreign")
    assert notice.is_visible()
    assert page.inner_text("#foreign-name") == "agritrace.test/vectors"
    assert "NOT this service's log key" in notice.inner_text()
    assert "不是本服务的日志公钥" in notice.inner_text()
    size = page.evaluate("parseFloat(getComputedStyle(document.getElementById("
                         "'foreign-name')).fontSize)")
    body = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 1.8 * body  # large type
    text = page.inner_text("body")
    assert "已在本机验证" not in text
    assert "Verified on this device" not in text
    assert "不为其担保" in page.inner_text("#status")
    # Failing against another key still says whose key it was.
    assert _open(page, server, "signature-forged") == "invalid"
    assert page.is_visible("#foreign")
    # Without a key named, the page takes this service's, which did not sign these vectors.
    assert _open(page, server, "valid", log_key="") == "invalid"
    assert not page.is_visible("#foreign")
