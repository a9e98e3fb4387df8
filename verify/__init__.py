"""Pure verification of agritrace records, chains, Merkle proofs, checkpoints and bundles.

Depends only on the standard library, ``cryptography`` and ``rfc8785``; nothing here reads a
clock, a file or the network. How a platform checks a lot's proof bundle, trusting nothing
but the log's public key::

    from pathlib import Path
    from verify import Bundle, Verifier, verify_bundle

    log_key = Verifier.from_vkey(Path("log.vkey").read_text().strip())
    bundle = Bundle.from_json(Path("bundle.json").read_bytes())  # MalformedInput if unreadable
    result = verify_bundle(bundle, [log_key])  # VerificationError naming .step and .record
    print(result.lot, result.records, result.organisations, result.checkpoint_size)
    print(result.state["status"], result.state["quantity"])  # what the records say of the lot

``verify_bundle`` also takes pinned witnesses (``witnesses=``, ``min_witnesses=``) and a
checkpoint seen before (``since=SeenCheckpoint.from_text(...)``); docs/bundle.md has the
format and the numbered steps. The names below are the public face; each is defined in the
module named beside it, which documents it and cites its specification:

- ``bundle``: ``Bundle`` (parse with ``from_json``, build with ``of``, write with
  ``to_json``), ``BundleRecord``, ``BundleHead``; ``verification``: ``verify_bundle``,
  ``BundleResult``; ``policy``: ``SeenCheckpoint``.
- ``headmap`` (the chain-head map a checkpoint signs): ``HeadMap``, ``map_root_of``,
  ``verify_head_proof``.
- ``state``: ``derive_state``, the lot's state from verified records (docs/state.md);
  ``freshness``: ``AsOf``, the checkpoint it holds as of, and its age.
- ``records``: ``Record``, ``record_hash``, ``signing_message``; ``canonical``:
  ``canonical_bytes``, ``parse_canonical`` (RFC 8785); ``chain``: ``ChainVerifier``;
  ``keys``: ``key_id``, ``verify_record_signature``, ``verify_key_possession``;
  ``commitments``: ``commitment``, ``verify_commitment``.
- ``merkle`` (RFC 9162): ``leaf_hash``, ``node_hash``, ``root_from_leaf_hashes``,
  ``root_from_inclusion_proof``, ``verify_inclusion``, ``verify_consistency``.
- ``notes`` (C2SP signed-note): ``Note``, ``Signature``, ``Signer``, ``Verifier``,
  ``sign_note``, ``open_note``, ``verify_note``, ``verified_signers``; ``checkpoints``
  (tlog-checkpoint): ``Checkpoint``, ``heads_root``, ``signed_time``; ``cosignatures``
  (tlog-cosignature): ``cosign_note``; ``proofs`` (tlog-proof): ``TlogProof``.
- ``encoding``: ``encode_base64``, ``decode_base64`` (canonical base64).
- ``errors``: ``VerificationError`` and its subclasses, drawn in that module's docstring.
"""

from verify.bundle import Bundle, BundleHead, BundleRecord
from verify.canonical import canonical_bytes, parse_canonical
from verify.chain import ChainVerifier
from verify.checkpoints import Checkpoint, heads_root, signed_time
from verify.commitments import commitment, verify_commitment
from verify.cosignatures import cosign_note
from verify.encoding import decode_base64, encode_base64
from verify.errors import (
    BadSignature,
    ChainBroken,
    ChainIncomplete,
    HashMismatch,
    LinkBroken,
    MalformedInput,
    NotCanonical,
    NoteInvalid,
    ProofInvalid,
    RootMismatch,
    UnknownKey,
    VerificationError,
)
from verify.freshness import AsOf
from verify.headmap import HeadMap, map_root_of, verify_head_proof
from verify.keys import key_id, verify_key_possession, verify_record_signature
from verify.merkle import (
    leaf_hash,
    node_hash,
    root_from_inclusion_proof,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from verify.notes import (
    Note,
    Signature,
    Signer,
    Verifier,
    open_note,
    sign_note,
    verified_signers,
    verify_note,
)
from verify.policy import SeenCheckpoint
from verify.proofs import TlogProof
from verify.records import Record, record_hash, signing_message
from verify.state import derive_state
from verify.verification import BundleResult, verify_bundle

__all__ = [
    "AsOf",
    "BadSignature",
    "Bundle",
    "BundleHead",
    "BundleRecord",
    "BundleResult",
    "ChainBroken",
    "ChainIncomplete",
    "ChainVerifier",
    "Checkpoint",
    "HashMismatch",
    "HeadMap",
    "LinkBroken",
    "MalformedInput",
    "NotCanonical",
    "Note",
    "NoteInvalid",
    "ProofInvalid",
    "Record",
    "RootMismatch",
    "SeenCheckpoint",
    "Signature",
    "Signer",
    "TlogProof",
    "UnknownKey",
    "VerificationError",
    "Verifier",
    "canonical_bytes",
    "commitment",
    "cosign_note",
    "decode_base64",
    "derive_state",
    "encode_base64",
    "heads_root",
    "key_id",
    "leaf_hash",
    "map_root_of",
    "node_hash",
    "open_note",
    "parse_canonical",
    "record_hash",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "sign_note",
    "signed_time",
    "signing_message",
    "verified_signers",
    "verify_bundle",
    "verify_commitment",
    "verify_consistency",
    "verify_head_proof",
    "verify_inclusion",
    "verify_key_possession",
    "verify_note",
    "verify_record_signature",
]
