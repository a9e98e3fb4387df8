"""Label sheets over HTTP: each PDF made once and kept, at most a few made at a time.

Drawing labels is the costliest thing the service does for an anonymous caller (each QR code
chooses its mask; a 200-label sheet takes seconds of CPU). So:

- a request asks for at most ``SHEET_LABELS`` labels (``api.routes.printing``);
- a sheet is kept, least recently used first out, bounded in number and bytes, under what it
  draws: the labels (product, grade, weight, lot, date, GTIN, serial, URI) and the title. A
  record that changes the lot's labels (a new packing) makes a new key, so a kept sheet is
  never stale; a repeated request is answered from memory;
- a sheet not kept spends its cost from the caller's rate limit, then waits for one of
  ``RENDERS`` slots (``api.middleware.limits.WorkSlots``) and is drawn in the thread pool; a
  request that
  finds no slot within ``WAIT`` seconds is 503 with ``Retry-After``. A sheet drawn while a
  request waited for a slot is taken from memory, not drawn twice.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

from api.middleware.limits import WorkSlots
from ledger.labels import Label

__all__ = ["RENDERS", "SHEET_LABELS", "WAIT", "LabelSheets"]

SHEET_LABELS = 200  # labels per request: about 9 A4 sheets
RENDERS = 2  # sheets drawn at once per process
WAIT = 2.0  # seconds a request waits for a slot
KEPT_SHEETS = 64
KEPT_BYTES = 32 << 20

SheetKey = tuple[str, tuple[Label, ...]]


class LabelSheets:
    """Label-sheet PDFs, kept and drawn as the module docstring says."""

    def __init__(self, *, renders: int = RENDERS, wait: float = WAIT,
                 kept: int = KEPT_SHEETS, kept_bytes: int = KEPT_BYTES) -> None:
        self.slots = WorkSlots(renders, wait)
        self.kept = kept
        self.kept_bytes = kept_bytes
        self._sheets: OrderedDict[SheetKey, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    async def pdf(self, labels: list[Label], title: str, *,
                  draw: Callable[[list[Label], str], bytes],
                  charge: Callable[[], None]) -> bytes:
        """The sheet of ``labels``: kept, or drawn by ``draw`` after ``charge`` (which may
        raise, e.g. ``TooManyRequests``) and kept."""
        key: SheetKey = (title, tuple(labels))
        kept = self._get(key)
        if kept is not None:
            return kept
        charge()
        async with self.slots.held("label sheets"):
            kept = self._get(key)  # drawn while this request waited
            if kept is not None:
                return kept
            sheet = await run_in_threadpool(draw, labels, title)
            self._put(key, sheet)
        return sheet

    def _get(self, key: SheetKey) -> bytes | None:
        with self._lock:
            sheet = self._sheets.get(key)
            if sheet is not None:
                self._sheets.move_to_end(key)
            return sheet

    def _put(self, key: SheetKey, sheet: bytes) -> None:
        if len(sheet) > self.kept_bytes:
            return
        with self._lock:
            previous = self._sheets.pop(key, None)
            self._bytes -= len(previous) if previous is not None else 0
            self._sheets[key] = sheet
            self._bytes += len(sheet)
            while len(self._sheets) > self.kept or self._bytes > self.kept_bytes:
                _, dropped = self._sheets.popitem(last=False)
                self._bytes -= len(dropped)
