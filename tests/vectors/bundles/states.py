"""Write the derived lot state of every valid bundle vector beside it, as ``<name>.state.json``:
``.venv/bin/python -m tests.vectors.bundles.states`` (``generate.py`` runs it after writing
the vectors, whose bytes change on every run).

The state is ``BundleResult.state`` (``verify.state.derive_state``) of the vector verified
with its index options (pinned witnesses change ``as_of.witness_times``). The file is that
object as UTF-8 JSON, keys sorted, indented by one space, ending in a newline
(``dump_state``); compare it as JSON values, not as text. The Python verifier is checked
against these files by ``tests/verify/test_state_vectors.py``, which also holds what each
file must say by hand (from the demo data set), and the browser's port of ``derive_state``
must return the same values.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from verify.bundle import Bundle
from verify.notes import Verifier
from verify.policy import SeenCheckpoint
from verify.verification import BundleResult, verify_bundle

HERE = Path(__file__).resolve().parent
SUFFIX = ".state.json"


def state_file(directory: Path, vector: dict[str, Any]) -> Path:
    """``valid.json`` → ``valid.state.json``, beside it."""
    return directory / (vector["file"].removesuffix(".json") + SUFFIX)


def valid_vectors(directory: Path = HERE) -> list[dict[str, Any]]:
    index = json.loads((directory / "index.json").read_text())
    return [vector for vector in index["vectors"] if vector["valid"]]


def verified(vector: dict[str, Any], directory: Path = HERE) -> BundleResult:
    """``vector`` verified as its index says: its pinned keys, witnesses and earlier
    checkpoint."""
    index = json.loads((directory / "index.json").read_text())
    options = vector["options"]

    def key(name: str) -> Verifier:
        return Verifier.from_vkey((directory / name).read_text().strip())

    since = None
    if options["since"]:
        since = SeenCheckpoint.from_text((directory / options["since"]).read_bytes())
    bundle = Bundle.from_json((directory / vector["file"]).read_bytes())
    return verify_bundle(bundle, [key(index["log_key"])],
                         witnesses=[key(name) for name in options["witnesses"]],
                         min_witnesses=options["min_witnesses"], since=since)


def dump_state(state: dict[str, Any] | None) -> str:
    return json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def write_states(directory: Path = HERE) -> int:
    """Write ``<name>.state.json`` for every valid vector in ``directory`` and remove state
    files of vectors that are gone or no longer valid; returns how many were written."""
    wanted = {state_file(directory, v): v for v in valid_vectors(directory)}
    for old in directory.glob(f"*{SUFFIX}"):
        if old not in wanted:
            old.unlink()
    for path, vector in wanted.items():
        path.write_text(dump_state(verified(vector, directory).state))
    return len(wanted)


if __name__ == "__main__":
    print(f"wrote {write_states()} expected states to {HERE}")
