"""``verify`` stands alone (DESIGN §2): importing it loads nothing of the ledger or the service,
and ``agritrace-verify`` runs in a fresh virtual environment holding only ``cryptography``,
``rfc8785`` and a copy of ``verify/``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors" / "bundles"
FORBIDDEN = ("ledger", "api", "fastapi", "sqlalchemy", "eventsourcing", "nacl", "psycopg")


def test_importing_verify_loads_nothing_of_the_ledger_or_the_service() -> None:
    script = (
        "import sys\n"
        "import importlib, pkgutil, verify\n"
        "for module in pkgutil.iter_modules(verify.__path__):\n"
        "    importlib.import_module(f'verify.{module.name}')\n"
        "from verify import Bundle, verify_bundle\n"
        f"loaded = {{name.split('.')[0] for name in sys.modules}} & set({FORBIDDEN!r})\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=60)


@pytest.mark.slow
def test_agritrace_verify_runs_in_a_clean_venv(tmp_path: Path) -> None:
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(environment)
    python = environment / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "cryptography", "rfc8785"], check=True, timeout=180,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    source = tmp_path / "src"
    shutil.copytree(ROOT / "verify", source / "verify",
                    ignore=shutil.ignore_patterns("__pycache__"))

    def verify(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([python, "-m", "verify", *args], cwd=source, text=True,
                              capture_output=True, timeout=60)

    log_key = str(VECTORS / "log.vkey")
    valid = verify(str(VECTORS / "valid.json"), "--log-key", log_key,
                   "--witness", str(VECTORS / "witness.vkey"))
    assert valid.returncode == 0, valid.stderr
    assert "有效 valid" in valid.stdout
    invalid = verify(str(VECTORS / "signed-by-revoked-key.json"), "--log-key", log_key)
    assert invalid.returncode == 1
    assert "first bad record" in invalid.stderr
    assert "Traceback" not in invalid.stderr
    malformed = verify(str(VECTORS / "truncated-json.json"), "--log-key", log_key)
    assert malformed.returncode == 2
    assert "Traceback" not in malformed.stderr
    installed = subprocess.run([python, "-m", "pip", "list", "--format=freeze",
                                "--disable-pip-version-check"],
                               text=True, capture_output=True, check=True, timeout=60).stdout
    names = {line.split("==")[0].lower() for line in installed.split()}
    assert names <= {"cryptography", "rfc8785", "cffi", "pycparser", "pip", "setuptools"}
