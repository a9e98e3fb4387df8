"""``agritrace record``: one step from flags, or a JSON batch all-or-nothing.

Also what the CSV import shares with it: reading UTF-8 files, recording a batch with a
progress bar, naming the entry (file and line) an error belongs to, printing receipts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from ledger.application import Ledger, Receipt
from ledger.cli.context import HASH_SHOWN, DbOption, opened, out, progress_bar
from ledger.cli.errors import describe, exit_code, fail, reason_of
from ledger.cli.groups import app
from ledger.domain.steps import GENESIS, STEPS
from ledger.errors import InvalidInput, LedgerError
from ledger.recording.json_input import parse_json

__all__ = [
    "ALL_STEPS",
    "Place",
    "parse_data_option",
    "print_receipts",
    "read_entries",
    "read_text",
    "record_many",
]

ALL_STEPS = sorted(set(GENESIS) | set(STEPS))


@app.command("record")
def record(
    org: Annotated[str, typer.Option("--org", help="The recording organisation.")],
    step: Annotated[str | None, typer.Argument(
        metavar="STEP", show_default=False,
        help=f"Record type: {', '.join(ALL_STEPS)}. With --json, the default for entries "
             "that name none.")] = None,
    lot: Annotated[str | None, typer.Option("--lot", help="Lot code (GS1 AI 10).")] = None,
    time: Annotated[str | None, typer.Option(
        "--time", help="When it happened, ISO 8601 with zone, e.g. 2026-09-08T11:30+08:00.")
    ] = None,
    data: Annotated[str | None, typer.Option(
        "--data", help='The step\'s data as a JSON object, e.g. \'{"reason": "..."}\'.')] = None,
    json_file: Annotated[Path | None, typer.Option(
        "--json", help='A JSON file holding a list of {"step","lot","data","time"} entries, '
                       "recorded all-or-nothing.")] = None,
    db: DbOption = None,
) -> None:
    """Record one step, or a JSON batch all-or-nothing."""
    if json_file is not None:
        if data is not None:
            fail("use --data or --json, not both")
        defaults = {"step": step, "lot": lot, "time": time}
        entries = [{**_present(defaults), **entry} for entry in read_entries(json_file)]
        with opened(db) as ledger:
            receipts = record_many(ledger, org, entries, _json_place(json_file))
    else:
        checked = _checked_step(step, lot)
        values = parse_data_option(data)
        with opened(db) as ledger:
            receipts = ledger.record(org, checked, values, lot=lot, time=time)
    print_receipts(receipts)


def _present(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def _checked_step(step: str | None, lot: str | None) -> str:
    if step is None:
        fail(f"STEP: name the record type, one of {', '.join(ALL_STEPS)}")
    if step not in ALL_STEPS:
        fail(f"STEP: unknown record type {step!r}; one of {', '.join(ALL_STEPS)}")
    if lot is None and step != "Collected":
        fail(f"--lot: is required for {step}")
    return step


def parse_data_option(raw: str | None) -> dict[str, Any]:
    if raw is None:
        return {}
    try:
        value = parse_json(raw, parse_float=Decimal)
    except json.JSONDecodeError as error:
        fail(f"--data: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}")
    except InvalidInput as error:
        fail(f"--data: {describe(error)}")
    if not isinstance(value, dict):
        fail("--data: must be a JSON object")
    return value


def read_entries(path: Path) -> list[dict[str, Any]]:
    """The entries of a JSON batch file; bad files exit 2 naming file and line."""
    try:
        # Decimals, not floats: records never hold binary floating point.
        value = parse_json(read_text(path), parse_float=Decimal)
    except json.JSONDecodeError as error:
        fail(f"{path}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}")
    except InvalidInput as error:
        fail(f"{path}: {describe(error)}")
    if not isinstance(value, list) or not value:
        fail(f"{path}: must hold a non-empty JSON list of entries")
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            fail(f"{path}: entries[{i}]: must be an object with step, lot, data, time")
    return value


def read_text(path: Path) -> str:
    """A UTF-8 file's text (a leading BOM, as Excel writes, is dropped)."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        fail(f"{path}: cannot read: {error.strerror}")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        fail(f"{path}:{line}: not UTF-8 text ({error.reason}); save it as UTF-8")


@dataclass
class _Cursor:
    """Which entry the ledger is working on; ``None`` once it has taken them all."""

    index: int | None = None


Place = Callable[[int, str | None], str]


def record_many(ledger: Ledger, org: str, entries: Sequence[Mapping[str, Any]],
                place: Place) -> list[Receipt]:
    """``Ledger.record_batch`` with a progress bar; errors name the entry via ``place``."""
    cursor = _Cursor()
    with progress_bar() as progress:
        task = progress.add_task("recording 记录中", total=len(entries))

        def tracked() -> Iterator[Mapping[str, Any]]:
            for i, entry in enumerate(entries):
                cursor.index = i
                yield entry
                progress.advance(task)
            cursor.index = None

        try:
            return ledger.record_batch(org, tracked())
        except LedgerError as error:
            fail(_locate(error, cursor, place), exit_code(error))


_ENTRY_FIELD = re.compile(r"entries\[(\d+)\](?:\.(.+))?")


def _locate(error: LedgerError, cursor: _Cursor, place: Place) -> str:
    # The batch names invalid fields ``entries[i].data.x``; other errors (an unknown lot,
    # a wrong state) do not, so the entry being recorded when they were raised is named.
    match = _ENTRY_FIELD.fullmatch(error.field or "")
    if match:
        return f"{place(int(match[1]), match[2])}: {reason_of(error)}"
    if cursor.index is not None:
        return f"{place(cursor.index, error.field)}: {reason_of(error)}"
    return describe(error)


def _json_place(path: Path) -> Place:
    def place(index: int, field: str | None) -> str:
        return f"{path}: entries[{index}]" + (f".{field}" if field else "")
    return place


def print_receipts(receipts: Sequence[Receipt]) -> None:
    """What was recorded, then every warning about what it states (an excursion, a price
    below the protective price): accepted as facts, flagged for whoever recorded them."""
    if len(receipts) > 20:
        chains = len({receipt.chain for receipt in receipts})
        out.print(Text(f"recorded {len(receipts)} records in {chains} chains"))
    else:
        for receipt in receipts:
            out.print(Text(f"recorded {receipt.type} {receipt.chain}#{receipt.seq} "
                           f"{receipt.hash[:HASH_SHOWN]}"))
    for receipt in receipts:
        for notice in receipt.warnings:
            out.print(Text(f"⚠ 注意 warning: {notice.message}", style="yellow"))
