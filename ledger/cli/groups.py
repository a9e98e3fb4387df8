"""The ``agritrace`` command and its groups; each command module registers on one of them."""

from __future__ import annotations

import typer

__all__ = ["app", "key_app", "lot_app", "org_app", "prefix_app"]

app = typer.Typer(help="agritrace 农产品追溯账本: a signed, hash-chained traceability ledger.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
org_app = typer.Typer(help="Organisations 组织 and their signing keys.", no_args_is_help=True)
key_app = typer.Typer(help="Signing keys 签名密钥: add, rotate, revoke.", no_args_is_help=True)
prefix_app = typer.Typer(help="GS1 company prefixes GS1厂商识别代码 (or single GTINs) an "
                                "organisation may pack under.", no_args_is_help=True)
lot_app = typer.Typer(help="Lots 批次: history and lineage.", no_args_is_help=True)
app.add_typer(org_app, name="org")
org_app.add_typer(key_app, name="key")
org_app.add_typer(prefix_app, name="prefix")
app.add_typer(lot_app, name="lot")
