"""The repository is complete in itself: a copy of what git tracks, alone in an empty
directory, collects every test and passes the ones that read vendored conformance data.

A test that reached outside the repository (the conformance folder the checkout was made beside,
a sibling checkout, a home-dir file) would pass here and fail on a newcomer's fresh clone; this
copy has nothing beside it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _tracked_files() -> list[str]:
    """What a clone of the working tree would hold: tracked files plus new, unignored ones."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.fail("git and a git checkout are needed to prove the repository is self-contained")
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True,
    ).stdout.decode()
    return [name for name in listing.split("\0") if name and (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def lone_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository copied into ``<empty>/agritrace`` with nothing beside it."""
    copy = tmp_path_factory.mktemp("empty") / "agritrace"
    for name in _tracked_files():
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    assert sorted(p.name for p in copy.parent.iterdir()) == ["agritrace"]
    return copy


def _pytest_in(copy: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=copy, env=env, capture_output=True, text=True, timeout=600,
    )


def _collected(output: str) -> int:
    found = re.search(r"(\d+) tests? collected", output)
    assert found, output[-500:]
    return int(found[1])


def test_the_copy_imports_its_own_code(lone_copy: Path) -> None:
    # Without this, the copy could silently test the installed checkout instead of itself.
    where = subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, '.'); import ledger; "
         "print(ledger.__file__)"],
        cwd=lone_copy, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(lone_copy)


def test_every_test_collects_with_nothing_beside_the_repository(lone_copy: Path) -> None:
    here = _pytest_in(ROOT, "--collect-only")
    there = _pytest_in(lone_copy, "--collect-only")
    assert there.returncode == 0, there.stdout[-3000:] + there.stderr[-3000:]
    assert _collected(there.stdout) == _collected(here.stdout) > 1000


def test_conformance_vector_tests_pass_in_the_copy(lone_copy: Path) -> None:
    run = _pytest_in(lone_copy, "tests/verify/test_merkle.py", "tests/verify/test_notes.py",
                     "tests/ledger/test_digitallink.py")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert re.search(r"\d{3,} passed", run.stdout), run.stdout[-500:]


def test_nothing_in_the_repository_reads_outside_it() -> None:
    outside = re.compile(r"\.\./shared|parents\[\d+\]\.parent\s*/\s*[\"']shared")
    offenders = [
        name for name in _tracked_files()
        if name.endswith((".py", ".toml", ".cfg", ".sh", "Makefile", "run"))
        and outside.search((ROOT / name).read_text(encoding="utf-8", errors="replace"))
        and name != "tests/e2e/test_fresh_clone.py"
    ]
    assert offenders == []
