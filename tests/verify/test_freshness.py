"""How old a bundle's checkpoint is: the log's ``agritrace/time`` line, the pinned witnesses'
cosignature times, ``--max-age`` durations and verdicts, and ``agritrace-verify`` reporting
all of it, in Chinese and English, without a traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.vectors.bundles.scenario import LOG, STRANGER, WITNESS
from verify import __main__ as cli
from verify.bundle import Bundle
from verify.checkpoints import HEADS_LINE, TIME_LINE, Checkpoint, heads_root, signed_time
from verify.cosignatures import cosign_note
from verify.encoding import encode_base64
from verify.errors import MalformedInput, NoteInvalid
from verify.freshness import (
    AsOf,
    describe_age,
    format_utc,
    parse_age,
    parse_utc,
    stale_reason,
    witness_times,
)
from verify.notes import Note, sign_note
from verify.verification import verify_bundle

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors" / "bundles"
LOG_KEY = str(VECTORS / "log.vkey")
WITNESS_KEY = str(VECTORS / "witness.vkey")
SIGNED = 1_796_000_000  # 2026-11-30T00:53:20Z, when the log signs below
WITNESSED = 1_789_000_000  # 2026-09-10T00:26:40Z, the vectors' cosignature time


def checkpoint(*extensions: str) -> Checkpoint:
    return Checkpoint("agritrace.test/vectors", 36, bytes(32), extensions)


# -- the log's time line and the witnesses' times -----------------------------------------

def test_the_time_line_is_read_and_other_extension_lines_are_ignored() -> None:
    assert signed_time(checkpoint()) is None
    assert signed_time(checkpoint("agritrace/heads AAAA", f"agritrace/time {SIGNED}",
                                      "example.com/other 1")) == SIGNED
    assert signed_time(checkpoint("agritrace/timestamp 5")) is None  # not ours


@pytest.mark.parametrize("lines", [
    ("agritrace/time",), ("agritrace/time ",), ("agritrace/time 0123",),
    ("agritrace/time -5",), ("agritrace/time 1.5",), ("agritrace/time  5",),
    ("agritrace/time 253402300800",),  # after 9999-12-31T23:59:59Z
    ("agritrace/time 5", "agritrace/time 6"),
])
def test_a_malformed_or_repeated_time_line_is_refused(lines: tuple[str, ...]) -> None:
    with pytest.raises(NoteInvalid, match="agritrace/time"):
        signed_time(checkpoint(*lines))


def test_witness_times_come_from_the_given_witnesses_cosignatures_only() -> None:
    note = sign_note(checkpoint().to_text(), [LOG])
    note = cosign_note(cosign_note(note, WITNESS, WITNESSED), STRANGER, WITNESSED + 60)
    assert witness_times(note, [WITNESS.verifier]) == (WITNESSED,)
    assert witness_times(note, [WITNESS.verifier, STRANGER.verifier]) == (WITNESSED,
                                                                          WITNESSED + 60)
    assert witness_times(note, []) == ()
    assert witness_times(note, [LOG.verifier]) == ()  # the log's own signature has no time


def test_as_of_takes_the_latest_time_it_knows() -> None:
    assert AsOf("log", 1).latest is None
    assert AsOf("log", 1, time=SIGNED, witness_times=(WITNESSED,)).latest == SIGNED
    assert AsOf("log", 1, witness_times=(SIGNED + 5, WITNESSED)).latest == SIGNED + 5
    assert AsOf("log", 1, time=SIGNED, witness_times=(SIGNED + 9, WITNESSED)).to_json() == {
        "origin": "log", "size": 1, "time": "2026-11-30T00:53:20Z",
        "witness_times": ["2026-09-10T00:26:40Z", "2026-11-30T00:53:29Z"], "complete": False}


def test_times_are_written_and_read_to_the_second() -> None:
    assert format_utc(0) == "1970-01-01T00:00:00Z"
    assert format_utc(253_402_300_799) == "9999-12-31T23:59:59Z"
    assert parse_utc("2026-11-30T00:53:20Z") == SIGNED
    assert parse_utc("2026-11-30T00:53:20.999999Z") == SIGNED  # the fraction is dropped
    for text in ("2026-02-30T00:00:00Z", "2026-11-30T24:00:00Z", "2026-11-30 01:33:20Z",
                 "2026-11-30T00:53:20+08:00", "2026-11-30T00:53:20.1234567Z", 5, None):
        assert parse_utc(text) is None


# -- durations and verdicts -----------------------------------------------------------------

@pytest.mark.parametrize(("text", "seconds"), [
    ("0", 0), ("90", 90), ("90s", 90), ("15m", 900), ("1h", 3600), ("2d", 172_800)])
def test_durations(text: str, seconds: int) -> None:
    assert parse_age(text) == seconds


@pytest.mark.parametrize("text", ["", "h", "1x", "-1", "1.5h", "1 h", "1H", "1h30m",
                                  "9999999999999"])
def test_malformed_durations_are_refused(text: str) -> None:
    with pytest.raises(MalformedInput, match="--max-age"):
        parse_age(text)


def test_a_checkpoint_older_than_the_maximum_or_of_unknown_age_is_stale() -> None:
    signed = AsOf("log", 1, time=SIGNED)
    assert stale_reason(signed, SIGNED + 3600, 3600) is None
    assert stale_reason(signed, SIGNED - 30, 0) is None  # ahead of the local clock
    reason = stale_reason(signed, SIGNED + 3601, 3600)
    assert reason is not None
    assert "2026-11-30T00:53:20Z" in reason
    assert "1 小时前" in reason
    assert "1 h ago" in reason
    unknown = stale_reason(AsOf("log", 1), SIGNED, 10**9)
    assert unknown is not None
    assert "unknown" in unknown


def test_ages_in_words() -> None:
    assert describe_age(0) == ("0 秒前", "0 s ago")
    assert describe_age(59) == ("59 秒前", "59 s ago")
    assert describe_age(7200) == ("2 小时前", "2 h ago")
    assert describe_age(3 * 86400 + 5) == ("3 天前", "3 d ago")
    assert describe_age(-1)[1] == "ahead of this computer's clock"


# -- through verify_bundle and agritrace-verify ---------------------------------------------

def timed_bundle(tmp_path: Path, *, witnessed: bool = False, signed: int | None = SIGNED,
                 cosigned: int = SIGNED + 10) -> Path:
    """The valid vector's records under a checkpoint re-signed by the test log: the same map
    root, the log's time line saying ``signed`` (none when None), cosigned at ``cosigned``
    by the witness when ``witnessed``."""
    value = json.loads((VECTORS / "valid.json").read_text())
    body = Checkpoint.from_text(Note.from_text(value["checkpoint"]).text)
    lines = [f"{HEADS_LINE} {encode_base64(heads_root(body) or b'')}"]
    lines += [] if signed is None else [f"{TIME_LINE} {signed}"]
    timed = Checkpoint(body.origin, body.size, body.root_hash, tuple(lines))
    note = sign_note(timed.to_text(), [LOG])
    if witnessed:
        note = cosign_note(note, WITNESS, cosigned)
    value["checkpoint"] = note.to_text()
    path = tmp_path / "timed.json"
    path.write_text(json.dumps(value))
    return path


def test_the_state_is_as_of_the_signed_time_and_the_witnesses(tmp_path: Path) -> None:
    bundle = Bundle.from_json(timed_bundle(tmp_path, witnessed=True).read_bytes())
    result = verify_bundle(bundle, [LOG.verifier], witnesses=[WITNESS.verifier],
                           min_witnesses=1)
    assert result.state is not None
    assert result.state["as_of"] == {
        "origin": "agritrace.test/vectors", "size": 40, "time": "2026-11-30T00:53:20Z",
        "witness_times": ["2026-11-30T00:53:30Z"], "complete": True}
    assert result.as_of is not None
    assert result.as_of.latest == SIGNED + 10


def test_a_repeated_time_line_fails_the_checkpoint_step(tmp_path: Path) -> None:
    value = json.loads((VECTORS / "valid.json").read_text())
    body = Checkpoint.from_text(Note.from_text(value["checkpoint"]).text)
    twice = Checkpoint(body.origin, body.size, body.root_hash,
                       (f"{HEADS_LINE} {encode_base64(heads_root(body) or b'')}",
                        "agritrace/time 5", "agritrace/time 6"))
    value["checkpoint"] = sign_note(twice.to_text(), [LOG]).to_text()
    with pytest.raises(NoteInvalid, match="2 agritrace/time lines") as failure:
        verify_bundle(Bundle.from_json(json.dumps(value)), [LOG.verifier])
    assert failure.value.step == "7"  # a version 2 bundle reads its lines in step 7


def verify(argv: list[str], now: int, monkeypatch: pytest.MonkeyPatch,
           capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    monkeypatch.setattr(cli, "_now", lambda: now)
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_line_shows_the_state_and_its_age(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = verify([str(timed_bundle(tmp_path)), "--log-key", LOG_KEY],
                          SIGNED + 3 * 3600, monkeypatch, capsys)
    assert code == 0
    assert "状态 status: 在售 active" in out
    assert "数量 quantity: 1500 kg" in out
    assert "产地 origin: 湖南省 湘西土家族苗族自治州 花垣县 双龙镇 十八洞村" in out
    assert "证书 certificate: compliance-certificate HN-HY-2026-091601" in out
    assert "有效 valid" in out
    assert "冷链超温 cold-chain excursion: 2026-09-12T22:00:00Z 5.6 °C (目标 target 0–4 °C)" \
        in out
    assert "验证截至 verified as of: 2026-11-30 00:53 UTC (3 小时前 3 h ago" in out


@pytest.mark.parametrize(("max_age", "elapsed", "code"), [
    ("1h", 3600, 0), ("1h", 3601, 1), ("3600", 3601, 1), ("2d", 86400, 0), ("0", 1, 1)])
def test_max_age_against_the_signed_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        max_age: str, elapsed: int, code: int) -> None:
    argv = [str(timed_bundle(tmp_path)), "--log-key", LOG_KEY, "--max-age", max_age, "--json"]
    exit_code, out, err = verify(argv, SIGNED + elapsed, monkeypatch, capsys)
    result = json.loads(out)
    assert exit_code == code
    assert result["state"]["as_of"]["time"] == "2026-11-30T00:53:20Z"
    if code:
        assert (result["valid"], result["error"], result["step"]) == (
            False, "CheckpointStale", 8)
        assert result["state"]["status"] == "active"  # what the genuine records say
        assert "过期 stale" in err
        assert "more than --max-age" in err
    else:
        assert result["valid"] is True


def test_max_age_without_any_time_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    untimed = str(timed_bundle(tmp_path, witnessed=True, signed=None, cosigned=WITNESSED))
    code, _, err = verify([untimed, "--log-key", LOG_KEY, "--max-age", "100000d"], WITNESSED,
                          monkeypatch, capsys)
    assert code == 1
    assert "age is unknown" in err
    # Pinning the witness gives the checkpoint a time: its cosignature's.
    code, out, _ = verify([untimed, "--log-key", LOG_KEY, "--witness", WITNESS_KEY,
                           "--max-age", "1d"], WITNESSED + 86400, monkeypatch, capsys)
    assert code == 0
    assert "验证截至 verified as of: 2026-09-10 00:26 UTC (1 天前 1 d ago" in out


@pytest.mark.parametrize("value", ["1x", "-1", "1.5h", ""])
def test_a_malformed_max_age_exits_2_without_a_traceback(value: str) -> None:
    done = subprocess.run([sys.executable, "-m", "verify", str(VECTORS / "valid.json"),
                           "--log-key", LOG_KEY, "--max-age", value],
                          cwd=ROOT, capture_output=True, timeout=60)
    assert done.returncode == 2
    assert "--max-age" in done.stderr.decode()
    assert b"Traceback" not in done.stderr
