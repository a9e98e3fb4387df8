"""Step 7 on the real bundle of the vectors: whichever chain a server cuts short, wherever it
cuts it, and whatever it then claims in ``heads`` (the cut record as the head with the real
head's proof, the real head, or no entry at all), the bundle fails verification; and the
whole bundle, in any record order, passes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verify.bundle import Bundle
from verify.encoding import decode_base64
from verify.errors import ChainIncomplete, VerificationError
from verify.notes import Verifier
from verify.verification import verify_bundle

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "bundles"
BASE: dict[str, Any] = json.loads((VECTORS / "valid.json").read_bytes())
LOG_KEY = Verifier.from_vkey((VECTORS / "log.vkey").read_text().strip())


def _chain_of(entry: dict[str, Any]) -> tuple[str, int]:
    value = json.loads(decode_base64(entry["record"], "record"))
    return value["chain"], value["seq"]


CHAINS: dict[str, int] = {}
for _entry in BASE["records"]:
    _chain, _seq = _chain_of(_entry)
    CHAINS[_chain] = max(CHAINS.get(_chain, 0), _seq)
CUTTABLE = sorted(chain for chain, last in CHAINS.items() if last > 0)


def verify(document: dict[str, Any]) -> None:
    raw = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    verify_bundle(Bundle.from_json(raw), [LOG_KEY])


def test_the_whole_bundle_verifies_and_has_chains_to_cut() -> None:
    verify(BASE)
    assert len(CUTTABLE) >= 5


@settings(max_examples=80, deadline=None)
@given(chain=st.sampled_from(CUTTABLE), data=st.data(),
       claim=st.sampled_from(["cut record", "real head", "no entry"]))
def test_every_cut_chain_fails(chain: str, data: st.DataObject, claim: str) -> None:
    keep = data.draw(st.integers(0, CHAINS[chain] - 1))  # the last record left in
    document = json.loads(json.dumps(BASE))
    document["records"] = [e for e in document["records"]
                           if _chain_of(e)[0] != chain or _chain_of(e)[1] <= keep]
    heads = document["heads"]
    head = next(h for h in heads if h["chain"] == chain)
    if claim == "cut record":
        head["seq"] = keep
    elif claim == "no entry":
        heads.remove(head)
    with pytest.raises(VerificationError) as failure:
        verify(document)
    # Only a cut that takes a record something links to, or a key record a signature needs,
    # fails before step 7; every other cut is caught by completeness itself.
    if failure.value.step == "7":
        assert isinstance(failure.value, ChainIncomplete)
        assert chain in failure.value.reason
    else:
        assert failure.value.step in ("4", "5")
