"""An inspector's office runs one process, ``agritrace monitor --witness-key FILE --listen
HOST:PORT``, that audits every entry of a log and is that log's witness: ``agritrace serve``
(configured with ``AGRITRACE_WITNESSES``) sends it each new checkpoint by C2SP tlog-witness
and publishes its cosignature; when the log is forked, the office refuses to cosign and its
monitor stops naming the rule. Real processes on 127.0.0.1; SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ledger.application import Ledger
from ledger.config import Settings
from ledger.witness import load_witness_key
from tests.e2e.test_monitor_live import ROOT, _free_port, seeded_store, store_url
from tests.ledger.test_log_helpers import clear_log, harvests
from tests.ledger.test_tamper import Store
from verify.checkpoints import Checkpoint
from verify.notes import Note, Verifier, verified_signers

__all__ = ["store_url"]  # the module's store per backend, shared with the monitor's stories

WITNESS = "witness.test/hunan-amr"


@dataclass
class Office:
    url: str
    env: dict[str, str]
    log_vkey: str
    witness_key: Path
    witness: Verifier
    witness_port: int
    token: str
    folder: Path
    serve_log: Path

    def checkpoint(self) -> Note:
        return Note.from_text(httpx.get(self.url + "/log/checkpoint", timeout=10).text)

    def wait(self, what: str, test: object, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while not test():  # type: ignore[operator]
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.1)


@pytest.fixture(scope="module")
def office(store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    """A served log of 100 records whose witness is the office's monitor (not yet started)."""
    tmp_path = tmp_path_factory.mktemp("office")
    with seeded_store(store_url, tmp_path, 99, "市场监管 office") as (env, log_vkey, token):
        # The office makes its witness key and gives the operator its verifier key and URL.
        witness_key = tmp_path / "witness-key"
        witness = load_witness_key(witness_key, WITNESS).verifier
        witness_port = _free_port()
        port = _free_port()
        serve_env = {**env, "AGRITRACE_WITNESSES":
                     f"http://127.0.0.1:{witness_port}={witness.to_vkey()}"}
        serve_log = tmp_path / "serve.log"
        with serve_log.open("w") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "ledger.cli", "serve", "--port", str(port),
                 "--no-access-log"], env=serve_env, cwd=ROOT, stdout=subprocess.DEVNULL,
                stderr=log)
        url = f"http://127.0.0.1:{port}"
        try:
            served = Office(url, env, log_vkey, witness_key, witness, witness_port, token,
                            tmp_path, serve_log)

            def healthy() -> bool:
                assert server.poll() is None, serve_log.read_text()
                try:
                    return httpx.get(url + "/healthz", timeout=2).status_code == 200
                except httpx.TransportError:
                    return False

            served.wait("serve to start", healthy)
            served.wait("the log to integrate 100 records",
                        lambda: _size(served.checkpoint()) == 100)
            yield served
        finally:
            server.terminate()
            server.wait(30)


def _size(note: Note) -> int:
    return Checkpoint.from_text(note.text).size


def _state(folder: Path) -> dict[str, object]:
    try:
        loaded: dict[str, object] = json.loads((folder / "state.json").read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return loaded


def test_the_office_cosigns_what_its_monitor_follows_and_refuses_a_fork(office: Office) -> None:
    state = office.folder / "monitor"
    monitor = subprocess.Popen(
        [sys.executable, "-m", "ledger.cli", "monitor", office.url, "--log-key",
         office.log_vkey, "--state", str(state), "--token", office.token, "--interval", "1",
         "--witness-key", str(office.witness_key),
         "--listen", f"127.0.0.1:{office.witness_port}"],
        env=office.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def audited(size: int) -> bool:
            assert monitor.poll() is None, monitor.communicate()
            return _state(state).get("entries") == size

        office.wait("the monitor to audit the log", lambda: audited(100))
        # The cooperative records 50 harvests: the log sends its new checkpoint to the office,
        # which proves it consistent with what its monitor saw and cosigns it.
        ledger = Ledger(Settings.from_env(office.env["AGRITRACE_DB"]))
        harvests(ledger, 50, start=5000, per_commit=10)

        def cosigned_at_150() -> bool:
            note = office.checkpoint()
            return _size(note) == 150 and bool(verified_signers(note, [office.witness]))

        office.wait("the published checkpoint to carry the office's cosignature",
                    cosigned_at_150)
        published = office.checkpoint()
        assert verified_signers(published, [Verifier.from_vkey(office.log_vkey)])
        # ...and the office's monitor audits every entry of what the office cosigned.
        office.wait("the monitor to audit the new entries", lambda: audited(150))
        # One view: the checkpoint the witness keeps (in the monitor's folder) is the one the
        # monitor audited and the log published.
        logs = json.loads((state / "witness.json").read_text())["logs"]
        kept = Note.from_text(logs[Verifier.from_vkey(office.log_vkey).name]["note"])
        assert _size(kept) == 150
        assert Checkpoint.from_text(kept.text) == Checkpoint.from_text(published.text)
        audited_note = Note.from_text((state / "checkpoint").read_text())
        assert _size(audited_note) == 150
        assert verified_signers(audited_note, [office.witness])

        # Someone with the database edits a record and rebuilds the log over it: a fork of
        # the tree the office cosigned, signed by the log's key.
        store = Store(ledger)
        row = store.row("lot/LOG00004", 0)
        forged = row["raw"].replace(b'"quantity":"104"', b'"quantity":"904"')
        assert forged != row["raw"]
        store.set_state("lot/LOG00004", 0, row["signature"], forged)
        clear_log(ledger.store)
        ledger.close()
        out, errors = monitor.communicate(timeout=120)
    finally:
        if monitor.poll() is None:
            monitor.kill()
            monitor.communicate()
    # The office's monitor stops, naming the rule.
    assert monitor.returncode == 1, errors
    assert "checkpoint 150 verified 核验通过" in out, out
    assert f"cosigned 已联署: — {WITNESS} " in out, out
    line = errors.strip().splitlines()[-1]
    assert line.startswith("agritrace: error: "), errors
    assert "rule fork" in line or "rule consistency" in line, errors
    # The forked checkpoint the log published carries no cosignature of the office: its
    # witness refused it (a different root for the size it cosigned), the log said why.
    forked = office.checkpoint()
    assert Checkpoint.from_text(forked.text).root_hash != \
        Checkpoint.from_text(published.text).root_hash
    assert not verified_signers(forked, [office.witness])
    office.wait("the log to report the office's refusal",
                lambda: "the log forked" in office.serve_log.read_text(), timeout=30)
    assert "did not cosign size 150" in office.serve_log.read_text()
