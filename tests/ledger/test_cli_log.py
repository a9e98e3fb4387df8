"""The log from the command line: ``integrate``, ``checkpoint``, ``log-key``,
``audit --checkpoint``, ``witness`` and ``serve`` with its integrator, on a fresh SQLite file.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from hashlib import sha256
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ledger.cli import app
from ledger.config import Settings
from ledger.log import load_log_key
from ledger.witness import AddCheckpoint, load_witness_key, submit_checkpoint
from tests.ledger.test_cli import HARVEST
from verify.checkpoints import Checkpoint, signed_lines
from verify.notes import Note, Signature, Verifier, open_note, sign_note, verified_signers

Run = Callable[..., Result]
WITNESS = "witness.test/office"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """This test's store and keys, in the environment (so subprocesses see them too)."""
    for name in ("AGRITRACE_MASTER_KEY", "AGRITRACE_LOG_KEY", "AGRITRACE_LOG_KEY_FILE",
                 "AGRITRACE_LOG_ORIGIN", "AGRITRACE_WITNESSES", "AGRITRACE_INTEGRATE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AGRITRACE_MASTER_KEY_FILE", str(tmp_path / "master-key"))
    monkeypatch.setenv("AGRITRACE_DB", f"sqlite:///{tmp_path / 'agritrace.db'}")
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


@pytest.fixture
def run(env: dict[str, str]) -> Run:
    """``run(*args, code=0)``: invoke the CLI on this test's store, check the exit code."""
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> Result:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        assert "Traceback" not in result.stderr
        return result

    return invoke


@pytest.fixture
def harvested(run: Run) -> int:
    """A cooperative and six harvests: seven records."""
    run("org", "create", "coop-a", "--name", "甲合作社", "--role", "cooperative")
    for i in range(6):
        data = json.dumps({**HARVEST, "quantity": str(100 + i)}, ensure_ascii=False)
        run("record", "Harvested", "--org", "coop-a", "--lot", f"KW-{i}", "--data", data)
    return 7


def test_integrate_then_checkpoint_verifies_with_the_log_key(run: Run, harvested: int) -> None:
    assert f"integrated 已并入 {harvested} records" in run("integrate").stdout
    assert "integrated 已并入 0 records" in run("integrate").stdout  # caught up
    note = run("checkpoint").stdout
    vkey = run("log-key").stdout.strip()
    checkpoint = Checkpoint.from_text(open_note(note, [Verifier.from_vkey(vkey)]).text)
    assert checkpoint.size == harvested
    assert note == Note.from_text(note).to_text()  # printed exactly, nothing added


def test_checkpoint_before_any_integration_exits_3(run: Run, harvested: int) -> None:
    assert "agritrace integrate" in run("checkpoint", code=3).stderr


def test_audit_with_a_saved_checkpoint_catches_a_truncated_store(
        run: Run, harvested: int, tmp_path: Path) -> None:
    run("integrate")
    saved = tmp_path / "inspector-copy.checkpoint"  # an inspector keeps this file
    saved.write_text(run("checkpoint").stdout, encoding="utf-8")
    passed = run("audit", "--checkpoint", str(saved)).stdout
    assert f"consistent with the saved checkpoint of size {harvested}" in passed
    assert "chain heads match in 1 checkpoint(s)" in passed
    # The events table loses its last two records.
    with sqlite3.connect(tmp_path / "agritrace.db") as connection:
        rows = connection.execute("SELECT rowid, state FROM stored_events "
                                  "ORDER BY rowid DESC LIMIT 2").fetchall()
        connection.execute("DELETE FROM stored_events WHERE rowid >= ?", (rows[-1][0],))
    first_gone = sha256(bytes(rows[-1][1])[64:]).hexdigest()  # state = signature || record
    failed = run("audit", "--checkpoint", str(saved), code=1)
    assert f"first bad record {first_gone}" in failed.stderr
    assert "truncated or rolled back" in failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1


def test_audit_names_a_checkpoint_that_signs_heads_the_records_do_not_have(
        run: Run, harvested: int, tmp_path: Path) -> None:
    # Whoever holds the log key re-signs the checkpoint with another chain-head map root.
    run("integrate")
    stored = Checkpoint.from_text(Note.from_text(run("checkpoint").stdout).text)
    forged = Checkpoint(stored.origin, stored.size, stored.root_hash,
                        signed_lines(sha256(b"other heads").digest(), 1_789_000_000))
    key = load_log_key(Settings(db_url=os.environ["AGRITRACE_DB"]))
    note = sign_note(forged.to_text(), [key.signer]).to_text()
    with sqlite3.connect(tmp_path / "agritrace.db") as connection:
        connection.execute("UPDATE agritrace_log_checkpoints SET note = ? WHERE size = ?",
                           (note, stored.size))
    failed = run("audit", code=1)
    assert f"stored checkpoint {harvested} signs chain-head map root" in failed.stderr
    assert "the records do not have" in failed.stderr or "records give" in failed.stderr


def test_audit_refuses_an_unreadable_checkpoint_file_with_exit_2(
        run: Run, harvested: int, tmp_path: Path) -> None:
    missing = run("audit", "--checkpoint", str(tmp_path / "missing"), code=2)
    assert "cannot read" in missing.stderr
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"\xff\xfenot a note")
    assert str(garbage) in run("audit", "--checkpoint", str(garbage), code=2).stderr


def test_demo_integrates_so_a_checkpoint_exists(run: Run) -> None:
    assert "checkpoint covers" in run("demo").stderr
    assert Note.from_text(run("checkpoint").stdout).signatures


@pytest.fixture
def witness_process(tmp_path: Path, env: dict[str, str], run: Run,
                    harvested: int) -> Iterator[tuple[subprocess.Popen[str], str, str]]:
    """``agritrace witness`` for this test's log on a free port: (process, vkey, URL)."""
    run("integrate")
    log_vkey = run("log-key").stdout.strip()
    # Started as from a terminal, where Ctrl-C stops it: a test run started in the background
    # by a script ignores SIGINT, and a child would inherit that (one with a handler does not).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "ledger.cli", "witness", "--key",
             str(tmp_path / "witness-key"), "--name", WITNESS, "--state",
             str(tmp_path / "witness.json"), "--log-vkey", log_vkey, "--host", "127.0.0.1",
             "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        assert process.stdout is not None
        assert process.stderr is not None
        vkey = process.stdout.readline().strip()
        listening = process.stderr.readline()
        url = next(word for word in listening.split() if word.startswith("http://"))
        yield process, vkey, url
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()  # waits, and closes its pipes


def test_witness_command_cosigns_a_checkpoint_over_http(
        witness_process: tuple[subprocess.Popen[str], str, str], run: Run,
        tmp_path: Path) -> None:
    process, vkey, url = witness_process
    # The key file was made on first use; the printed key is its verifier key.
    assert vkey == load_witness_key(tmp_path / "witness-key", WITNESS).verifier.to_vkey()
    note = run("checkpoint").stdout
    lines = submit_checkpoint(url, AddCheckpoint(0, (), note))
    cosigned = Note(Note.from_text(note).text, tuple(lines))
    assert verified_signers(cosigned, [Verifier.from_vkey(vkey)])
    assert all(isinstance(line, Signature) for line in lines)
    # The witness remembers what it cosigned, and stops cleanly on Ctrl-C.
    state = json.loads((tmp_path / "witness.json").read_text(encoding="utf-8"))
    assert [entry["size"] for entry in state["logs"].values()] == [7]
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0
    assert "Traceback" not in stderr


def test_witness_refuses_bad_options_with_exit_2(run: Run, tmp_path: Path) -> None:
    log_vkey = run("log-key").stdout.strip()
    state = ["--state", str(tmp_path / "state.json")]
    bad_log = run("witness", "--key", str(tmp_path / "new-key"), "--name", WITNESS, *state,
                  "--log-vkey", "not-a-key", code=2)
    assert "not a log verifier key" in bad_log.stderr
    assert not (tmp_path / "new-key").exists()
    load_witness_key(tmp_path / "key", "witness.test/other")
    key = ["--key", str(tmp_path / "key"), "--log-vkey", log_vkey]
    assert "--name" in run("witness", *key, "--name", WITNESS, *state, code=2).stderr
    (tmp_path / "state.json").write_text("{not json", encoding="utf-8")
    bad_state = run("witness", *key, "--name", "witness.test/other", *state, code=2)
    assert "--state" in bad_state.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_serve_integrates_in_the_background(env: dict[str, str], harvested: int) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "ledger.cli", "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline, note = time.monotonic() + 30, ""
        while not note:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no checkpoint was published in time"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/log/checkpoint",
                                            timeout=2) as response:
                    note = response.read().decode("utf-8")
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        assert Checkpoint.from_text(Note.from_text(note).text).size == harvested
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "Traceback" not in stderr


def test_serve_refuses_a_malformed_witness_with_exit_2(run: Run) -> None:
    before = dict(os.environ)
    failed = run("serve", "--witness", "127.0.0.1:8090", code=2)
    assert "witness" in failed.stderr
    # What the command put in the environment for the app is gone again.
    assert dict(os.environ) == before


def test_bundle_writes_a_file_the_standalone_verifier_accepts(run: Run, harvested: int,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "KW-3.bundle.json"
    run("bundle", "KW-3", "-o", str(out))
    vkey = run("log-key").stdout.strip()
    checked = subprocess.run([sys.executable, "-m", "verify", str(out), "--log-key", vkey],
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    assert "KW-3" in checked.stdout
    assert "完整性 complete" in checked.stdout
    assert json.loads(out.read_bytes())["version"] == 2
    run("bundle", "NO-SUCH-LOT", "-o", str(tmp_path / "x.json"), code=3)
