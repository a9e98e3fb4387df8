"""The transparency log over HTTP (DESIGN §4.4, §6; https://c2sp.org/tlog-tiles).

- ``GET /log/checkpoint``: the latest signed checkpoint note, ``text/plain``;
- ``GET /log/key``: the log's verifier key (``name+hexid+base64``), ``text/plain``;
- ``GET /log/proof/inclusion?hash=<hex>|index=<n>[&size=<n>]``: an inclusion proof against
  the published checkpoint of ``size`` (default: the latest), JSON with base64 hashes
  (``api.schemas.InclusionProofPublic``);
- ``GET /log/proof/consistency?from=<n>&to=<n>``: between two published sizes;
- ``GET /log/tile/<L>/<N>[.p/<W>]`` and ``/log/tile/entries/<N>[.p/<W>]``: tlog-tiles hash
  tiles and entry bundles. Each path names its width, so what it serves never changes, full
  or partial (a grown log serves a wider tile under another path): cached for a year as
  immutable. Only the checkpoint moves on, and is revalidated.
- ``GET /log/signatures/<N>[.p/<W>]``: the records' Ed25519 signatures beside entry bundle
  ``N``, 64 bytes each in leaf order (not tlog-tiles: the leaf is the record alone), so a
  monitor checks every record from outside (``agritrace monitor``); immutable like tiles.

Every input is in the URL, so a malformed or impossible one (a negative size, a hash that is
not 64 hex digits, an index outside the tree, ``from`` > ``to``) is a 400 naming the field,
and a size never published, an unknown record or a tile beyond the checkpoint a 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.deps import LogDep, get_reader
from api.schemas import ConsistencyProofPublic, InclusionProofPublic
from api.schemas import errors as documented
from ledger.errors import InvalidInput
from ledger.log import parse_tile_path, tile_path

__all__ = ["router"]

# Public, and rate-limited per address for requests without a token (api.deps.ReaderDep).
router = APIRouter(prefix="/log", tags=["log 日志"], dependencies=[Depends(get_reader)],
                   responses=documented(400, 401, 404, 429, plain=True))

TEXT = "text/plain; charset=utf-8"
IMMUTABLE = "public, max-age=31536000, immutable"
LATEST = "no-cache"  # revalidate: the latest checkpoint moves on
MAX_SIZE = 2**63 - 1  # tree sizes and indices are int64 in the tables

SizeQuery = Annotated[int | None, Query(
    le=MAX_SIZE, description="A published tree size; default the latest checkpoint's.")]


@router.get("/checkpoint", response_class=Response,
            responses={200: {"content": {"text/plain": {}}}})
def checkpoint(log: LogDep) -> Response:
    """The latest signed checkpoint (C2SP tlog-checkpoint as a signed note)."""
    note = log.latest_checkpoint().note
    return Response(note, media_type=TEXT, headers={"Cache-Control": LATEST})


@router.get("/key", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def key(log: LogDep) -> Response:
    """The verifier key that checks the log's checkpoints (``agritrace log-key``)."""
    return Response(log.vkey + "\n", media_type=TEXT)


@router.get("/proof/inclusion")
def inclusion(
    log: LogDep,
    record_hash: Annotated[str | None, Query(
        alias="hash", description="The record's SHA-256 hash, 64 hex digits.")] = None,
    index: Annotated[int | None, Query(le=MAX_SIZE, description="The leaf index.")] = None,
    size: SizeQuery = None,
) -> InclusionProofPublic:
    """Proof that a record (by hash or leaf index) is in the published tree of ``size``."""
    if record_hash is not None and index is None:
        return InclusionProofPublic.of(log.inclusion_by_hash(record_hash, size))
    if index is not None and record_hash is None:
        return InclusionProofPublic.of(log.inclusion_by_index(index, size))
    raise InvalidInput("give either hash (the record's) or index (its leaf's), not both",
                       field="hash")


@router.get("/proof/consistency")
def consistency(
    log: LogDep,
    size1: Annotated[int, Query(alias="from", le=MAX_SIZE, description="Older tree size.")],
    size2: Annotated[int, Query(alias="to", le=MAX_SIZE, description="Newer tree size.")],
) -> ConsistencyProofPublic:
    """Proof that the published tree of ``to`` extends the published tree of ``from``."""
    return ConsistencyProofPublic.of(log.consistency(size1, size2))


@router.get("/tile/{path:path}", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}}})
def tile(path: str, log: LogDep) -> Response:
    """A tlog-tiles hash tile or entry bundle that the latest checkpoint covers."""
    data = log.tile(tile_path(parse_tile_path(f"tile/{path}")))
    return Response(data, media_type="application/octet-stream",
                    headers={"Cache-Control": IMMUTABLE})


@router.get("/signatures/{path:path}", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}}})
def signatures(path: str, log: LogDep) -> Response:
    """The records' signatures beside an entry bundle the latest checkpoint covers: the
    64-byte Ed25519 signature of each leaf, in leaf order."""
    data = log.signatures(f"signatures/{path}")
    return Response(data, media_type="application/octet-stream",
                    headers={"Cache-Control": IMMUTABLE})
