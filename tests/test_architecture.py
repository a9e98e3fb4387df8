"""The dependency rules hold, and are checked: ``lint-imports`` (the contracts in
pyproject.toml, run by ``make test``) passes on this tree and fails, naming the contract and
the import, on a copy of it with one forbidden import added."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))
CONTRACTS = {
    "layers": "api -> ledger -> verify: each package imports only those below it",
    "ledger-knows-no-http": "ledger, its command line included, imports nothing of api or "
                            "the web framework",
    "witness-needs-only-verify": "the witness imports only verify and the standard library",
    "monitor-needs-only-verify": "the monitor imports only verify and the standard library",
    "verify-stands-alone": "verify imports nothing of ours nor any web or database library",
}


def lint_imports(where: Path, *contracts: str) -> subprocess.CompletedProcess[str]:
    chosen = [option for contract in contracts for option in ("--contract", contract)]
    return subprocess.run([LINT_IMPORTS, "--config", "pyproject.toml", "--no-cache", *chosen],
                          cwd=where, capture_output=True, text=True, timeout=120, check=False)


def test_the_tree_keeps_every_contract() -> None:
    checked = lint_imports(ROOT)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    for name in CONTRACTS.values():
        assert f"{name} KEPT" in checked.stdout
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in checked.stdout


@pytest.mark.parametrize(("contract", "module", "line"), [
    ("layers", "verify/merkle.py", "from ledger.errors import InvalidInput"),
    ("ledger-knows-no-http", "ledger/cli/serve.py", "from api.app import create_app"),
    ("ledger-knows-no-http", "ledger/views.py", "import fastapi"),
    ("witness-needs-only-verify", "ledger/witness/protocol.py",
     "from ledger.errors import InvalidInput"),
    ("witness-needs-only-verify", "ledger/witness/service.py", "import sqlalchemy"),
    ("monitor-needs-only-verify", "ledger/monitor/replay.py",
     "from ledger.records_audit import audit_store"),
    ("monitor-needs-only-verify", "ledger/monitor/client.py", "import httpx"),
    ("verify-stands-alone", "verify/bundle.py", "import sqlalchemy"),
    ("verify-stands-alone", "verify/notes.py", "from api import errors"),
])
def test_a_forbidden_import_breaks_its_contract(tmp_path: Path, contract: str, module: str,
                                                line: str) -> None:
    copy = tmp_path / "agritrace"
    for package in ("api", "ledger", "verify"):
        shutil.copytree(ROOT / package, copy / package,
                        ignore=shutil.ignore_patterns("__pycache__", "static", "templates"))
    shutil.copy2(ROOT / "pyproject.toml", copy / "pyproject.toml")
    with (copy / module).open("a", encoding="utf-8") as source:
        source.write(f"\n{line}  # noqa\n")
    checked = lint_imports(copy, contract)
    assert checked.returncode != 0, checked.stdout
    assert f"{CONTRACTS[contract]} BROKEN" in checked.stdout
    importer = module.removesuffix(".py").replace("/", ".")
    assert f"{importer} -> " in checked.stdout, checked.stdout
