"""A chain of signed records verifies if and only if it is untouched."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.keys.signing import SigningKey
from ledger.recording.records import build_record
from verify.chain import ChainVerifier
from verify.errors import VerificationError
from verify.keys import encode_public_key, key_id
from verify.records import ZERO_HASH, Record

ORG = "coop-test"
KEY = SigningKey(bytes(range(32)))
PUBLIC = KEY.public_key


@dataclass(frozen=True)
class Signed:
    raw: bytes
    signature: bytes


def make_chain(length: int) -> list[Signed]:
    """An organisation registration, then ``length`` records on one lot."""
    moment = "2026-09-10T00:00:00Z"
    registration = build_record(
        chain=f"org/{ORG}", seq=0, prev=ZERO_HASH, links=(), step="OrganisationRegistered",
        data={"name": "测试合作社", "roles": ["cooperative"],
              "public_key": encode_public_key(PUBLIC)},
        org=ORG, key=key_id(PUBLIC), time=moment, recorded=moment)
    chain = [Signed(registration.raw, KEY.sign_record(registration))]
    prev = ZERO_HASH
    for seq in range(length):
        record = build_record(chain="lot/L1", seq=seq, prev=prev, links=(), step="Stored",
                              data={"facility": "冷库", "n": seq}, org=ORG,
                              key=key_id(PUBLIC), time=moment, recorded=moment)
        chain.append(Signed(record.raw, KEY.sign_record(record)))
        prev = record.hash
    return chain


def verify_all(chain: list[Signed]) -> None:
    verifier = ChainVerifier()
    for signed in chain:
        verifier.add(Record.from_bytes(signed.raw), signed.signature)


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=1, max_value=12))
def test_an_untouched_chain_verifies(length: int) -> None:
    verify_all(make_chain(length))


MUTATIONS = ["flip-record-bit", "flip-signature-bit", "drop", "swap", "duplicate"]


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=2, max_value=10), st.sampled_from(MUTATIONS), st.data())
def test_any_touched_chain_fails(length: int, mutation: str, data: st.DataObject) -> None:
    chain = make_chain(length)
    i = data.draw(st.integers(min_value=0, max_value=len(chain) - 1), label="record")
    if mutation == "flip-record-bit":
        raw = bytearray(chain[i].raw)
        bit = data.draw(st.integers(min_value=0, max_value=len(raw) * 8 - 1), label="bit")
        raw[bit // 8] ^= 1 << (bit % 8)
        chain[i] = Signed(bytes(raw), chain[i].signature)
    elif mutation == "flip-signature-bit":
        signature = bytearray(chain[i].signature)
        bit = data.draw(st.integers(min_value=0, max_value=511), label="bit")
        signature[bit // 8] ^= 1 << (bit % 8)
        chain[i] = Signed(chain[i].raw, bytes(signature))
    elif mutation == "drop":
        if i == len(chain) - 1:
            i -= 1  # dropping the tail is the log's job to catch, not the chain's
        del chain[i]
    elif mutation == "swap":
        j = data.draw(st.integers(min_value=0, max_value=len(chain) - 1).filter(
            lambda j: j != i), label="other")
        chain[i], chain[j] = chain[j], chain[i]
    else:
        chain.insert(i + 1, chain[i])
    with pytest.raises(VerificationError):
        verify_all(chain)
