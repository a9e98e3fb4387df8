"""The monitor audits a served log from outside: it follows the checkpoints over HTTP, checks
every entry, resumes from its state, and catches a log that was tampered with — an edited
record, a record with a bad signature, a chain that skips, a truncated, rewritten or forked
log — naming the entry, the record and the rule. SQLite and PostgreSQL.

The service is the real application (``api.app.create_app``) served by uvicorn on 127.0.0.1
in a thread, with its integrator off: each story integrates when it means to, and tampers
with the store the way someone with database access would (``tests.ledger.test_tamper``,
``tests.ledger.test_log_helpers``).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import delete, insert, update
from typer.testing import CliRunner

from api.app import create_app
from api.services import services_of
from api.settings import ServiceSettings
from ledger.application import Ledger
from ledger.cli import app as cli
from ledger.config import Settings
from ledger.keys.signing import SigningKey
from ledger.log import TransparencyLog, WitnessEndpoint
from ledger.log.cosigning import Cosigner
from ledger.log.tiles import parse_tile_path, tile_path
from ledger.monitor import (
    LogClient,
    LogMisbehaved,
    LogUnreachable,
    Monitor,
    MonitorMisconfigured,
    Round,
    StateFolder,
    WrongLogKey,
)
from ledger.monitor.client import Refused
from ledger.monitor.tiles import bundles_between
from ledger.office import OfficeWitness
from ledger.persistence.tables import log_checkpoints, log_leaves
from ledger.recording.records import build_record
from ledger.witness import (
    AddCheckpoint,
    ProofRejected,
    RootConflict,
    load_witness_key,
    submit_checkpoint,
    witness_server,
)
from tests.ledger.test_log_helpers import (
    ORG,
    clear_log,
    drop_events_after,
    harvests,
    roll_back_log,
)
from tests.ledger.test_tamper import Store
from verify.checkpoints import Checkpoint, signed_lines
from verify.headmap import map_root_of
from verify.merkle import leaf_hash, root_from_leaf_hashes
from verify.notes import COSIGNATURE_V1, Note, Signer, Verifier, sign_note, verified_signers
from verify.records import Record


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Live:
    """A served log, its ledger and log (integrated by the test), and a monitor's folder."""

    url: str
    ledger: Ledger
    log: TransparencyLog
    state: Path

    @property
    def vkey(self) -> str:
        return self.log.vkey

    def add(self, count: int, *, start: int | None = None) -> None:
        """``count`` more harvests, integrated."""
        first = len(self.ledger.chains("lot")) if start is None else start
        harvests(self.ledger, count, start=first)
        self.log.integrate()

    def monitor(self, state: Path | None = None, *, witness: Signer | None = None,
                key: str | None = None, **options: object) -> Round:
        """One round of a monitor on ``state`` (this story's folder by default)."""
        vkey = key or self.vkey
        client = LogClient(self.url)
        path = state or self.state
        try:
            with StateFolder(path) as folder:
                office = None if witness is None else \
                    OfficeWitness.open(witness, path, Verifier.from_vkey(vkey))
                monitor = Monitor(client, Verifier.from_vkey(vkey), folder,
                                  folder.load(client.url, vkey), witness=office,
                                  **options)  # type: ignore[arg-type]
                return monitor.check_once()
        finally:
            client.close()

    def fails(self, rule: str, *fragments: str, state: Path | None = None) -> LogMisbehaved:
        with pytest.raises(LogMisbehaved) as failure:
            self.monitor(state)
        assert failure.value.rule == rule, str(failure.value)
        for fragment in fragments:
            assert fragment in str(failure.value)
        return failure.value


@pytest.fixture
def live(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    for name in ("AGRITRACE_LOG_KEY", "AGRITRACE_LOG_ORIGIN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AGRITRACE_LOG_KEY_FILE", str(tmp_path / "log-key"))
    app = create_app(settings, ServiceSettings(integrate=False, rate_per_second=10_000,
                                               rate_burst=10_000))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error",
                                           access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "the service did not start"
        assert time.monotonic() < deadline, "the service did not start in time"
        time.sleep(0.05)
    services = services_of(app)
    try:
        yield Live(f"http://127.0.0.1:{port}", services.ledger, services.log,
                   tmp_path / "monitor")
    finally:
        server.should_exit = True
        thread.join(30)


# --- following a growing log ------------------------------------------------------------


def test_the_monitor_follows_a_growing_log_and_resumes(live: Live) -> None:
    live.add(20)
    first = live.monitor()
    # The organisation's registration and 20 harvests, every one checked.
    assert (first.size, first.new_entries, first.heads_checked) == (21, 21, True)
    assert first.root == live.log.latest_checkpoint().root_hash
    # The cooperative rotates its key, then records past a tile boundary (256 entries).
    live.ledger.rotate_key(ORG)
    live.add(300)
    second = live.monitor()
    assert (second.size, second.new_entries) == (322, 301)
    assert second.root == live.log.latest_checkpoint().root_hash
    # Nothing new: a round checks the checkpoint again and fetches no entry.
    assert live.monitor().new_entries == 0
    # The key history was kept: records signed with the rotated key verify after a resume.
    live.add(3)
    assert live.monitor().new_entries == 3


def test_a_monitor_stopped_while_catching_up_resumes_where_it_stopped(live: Live) -> None:
    live.add(700)  # three entry bundles

    def stop_after_two(done: int, total: int) -> None:
        if done > 256:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        live.monitor(progress=stop_after_two, save_every=0.0)
    # The first bundle was saved; the second was checked but not yet saved.
    resumed = live.monitor()
    assert (resumed.size, resumed.new_entries) == (701, 701 - 256)
    # A fresh monitor checking everything agrees.
    assert live.monitor(live.state.parent / "fresh").root == resumed.root


def test_the_monitor_cosigns_what_it_verified(live: Live) -> None:
    live.add(5)
    witness = Signer.generate("witness.test/amr", COSIGNATURE_V1)
    checked = live.monitor(witness=witness)
    assert checked.cosignature is not None
    cosigned = Note.from_text((live.state / "checkpoint").read_text())
    assert verified_signers(cosigned, [witness.verifier]) == (witness.verifier,)
    assert verified_signers(cosigned, [Verifier.from_vkey(live.vkey)])
    # The same checkpoint again is not cosigned twice.
    assert live.monitor(witness=witness).cosignature is None


@contextmanager
def office_witness(live: Live, signer: Signer) -> Iterator[tuple[OfficeWitness, str]]:
    """The office's witness over HTTP on 127.0.0.1, sharing the monitor's state folder: the
    witness half of ``agritrace monitor --witness-key FILE --listen HOST:PORT``."""
    office = OfficeWitness.open(signer, live.state, Verifier.from_vkey(live.vkey))
    server = witness_server(office.witness)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        yield office, f"http://127.0.0.1:{server.server_address[1]}/add-checkpoint"
    finally:
        server.shutdown()
        server.server_close()


def test_the_offices_witness_cosigns_for_the_log_only_what_extends_what_it_saw(
        live: Live) -> None:
    signer = Signer.generate("witness.test/amr", COSIGNATURE_V1)
    live.add(5)
    with office_witness(live, signer) as (office, url):
        assert live.monitor(witness=signer).size == 6
        # The monitor showed its witness the checkpoint it fetched: one view.
        assert Note.from_text(office.latest() or "").text == \
            live.log.latest_checkpoint().signed_note.text
        # The log, which never asked this witness before, asks from size 0: told the size
        # the monitor saw (409), it proves consistency from there and gets a cosignature.
        live.add(3)
        cosigner = Cosigner(live.ledger.store.engine, [WitnessEndpoint.parse(url,
                                                                             office.vkey)])
        cosigned = cosigner.cosign(live.log.latest_checkpoint())
        assert cosigned.size == 9
        assert verified_signers(cosigned.signed_note, [signer.verifier]) == (signer.verifier,)
        assert live.log.latest_checkpoint().note == cosigned.note  # stored with the log's
        assert office.witness.latest(live.log.origin).size == 9  # type: ignore[union-attr]
        # A forked tree of the size the office saw is refused a cosignature (409), and so is
        # a larger one whose proof does not lead from it (422).
        fork = sign_note(Checkpoint(live.log.origin, 9, bytes(32),
                                    signed_lines(None, int(time.time()))).to_text(),
                         [live.log.key.signer]).to_text()
        with pytest.raises(RootConflict, match="forked"):
            submit_checkpoint(url, AddCheckpoint(9, (), fork))
        grown = sign_note(Checkpoint(live.log.origin, 12, bytes(32)).to_text(),
                          [live.log.key.signer]).to_text()
        with pytest.raises(ProofRejected, match="does not verify"):
            submit_checkpoint(url, AddCheckpoint(9, (bytes(32),) * 3, grown))
        # The monitor audits what the witness cosigned: checkpoint 9's entries, every one.
        checked = live.monitor(witness=signer)
        assert (checked.size, checked.new_entries) == (9, 3)


def test_the_monitor_catches_a_log_that_went_back_on_what_it_showed_the_witness(
        live: Live) -> None:
    signer = Signer.generate("witness.test/amr", COSIGNATURE_V1)
    live.add(5)
    with office_witness(live, signer) as (office, url):
        live.monitor(witness=signer)
        # The log has checkpoint 21 cosigned by the office, which its monitor never fetched...
        live.add(15)
        Cosigner(live.ledger.store.engine, [WitnessEndpoint.parse(url, office.vkey)]).cosign(
            live.log.latest_checkpoint())
        # ...then cuts itself back to 12 entries and re-signs: it serves 12 from now on.
        drop_events_after(live.ledger.store, 12)
        roll_back_log(live.ledger.store, 12)
        _sign_checkpoint(live, 12)
        with pytest.raises(LogMisbehaved) as failure:
            live.monitor(witness=signer)
        assert failure.value.rule == "truncation"
        assert "has 12 entries, but it signed checkpoint 21" in str(failure.value)
    # A monitor that is not the office's witness knew nothing of 21 and carries on.
    assert live.monitor(live.state.parent / "alone").size == 12


# --- a URL that is no agritrace log, and a wrong key -------------------------------------


def test_a_wrong_key_or_a_url_that_is_no_log_says_so(live: Live, tmp_path: Path) -> None:
    live.add(2)
    other = Signer.generate(live.log.origin).verifier.to_vkey()
    with pytest.raises(WrongLogKey, match=r"signs its checkpoints with .* not with --log-key"):
        live.monitor(key=other)
    stranger = Signer.generate("other.example/log").verifier.to_vkey()
    with pytest.raises(WrongLogKey, match=r"is the log '\S+', but --log-key is a key of"):
        live.monitor(tmp_path / "b", key=stranger)
    client = LogClient(live.url + "/docs")
    with pytest.raises(LogUnreachable, match="is not an agritrace log"):
        client.checkpoint()
    client.close()
    closed = LogClient(f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(LogUnreachable, match="unreachable"):
        closed.checkpoint()
    closed.close()


# --- tampering ----------------------------------------------------------------------------


def _insert_after(live: Live, lot: str, *, skip: int, signer: SigningKey | None) -> bytes:
    """Insert a record of ``lot`` at its next position plus ``skip``, signed by the
    cooperative's own key unless another ``signer`` is given; returns its hash."""
    org = live.ledger.organisation(ORG)
    key = next(iter(org.active_keys))
    insider = live.ledger.vault.signing_key(ORG, key)
    head = live.ledger.lot(lot)
    record = build_record(chain=f"lot/{lot}", seq=head.length + skip, prev=head.head, links=(),
                          step="Inspected", data={"kind": "visual", "verdict": "pass"},
                          org=ORG, key=key, time="2026-09-13T00:00:00Z",
                          recorded="2026-09-13T00:00:00Z")
    Store(live.ledger).insert(f"lot/{lot}", head.length + skip,
                              "ledger.domain.lot:Lot.Recorded",
                              (signer or insider).sign_record(record), record.raw)
    return record.hash


def test_a_record_with_a_bad_signature_is_named(live: Live) -> None:
    live.add(10)
    live.monitor()
    forged = _insert_after(live, "LOG00003", skip=0, signer=SigningKey.generate())
    live.log.integrate()
    failure = live.fails("signature", "does not verify")
    assert (failure.leaf, failure.record, failure.chain, failure.seq) == (
        11, forged.hex(), "lot/LOG00003", 1)
    assert str(failure).startswith(f"leaf 11, record {forged.hex()} (lot/LOG00003#1): "
                                   "rule signature: Inspected: signature by key")


def test_a_chain_that_skips_is_named(live: Live) -> None:
    live.add(10)
    live.monitor()
    skipping = _insert_after(live, "LOG00004", skip=1, signer=None)
    live.log.integrate()
    failure = live.fails("chain continuity", "expected position 1 in lot/LOG00004")
    assert (failure.leaf, failure.record, failure.seq) == (11, skipping.hex(), 2)


def test_an_edited_record_is_caught_however_it_is_hidden(live: Live) -> None:
    live.add(12)
    live.monitor()  # the office verified the log before the edit
    store = Store(live.ledger)
    row = store.row("lot/LOG00004", 0)
    forged = row["raw"].replace(b'"quantity":"104"', b'"quantity":"904"')
    assert forged != row["raw"]
    store.set_state("lot/LOG00004", 0, row["signature"], forged)
    # 1. Only the events table was edited: the log will not serve the bundle it changed.
    fresh = live.state.parent / "fresh"
    live.fails("served tiles", "tile/entries/000.p/13", "leaf 5's record is missing or changed",
               state=fresh)
    # 2. The log's leaf was edited to match: the record's signature no longer verifies.
    with live.ledger.store.engine.begin() as connection:
        connection.execute(update(log_leaves).where(log_leaves.c.leaf_index == 5)
                           .values(record_hash=sha256(forged).digest()))
    failure = live.fails("signature", state=live.state.parent / "fresh2")
    assert (failure.leaf, failure.record, failure.chain) == (
        5, sha256(forged).hexdigest(), "lot/LOG00004")
    # 3. The whole log was rebuilt and re-signed over the edited record, as a new release of
    #    the same size would be: the office's monitor names the entry that changed.
    clear_log(live.ledger.store)
    live.log.integrate()
    failure = live.fails("fork", "forked")
    live.add(2, start=100)
    failure = live.fails("consistency", "the log was rewritten", "leaf 5 was record")
    assert (failure.leaf, failure.record) == (5, sha256(row["raw"]).hexdigest())
    assert failure.chain == "lot/LOG00004"


def test_a_truncated_log_is_caught_and_then_a_regrown_one(live: Live) -> None:
    live.add(20)
    checked = live.monitor()
    assert checked.size == 21
    records = list(live.ledger.store.records())
    # The last records are deleted, the log cut back and a checkpoint re-signed by its key.
    drop_events_after(live.ledger.store, 15)
    roll_back_log(live.ledger.store, 15)
    _sign_checkpoint(live, 15)
    failure = live.fails("truncation", "has 15 entries", "signed checkpoint 21")
    assert (failure.leaf, failure.record) == (15, sha256(records[15].raw).hexdigest())
    # New records grow the log past the size the monitor saw: a rewrite, named.
    live.add(10, start=500)
    failure = live.fails("consistency", "leaf 15 was record")
    assert failure.leaf == 15


def test_a_forked_log_is_caught(live: Live) -> None:
    live.add(8)
    checked = live.monitor()
    # Another tree of the same size, signed by the log's key, replaces the checkpoint.
    forked = sign_note(Checkpoint(live.log.origin, checked.size, bytes(32),
                                  signed_lines(None, int(time.time()))).to_text(),
                       [live.log.key.signer]).to_text()
    with live.ledger.store.engine.begin() as connection:
        connection.execute(update(log_checkpoints).where(log_checkpoints.c.size == checked.size)
                           .values(note=forked))
    live.fails("fork", f"checkpoint {checked.size} now has root 0000", "forked")
    # A fresh monitor, which never saw the first tree, finds the entries do not give it.
    live.fails("consistency", "entries hash to root", state=live.state.parent / "fresh")


def _sign_checkpoint(live: Live, size: int) -> None:
    """Sign and store a checkpoint over the store's first ``size`` records with the log's
    key, as whoever cut the log back would, to make it look whole."""
    records = [Record.from_bytes(r.raw) for r in live.ledger.store.records()][:size]
    heads = map_root_of({r.chain: (r.seq, r.hash) for r in records})
    body = Checkpoint(live.log.origin, size, root_from_leaf_hashes(
        [leaf_hash(r.raw) for r in records]), signed_lines(heads, int(time.time())))
    note = sign_note(body.to_text(), [live.log.key.signer]).to_text()
    with live.ledger.store.engine.begin() as connection:
        connection.execute(delete(log_checkpoints).where(log_checkpoints.c.size == size))
        connection.execute(insert(log_checkpoints).values(size=size, note=note,
                                                          created_at=datetime.now(UTC)))


# --- the monitor's own pieces, held to the log's ------------------------------------------


@pytest.mark.parametrize(("start", "end"), [(0, 1), (0, 256), (255, 257), (256, 700),
                                             (1000, 70_000)])
def test_bundle_paths_are_the_logs(start: int, end: int) -> None:
    bundles = bundles_between(start, end)
    assert bundles[0].first <= start < bundles[0].first + 256 or start == end
    assert sum(b.width for b in bundles) == end - bundles[0].first
    for bundle in bundles:
        address = parse_tile_path(bundle.entries_path)
        assert address.entries
        assert address.index == bundle.index
        assert tile_path(address) == bundle.entries_path
        assert parse_tile_path(bundle.leaf_tile_path).width == (
            None if bundle.width == 256 else bundle.width)


def test_a_kept_state_that_is_cut_short_is_refused(live: Live) -> None:
    live.add(3)
    live.monitor()
    (live.state / "records.bin").write_bytes(b"")
    with pytest.raises(MonitorMisconfigured, match="is not a monitor's state"):
        live.monitor()


def test_signature_bundles_stand_beside_entry_bundles(live: Live) -> None:
    live.add(4)
    client = LogClient(live.url)
    try:
        signatures = client.get("/log/signatures/000.p/5")
        stored = [r.signature for r in live.ledger.store.records()]
        assert signatures == b"".join(stored)
        for path, status, said in (("/log/signatures/000.p/6", 404, "beyond the latest"),
                                   ("/log/signatures/0", 400, "not a signature bundle path"),
                                   ("/log/signatures/000.p/0", 400, "partial width")):
            with pytest.raises(Refused) as refused:
                client.get(path)
            assert refused.value.status == status
            assert said in refused.value.reason
    finally:
        client.close()


def test_listening_as_a_witness_needs_a_key_an_address_and_a_free_port(tmp_path: Path) -> None:
    log_vkey = Signer.generate("agritrace.test/log").verifier.to_vkey()
    key = tmp_path / "witness-key"
    load_witness_key(key, "witness.test/amr")
    runner = CliRunner()
    url = f"http://127.0.0.1:{_free_port()}"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = f"127.0.0.1:{taken.getsockname()[1]}"
        for options, said in (
                (["--listen", "127.0.0.1:8090"], "--listen: the witness needs --witness-key"),
                (["--witness-key", str(key), "--listen", "127.0.0.1:8090", "--once"],
                 "not with --once"),
                (["--witness-key", str(key), "--listen", "8090"], "is not HOST:PORT"),
                (["--witness-key", str(key), "--listen", "127.0.0.1:http"], "is not HOST:PORT"),
                (["--witness-key", str(key), "--listen", busy], "--listen: cannot listen on")):
            done = runner.invoke(cli, ["monitor", url, "--log-key", log_vkey, "--state",
                                       str(tmp_path / "state"), *options])
            assert done.exit_code == 2, (options, done.stderr)
            assert said in done.stderr, done.stderr
            assert len(done.stderr.strip().splitlines()) == 1, done.stderr
