"""Where the workers of one run share their metrics (``api.workers``): one directory per
run of a supervisor, made ready by whichever worker starts first; finished runs are removed
and a dead worker's live gauges dropped, while its counts stay."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from api.workers import run_directory


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_run_gets_its_own_directory_and_finished_runs_go(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    dead, alive = _dead_pid(), os.getpid()
    mine = run_directory(runs, alive, b"this run")
    assert mine.is_dir()
    assert run_directory(runs, alive, b"this run") == mine  # the run's other workers
    assert run_directory(runs, alive, b"a later run") != mine  # a pid used again
    finished = runs / f"{dead}-{'0' * 16}"
    finished.mkdir()
    (runs / "not-a-run").mkdir()
    (mine / f"gauge_liveall_{dead}.db").write_bytes(b"")
    (mine / f"counter_{dead}.db").write_bytes(b"")
    (mine / f"gauge_liveall_{alive}.db").write_bytes(b"")
    assert run_directory(runs, alive, b"this run") == mine
    assert not finished.exists()
    assert (runs / "not-a-run").exists()
    assert sorted(path.name for path in mine.iterdir()) == [
        f"counter_{dead}.db", f"gauge_liveall_{alive}.db"]
