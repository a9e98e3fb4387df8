"""What ``make run PORT=N`` does, as a newcomer meets it: ``agritrace demo --port N`` prints the
packed lots' Digital Link URIs and ``agritrace serve --port N`` serves them, with
``AGRITRACE_PUBLIC_URL`` unset. Everything printed, every link the answers carry and every
QR code points at port N and resolves there.
"""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.api.test_labels import decode

ROOT = Path(__file__).resolve().parents[2]
HTML = {"Accept": "text/html"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """(base URL, the URIs ``demo`` printed) of a service started as ``make run`` starts it."""
    folder = tmp_path_factory.mktemp("run")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGRITRACE_")}
    env.update(AGRITRACE_DB=f"sqlite:///{folder / 'agritrace.db'}",
               AGRITRACE_LOG_KEY_FILE=str(folder / "log-key"), PYTHONPATH=str(ROOT))
    demo = subprocess.run([sys.executable, "-m", "ledger.cli", "demo", "--port", str(port)],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert demo.returncode == 0, demo.stderr
    printed = re.findall(r"https?://\S+", demo.stdout)
    log = folder / "serve.log"
    errors = log.open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "ledger.cli", "serve", "--port", str(port), "--no-access-log"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"serve did not start: {log.read_text()}")
            time.sleep(0.2)
        yield base, printed
    finally:
        server.terminate()
        server.wait(30)
        errors.close()


def test_demo_prints_the_packed_lots_on_the_port_it_will_serve(
        served: tuple[str, list[str]]) -> None:
    base, printed = served
    assert {uri.rsplit("/", 1)[-1] for uri in printed} == {"KW26-SBD-G1", "OR26-MY-A"}
    assert all(uri.startswith(base + "/01/") for uri in printed), printed


def test_every_printed_uri_resolves(served: tuple[str, list[str]]) -> None:
    _, printed = served
    for uri in printed:
        page = httpx.get(uri, headers=HTML, timeout=30)
        assert page.status_code == 200, uri
        assert "text/html" in page.headers["content-type"]


def test_links_in_the_answers_and_link_sets_point_at_the_port(
        served: tuple[str, list[str]]) -> None:
    base, printed = served
    for uri in printed:
        summary = httpx.get(uri, headers={"Accept": "application/json"}, timeout=30).json()
        assert summary["digital_link"] == uri
        links = [link for link in summary["links"].values() if link is not None]
        assert links
        assert all(link.startswith(base) for link in links), links
        linkset = httpx.get(uri, params={"linkType": "all"}, timeout=30).json()["linkset"]
        targets = [t["href"] for ts in linkset[0].values() if isinstance(ts, list) for t in ts]
        assert targets
        for href in targets:
            assert href.startswith(base), href
            assert httpx.get(href, timeout=30).status_code == 200, href


def test_the_qr_codes_carry_the_uri_on_the_port(served: tuple[str, list[str]]) -> None:
    base, printed = served
    for uri in printed:
        png = httpx.get(base + "/qr" + uri.removeprefix(base) + ".png", timeout=30)
        assert png.status_code == 200
        assert decode(Image.open(io.BytesIO(png.content))) == [uri]


def test_a_set_public_url_wins_over_the_port(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGRITRACE_")}
    env.update(AGRITRACE_DB=f"sqlite:///{tmp_path / 'agritrace.db'}",
               AGRITRACE_LOG_KEY_FILE=str(tmp_path / "log-key"),
               AGRITRACE_PUBLIC_URL="https://trace.example.cn", PYTHONPATH=str(ROOT))
    demo = subprocess.run([sys.executable, "-m", "ledger.cli", "demo", "--port", "18471"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert demo.returncode == 0, demo.stderr
    printed = re.findall(r"https?://\S+", demo.stdout)
    assert len(printed) == 2
    assert all(u.startswith("https://trace.example.cn/01/") for u in printed)
