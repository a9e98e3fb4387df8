"""The trace as CSV: UTF-8 with a byte-order mark (so Excel opens the Chinese correctly),
the same columns and rows as the spreadsheet, streamed a chunk at a time.

Times are written ``2026-09-10 14:00:00+08:00``. A text cell starting with ``=``, ``+``,
``-``, ``@`` or a tab would be run as a formula by a spreadsheet opening the file; such a
cell gets a leading ``'`` (as OWASP advises against CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ledger.exports.columns import header
from ledger.exports.trace import Trace

__all__ = ["BOM", "MEDIA_TYPE", "csv_chunks"]

MEDIA_TYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"
_CHUNK = 500  # rows per chunk handed out
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_chunks(trace: Trace) -> Iterator[bytes]:
    """The CSV file of ``trace`` as UTF-8 chunks, the BOM and header first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(header())
    for number, row in enumerate(trace.rows(), start=1):
        writer.writerow([_cell(value) for value in row])
        if number % _CHUNK == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="milliseconds" if value.microsecond
                               else "seconds")
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value
