"""The ``agritrace`` command: organisations, records, CSV imports, lots, audit, demo, serve.

Every command opens the same application service as the HTTP API (``ledger.application``)
on the store named by ``--db`` (else ``AGRITRACE_DB``, else ``sqlite:///var/agritrace.db``).

Exit codes, so scripts can tell failures apart:

    0   done
    1   the audit found a bad record (named on stderr)
    2   invalid input or usage: the message names the field, or the file and line
    3   any other ledger error: not found, not permitted, wrong state, conflict, store down
    70  an internal error (a bug); AGRITRACE_DEBUG=1 shows the traceback
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ledger.application import Ledger, Receipt
from ledger.audit import audit_store
from ledger.config import Settings
from ledger.demo import seed_demo
from ledger.domain.fields import format_decimal
from ledger.domain.lot import Lot
from ledger.domain.organisation import Organisation
from ledger.domain.steps import GENESIS, STEPS
from ledger.errors import AuditFailed, InvalidInput, LedgerError
from verify.errors import VerificationError
from verify.keys import decode_public_key, key_id
from verify.records import Record

__all__ = ["app", "exit_code", "main"]

EXIT_AUDIT_FAILED, EXIT_INVALID, EXIT_LEDGER, EXIT_INTERNAL = 1, 2, 3, 70
ALL_STEPS = sorted(set(GENESIS) | set(STEPS))
HASH_SHOWN = 12

app = typer.Typer(help="agritrace 农产品追溯账本: a signed, hash-chained traceability ledger.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
org_app = typer.Typer(help="Organisations 组织 and their signing keys.", no_args_is_help=True)
key_app = typer.Typer(help="Signing keys 签名密钥: add, rotate, revoke.", no_args_is_help=True)
lot_app = typer.Typer(help="Lots 批次: history and lineage.", no_args_is_help=True)
app.add_typer(org_app, name="org")
org_app.add_typer(key_app, name="key")
app.add_typer(lot_app, name="lot")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

DbOption = Annotated[str | None, typer.Option(
    "--db", envvar="AGRITRACE_DB", show_default=False,
    help="Store URL: sqlite:///path.db or postgresql://user@host/db "
         "(default sqlite:///var/agritrace.db).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]


# -- errors -------------------------------------------------------------------------------

def exit_code(error: LedgerError) -> int:
    if isinstance(error, InvalidInput):
        return EXIT_INVALID
    if isinstance(error, AuditFailed):
        return EXIT_AUDIT_FAILED
    return EXIT_LEDGER


def describe(error: LedgerError) -> str:
    """One line naming the field (or the first bad record) and the reason."""
    text = f"{error.field}: {error.reason}" if error.field else error.reason
    if isinstance(error, AuditFailed) and error.record:
        text += f"; first bad record {error.record}"
    return text


def fail(message: str, code: int = EXIT_INVALID) -> NoReturn:
    # One line on stderr, never a traceback: the user should see what to fix, not our stack.
    flat = " ".join(message.split())
    typer.echo(f"agritrace: error: {flat}", err=True)
    raise typer.Exit(code)


@contextmanager
def reported_errors() -> Iterator[None]:
    try:
        yield
    except LedgerError as error:
        fail(describe(error), exit_code(error))


@contextmanager
def opened(db: str | None) -> Iterator[Ledger]:
    """The ledger on ``db``, closed afterwards; ledger errors become exits."""
    with reported_errors():
        ledger = Ledger(Settings.from_env(db or None))
        try:
            yield ledger
        finally:
            ledger.close()


def progress_bar() -> Progress:
    # Drawn on stderr so stdout stays clean for pipes; not drawn at all when not a terminal.
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                    MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True,
                    disable=not err.is_terminal)


# -- organisations and keys -----------------------------------------------------------------

@org_app.command("create")
def org_create(
    org_id: Annotated[str, typer.Argument(help="Organisation id, e.g. coop-xiangxi.")],
    name: Annotated[str, typer.Option("--name", help="Full name, Chinese first.")],
    role: Annotated[list[str], typer.Option("--role", help="A role; repeat for several.")],
    contact: Annotated[str | None, typer.Option(help="Phone or e-mail.")] = None,
    region: Annotated[str | None, typer.Option(help="Where it operates.")] = None,
    db: DbOption = None,
) -> None:
    """Register an organisation with a new server-held signing key."""
    with opened(db) as ledger:
        ledger.register_organisation(org_id, name=name, roles=role, contact=contact,
                                     region=region)
        keys = list(ledger.organisation(org_id).active_keys)
    out.print(Text(f"registered {org_id} with key {keys[0]}"))


@org_app.command("list")
def org_list(as_json: JsonFlag = False, db: DbOption = None) -> None:
    """Every registered organisation."""
    with opened(db) as ledger:
        firsts = ledger.chains("org")
    rows = [{"org": r.subject, "name": r.data["name"], "roles": r.data["roles"],
             "region": r.data.get("region", ""), "registered": r.recorded} for r in firsts]
    if as_json:
        print_json(rows)
        return
    table = Table("组织 org", "名称 name", "角色 roles", "地区 region", title="组织 Organisations")
    for row in rows:
        table.add_row(Text(row["org"]), Text(row["name"]), Text(", ".join(row["roles"])),
                      Text(row["region"]))
    out.print(table)


@org_app.command("show")
def org_show(org_id: str, as_json: JsonFlag = False, db: DbOption = None) -> None:
    """An organisation's roles and its active and revoked keys."""
    with opened(db) as ledger:
        org = ledger.organisation(org_id)
    view = organisation_view(org)
    if as_json:
        print_json(view)
        return
    out.print(Text(f"{org.org_id}  {org.name}", style="bold"))
    out.print(Text(f"角色 roles: {', '.join(view['roles'])}"))
    for label, value in (("联系 contact", org.contact), ("地区 region", org.region)):
        if value:
            out.print(Text(f"{label}: {value}"))
    table = Table("密钥 key id", "状态 status", title="密钥 Keys")
    table.add_column("公钥 public key", overflow="fold")
    for key in view["keys"]:
        table.add_row(key["key_id"], key["status"], key["public_key"] or "")
    out.print(table)


def organisation_view(org: Organisation) -> dict[str, Any]:
    keys: list[dict[str, str | None]] = [
        {"key_id": kid, "status": "active", "public_key": public}
        for kid, public in org.active_keys.items()]
    keys += [{"key_id": kid, "status": "revoked", "public_key": None}
             for kid in sorted(org.revoked_keys)]
    return {"org": org.org_id, "name": org.name, "roles": sorted(org.roles),
            "contact": org.contact, "region": org.region, "keys": keys}


@key_app.command("add")
def key_add(
    org_id: str,
    public_key: Annotated[str | None, typer.Option(
        "--public-key", help="Base64 Ed25519 public key the organisation holds itself; "
                             "without it the server makes and holds a new key.")] = None,
    db: DbOption = None,
) -> None:
    """Add a signing key to an organisation."""
    raw = None
    if public_key is not None:
        try:
            raw = decode_public_key(public_key.strip())
        except VerificationError as error:
            fail(f"--public-key: {error.reason}")
    with opened(db) as ledger:
        before = set(ledger.organisation(org_id).active_keys)
        ledger.add_key(org_id, raw)
        added = set(ledger.organisation(org_id).active_keys) - before
    new = key_id(raw) if raw is not None else ", ".join(sorted(added))
    holder = "you hold" if raw is not None else "the server holds"
    out.print(Text(f"added key {new} to {org_id} ({holder} its private key)"))


@key_app.command("rotate")
def key_rotate(org_id: str, db: DbOption = None) -> None:
    """Replace the server-held signing key; the old key is revoked."""
    with opened(db) as ledger:
        before = ledger.organisation(org_id)
        ledger.rotate_key(org_id)
        after = ledger.organisation(org_id)
    new = ", ".join(sorted(set(after.active_keys) - set(before.active_keys)))
    old = ", ".join(sorted(after.revoked_keys - before.revoked_keys))
    out.print(Text(f"rotated {org_id}: new key {new}, revoked {old}"))


@key_app.command("revoke")
def key_revoke(
    org_id: str,
    key: Annotated[str, typer.Argument(metavar="KEY_ID")],
    reason: Annotated[str, typer.Option("--reason", help="Why, e.g. lost phone.")],
    db: DbOption = None,
) -> None:
    """Revoke one of an organisation's keys; records it signed after this are refused."""
    with opened(db) as ledger:
        ledger.revoke_key(org_id, key, reason)
    out.print(Text(f"revoked key {key} of {org_id}"))


# -- recording ------------------------------------------------------------------------------

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
        value = json.loads(raw, parse_float=Decimal)
    except json.JSONDecodeError as error:
        fail(f"--data: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}")
    if not isinstance(value, dict):
        fail("--data: must be a JSON object")
    return value


def read_entries(path: Path) -> list[dict[str, Any]]:
    """The entries of a JSON batch file; bad files exit 2 naming file and line."""
    try:
        # Decimals, not floats: records never hold binary floating point.
        value = json.loads(read_text(path), parse_float=Decimal)
    except json.JSONDecodeError as error:
        fail(f"{path}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}")
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
        return f"{place(int(match[1]), match[2])}: {error.reason}"
    if cursor.index is not None:
        return f"{place(cursor.index, error.field)}: {error.reason}"
    return describe(error)


def _json_place(path: Path) -> Place:
    def place(index: int, field: str | None) -> str:
        return f"{path}: entries[{index}]" + (f".{field}" if field else "")
    return place


def print_receipts(receipts: Sequence[Receipt]) -> None:
    if len(receipts) > 20:
        chains = len({receipt.chain for receipt in receipts})
        out.print(Text(f"recorded {len(receipts)} records in {chains} chains"))
        return
    for receipt in receipts:
        out.print(Text(f"recorded {receipt.type} {receipt.chain}#{receipt.seq} "
                       f"{receipt.hash[:HASH_SHOWN]}"))


# -- CSV import -------------------------------------------------------------------------------

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


# -- lots ---------------------------------------------------------------------------------------

@lot_app.command("show")
def lot_show(lot: str, as_json: JsonFlag = False, db: DbOption = None) -> None:
    """A lot's summary, history and lineage (trace back and forward)."""
    with opened(db) as ledger:
        current = ledger.lot(lot)
        history = [signed.record for signed in ledger.lot_history(lot)]
        back = {found.code: found for found in ledger.trace_back(lot)}
        forward = {found.code: found for found in ledger.trace_forward(lot)}
    if as_json:
        print_json({
            "lot": lot_summary(current),
            "history": [record_view(record) for record in history],
            "trace_back": [lineage_view(found) for found in back.values()],
            "trace_forward": [lineage_view(found) for found in forward.values()],
        })
        return
    print_lot(current)
    out.print(history_table(history))
    out.print(lineage_tree("溯源 trace back", current.code, back, lambda x: x.parents))
    out.print(lineage_tree("追踪 trace forward", current.code, forward, lambda x: x.children))


@lot_app.command("list")
def lot_list(as_json: JsonFlag = False, db: DbOption = None) -> None:
    """Every lot, in the order it was started."""
    with opened(db) as ledger:
        lots = [ledger.lot(first.subject) for first in ledger.chains("lot")]
    if as_json:
        print_json([lot_summary(found) for found in lots])
        return
    table = Table("批次 lot", "产品 product", "数量 quantity", "状态 status",
                  "保管方 custodian", title="批次 Lots")
    for found in lots:
        table.add_row(Text(found.code), Text(found.product.get("name", "")),
                      Text(f"{format_decimal(found.quantity)} {found.unit}"),
                      Text(found.status), Text(found.custodian))
    out.print(table)


def lot_summary(lot: Lot) -> dict[str, Any]:
    return {
        "lot": lot.code, "product": lot.product, "origin": lot.origin,
        "quantity": format_decimal(lot.quantity), "remaining": format_decimal(lot.remaining),
        "unit": lot.unit, "status": lot.status, "custodian": lot.custodian,
        "in_transit_to": lot.in_transit_to, "grade": lot.grade, "gtin": lot.gtin,
        "started": lot.started_at, "records": lot.length, "head": lot.head.hex(),
        "parents": lot.parents, "children": lot.children,
    }


def record_view(record: Record) -> dict[str, Any]:
    return {"seq": record.seq, "type": record.type, "time": record.time, "org": record.org,
            "key": record.key, "data": record.data, "links": [h.hex() for h in record.links],
            "recorded": record.recorded, "hash": record.hash_hex}


def lineage_view(lot: Lot) -> dict[str, Any]:
    return {"lot": lot.code, "status": lot.status, "parents": lot.parents,
            "children": lot.children}


def print_lot(lot: Lot) -> None:
    product = " ".join(str(lot.product.get(k, "")) for k in ("name", "variety")).strip()
    origin = "".join(str(lot.origin.get(k, "")) for k in
                     ("province", "city", "county", "township", "village"))
    out.print(Text(f"批次 Lot {lot.code}  {product}", style="bold"))
    lines = [
        ("状态 status", lot.status + (f" → {lot.in_transit_to}" if lot.in_transit_to else "")),
        ("保管方 custodian", lot.custodian),
        ("数量 quantity", f"{format_decimal(lot.remaining)} of {format_decimal(lot.quantity)} "
                        f"{lot.unit} left"),
        ("产地 origin", origin),
        ("等级 grade", lot.grade or ""),
        ("GTIN", lot.gtin or ""),
    ]
    for label, value in lines:
        if value:
            out.print(Text(f"  {label}: {value}"))


def history_table(history: Sequence[Record]) -> Table:
    table = Table(title="记录 History")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("时间 time (UTC)", no_wrap=True)
    table.add_column("步骤 step", no_wrap=True)
    table.add_column("组织 org", max_width=22)
    table.add_column("要点 key facts", ratio=1, overflow="fold")
    table.add_column("哈希 hash", no_wrap=True)
    for record in history:
        table.add_row(str(record.seq), _short_time(record.time), record.type,
                      Text(record.org), Text(key_facts(record)), record.hash_hex[:HASH_SHOWN])
    return table


def _short_time(moment: str) -> str:
    """``2026-09-08T08:30:00Z`` → ``2026-09-08 08:30Z``; the JSON output keeps seconds."""
    day, clock = moment.rstrip("Z").split("T")
    return f"{day} {clock[:5]}Z"


def lineage_tree(title: str, root: str, lots: Mapping[str, Lot],
                 nexts: Callable[[Lot], list[str]]) -> Tree:
    tree = Tree(Text(title, style="bold"))
    shown: set[str] = set()

    def grow(branch: Tree, code: str) -> None:
        lot = lots.get(code)
        if lot is None:
            branch.add(Text(code))
            return
        again = code in shown
        node = branch.add(Text(_lot_label(lot) + (" (see above)" if again else "")))
        shown.add(code)
        if not again:
            for following in nexts(lot):
                grow(node, following)

    grow(tree, root)
    return tree


def _lot_label(lot: Lot) -> str:
    grade = f" {lot.grade}" if lot.grade else ""
    return (f"{lot.code} · {lot.product.get('name', '')}{grade} · "
            f"{format_decimal(lot.quantity)} {lot.unit} · {lot.status}")


# -- key facts: one short line per record type, for people reading a history --------------

def key_facts(record: Record) -> str:
    describe_step = FACTS.get(record.type)
    text = describe_step(record.data) if describe_step else ""
    return text if len(text) <= 90 else text[:89] + "…"


def _harvested(d: Mapping[str, Any]) -> str:
    origin = "".join(str(d["origin"].get(k, "")) for k in ("county", "township", "village"))
    return f"{d['quantity']} {d['unit']} · {origin}"


def _collected(d: Mapping[str, Any]) -> str:
    if "purchases" in d:
        return (f"{d['quantity']} {d['unit']} from {len(d['purchases'])} purchases at "
                f"{d['collection_point']}")
    return f"{d['quantity']} → {d['into']}"


def _graded(d: Mapping[str, Any]) -> str:
    if "outputs" not in d:
        return f"{d['grade']} {d['quantity']} {d['unit']} from {d['from']}"
    parts = [f"{o['lot']} {o['grade']} {o['quantity']}" for o in d["outputs"]]
    return "; ".join(parts) + (f"; loss {d['loss']}" if "loss" in d else "")


def _stored(d: Mapping[str, Any]) -> str:
    text = str(d["facility"])
    if "min_c" in d and "max_c" in d:
        text += f" · {d['min_c']}–{d['max_c']} °C"
    low, high = d.get("target_min_c"), d.get("target_max_c")
    if low is not None and high is not None:
        outside = [r for r in d.get("readings", [])
                   if not Decimal(low) <= Decimal(r["temp_c"]) <= Decimal(high)]
        if outside:
            text += f" · ⚠ {len(outside)} reading(s) outside {low}–{high} °C"
    return text


def _inspected(d: Mapping[str, Any]) -> str:
    failed = [r["analyte"] for r in d.get("results", []) if r.get("verdict") == "fail"]
    return f"{d['kind']} {d['verdict']}" + (f": {', '.join(failed)}" if failed else "")


def _party(d: Mapping[str, Any], arrow: str, who: str) -> str:
    text = f"{arrow} {d[who]}"
    if "waybill" in d:
        text += f" · {d['waybill']}"
    return text + (f" · {d['temp_c']} °C" if "temp_c" in d else "")


FACTS: Mapping[str, Callable[[Mapping[str, Any]], str]] = {
    "Harvested": _harvested,
    "Collected": _collected,
    "Graded": _graded,
    "PreCooled": lambda d: (f"{d['method']} · core {d['reached_core_temp_c']} °C "
                            f"(target {d['target_core_temp_c']})"),
    "Stored": _stored,
    "Packed": lambda d: (f"{d['units']} × {d['net_weight_per_unit']} {d['net_weight_unit']} "
                         f"· GTIN {d['gtin']}"),
    "Shipped": lambda d: _party(d, "→", "to"),
    "Received": lambda d: _party(d, "←", "from"),
    "Inspected": _inspected,
    "Certified": lambda d: f"{d['scheme']} {d['number']}",
    "Held": lambda d: str(d["reason"]),
    "Released": lambda d: str(d["reason"]),
    "Recalled": lambda d: str(d["reason"]),
    "Corrected": lambda d: f"corrects {str(d['corrects'])[:HASH_SHOWN]}: {d['reason']}",
}


# -- audit, demo, serve ---------------------------------------------------------------------

@app.command("audit")
def audit(db: DbOption = None) -> None:
    """Re-verify every stored record; exit 1 naming the first bad one."""
    with opened(db) as ledger:
        total = ledger.store.max_notification_id()
        with progress_bar() as progress:
            task = progress.add_task("auditing 审计中", total=total or None)
            report = audit_store(ledger.store,
                                 lambda done: progress.update(task, completed=done))
    out.print(Text(f"audit passed 审计通过: {report.records} records verified, "
                   f"{report.lots} lots, {report.organisations} organisations, "
                   f"{report.rate:,.0f} records/s"))


@app.command("demo")
def demo(db: DbOption = None) -> None:
    """Seed the demo data set (idempotent) and print its lot codes."""
    with opened(db) as ledger:
        before = ledger.store.max_notification_id()
        with err.status("seeding demo data 正在写入演示数据", spinner="dots"):
            codes = seed_demo(ledger)
        added = ledger.store.max_notification_id() - before
        lots = [ledger.lot(code) for code in codes]
    for lot in lots:
        out.print(Text(f"{lot.code:<14} {lot.status:<10} {lot.product.get('name', '')}"))
    note = f"{added} records added" if added else "already seeded; nothing added"
    err.print(Text(f"demo: {len(lots)} lots, {note}"))


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    db: DbOption = None,
) -> None:
    """Run the HTTP API (api.app:create_app) with uvicorn."""
    import uvicorn  # only this command needs the web server

    with reported_errors():
        Settings.from_env(db or None)  # a bad URL fails here, in one line, before uvicorn
    if db:
        # The factory reads its settings from the environment; ledger/ never imports api/.
        os.environ["AGRITRACE_DB"] = db
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port)


# -- output and entry point -------------------------------------------------------------------

def print_json(value: Any) -> None:
    # Plain print, not rich: JSON must not be wrapped or coloured.
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def main() -> None:
    """Console-script entry point: ``agritrace``."""
    try:
        app()
    except Exception as error:
        if os.environ.get("AGRITRACE_DEBUG"):
            raise
        typer.echo(f"agritrace: internal error: {type(error).__name__}: {error} "
                   "(set AGRITRACE_DEBUG=1 for the traceback)", err=True)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
