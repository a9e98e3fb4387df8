"""``agritrace token``: make, list and revoke API tokens, and show the token log.

The admin token that the HTTP API's administration needs (registering organisations,
issuing their tokens) is made here, by whoever can reach the store; the API never makes one.
A token is printed once, on stdout, and only its hash is kept. Every issuance and revocation,
here or over HTTP, is in the token log (``token log``); here it names the local user.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from ledger.cli.context import DbOption, JsonFlag, err, opened, out, print_json
from ledger.cli.errors import fail
from ledger.cli.groups import app

__all__ = ["token_app"]

token_app = typer.Typer(help="API tokens 访问令牌: create, list, revoke, log.",
                        no_args_is_help=True)
app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(
    admin: Annotated[bool, typer.Option("--admin", help="An admin token: registers "
                                                        "organisations and issues tokens.")
                     ] = False,
    org: Annotated[str | None, typer.Option("--org", help="The organisation the token acts "
                                                          "for.")] = None,
    label: Annotated[str, typer.Option("--label", help="What it is for, e.g. 合作社手机.")] = "",
    days: Annotated[int, typer.Option("--days", min=0, max=3650,
                                      help="Days until it expires; 0 never.")] = 90,
    as_json: JsonFlag = False,
    db: DbOption = None,
) -> None:
    """Create a token and print it (shown this once)."""
    if admin == (org is not None):
        fail("give exactly one of --admin and --org ORG")
    with opened(db) as ledger:
        issued = ledger.issue_token(org, label=label,
                                    lifetime=timedelta(days=days) if days else None)
    if as_json:
        print_json({"token_id": issued.token_id, "token": issued.token, "org": issued.org_id,
                    "admin": issued.admin, "expires_at": issued.expires_at})
        return
    out.print(Text(issued.token))  # alone on stdout, for scripts: TOKEN=$(agritrace token …)
    whom = "admin" if issued.admin else f"organisation {issued.org_id}"
    expires = f"expires {issued.expires_at:%Y-%m-%d}" if issued.expires_at else "never expires"
    err.print(Text(f"token {issued.token_id} for {whom}, {expires}; it is shown only now "
                   "令牌仅显示一次"))


@token_app.command("list")
def token_list(
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation's.")] = None,
    as_json: JsonFlag = False,
    db: DbOption = None,
) -> None:
    """Tokens, newest first, without their secrets."""
    with opened(db) as ledger:
        rows = ledger.tokens(org)
    if as_json:
        print_json(rows)
        return
    table = Table("令牌 token id", "组织 org", "标签 label", "创建 created", "到期 expires",
                  "吊销 revoked", title="令牌 Tokens")
    for row in rows:
        table.add_row(Text(str(row["token_id"])), Text(str(row["org_id"] or "admin")),
                      Text(str(row["label"])), Text(_day(row["created_at"])),
                      Text(_day(row["expires_at"])), Text(_day(row["revoked_at"])))
    out.print(table)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(metavar="TOKEN_ID")],
    db: DbOption = None,
) -> None:
    """Revoke a token at once: requests with it are refused (401)."""
    with opened(db) as ledger:
        ledger.revoke_token(token_id)
    out.print(Text(f"revoked token {token_id}"))


@token_app.command("log")
def token_log(
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation's.")] = None,
    after: Annotated[int, typer.Option("--after", min=0, help="Events after this id.")] = 0,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000)] = 1000,
    as_json: JsonFlag = False,
    db: DbOption = None,
) -> None:
    """Every issuance and revocation of a token, oldest first: who did it, for which
    organisation and with its roles, when. Never a token's secret."""
    with opened(db) as ledger:
        events = ledger.token_events(org, after=after, limit=limit)
    if as_json:
        print_json([{**{k: v for k, v in event.items() if k != "org_id"},
                     "org": event["org_id"]} for event in events])
        return
    table = Table(title="令牌记录 Token log (--json: every field)")
    for header in ("时间 at", "事件", "令牌 token", "组织 org (roles)", "经办 by"):
        table.add_column(header, overflow="fold")  # nothing cut off, however narrow
    for event in events:
        whom = event["org_id"] or "admin"
        roles = f" ({' '.join(event['roles'])})" if event["roles"] else ""
        table.add_row(Text(_day(event["at"])), Text(str(event["action"])),
                      Text(str(event["token_id"])), Text(f"{whom}{roles}"),
                      Text(str(event["by"])))
    out.print(table)


def _day(moment: object) -> str:
    return "" if moment is None else str(moment)[:16]
