"""The recording app on a slow connection: the bytes of its first views, and the time from
tapping save to the record's hash shown, beside the same step sent by curl.

One uvicorn process (a subprocess, the demo data on SQLite, ``bench_scan.served``) serves
everything. Chromium (Debian's, headless) opens the pages in a fresh context, so nothing is
cached, and counts every byte transferred, headers included. The save is timed in the page:
from the click on "sign and save" (the form is read, the records derived, hashed and signed
with the phone's WebCrypto key, queued in IndexedDB and posted to ``/records/signed?wait=true``)
until the hash is on the screen, with Chromium's network throttled through the DevTools
protocol to a slow 3G profile (400 kbit/s each way, 400 ms round trip) and unthrottled.
curl posts the same step (a harvest, server-signed with the cooperative's token, also
``?wait=true``) on loopback: curl cannot add a round-trip time, so its row is the server's
part alone. Medians over rounds, each round a new lot.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from tempfile import TemporaryDirectory
from typing import Any

from ledger.application import Ledger
from ledger.config import Settings
from ledger.demo import COOP
from ledger.devices import Devices
from tests.benchmarks.bench_scan import served

SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8,
           "uploadThroughput": 400_000 / 8}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN"}
READY = "() => document.body.dataset.ready === 'true'"
HARVEST = {"product": {"name": "猕猴桃", "variety": "红阳"}, "quantity": "120", "unit": "kg",
           "origin": {"province": "湖南省", "city": "湘西土家族苗族自治州", "county": "凤凰县"},
           "started": "2026-09-10T06:00:00+08:00", "ended": "2026-09-10T08:00:00+08:00"}


def _ledger() -> Ledger:
    return Ledger(Settings(db_url=os.environ["BENCH_DB"],
                           master_key=bytes.fromhex(os.environ["BENCH_MASTER_KEY"])))


def _throttle(page: Any, conditions: dict[str, Any] | None) -> None:
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    if conditions:
        session.send("Network.emulateNetworkConditions", conditions)


def first_views(browser: Any, base: str) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for path in ("/app", "/app/step/harvest"):
        context = browser.new_context(**PHONE)
        page = context.new_page()
        counted: list[int] = []
        page.on("requestfinished", lambda request, counted=counted: counted.append(
            request.sizes()["responseBodySize"] + request.sizes()["responseHeadersSize"]))
        page.goto(base + path)
        page.wait_for_function(READY)
        page.wait_for_load_state("networkidle")
        sizes[path] = sum(counted)
        context.close()
    return sizes


def save_times(browser: Any, base: str, rounds: int,
               conditions: dict[str, Any] | None, tag: str) -> list[float]:
    ledger = _ledger()
    try:
        code = Devices(ledger).create_code(COOP, label=f"bench {tag}").code
    finally:
        ledger.close()
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{base}/app/pair#{code}")
    page.wait_for_function(READY)
    page.click("#pair-form button[type=submit]")
    page.wait_for_selector("#paired:not([hidden])")
    _throttle(page, conditions)
    times = []
    for i in range(rounds + 1):
        page.goto(f"{base}/app/step/harvest", timeout=120_000)
        page.wait_for_function(READY, timeout=120_000)
        for selector, value in {"#f-lot": f"B{tag}{i}", "#f-product-name": "猕猴桃",
                                "#f-quantity": "120", "#f-origin-province": "湖南省",
                                "#f-origin-city": "湘西州", "#f-origin-county": "凤凰县"}.items():
            page.fill(selector, value)
        page.evaluate("""() => { window.benchStart = performance.now();
            new MutationObserver((_, observer) => {
              if (!document.getElementById('result').hidden) {
                window.benchTime = performance.now() - window.benchStart; observer.disconnect(); }
            }).observe(document.getElementById('result'), {attributes: true}); }""")
        page.click("#save")
        page.wait_for_function("() => window.benchTime !== undefined", timeout=120_000)
        if i:  # the first round warms the server and the page's modules
            times.append(float(page.evaluate("window.benchTime")) / 1000)
    context.close()
    return times


def curl_times(base: str, rounds: int) -> list[float]:
    ledger = _ledger()
    try:
        token = ledger.issue_token(COOP, label="bench curl").token
    finally:
        ledger.close()
    times = []
    for i in range(rounds + 1):
        body = json.dumps(HARVEST, ensure_ascii=False)
        started = time.perf_counter()
        done = subprocess.run(
            ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
             f"{base}/lots/BCURL{i}/harvest?wait=true", "-H", f"Authorization: Bearer {token}",
             "-H", "Content-Type: application/json", "--data-binary", body],
            capture_output=True, text=True, check=True)
        elapsed = time.perf_counter() - started
        if done.stdout != "201":
            raise RuntimeError(f"curl got HTTP {done.stdout}")
        if i:
            times.append(elapsed)
    return times


def report(scale: int = 1) -> None:
    """Print this benchmark's Markdown section (``python -m tests.benchmarks``)."""
    rounds = max(3, 9 // scale)
    master = os.urandom(32).hex()
    with TemporaryDirectory() as folder:
        database = f"sqlite:///{folder}/app-bench.db"
        os.environ["BENCH_DB"], os.environ["BENCH_MASTER_KEY"] = database, master
        with served(AGRITRACE_MASTER_KEY=master, AGRITRACE_DB=database) as base:
            views, slow, fast, by_curl = _measure(base, rounds)
    print("\n## Recording app: first view, bytes transferred (headers included)\n")
    print("| page | bytes | goal |")
    print("|---|---|---|")
    for path, size in views.items():
        print(f"| `{path}` (HTML, CSS, scripts, manifest) | {size:,} | < 100 KB |")
    print(f"\n## Recording app: tap save → record hash shown, median of {rounds} saves\n")
    print("| how | network | median s | max s |")
    print("|---|---|---|---|")
    for label, network, values in (
            ("app: derive, sign on the phone, upload, wait for the log", "slow 3G (400 kbit/s, "
             "400 ms RTT)", slow),
            ("app: the same", "loopback", fast),
            ("curl: the same harvest, server-signed", "loopback", by_curl)):
        print(f"| {label} | {network} | {statistics.median(values):.3f} "
              f"| {max(values):.3f} |", flush=True)


def _measure(base: str, rounds: int) -> tuple[dict[str, int], list[float], list[float],
                                               list[float]]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        views = first_views(browser, base)
        slow = save_times(browser, base, rounds, SLOW_3G, "s")
        fast = save_times(browser, base, rounds, None, "f")
        browser.close()
    return views, slow, fast, curl_times(base, rounds)


if __name__ == "__main__":
    report()
