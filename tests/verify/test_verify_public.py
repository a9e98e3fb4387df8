"""``verify``'s public face: every name in ``verify.__all__`` is the one its module defines, and
the usage example in the package docstring runs as written."""

from __future__ import annotations

import importlib
import inspect
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import verify

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors" / "bundles"


def test_every_public_name_is_its_defining_modules_own() -> None:
    assert sorted(verify.__all__) == verify.__all__
    for name in verify.__all__:
        value = getattr(verify, name)
        module = importlib.import_module(value.__module__)
        assert module.__name__.startswith("verify."), name
        assert getattr(module, name) is value, name
        assert name in module.__all__, f"{name} is not public in {module.__name__}"


def test_every_verification_error_is_public() -> None:
    errors = importlib.import_module("verify.errors")
    assert {name for name, value in inspect.getmembers(errors, inspect.isclass)
            if issubclass(value, verify.VerificationError)} <= set(verify.__all__)


def _example() -> str:
    """The indented block after the first ``::`` in the package docstring."""
    doc = verify.__doc__ or ""
    block = doc.split("::\n", 1)[1].split("\n\n")
    lines = "\n\n".join(block[:2])  # the imports, a blank line, then the steps
    return textwrap.dedent(lines)


def test_the_usage_example_checks_a_bundle(tmp_path: Path) -> None:
    shutil.copy(VECTORS / "log.vkey", tmp_path / "log.vkey")
    shutil.copy(VECTORS / "valid.json", tmp_path / "bundle.json")
    example = _example()
    assert "verify_bundle(bundle, [log_key])" in example
    done = subprocess.run([sys.executable, "-c", example], cwd=tmp_path, text=True,
                          capture_output=True, timeout=60,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("KW26-SBD-G1 "), done.stdout
