"""``agritrace serve --workers 2`` on PostgreSQL, as a subprocess on a free 127.0.0.1 port:
whichever worker a connection reaches, it answers the same (a record made through one is read
through the other at once; a scrape of /metrics counts every worker's requests). Also the
``agritrace token`` commands that make the admin token such a deployment starts from."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner, Result

from ledger.cli import app
from tests.api.test_http_helpers import STORAGE, harvest_body, register
from tests.conftest import PG_DSN
from tests.journeys import COOP

FRESH = httpx.Limits(max_keepalive_connections=0)  # a new connection per request


def agritrace(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ledger.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AGRITRACE")}
    env.update(AGRITRACE_MASTER_KEY=os.urandom(32).hex(), AGRITRACE_RATE_LIMIT="0",
               AGRITRACE_LOG_KEY_FILE=str(tmp_path / "log-key"))
    return env


@pytest.fixture
def postgres_url(postgres_available: bool) -> Iterator[str]:
    if not postgres_available:
        pytest.skip("PostgreSQL is not reachable")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield f"{PG_DSN}?schema={schema}"
    import psycopg

    with psycopg.connect(PG_DSN, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_token_commands_make_list_and_revoke_tokens(
        tmp_path: Path, environment: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    db = f"sqlite:///{tmp_path / 'agritrace.db'}"
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> Result:
        result = runner.invoke(app, [*args, "--db", db])
        assert result.exit_code == code, (result.stdout, result.stderr)
        return result

    made = run("token", "create", "--admin", "--label", "运维")
    assert re.fullmatch(r"at_[0-9a-f]{16}_\S+\n", made.stdout)
    assert "shown only now" in made.stderr
    assert "exactly one" in run("token", "create", "--admin", "--org", "coop-a",
                                code=2).stderr
    run("token", "create", "--org", "coop-a", code=3)  # no such organisation
    token_id, secret = made.stdout.strip().split("_", 2)[1:]
    listed = run("token", "list", "--json").stdout
    assert token_id in listed
    assert secret not in listed
    run("token", "revoke", token_id)
    run("token", "revoke", token_id, code=3)


def test_two_workers_on_postgresql_answer_alike(postgres_url: str,
                                                environment: dict[str, str]) -> None:
    made = agritrace("token", "create", "--admin", "--db", postgres_url, env=environment)
    assert made.returncode == 0, made.stderr
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "ledger.cli", "serve", "--workers", "2", "--port", str(port),
         "--no-access-log", "--db", postgres_url],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", limits=FRESH,
                          timeout=30) as http:
            _wait_until_up(http, server)
            tokens = register(http, made.stdout.strip())
            coop = {"Authorization": f"Bearer {tokens[COOP]}"}
            assert http.post("/lots/W1/harvest", json=harvest_body(),
                             headers=coop).status_code == 201
            # Record through one connection, read through the next: always the new head.
            for i in range(12):
                made_now = http.post("/lots/W1/storage", json={**STORAGE, "facility": f"库{i}"},
                                     headers=coop)
                assert made_now.status_code == 201, made_now.text
                lot = http.get("/lots/W1").json()["lot"]
                assert (lot["records"], lot["head"]) == (i + 2, made_now.json()["hash"])
            # Whichever worker answers a scrape, it counts every worker's requests: both
            # workers are live in it, and successive scrapes agree on the totals (each adds
            # one scrape of /metrics, counted once it is answered).
            admin = {"Authorization": f"Bearer {made.stdout.strip()}"}
            scrapes = [_samples(http.get("/metrics", headers=admin).text) for _ in range(8)]
            for scrape in scrapes:
                starts = [key for key in scrape if key[0] == "process_start_time_seconds"]
                assert len(starts) == 2, starts
                assert scrape[("agritrace_http_requests_total", (
                    ("method", "POST"), ("route", "/lots/{lot}/storage"), ("status", "201")))
                ] == 12
                assert scrape[("agritrace_records_recorded_total", ())] == 13
            scraped = (("method", "GET"), ("route", "/metrics"), ("status", "200"))
            for before, after in pairwise(scrapes):
                assert _totals(after) == _totals(before)
                assert after.get(("agritrace_http_requests_total", scraped), 0) == \
                    before.get(("agritrace_http_requests_total", scraped), 0) + 1
            # The log (one integrator at a time) proves the last record through any worker.
            waited = http.post("/lots/W1/storage?wait=true", json=STORAGE, headers=coop).json()
            assert waited["leaf_index"] is not None
            for _ in range(4):
                proof = http.get("/log/proof/inclusion", params={"hash": waited["hash"]})
                assert proof.status_code == 200
                assert proof.json()["leaf_index"] == waited["leaf_index"]
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=60)
    assert "Traceback" not in errors, errors


def test_serve_names_the_app_factory_and_protocol_uvicorn_imports() -> None:
    from uvicorn.importer import import_from_string

    from api.app import create_app
    from api.serving import TimedH11Protocol
    from ledger.cli import serve

    assert import_from_string(serve.APP) is create_app
    assert import_from_string(serve.HTTP_PROTOCOL) is TimedH11Protocol


def test_a_bad_setting_stops_several_workers_in_one_line(tmp_path: Path,
                                                         environment: dict[str, str]) -> None:
    # Each worker builds the app from the environment; the command builds it first, so the
    # error is one line and the command ends, rather than workers failing over and over.
    for name, value in (("AGRITRACE_RATE_LIMIT", "many"), ("AGRITRACE_WITNESSES", "nowhere")):
        served = agritrace("serve", "--workers", "2", "--port", str(free_port()), "--db",
                           f"sqlite:///{tmp_path / 'agritrace.db'}",
                           env={**environment, name: value})
        assert served.returncode == 2, served.stderr
        assert served.stderr.startswith("agritrace: error: "), served.stderr
        assert "Traceback" not in served.stderr


def _wait_until_up(http: httpx.Client, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the server exited: {server.communicate()[1]}")
        try:
            if http.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not answer /healthz within 60 s")


Sample = tuple[str, tuple[tuple[str, str], ...]]


def _samples(metrics: str) -> dict[Sample, float]:
    """Every sample of a scrape by name and labels."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(metrics)
            for sample in family.samples}


def _totals(scrape: dict[Sample, float]) -> dict[Sample, float]:
    """The request and record counts of a scrape, but for /metrics itself."""
    return {key: value for key, value in scrape.items()
            if key[0] in ("agritrace_http_requests_total", "agritrace_records_recorded_total")
            and ("route", "/metrics") not in key[1]}
