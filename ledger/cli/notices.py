"""``agritrace notices rebuild``: platform notices for holds and recalls stored without one.

The HTTP service does the same as it starts (``ledger.platform.backfill``); this runs it on a
store without starting the service, e.g. right after an upgrade. Each notice is added once,
however often it runs; deliveries go only to subscriptions made before the record.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from ledger.cli.context import DbOption, JsonFlag, opened, out, print_json
from ledger.cli.groups import app
from ledger.platform.backfill import backfill_notices

__all__ = ["notices_app"]

notices_app = typer.Typer(help="Platform notices 平台通知: holds, recalls, releases, "
                               "corrections.", no_args_is_help=True)
app.add_typer(notices_app, name="notices")


@notices_app.command("rebuild")
def rebuild(
    from_start: Annotated[bool, typer.Option(
        "--from-start", help="Read the whole log again, not only what was not read yet.")
    ] = False,
    as_json: JsonFlag = False,
    db: DbOption = None,
) -> None:
    """Give every hold, recall, release or correction stored without its notice one."""
    with opened(db) as ledger:
        done = backfill_notices(ledger.store, from_start=from_start)
    if as_json:
        print_json({"notices": [notice.id for notice in done.notices],
                    "deliveries": done.deliveries, "checked_through": done.checked_through})
        return
    out.print(Text(f"rebuilt 已补建 {len(done.notices)} notices 通知, "
                   f"{done.deliveries} deliveries 投递; log read through "
                   f"{done.checked_through}"), soft_wrap=True)
