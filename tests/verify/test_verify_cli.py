"""``agritrace-verify`` as a person uses it: exit codes 0, 1 and 2, messages in Chinese and
English, keys as text or files, stdin, an earlier checkpoint, and never a traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from verify.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors" / "bundles"
LOG_KEY = str(VECTORS / "log.vkey")
WITNESS = str(VECTORS / "witness.vkey")


def vector(name: str) -> str:
    return str(VECTORS / f"{name}.json")


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "verify", *args], cwd=ROOT, input=stdin,
                          capture_output=True, timeout=60)


def test_a_valid_bundle_exits_0_and_says_what_it_established() -> None:
    done = run(vector("valid"), "--log-key", LOG_KEY, "--witness", WITNESS)
    out = done.stdout.decode()
    assert done.returncode == 0, done.stderr.decode()
    assert "有效 valid — 批次 lot KW26-SBD-G1" in out
    assert "agritrace.test/witness" in out
    assert "完整性 complete: every chain ends at its head at checkpoint" in out
    assert "警告 warning" not in out


def test_a_version_1_bundle_is_valid_with_a_warning_that_completeness_is_not_proven() -> None:
    done = run(vector("valid-version-1"), "--log-key", LOG_KEY, "--json")
    out = done.stdout.decode()
    assert done.returncode == 0, done.stderr.decode()
    result = json.loads(out)
    assert result["warnings"] == ["completeness not proven (bundle version 1) 未证明完整性"]
    assert (result["version"], result["complete"]) == (1, False)
    plain = run(vector("valid-version-1"), "--log-key", LOG_KEY).stdout.decode()
    assert "警告 warning: completeness not proven (bundle version 1) 未证明完整性" in plain
    assert "完整性 complete" not in plain


def test_a_chain_cut_short_exits_1_naming_the_chain_and_the_head() -> None:
    done = run(vector("lot-chain-cut-heads-entry-names-the-head"), "--log-key", LOG_KEY,
               "--json")
    err = done.stderr.decode()
    assert done.returncode == 1
    assert "无效 invalid — 第 7 步 step 7: 完整性 completeness" in err
    assert ("chain lot/KW26-SBD-G1 is cut short: the bundle ends at seq 8, its heads entry "
            "names seq 9 as the head at checkpoint") in err
    failure = json.loads(done.stdout)
    assert (failure["step"], failure["step_name"], failure["error"]) == (
        7, "completeness", "ChainIncomplete")
    assert "Traceback" not in err


def test_an_invalid_bundle_exits_1_naming_step_reason_and_record() -> None:
    done = run(vector("signed-by-revoked-key"), "--log-key", LOG_KEY)
    err = done.stderr.decode()
    assert done.returncode == 1
    assert "无效 invalid — 第 4 步 step 4" in err
    assert "was revoked" in err
    assert "首个问题记录 first bad record: " in err
    assert "Traceback" not in err


@pytest.mark.parametrize("name", ["truncated-json", "enormous-array", "deep-nesting",
                                  "not-utf8", "duplicate-records"])
def test_unreadable_bundles_exit_2_without_a_traceback(name: str) -> None:
    done = run(vector(name), "--log-key", LOG_KEY)
    assert done.returncode == 2
    assert "无法读取 unreadable" in done.stderr.decode()
    assert b"Traceback" not in done.stderr


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("agritrace-verify")
    done = subprocess.run([script, vector("valid"), "--log-key", LOG_KEY],
                          capture_output=True, timeout=60)
    assert done.returncode == 0


def test_keys_as_text_and_bundles_from_stdin() -> None:
    vkey = Path(LOG_KEY).read_text().strip()
    done = run("-", "--log-key", vkey, "--json", stdin=Path(vector("valid")).read_bytes())
    assert done.returncode == 0
    result = json.loads(done.stdout)
    assert result["valid"] is True
    assert result["lot"] == "KW26-SBD-G1"
    assert result["checkpoint"]["origin"] == "agritrace.test/vectors"


@pytest.mark.parametrize(("args", "message"), [
    (["--log-key", "not-a-key"], "not a verifier key"),
    (["--log-key", LOG_KEY, "--witness", WITNESS, "--min-witnesses", "2"], "min witnesses"),
    (["--log-key", LOG_KEY, "--since-proof", LOG_KEY], "--since-proof needs --since"),
    (["--log-key", LOG_KEY, "--since", str(VECTORS / "valid.json")], "earlier checkpoint"),
    (["--log-key", LOG_KEY, "--witness", str(VECTORS)], "--witness"),
    ([], "--log-key"),
])
def test_bad_options_exit_2(args: list[str], message: str) -> None:
    done = run(vector("valid"), *args)
    assert done.returncode == 2
    assert message in done.stderr.decode()
    assert b"Traceback" not in done.stderr


def test_a_missing_bundle_file_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(VECTORS / "no-such-bundle.json"), "--log-key", LOG_KEY]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_consistency_proof_can_come_with_the_earlier_checkpoint(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The bundle lacks the proof; the verifier has it from where it got the checkpoint.
    proof = json.loads(Path(vector("valid")).read_text())["consistency"][0]["proof"]
    (tmp_path / "proof").write_text("\n".join(proof) + "\n")
    since = ["--since", str(VECTORS / "seen.checkpoint")]
    assert main([vector("since-without-proof"), "--log-key", LOG_KEY, *since]) == 1
    assert main([vector("since-without-proof"), "--log-key", LOG_KEY, *since,
                 "--since-proof", str(tmp_path / "proof")]) == 0
    assert "与先前检查点一致" in capsys.readouterr().out


def test_a_recalled_lot_is_genuine_and_says_recalled() -> None:
    # The records verify, so the bundle is valid; what they say is that the lot is recalled,
    # and the verifier says so in words and in --json, naming the recall record.
    done = run(vector("valid-recalled-lot"), "--log-key", LOG_KEY, "--witness", WITNESS)
    out = done.stdout.decode()
    assert done.returncode == 0
    assert "状态 status: 已召回 recalled" in out
    assert "these records are genuine, and they say this lot is recalled" in out
    assert "原因 reason: 抽检丙溴磷超标" in out
    assert "上游批次 ancestor lot OR26-MY-001: 已召回 recalled" in out
    assert "检验 inspection: 2026-09-15T07:00:00Z lab 不合格 fail" in out
    assert "丙溴磷 profenofos 0.41 mg/kg (限量 limit 0.2) 不合格 fail" in out

    done = run(vector("valid-recalled-lot"), "--log-key", LOG_KEY, "--json")
    state = json.loads(done.stdout)["state"]
    assert (state["status"], state["lot"]) == ("recalled", "OR26-MY-A")
    assert len(state["status_record"]) == 64
    assert state["flagged_ancestors"][0]["lot"] == "OR26-MY-001"
