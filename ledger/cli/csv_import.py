"""``agritrace import``: a CSV sheet, one record per row, recorded all-or-nothing.

Columns are data fields: dotted names (``origin.county``) build nested objects and
``purchases[0].lot`` builds lists; ``lot`` and ``time`` are the entry's own. Errors name the
file, line, row and column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.cli.context import DbOption, opened
from ledger.cli.errors import fail
from ledger.cli.groups import app
from ledger.cli.recording import ALL_STEPS, Place, print_receipts, read_text, record_many

__all__ = ["column_path", "read_csv_rows"]


@dataclass(frozen=True)
class CsvRow:
    line: int
    entry: dict[str, Any]


Segment = str | int
_SEGMENT = re.compile(r"([^.\[\]]+)((?:\[\d+\])*)")


IMPORT_HELP = (
    "Import a CSV file all-or-nothing: one record per row.\n\n"
    "Columns are data fields: dotted names (origin.county, product.name) build nested "
    "objects and purchases[0].lot builds lists. The lot and time columns are special. Empty "
    "cells are left out; true and false become booleans.")


@app.command("import", help=IMPORT_HELP)
def import_csv(
    csv_file: Annotated[Path, typer.Argument(metavar="CSV_FILE", help="UTF-8 CSV, header row "
                                             "first; origin.county style columns nest.")],
    org: Annotated[str, typer.Option("--org", help="The recording organisation.")],
    step: Annotated[str, typer.Option("--step", help="Record type of every row.")],
    db: DbOption = None,
) -> None:
    if step not in ALL_STEPS:
        fail(f"--step: unknown record type {step!r}; one of {', '.join(ALL_STEPS)}")
    rows = read_csv_rows(csv_file, step)
    with opened(db) as ledger:
        receipts = record_many(ledger, org, [row.entry for row in rows],
                               _csv_place(csv_file, rows))
    print_receipts(receipts)


def read_csv_rows(path: Path, step: str) -> list[CsvRow]:
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    try:
        columns = _csv_columns(path, reader.fieldnames)
        rows = [CsvRow(reader.line_num, _csv_entry(path, reader.line_num, row, columns, step))
                for row in reader]
    except csv.Error as error:
        fail(f"{path}:{reader.line_num}: unreadable CSV: {error}")
    if not rows:
        fail(f"{path}: has a header but no rows")
    return rows


def _csv_columns(path: Path, names: Sequence[str] | None) -> dict[str, list[Segment]]:
    if not names:
        fail(f"{path}:1: empty file; expected a header row")
    columns: dict[str, list[Segment]] = {}
    for name in names:
        column = name.strip()
        if column in columns:
            fail(f"{path}:1: column {column!r} appears twice")
        columns[column] = column_path(path, column)
    for a, a_path in columns.items():
        for b, b_path in columns.items():
            if a != b and b_path[:len(a_path)] == a_path:
                fail(f"{path}:1: columns {a!r} and {b!r} overlap")
    return columns


def column_path(path: Path, column: str) -> list[Segment]:
    """``origin.county`` → ["origin", "county"]; ``purchases[0].lot`` → ["purchases", 0,
    "lot"]."""
    segments: list[Segment] = []
    for part in column.split("."):
        match = _SEGMENT.fullmatch(part)
        if not match:
            fail(f"{path}:1: column {column!r} is not a field name like origin.county")
        segments.append(match[1])
        segments.extend(int(index) for index in re.findall(r"\d+", match[2]))
    return segments


def _csv_entry(path: Path, line: int, row: Mapping[str | None, Any],
               columns: Mapping[str, list[Segment]], step: str) -> dict[str, Any]:
    if None in row:
        fail(f"{path}:{line}: more cells than columns")
    entry: dict[str, Any] = {"step": step, "data": {}}
    for name, raw in row.items():
        value = _cell(raw)
        if name is None or value is None:
            continue
        column = name.strip()
        if column in ("lot", "time"):
            entry[column] = value
        else:
            _put(entry["data"], columns[column], value)
    return entry


def _cell(raw: Any) -> Any:
    if not isinstance(raw, str) or not raw.strip():
        return None
    cleaned = raw.strip()
    return {"true": True, "false": False}.get(cleaned, cleaned)


def _put(target: Any, segments: Sequence[Segment], value: Any) -> None:
    """Set ``value`` at ``segments`` inside nested dicts and lists, creating them."""
    for here, after in pairwise(segments):
        target = _child(target, here, [] if isinstance(after, int) else {})
    last = segments[-1]
    if isinstance(last, int):
        _child(target, last, None)
    target[last] = value


def _child(target: Any, key: Segment, empty: Any) -> Any:
    if isinstance(key, int):
        target.extend([None] * (key + 1 - len(target)))
        if target[key] is None:
            target[key] = empty
        return target[key]
    return target.setdefault(key, empty)


def _csv_place(path: Path, rows: Sequence[CsvRow]) -> Place:
    def place(index: int, field: str | None) -> str:
        where = f"{path}:{rows[index].line}: row {index + 1}"
        if field is None:
            return where
        if field.startswith("data."):
            return f"{where}, column {field[len('data.'):]}"
        if field in ("lot", "time"):
            return f"{where}, column {field}"
        return f"{where}, field {field}"
    return place
