"""Dependencies the routes declare: the process's one ledger and its transparency log.

``create_app`` puts both on ``app.state``; routes name them with the ``Annotated`` aliases.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ledger.application import Ledger
from ledger.log import TransparencyLog

__all__ = ["LedgerDep", "LogDep", "get_ledger", "get_log"]


def get_ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def get_log(request: Request) -> TransparencyLog:
    log: TransparencyLog = request.app.state.log
    return log


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
LogDep = Annotated[TransparencyLog, Depends(get_log)]
