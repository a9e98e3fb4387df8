"""``agritrace org``: register, list and show organisations; add, rotate and revoke keys;
register GS1 company prefixes."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from ledger.cli.context import DbOption, JsonFlag, opened, out, print_json
from ledger.cli.errors import fail
from ledger.cli.groups import key_app, org_app, prefix_app
from ledger.views import organisation_view
from verify.encoding import decode_base64
from verify.errors import VerificationError
from verify.keys import decode_public_key, key_id

__all__: list[str] = []


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
    for label, values in (("GS1 厂商识别代码 prefixes", view["prefixes"]),
                          ("GTIN", view["gtins"])):
        if values:
            out.print(Text(f"{label}: {', '.join(values)}"))


@key_app.command("add")
def key_add(
    org_id: str,
    public_key: Annotated[str | None, typer.Option(
        "--public-key", help="Base64 Ed25519 public key the organisation holds itself; "
                             "without it the server makes and holds a new key.")] = None,
    possession: Annotated[str | None, typer.Option(
        "--possession", help="With --public-key: base64 signature by that key over "
                             "'agritrace/key-possession/v1\\n' + ORG_ID + '\\n' + its key id "
                             "(docs/records.md).")] = None,
    db: DbOption = None,
) -> None:
    """Add a signing key to an organisation."""
    raw = proof = None
    if public_key is not None:
        try:
            raw = decode_public_key(public_key.strip())
        except VerificationError as error:
            fail(f"--public-key: {error.reason}")
    if possession is not None:
        try:
            proof = decode_base64(possession.strip(), "--possession", 64)
        except VerificationError as error:
            fail(error.reason)
    with opened(db) as ledger:
        before = set(ledger.organisation(org_id).active_keys)
        ledger.add_key(org_id, raw, proof)
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


@prefix_app.command("add")
def prefix_add(
    org_id: str,
    prefix: Annotated[str | None, typer.Argument(
        help="GS1 Company Prefix, 4 to 12 digits, e.g. 6941234.")] = None,
    gtin: Annotated[str | None, typer.Option(
        "--gtin", help="Register one GTIN instead of a prefix.")] = None,
    db: DbOption = None,
) -> None:
    """Register a GS1 company prefix (or one GTIN) to an organisation, having checked its GS1
    licence: only it may then pack under GTINs that start with it."""
    if (prefix is None) == (gtin is None):
        fail("give either PREFIX or --gtin GTIN")
    with opened(db) as ledger:
        ledger.register_prefix(org_id, prefix=prefix, gtin=gtin)
    out.print(Text(f"registered {prefix or gtin} to {org_id}"))
