"""Bundle vectors that cannot be read: every one must exit 2 (``MalformedInput``)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from tests.vectors.bundles.kit import MALFORMED, Bundle, Kit, Vector, b64

HEADER = b'{"format":"agritrace-bundle","version":1,"lot":"KW26-SBD-G1",'


def _first(kit: Kit, change: Callable[[dict[str, Any]], None]) -> Bundle:
    bundle = kit.base()
    change(bundle["records"][0])
    return bundle


def _text(change: Callable[[bytes], bytes]) -> Callable[[Kit], bytes]:
    return lambda kit: change(kit.text())


def _non_canonical_base64(text: str) -> str:
    """The same bytes, but a padding bit set: decoders that do not insist accept it."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = text.rstrip("=")
    return last[:-1] + alphabet[alphabet.index(last[-1]) ^ 1] + text[len(last):]


def _checkpoint(kit: Kit) -> bytes:
    return json.dumps(kit.base()["checkpoint"]).encode()


def _malformed(name: str, description: str, make: Callable[[Kit], Bundle | bytes]) -> Vector:
    return Vector(name, description, MALFORMED, make)


def _head(kit: Kit, change: Callable[[dict[str, Any]], None]) -> Bundle:
    bundle = kit.base()
    change(bundle["heads"][0])
    return bundle


def _duplicate_head(bundle: Bundle) -> None:
    bundle["heads"].insert(1, dict(bundle["heads"][0]))


MALFORMED_VECTORS = [
    _malformed("trailing-garbage", "valid JSON followed by more bytes", _text(lambda t: t + b"x")),
    _malformed("truncated-json", "the bundle cut in half", _text(lambda t: t[: len(t) // 2])),
    _malformed("not-an-object", "a JSON array, not an object", lambda kit: b"[]\n"),
    _malformed("not-utf8", "a byte that is not UTF-8 inside the lot code",
      _text(lambda t: t.replace(b'"KW26-SBD-G1"', b'"KW26\xff-SBD-G1"', 1))),
    _malformed("byte-order-mark", "a UTF-8 byte-order mark before the JSON",
      _text(lambda t: b"\xef\xbb\xbf" + t)),
    _malformed("unknown-version", "version 3",
               lambda kit: kit.changed(lambda b: b.update(version=3))),
    _malformed("unknown-format", "another format name",
      lambda kit: kit.changed(lambda b: b.update(format="agritrace-export"))),
    _malformed("version-as-string", "version \"1\", a string",
      lambda kit: kit.changed(lambda b: b.update(version="1"))),
    _malformed("unknown-field", "an extra top-level field",
      lambda kit: kit.changed(lambda b: b.update(note="trust me"))),
    _malformed("missing-checkpoint", "no checkpoint field",
      lambda kit: kit.changed(lambda b: b.pop("checkpoint"))),
    _malformed("duplicate-key", "the lot field given twice, naming two lots",
      _text(lambda t: t.replace(b'{"format"', b'{"lot":"KW26-SBD-G2","format"', 1))),
    _malformed("lot-code-invalid", "a lot code with a slash",
      lambda kit: kit.changed(lambda b: b.update(lot="../KW26"))),
    _malformed("records-not-a-list", "records as an object",
      lambda kit: kit.changed(lambda b: b.update(records={"0": b["records"][0]}))),
    _malformed("records-empty", "no records",
               lambda kit: kit.changed(lambda b: b.update(records=[]))),
    _malformed("index-as-string", "a leaf index written as a string",
      lambda kit: _first(kit, lambda e: e.update(index=str(e["index"])))),
    _malformed("index-not-integer", "a leaf index written as 3.0",
      _text(lambda t: re.sub(rb'"index":(\d+)', rb'"index":\1.0', t, count=1))),
    _malformed("index-negative", "a leaf index of -1",
      lambda kit: _first(kit, lambda e: e.update(index=-1))),
    _malformed("index-too-large", "a leaf index beyond 2**53",
      _text(lambda t: re.sub(rb'"index":(\d+)', b'"index":18446744073709551616', t, count=1))),
    _malformed("record-not-base64", "record bytes that are not base64",
      lambda kit: _first(kit, lambda e: e.update(record="not base64!"))),
    _malformed("signature-non-canonical-base64", "a signature whose base64 has a padding bit set",
      lambda kit: _first(kit, lambda e: e.update(
          signature=_non_canonical_base64(e["signature"])))),
    _malformed("signature-wrong-length", "a 63-byte signature",
      lambda kit: _first(kit, lambda e: e.update(signature=b64(bytes(63))))),
    _malformed("hash-wrong-length", "an inclusion proof hash of 31 bytes",
      lambda kit: _first(kit, lambda e: e["proof"].__setitem__(0, b64(bytes(31))))),
    _malformed("record-missing-field", "a record entry without its proof",
      lambda kit: _first(kit, lambda e: e.pop("proof"))),
    _malformed("duplicate-records", "one record listed twice",
      lambda kit: kit.changed(lambda b: b["records"].append(dict(b["records"][3])))),
    _malformed("enormous-array", "10,001 entries in records, over the limit of 10,000",
      lambda kit: HEADER + b'"checkpoint":' + _checkpoint(kit) + b',"records":['
      + b",".join([b"0"] * 10_001) + b"]}"),
    _malformed("enormous-proof", "an inclusion proof of 65 hashes, over the limit of 64",
      lambda kit: _first(kit, lambda e: e.update(proof=[b64(bytes(32))] * 65))),
    _malformed("huge-string", "a checkpoint of 40,000 characters, over the limit of 32 KiB",
      lambda kit: kit.changed(lambda b: b.update(checkpoint="a" * 40_000))),
    _malformed("deep-nesting", "records nested 5,000 arrays deep",
      lambda kit: HEADER + b'"checkpoint":' + _checkpoint(kit) + b',"records":'
      + b"[" * 5000 + b"]" * 5000 + b"}"),
    _malformed("checkpoint-not-a-note", "a checkpoint that is not a signed note",
      lambda kit: kit.changed(lambda b: b.update(checkpoint="hello\n"))),
    _malformed("checkpoint-size-not-decimal", "a checkpoint size of 012",
      lambda kit: kit.changed(lambda b: b.update(checkpoint=b["checkpoint"].replace(
          "\n", "\n0", 1)))),
    _malformed("consistency-from-zero", "a consistency proof from tree size 0",
      lambda kit: kit.changed(lambda b: b["consistency"][0].update({"from": 0}))),
    # -- version 2's heads ---------------------------------------------------------------------
    _malformed("heads-missing-in-version-2", "a version 2 bundle without heads",
      lambda kit: kit.changed(lambda b: b.pop("heads"))),
    _malformed("heads-in-version-1", "a version 1 bundle with heads",
      lambda kit: kit.changed(lambda b: b.update(version=1))),
    _malformed("heads-not-a-list", "heads as an object",
      lambda kit: kit.changed(lambda b: b.update(heads={"0": b["heads"][0]}))),
    _malformed("heads-entry-twice", "one chain's heads entry listed twice",
      lambda kit: kit.changed(_duplicate_head)),
    _malformed("heads-out-of-order", "heads not sorted by chain",
      lambda kit: kit.changed(lambda b: b["heads"].reverse())),
    _malformed("head-chain-invalid", "a heads entry for chain lot/../G1",
      lambda kit: _head(kit, lambda h: h.update(chain="lot/../G1"))),
    _malformed("head-seq-negative", "a heads entry of seq -1",
      lambda kit: _head(kit, lambda h: h.update(seq=-1))),
    _malformed("head-seq-as-string", "a heads entry whose seq is a string",
      lambda kit: _head(kit, lambda h: h.update(seq=str(h["seq"])))),
    _malformed("head-proof-too-long", "a head proof of 257 hashes, over the limit of 256",
      lambda kit: _head(kit, lambda h: h.update(proof=[b64(bytes(32))] * 257))),
    _malformed("head-proof-hash-wrong-length", "a head proof hash of 31 bytes",
      lambda kit: _head(kit, lambda h: h["proof"].__setitem__(0, b64(bytes(31))))),
    _malformed("head-unknown-field", "a heads entry with a leaf hash beside its proof",
      lambda kit: _head(kit, lambda h: h.update(leaf=b64(bytes(32))))),
]
