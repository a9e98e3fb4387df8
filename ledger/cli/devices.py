"""``agritrace device``: pair a phone to an organisation, list and revoke its phones.

``device pair ORG`` prints a one-time pairing link (and its code) to open on the phone, at
``/app/pair``; the phone makes its own key and registers it with the code
(``ledger.devices``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer
from rich.text import Text

from ledger.cli.context import DbOption, err, opened, out
from ledger.cli.groups import app
from ledger.devices import Devices
from ledger.digitallink.uris import public_url

__all__ = ["device_app", "pairing_link"]

device_app = typer.Typer(help="Phones that sign 签名设备: pair, list, revoke.",
                         no_args_is_help=True)
app.add_typer(device_app, name="device")


def pairing_link(base: str, code: str) -> str:
    return f"{base.rstrip('/')}/app/pair#{code}"


@device_app.command("pair")
def device_pair(
    org: Annotated[str, typer.Argument(help="The organisation the phone records for.")],
    label: Annotated[str, typer.Option("--label", help="Whose phone, e.g. 收购点1.")
                     ] = "收购点手机 station phone",
    minutes: Annotated[int, typer.Option("--minutes", min=1, max=1440,
                                         help="How long the code is valid.")] = 10,
    db: DbOption = None,
) -> None:
    """Make a one-time pairing code and print the link to open on the phone."""
    with opened(db) as ledger:
        pairing = Devices(ledger).create_code(org, label=label,
                                              lifetime=timedelta(minutes=minutes))
    out.print(Text(pairing_link(public_url(), pairing.code)))
    err.print(Text(f"code {pairing.code} pairs one phone to {org} until "
                   f"{pairing.expires_at:%Y-%m-%d %H:%M} UTC 配对码只能用一次"))


@device_app.command("list")
def device_list(org: Annotated[str, typer.Argument(help="The organisation.")],
                db: DbOption = None) -> None:
    """The phones paired to the organisation, newest first."""
    with opened(db) as ledger:
        for device in Devices(ledger).devices(org):
            state = f"revoked {device.revoked_at:%Y-%m-%d}" if device.revoked_at else "active"
            out.print(Text(f"{device.key_id}  {device.paired_at:%Y-%m-%d %H:%M}  {state:<18} "
                           f"{device.label}"))


@device_app.command("revoke")
def device_revoke(org: Annotated[str, typer.Argument(help="The organisation.")],
                  key_id: Annotated[str, typer.Argument(help="The phone's key id.")],
                  reason: Annotated[str, typer.Option("--reason")] = "phone lost 手机丢失",
                  db: DbOption = None) -> None:
    """Revoke a phone: KeyRevoked for its key, and its token."""
    with opened(db) as ledger:
        Devices(ledger).revoke(org, key_id, reason)
    err.print(Text(f"revoked {key_id} of {org} 已撤销"))
