"""The Python verifier on every bundle vector in ``tests/vectors/bundles``: each fails at the
step, with the error class, its index expects (or verifies, for the valid ones, with the
warnings it expects and completeness proven or not), both through ``verify_bundle`` and
through ``agritrace-verify``'s exit codes.
"""

from __future__ import annotations

import json
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest

from tests.vectors.bundles.generate import main as generate
from verify import errors
from verify.__main__ import main as verify_main
from verify.bundle import Bundle
from verify.checkpoints import signed_time
from verify.notes import Verifier
from verify.policy import SeenCheckpoint
from verify.verification import BundleResult, verify_bundle

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "bundles"
Outcome = tuple[int, int | None, str | None]


def load_index(directory: Path = VECTORS) -> dict[str, Any]:
    index: dict[str, Any] = json.loads((directory / "index.json").read_text())
    return index


def _key(directory: Path, name: str) -> Verifier:
    return Verifier.from_vkey((directory / name).read_text().strip())


def _verify(vector: dict[str, Any], directory: Path) -> BundleResult:
    options = vector["options"]
    log_keys = [_key(directory, load_index(directory)["log_key"])]
    witnesses = [_key(directory, name) for name in options["witnesses"]]
    since = None
    if options["since"]:
        since = SeenCheckpoint.from_text((directory / options["since"]).read_bytes())
    bundle = Bundle.from_json((directory / vector["file"]).read_bytes())
    return verify_bundle(bundle, log_keys, witnesses=witnesses,
                         min_witnesses=options["min_witnesses"], since=since)


def python_outcome(vector: dict[str, Any], directory: Path = VECTORS) -> Outcome:
    """(exit code, failing step, error class) of the Python verifier on ``vector``."""
    try:
        _verify(vector, directory)
    except errors.VerificationError as error:
        exit_code = 2 if isinstance(error, errors.MalformedInput) else 1
        return exit_code, int(error.step or 0), type(error).__name__
    return 0, None, None


def expected(vector: dict[str, Any]) -> Outcome:
    return vector["exit"], vector["step"], vector["error"]


def matches(outcome: Outcome, vector: dict[str, Any]) -> bool:
    """The outcome the index expects; an expected class also admits its subclasses
    (``ProofInvalid`` admits ``RootMismatch``)."""
    exit_code, step, error = outcome
    if (exit_code, step) != (vector["exit"], vector["step"]):
        return False
    wanted: str | None = vector["error"]
    if wanted is None or error is None:
        return error == wanted
    found: type[errors.VerificationError] = getattr(errors, error)
    return issubclass(found, getattr(errors, wanted))


INDEX = load_index()


@pytest.mark.parametrize("vector", INDEX["vectors"], ids=lambda v: v["name"])
def test_python_verifier(vector: dict[str, Any]) -> None:
    outcome = python_outcome(vector)
    assert matches(outcome, vector), f"{vector['description']}: got {outcome}"


@pytest.mark.parametrize("vector", [v for v in INDEX["vectors"] if v["valid"]],
                         ids=lambda v: v["name"])
def test_valid_vectors_say_whether_they_are_complete(vector: dict[str, Any]) -> None:
    result = _verify(vector, VECTORS)
    assert list(result.warnings) == vector["warnings"]
    assert result.complete is vector["complete"]
    assert result.to_json()["warnings"] == vector["warnings"]


@pytest.mark.parametrize("vector", INDEX["vectors"], ids=lambda v: v["name"])
def test_command_line(vector: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    options = vector["options"]
    argv = [str(VECTORS / vector["file"]), "--log-key", str(VECTORS / INDEX["log_key"]),
            "--json"]
    for witness in options["witnesses"]:
        argv += ["--witness", str(VECTORS / witness)]
    argv += ["--min-witnesses", str(options["min_witnesses"])]
    if options["since"]:
        argv += ["--since", str(VECTORS / options["since"])]
    code = verify_main(argv)
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert code == vector["exit"]
    assert result["valid"] is vector["valid"]
    if vector["valid"]:
        assert (result["warnings"], result["complete"]) == (vector["warnings"],
                                                             vector["complete"])
    if not vector["valid"]:
        assert (result["step"], result["exit"]) == (vector["step"], vector["exit"])
        assert f"step {vector['step']}" in err or "unreadable" in err
        assert "Traceback" not in err


def test_the_vectors_cover_every_step_and_enough_corruptions() -> None:
    vectors = INDEX["vectors"]
    corrupted = [v for v in vectors if not v["valid"]]
    assert len(corrupted) >= 25
    assert {v["step"] for v in corrupted} == {0, 1, 2, 3, 4, 5, 6, 7}
    assert {v["exit"] for v in vectors} == {0, 1, 2}
    assert len({v["file"] for v in vectors}) == len(vectors)  # one file per corruption
    for vector in vectors:
        assert (VECTORS / vector["file"]).is_file()


def test_every_failure_names_the_first_bad_record_when_there_is_one() -> None:
    log_key = [_key(VECTORS, INDEX["log_key"])]
    for name in ("record-dropped", "signature-forged", "audit-path-flipped",
                 "signed-by-revoked-key", "missing-ancestor"):
        bundle = Bundle.from_json((VECTORS / f"{name}.json").read_bytes())
        with pytest.raises(errors.VerificationError) as failure:
            verify_bundle(bundle, log_key)
        assert failure.value.record is not None
        assert len(failure.value.record) == 64
        assert failure.value.record in {sha256(r.raw).hexdigest() for r in bundle.records}


def test_regenerated_vectors_have_the_same_outcomes(tmp_path: Path) -> None:
    # The generator still runs, and what it makes (fresh keys and times) fails the same way.
    generate(tmp_path)
    fresh = load_index(tmp_path)
    assert [v["name"] for v in fresh["vectors"]] == [v["name"] for v in INDEX["vectors"]]
    for vector in fresh["vectors"]:
        assert matches(python_outcome(vector, tmp_path), vector), vector["name"]
    assert (tmp_path / "log.vkey").read_text() == (VECTORS / "log.vkey").read_text()
    # The expected derived state of every valid vector is written beside it.
    valid = {v["name"] for v in fresh["vectors"] if v["valid"]}
    assert {p.name.removesuffix(".state.json") for p in tmp_path.glob("*.state.json")} == valid


def test_a_cut_chain_fails_at_every_position_of_the_lot_and_of_an_ancestor() -> None:
    # The lot's chain has ten records, the harvest's four: a vector for each cut but the
    # last, all failing (step 7, or step 5 where the cut takes the record a link needs).
    names = {v["name"]: v for v in INDEX["vectors"]}
    lot = [names[f"lot-chain-cut-after-seq-{seq}"] for seq in range(9)]
    ancestor = [names[f"ancestor-chain-cut-after-seq-{seq}"] for seq in range(3)]
    assert {(v["step"], v["error"]) for v in lot} == {(7, "ChainIncomplete")}
    assert [(v["step"], v["error"]) for v in ancestor] == [
        (5, "LinkBroken"), (7, "ChainIncomplete"), (7, "ChainIncomplete")]
    assert "lot-chain-cut-after-seq-9" not in names  # the whole chain is the valid vector


def test_the_stale_vector_says_how_old_its_checkpoint_is() -> None:
    stale = [v for v in INDEX["vectors"] if v["freshness"] is not None]
    assert [v["name"] for v in stale] == ["valid-stale-checkpoint"]
    assert stale[0]["freshness"] == {"time": 1_700_000_000, "max_age": "1h", "exit": 1}
    bundle = Bundle.from_json((VECTORS / stale[0]["file"]).read_bytes())
    assert signed_time(bundle.checkpoint) == 1_700_000_000
    assert {s.name for s in bundle.note.signatures} == {"agritrace.test/vectors",
                                                       "agritrace.test/witness"}
