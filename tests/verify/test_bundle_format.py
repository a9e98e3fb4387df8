"""The bundle format's edges: the JSON Schema shipped in ``verify``, the parsed frozen types,
and the memoising inclusion checker against the reference ``verify.merkle`` code.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable
from hashlib import sha256
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verify import bundle as bundle_module
from verify import policy
from verify.bundle import Bundle
from verify.encoding import decode_base64
from verify.errors import MalformedInput, VerificationError
from verify.headmap import MAX_PROOF_DEPTH
from verify.merkle import (
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_inclusion,
)
from verify.policy import InclusionChecker, decode_hashes
from verify.verification import BundleResult

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "bundles"


def test_the_schema_ships_with_verify_and_matches_the_parser() -> None:
    schema = json.loads((resources.files("verify") / "bundle.schema.json").read_text())
    assert schema["properties"]["format"]["const"] == bundle_module.FORMAT
    assert schema["properties"]["version"]["enum"] == list(bundle_module.VERSIONS)
    assert set(schema["required"]) == set(bundle_module._FIELDS[1])
    assert set(schema["then"]["required"]) == set(bundle_module._FIELDS[2]) - set(
        bundle_module._FIELDS[1])
    assert set(schema["properties"]) == set(bundle_module._FIELDS[2]) | {"consistency"}
    assert schema["properties"]["heads"]["maxItems"] == bundle_module.MAX_RECORDS
    head = schema["$defs"]["head"]
    assert set(head["required"]) == set(bundle_module._HEAD_FIELDS)
    assert head["properties"]["proof"]["maxItems"] == MAX_PROOF_DEPTH
    assert schema["properties"]["records"]["maxItems"] == bundle_module.MAX_RECORDS
    assert schema["properties"]["checkpoint"]["maxLength"] == policy.MAX_NOTE_CHARS
    assert schema["properties"]["consistency"]["maxItems"] == bundle_module.MAX_CONSISTENCY
    assert schema["$defs"]["hashes"]["maxItems"] == policy.MAX_PROOF_HASHES
    record = schema["$defs"]["record"]
    assert set(record["required"]) == set(bundle_module._RECORD_FIELDS)
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    assert 'verify = ["py.typed", "*.json"]' in pyproject  # shipped as package data


def test_a_parsed_bundle_is_frozen() -> None:
    bundle = Bundle.from_json((VECTORS / "valid.json").read_bytes())
    with pytest.raises(dataclasses.FrozenInstanceError):
        bundle.lot = "OTHER"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        bundle.records[0].index = 1  # type: ignore[misc]
    assert bundle.consistency_from(bundle.consistency[0][0]) == bundle.consistency[0][1]
    assert bundle.consistency_from(10**6) is None


def test_the_writer_gives_back_every_vector_that_parses_byte_for_byte() -> None:
    # The vectors were written before the model could write itself: what Bundle.to_json
    # writes is the format they are in, down to field order and separators.
    index = json.loads((VECTORS / "index.json").read_text())
    written = 0
    for vector in index["vectors"]:
        raw = (VECTORS / vector["file"]).read_bytes()
        try:
            bundle = Bundle.from_json(raw)
        except VerificationError:
            continue
        assert bundle.to_json() == raw, vector["name"]
        assert Bundle.from_json(bundle.to_json()) == bundle
        written += 1
    assert written >= 40


def test_a_bundle_of_parts_is_the_bundle_its_document_parses_to() -> None:
    parsed = Bundle.from_json((VECTORS / "valid.json").read_bytes())
    assert parsed.version == 2
    assert parsed.heads is not None
    built = Bundle.of(parsed.lot, parsed.note.to_text(), parsed.records, parsed.consistency,
                      reversed(parsed.heads))  # written sorted by chain whatever the order
    assert built == parsed
    without = Bundle.of(parsed.lot, parsed.note.to_text(), parsed.records)
    assert b'"consistency"' not in without.to_json()
    assert without.version == 1
    assert b'"heads"' not in without.to_json()
    assert b'"version":1,' in without.to_json()
    with pytest.raises(MalformedInput, match="checkpoint"):
        Bundle.of(parsed.lot, parsed.checkpoint.to_text(), parsed.records)  # not signed


def test_text_and_bytes_parse_alike() -> None:
    raw = (VECTORS / "valid.json").read_bytes()
    assert Bundle.from_json(raw) == Bundle.from_json(raw.decode())


def test_the_result_as_json() -> None:
    result = BundleResult("L1", 3, ("L1",), ("org-a",), "log.example", 9, bytes(32), ("w",), 4)
    assert result.to_json()["checkpoint"] == {"origin": "log.example", "size": 9,
                                              "root_hash": "00" * 32}
    assert result.to_json()["consistent_with"] == 4


def test_hashes_are_canonical_base64_of_32_bytes() -> None:
    good = "A" * 43 + "="
    assert decode_hashes([good, good], "p") == (bytes(32), bytes(32))
    for bad in ("B" * 43 + "=", "A" * 44, "A" * 42 + "==", "A" * 43 + "=\n", 5, "é" * 44):
        with pytest.raises(MalformedInput):
            decode_hashes([bad], "p")


def _tree(size: int) -> tuple[list[bytes], bytes]:
    leaves = [leaf_hash(str(i).encode()) for i in range(size)]
    return leaves, root_from_leaf_hashes(leaves)


@settings(max_examples=150, deadline=None)
@given(size=st.integers(1, 70), data=st.data())
def test_the_inclusion_checker_agrees_with_verify_merkle(size: int, data: st.DataObject) -> None:
    leaves, root = _tree(size)
    checker = InclusionChecker(size, root)

    def get(level: int, index: int) -> bytes:
        if level == 0:
            return leaves[index]
        return node_hash(get(level - 1, 2 * index), get(level - 1, 2 * index + 1))

    for _ in range(4):
        index = data.draw(st.integers(-1, size), label="index")
        proof = inclusion_proof(index, size, get) if 0 <= index < size else []
        change = data.draw(st.sampled_from(["none", "drop", "add", "flip", "leaf"]))
        if change == "drop" and proof:
            proof = proof[:-1]
        elif change == "add":
            proof = [*proof, sha256(b"extra").digest()]
        elif change == "flip" and proof:
            proof = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
        leaf = leaves[index] if 0 <= index < size and change != "leaf" else sha256(b"x").digest()
        ours = _outcome(checker.verify, index, leaf, proof)
        assert ours == _outcome(verify_inclusion, index, size, leaf, proof, root)


def _outcome(check: Callable[..., None], *args: object) -> tuple[str, str]:
    try:
        check(*args)
    except VerificationError as error:
        return type(error).__name__, error.reason
    return "ok", ""


def _reference_base64(text: str) -> bytes | None:
    """Ten-line reference: strict decoding, then re-encoding must give the text back."""
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        return None
    return raw if base64.b64encode(raw).decode() == text else None


ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


@settings(max_examples=500, deadline=None)
@given(st.one_of(
    st.binary(max_size=40).map(lambda raw: base64.b64encode(raw).decode()),
    st.binary(max_size=40).map(lambda raw: base64.b64encode(raw).decode())
    .flatmap(lambda text: st.tuples(st.integers(0, max(len(text) - 1, 0)),
                                    st.sampled_from(ALPHABET), st.integers(0, 3))
             .map(lambda c: (text[:c[0]] + c[1] + text[c[0] + 1:]).rstrip("=") + "=" * c[2])),
    st.text(alphabet=ALPHABET + "é \n", max_size=16),
))
def test_canonical_base64_agrees_with_the_reference(text: str) -> None:
    try:
        ours: bytes | None = decode_base64(text, "x", 64)
    except MalformedInput:
        ours = None
    assert ours == _reference_base64(text)
