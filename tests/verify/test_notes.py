"""C2SP signed notes, checkpoints, cosignatures and tlog-proofs against the official vectors."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import CONFORMANCE
from verify.checkpoints import Checkpoint
from verify.cosignatures import cosign_note, cosignature_message, cosignature_timestamp
from verify.errors import BadSignature, MalformedInput, NoteInvalid, VerificationError
from verify.merkle import leaf_hash
from verify.notes import (
    COSIGNATURE_V1,
    Note,
    Signature,
    Signer,
    Verifier,
    note_key_id,
    open_note,
    sign_note,
    verified_signers,
    verify_note,
)
from verify.proofs import TlogProof

VECTORS: dict[str, Any] = json.loads(
    (CONFORMANCE / "tlog" / "vectors_extracted.json").read_text(encoding="utf-8")
)
GO_NOTE, C2SP_NOTE, SUMDB_NOTE, KEYPAIRS = VECTORS["signed_note"]
PETER, ENOCH = (Verifier.from_vkey(k) for k in GO_NOTE["vkeys"])
PETER_SIGNER = Signer.from_skey(GO_NOTE["skeys"][0])


def checkpoint_note(signer: Signer, size: int = 3) -> Note:
    body = Checkpoint("example.com/log", size, leaf_hash(b"root")).to_text()
    return sign_note(body, [signer])


# --- golang sumdb/note vectors -----------------------------------------------------------


def test_go_note_both_signatures_verify() -> None:
    note = open_note(GO_NOTE["signed_note"], [PETER, ENOCH])
    assert note.text == GO_NOTE["text"]
    assert verified_signers(note, [ENOCH, PETER]) == (PETER, ENOCH)
    assert note.to_text() == GO_NOTE["signed_note"]


def test_go_note_signing_reproduces_the_signature_line_byte_for_byte() -> None:
    assert PETER_SIGNER.verifier == PETER
    signed = sign_note(GO_NOTE["text"], [PETER_SIGNER]).to_text()
    first_line = GO_NOTE["signed_note"].split("\n\n")[1].split("\n")[0] + "\n"
    assert signed == GO_NOTE["text"] + "\n" + first_line


def test_keys_round_trip() -> None:
    assert [PETER.to_vkey(), ENOCH.to_vkey()] == GO_NOTE["vkeys"]
    assert PETER_SIGNER.to_skey() == GO_NOTE["skeys"][0]


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong key id
        "Peter+Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_malformed_vkeys_are_rejected(vkey: str) -> None:
    with pytest.raises(MalformedInput):
        Verifier.from_vkey(vkey)


def test_malformed_skeys_are_rejected() -> None:
    skey = GO_NOTE["skeys"][0]
    for bad in [skey.removeprefix("PRIVATE+"), skey.replace("c74f20a3", "c74f20a4")]:
        with pytest.raises(MalformedInput):
            Signer.from_skey(bad)


def test_duplicate_verifiers_are_ambiguous() -> None:
    with pytest.raises(MalformedInput, match="ambiguous"):
        open_note(GO_NOTE["signed_note"], [PETER, ENOCH, Verifier.from_vkey(GO_NOTE["vkeys"][1])])


def test_more_than_100_signatures_is_malformed() -> None:
    text, sigs = GO_NOTE["signed_note"].split("\n\n")
    line = sigs.split("\n")[0] + "\n"
    open_note(text + "\n\n" + line * 100, [PETER])
    with pytest.raises(NoteInvalid):
        Note.from_text(text + "\n\n" + line * 101)


# --- C2SP example, sum.golang.org checkpoint, test key pairs -----------------------------


def test_c2sp_example_note_verifies() -> None:
    verifiers = [Verifier.from_vkey(k) for k in C2SP_NOTE["vkeys"]]
    assert open_note(C2SP_NOTE["signed_note"], verifiers).text == "This is an example message.\n"


def test_real_sumdb_checkpoint_verifies_and_parses() -> None:
    sumdb = Verifier.from_vkey(SUMDB_NOTE["vkeys"][0])
    note = open_note(SUMDB_NOTE["signed_note"].encode(), [sumdb])
    checkpoint = Checkpoint.from_text(note.text)
    assert (checkpoint.origin, checkpoint.size) == ("go.sum database tree", 6476701)
    assert checkpoint.to_text() == note.text


@pytest.mark.parametrize("pair", KEYPAIRS["keypairs"], ids=lambda p: p["vkey"].split("+")[0])
def test_seed_derives_public_key_and_key_id(pair: dict[str, str]) -> None:
    signer, verifier = Signer.from_skey(pair["skey"]), Verifier.from_vkey(pair["vkey"])
    assert signer.verifier == verifier
    assert f"{note_key_id(verifier.name, verifier.public_key):08x}" == pair["vkey"].split("+")[1]


def test_go_sumdb_tree_note_format() -> None:
    case = VECTORS["go_sumdb_tree_note"]
    checkpoint = Checkpoint("go.sum database tree", case["N"], leaf_hash(case["record"].encode()))
    assert checkpoint.to_text() == case["expected_text"]
    assert Checkpoint.from_text(case["expected_text"]) == checkpoint


# --- verification failures ---------------------------------------------------------------


def test_unknown_keys_are_ignored_but_one_known_signature_is_required() -> None:
    stranger = Signer.generate("PeterNeumann")  # same name, other key id: not Peter
    note = Note.from_text(GO_NOTE["signed_note"])
    mixed = Note(note.text, (*sign_note(note.text, [stranger]).signatures, *note.signatures))
    verify_note(mixed, [PETER])
    with pytest.raises(NoteInvalid, match="no valid signature"):
        verify_note(mixed, [Verifier.from_vkey(C2SP_NOTE["vkeys"][0])])


def test_known_key_with_bad_signature_rejects_the_note() -> None:
    note = Note.from_text(GO_NOTE["signed_note"])
    peter_sig = note.signatures[0]
    forged = Signature(peter_sig.name, peter_sig.key_id, bytes(64))
    with pytest.raises(BadSignature):
        verify_note(Note(note.text, (forged, note.signatures[1])), [PETER, ENOCH])
    with pytest.raises(BadSignature):
        verify_note(Note("Other text.\n", note.signatures), [PETER])


GOOD = GO_NOTE["signed_note"]


MALFORMED = {
    "no blank line before signatures": GOOD.replace("\n\n", "\n"),
    "hyphen instead of em dash": GOOD.replace("— ", "- "),
    "double space": GOOD.replace("— PeterNeumann ", "— PeterNeumann  "),
    "plus in key name": GOOD.replace("— PeterNeumann ", "— Peter+Neumann "),
    "no final newline": GOOD[:-1],
    "trailing blank line": GOOD + "\n",
    "control character": GOOD.replace("problem,", "problem,\r"),
    "bad base64": GOOD.replace("x08go/ZJ", "x08go!ZJ"),
    "non-canonical base64": GOOD.replace("wJnAM=", "wJnAO="),
    "signature under 5 bytes": GOOD.split("\n\n")[0] + "\n\n— PeterNeumann AAAA\n",
    "no signatures": GOOD.split("\n\n")[0] + "\n\n",
}


@pytest.mark.parametrize("signed", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_notes_are_rejected(signed: str) -> None:
    with pytest.raises(NoteInvalid):
        open_note(signed, [PETER, ENOCH])


def test_invalid_utf8_is_rejected() -> None:
    with pytest.raises(NoteInvalid, match="UTF-8"):
        Note.from_text(b"caf\xe9\n\n" + GOOD.split("\n\n")[1].encode())


def test_text_with_blank_lines_splits_at_the_last_one() -> None:
    signed = sign_note("a\n\nb\n", [PETER_SIGNER]).to_text()
    assert open_note(signed, [PETER]).text == "a\n\nb\n"


# --- checkpoints -------------------------------------------------------------------------

ROOT = base64.b64encode(bytes(32)).decode()


@pytest.mark.parametrize(
    "text",
    [
        f"log\n01\n{ROOT}\n",
        f"log\n-1\n{ROOT}\n",
        f"log\n１\n{ROOT}\n",  # fullwidth digit
        f"log\n1\n{ROOT}",
        "log\n1\n",
        f"\n1\n{ROOT}\n",
        f"log\n1\n{ROOT}\n\n",
        f"log\n1\n{ROOT[:-2]}\n",
        f"log\n1\n{ROOT[:-2]}B=\n",  # non-canonical base64
        f"log\n{2**64}\n{ROOT}\n",
        f"log\n{'9' * 5000}\n{ROOT}\n",  # beyond int()'s digit limit
    ],
)
def test_malformed_checkpoints_are_rejected(text: str) -> None:
    with pytest.raises(NoteInvalid):
        Checkpoint.from_text(text)


def test_checkpoint_extensions_round_trip() -> None:
    text = f"example.com/log\n0\n{ROOT}\next one\next two\n"
    checkpoint = Checkpoint.from_text(text)
    assert checkpoint.extensions == ("ext one", "ext two")
    assert checkpoint.to_text() == text


# --- cosignature/v1 ----------------------------------------------------------------------


def test_cosignature_v1_message_layout() -> None:
    case = VECTORS["cosignature_v1_message_example"]
    body = case["signed_message"].split("\n", 2)[2]
    message = cosignature_message(Checkpoint.from_text(body), 1679315147)
    assert message == case["signed_message"].encode()


def test_cosignature_spec_example_carries_its_timestamp() -> None:
    # The signature line of the witness in C2SP tlog-cosignature's example (no key is given).
    line = (
        "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlr"
        "DJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA=="
    )
    assert cosignature_timestamp(Signature.from_line(line)) == 1679315147


def test_cosign_and_verify() -> None:
    log = Signer.generate("example.com/log")
    witness = Signer.generate("witness.example/w1", COSIGNATURE_V1)
    vkey = witness.verifier.to_vkey()
    assert base64.b64decode(vkey.split("+", 2)[2])[0] == COSIGNATURE_V1
    key = witness.verifier.public_key
    assert witness.key_id == note_key_id(witness.name, key, 0x04) != note_key_id(witness.name, key)
    note = cosign_note(checkpoint_note(log), witness, 1679315147)
    parsed = Note.from_text(note.to_text())
    assert cosignature_timestamp(parsed.signatures[1]) == 1679315147
    assert verified_signers(parsed, [log.verifier, Verifier.from_vkey(vkey)]) == (
        log.verifier,
        witness.verifier,
    )
    # The same key as a plain note key has another key id, so the cosignature is not its.
    plain = Verifier(witness.name, key)
    with pytest.raises(NoteInvalid):
        verify_note(parsed, [plain])


def test_tampered_cosignature_is_rejected() -> None:
    log, witness = Signer.generate("log"), Signer.generate("w", COSIGNATURE_V1)
    note = cosign_note(checkpoint_note(log), witness, 100)
    sig = note.signatures[1]
    later = Signature(sig.name, sig.key_id, (101).to_bytes(8, "big") + sig.signature[8:])
    for bad in [Note(note.text, (later,)), Note(checkpoint_note(log, 4).text, (sig,))]:
        with pytest.raises(BadSignature):
            verify_note(bad, [witness.verifier])


def test_cosigning_requires_a_checkpoint_and_a_cosigner_key() -> None:
    witness = Signer.generate("w", COSIGNATURE_V1)
    with pytest.raises(NoteInvalid):
        cosign_note(Note("not a checkpoint\n"), witness, 1)
    with pytest.raises(NoteInvalid):
        cosign_note(checkpoint_note(Signer.generate("log")), witness, 2**63)
    with pytest.raises(ValueError, match="cosign"):
        sign_note("text\n", [witness])
    with pytest.raises(ValueError, match="cosignature"):
        cosign_note(checkpoint_note(PETER_SIGNER), PETER_SIGNER, 1)


# --- tlog-proof --------------------------------------------------------------------------


def test_tlog_proof_minimal_round_trips() -> None:
    text = VECTORS["tlog_proof_format"]["valid_minimal"]
    proof = TlogProof.from_text(text)
    assert (proof.index, proof.proof, proof.extra) == (0, (), None)
    assert proof.checkpoint == "checkpoint\n"
    assert proof.to_text() == text
    full = TlogProof(7, (bytes(32), leaf_hash(b"")), GOOD, b"extra data")
    assert TlogProof.from_text(full.to_text()) == full


@pytest.mark.parametrize("text", VECTORS["tlog_proof_format"]["invalid"])
def test_tlog_proof_invalid_framings_are_rejected(text: str) -> None:
    with pytest.raises(MalformedInput):
        TlogProof.from_text(text)


# --- properties --------------------------------------------------------------------------

NOTE_TEXT = st.text(
    st.characters(exclude_categories=["Cs"], min_codepoint=0x20) | st.just("\n"), max_size=60
).map(lambda t: t + "\n")


@settings(max_examples=40, deadline=None)
@given(text=NOTE_TEXT)
def test_signed_notes_round_trip(text: str) -> None:
    signed = sign_note(text, [PETER_SIGNER]).to_text()
    note = open_note(signed, [PETER])
    assert note.text == text
    assert note.to_text() == signed


@settings(max_examples=60, deadline=None)
@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_flipped_bit_in_text_or_known_signature_fails(position: int, bit: int) -> None:
    # Enoch's line is left alone: a changed unknown signature is rightly ignored.
    raw = bytearray(GOOD.encode())
    raw[position % GOOD.encode().index("— EnochRoot".encode())] ^= 1 << bit
    with pytest.raises(VerificationError):
        open_note(bytes(raw), [PETER])
