"""C2SP tlog-tiles: the log's tree and entries as immutable, cacheable files.

https://c2sp.org/tlog-tiles. Tiles have height 8: the tile at level ``L`` index ``N`` holds
the hashes of the tree nodes at Merkle level ``8 * L`` with node indices
``N * 256 .. N * 256 + 255`` (level-0 tiles hold leaf hashes), 32 bytes each, concatenated.
A full tile has 256 hashes; a partial tile ``.p/<W>`` the first ``W`` (1..255). Entry bundles
``tile/entries/<N>`` hold leaves ``N * 256 ..`` as big-endian uint16 length-prefixed entries
(here: the record bytes). ``N`` is written in 3-digit path elements, all but the last
prefixed with ``x``: 1234067 is ``x001/x234/067``.

Beside each entry bundle, and not part of tlog-tiles, the log serves a *signature bundle*
``signatures/<N>[.p/<W>]``: the 64-byte Ed25519 signatures of the same leaves, in leaf order.
A leaf is the record's bytes alone, so whoever checks every record from outside (the
monitor, ``ledger.monitor``) fetches each entry bundle's signatures with it.

Only what a published checkpoint covers is served: a client fetches the tiles of a checkpoint
it holds. Nodes are the log's stored complete subtrees (``ledger.log.nodes``), so a full tile
is one range read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from hashlib import sha256
from itertools import islice

from sqlalchemy import Connection, select

from ledger.errors import InvalidInput, NotFound
from ledger.log.checkpoints import latest_checkpoint
from ledger.persistence.store import EventStore, StoredRecord
from ledger.persistence.tables import log_leaves, log_nodes

__all__ = [
    "MAX_ENTRY_SIZE",
    "SIGNATURE_SIZE",
    "TILE_HEIGHT",
    "TILE_WIDTH",
    "EntryTooLarge",
    "TileAddress",
    "entry_bundle",
    "parse_signature_path",
    "parse_tile_path",
    "signature_bundle",
    "signature_path",
    "split_entry_bundle",
    "tile",
    "tile_path",
]

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256 hashes or entries per full tile
MAX_ENTRY_SIZE = 0xFFFF  # an entry's uint16 length prefix
SIGNATURE_SIZE = 64  # an Ed25519 record signature, in a signature bundle
MAX_LEVEL = 63
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_INDEX = re.compile(r"(?:x[0-9]{3}/)*[0-9]{3}")


class EntryTooLarge(NotFound):
    """A record in the bundle exceeds the 65535 bytes a tlog-tiles entry can hold."""


@dataclass(frozen=True)
class TileAddress:
    """``tile/<level>/<index>[.p/<width>]``, or ``tile/entries/...`` when ``entries``."""

    level: int
    index: int
    width: int | None = None  # None: a full tile
    entries: bool = False


def _encode_index(index: int) -> str:
    digits = str(index)
    digits = "0" * (-len(digits) % 3) + digits
    groups = [digits[i:i + 3] for i in range(0, len(digits), 3)]
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


def tile_path(address: TileAddress) -> str:
    """The path below the log's prefix, e.g. ``tile/0/x001/x234/067.p/8``."""
    level = "entries" if address.entries else str(address.level)
    partial = "" if address.width is None else f".p/{address.width}"
    return f"tile/{level}/{_encode_index(address.index)}{partial}"


def parse_tile_path(path: str) -> TileAddress:
    """Parse ``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]`` (a leading ``/`` or
    ``log/`` is ignored); ``InvalidInput`` unless it is a canonical tlog-tiles path."""
    relative = path.lstrip("/").removeprefix("log/")
    level_text, _, rest = relative.removeprefix("tile/").partition("/")
    index_text, partial, width_text = rest.partition(".p/")
    entries = level_text == "entries"
    try:
        level = 0 if entries else int(level_text) if _DECIMAL.fullmatch(level_text) else -1
        if not 0 <= level <= MAX_LEVEL:
            raise ValueError(f"the level must be 0 to {MAX_LEVEL} or 'entries'")
        if not _INDEX.fullmatch(index_text):
            raise ValueError("the index must be 3-digit groups, all but the last after an x")
        if partial and not (_DECIMAL.fullmatch(width_text) and 0 < int(width_text) < 256):
            raise ValueError(f"a partial width must be 1 to {TILE_WIDTH - 1}")
        address = TileAddress(level,
                              int(index_text.replace("x", "").replace("/", "")),
                              int(width_text) if partial else None, entries)
        if tile_path(address) != relative:
            raise ValueError("it is not in canonical form")
    except ValueError as error:
        raise InvalidInput(f"{path!r} is not a tlog-tiles path: {error}", field="path") from None
    return address


def signature_path(index: int, width: int | None = None) -> str:
    """The path of signature bundle ``index`` below the log's prefix, e.g.
    ``signatures/x001/067.p/8``: the entry bundle's index and width, another directory."""
    return "signatures/" + tile_path(TileAddress(0, index, width, entries=True)).removeprefix(
        "tile/entries/")


def parse_signature_path(path: str) -> TileAddress:
    """Parse ``signatures/<N>[.p/<W>]`` (a leading ``/`` or ``log/`` is ignored) into the
    address of the entry bundle it stands beside; ``InvalidInput`` unless canonical."""
    relative = path.lstrip("/").removeprefix("log/")
    if not relative.startswith("signatures/"):
        raise InvalidInput(f"{path!r} is not a signature bundle path", field="path")
    try:
        return parse_tile_path("tile/entries/" + relative.removeprefix("signatures/"))
    except InvalidInput as error:
        reason = error.reason.split(": ", 1)[-1]
        raise InvalidInput(f"{path!r} is not a signature bundle path: {reason}",
                           field="path") from None


def _published_count(connection: Connection, merkle_level: int) -> int:
    """How many nodes at ``merkle_level`` the latest checkpoint's tree has."""
    latest = latest_checkpoint(connection)
    if latest is None:
        raise NotFound("the log has published no checkpoint yet", field="path")
    return latest.size >> merkle_level


def _span(address: TileAddress, available: int) -> tuple[int, int]:
    """The first item and the number of items of a tile, if the checkpoint covers them."""
    width = TILE_WIDTH if address.width is None else address.width
    first = address.index * TILE_WIDTH
    if first + width > available:
        raise NotFound(f"{tile_path(address)} is beyond the latest checkpoint", field="path")
    return first, width


def tile(connection: Connection, level: int, index: int, width: int | None = None) -> bytes:
    """The hash tile at tile level ``level``, index ``index``: ``width`` hashes, or 256."""
    address = TileAddress(level, index, width)
    if not 0 <= level <= MAX_LEVEL or index < 0 or not (width is None or 0 < width < 256):
        raise InvalidInput(f"no tile {level}/{index} of width {width}", field="path")
    merkle_level = level * TILE_HEIGHT
    first, count = _span(address, _published_count(connection, merkle_level))
    rows = connection.execute(
        select(log_nodes.c.hash)
        .where(log_nodes.c.level == merkle_level, log_nodes.c.node_index >= first,
               log_nodes.c.node_index < first + count)
        .order_by(log_nodes.c.node_index)).all()
    if len(rows) != count:
        raise NotFound(f"the log lacks nodes of {tile_path(address)}", field="path")
    return b"".join(bytes(row[0]) for row in rows)


def entry_bundle(store: EventStore, connection: Connection, index: int,
                 width: int | None = None) -> bytes:
    """Entry bundle ``index``: the record bytes of leaves ``index * 256 ..``, each with a
    big-endian uint16 length prefix. ``EntryTooLarge`` if a record exceeds 65535 bytes."""
    parts: list[bytes] = []
    for leaf, record in _bundle_records(store, connection, index, width):
        if len(record.raw) > MAX_ENTRY_SIZE:
            raise EntryTooLarge(f"leaf {leaf} is {len(record.raw)} bytes, more than a "
                                "tlog-tiles entry can hold; fetch it by its hash",
                                field="path")
        parts.append(len(record.raw).to_bytes(2, "big") + record.raw)
    return b"".join(parts)


def signature_bundle(store: EventStore, connection: Connection, index: int,
                     width: int | None = None) -> bytes:
    """The records' signatures beside entry bundle ``index``: the 64-byte Ed25519 signature
    of each leaf ``index * 256 ..``, in leaf order, concatenated (``SIGNATURE_SIZE`` each).

    Not part of tlog-tiles: a leaf is the record bytes alone, and the signature travels
    beside it, so a monitor can check every record of the log without a database."""
    return b"".join(record.signature
                    for _, record in _bundle_records(store, connection, index, width))


def _bundle_records(store: EventStore, connection: Connection, index: int,
                    width: int | None) -> list[tuple[int, StoredRecord]]:
    """(leaf index, stored record) of the leaves of bundle ``index`` of ``width`` (or 256),
    each checked to be the record the log integrated; ``NotFound`` naming a leaf if not."""
    address = TileAddress(0, index, width, entries=True)
    if index < 0 or not (width is None or 0 < width < 256):
        raise InvalidInput(f"no entry bundle {index} of width {width}", field="path")
    first, count = _span(address, _published_count(connection, 0))
    leaves = connection.execute(
        select(log_leaves.c.leaf_index, log_leaves.c.notification_id, log_leaves.c.record_hash)
        .where(log_leaves.c.leaf_index >= first, log_leaves.c.leaf_index < first + count)
        .order_by(log_leaves.c.leaf_index)).all()
    if len(leaves) != count:
        raise NotFound(f"the log lacks leaves of {tile_path(address)}", field="path")
    records = islice(store.records(start=int(leaves[0][1]), page=count), count)
    found: list[tuple[int, StoredRecord]] = []
    for (leaf, notification, digest), record in zip(leaves, records, strict=False):
        if record.notification_id != notification or sha256(record.raw).digest() != digest:
            raise NotFound(f"leaf {leaf}'s record is missing or changed in the store",
                           field="path")
        found.append((int(leaf), record))
    if len(found) != count:
        raise NotFound(f"the store lacks records of {tile_path(address)}", field="path")
    return found


def split_entry_bundle(data: bytes) -> list[bytes]:
    """The entries of an entry bundle; ``InvalidInput`` if it is truncated."""
    entries, position = [], 0
    while position < len(data):
        if position + 2 > len(data):
            raise InvalidInput("entry bundle ends inside a length prefix", field="bundle")
        length = int.from_bytes(data[position:position + 2], "big")
        end = position + 2 + length
        if end > len(data):
            raise InvalidInput("entry bundle ends inside an entry", field="bundle")
        entries.append(data[position + 2:end])
        position = end
    return entries
