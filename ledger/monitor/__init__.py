"""The monitor an inspector's office runs: it audits a running agritrace from outside, with
no database, only the service's URL and the log's key (``agritrace monitor``).

It follows the log's checkpoints, fetches every entry (C2SP tlog-tiles entry bundles) with
its signature, and checks each record's canonical bytes, its signature against its
organisation's key history, its chain and links; it recomputes the tree and the chain-head
map and compares their roots with every checkpoint, checks that every checkpoint extends the
ones before, keeps what it verified in a state folder so it resumes where it stopped, and
can be the office's witness at the same time (``ledger.office``).

- ``errors``    its error family, each with its exit code
- ``client``    the log over HTTP, one kept-alive connection
- ``tiles``     the paths it fetches and splitting what comes back
- ``frontier``  the tree's right edge, to compute roots
- ``replay``    checking entries one by one (``verify.chain``'s replay, resumed)
- ``state``     the state folder, written atomically
- ``witnessing`` what it needs of the office's witness, whose view of the log it shares
- ``monitor``   one round: checkpoint, consistency, entries, roots, state, cosignature

It imports nothing of the ledger but ``verify`` (a rule ``make test`` checks), like the
witness, so an office can run it with only the verifier beside it.
"""

from __future__ import annotations

from ledger.monitor.client import LogClient
from ledger.monitor.errors import (
    LogMisbehaved,
    LogUnreachable,
    MonitorError,
    MonitorMisconfigured,
    WrongLogKey,
)
from ledger.monitor.monitor import Monitor, Round
from ledger.monitor.state import MonitorState, StateFolder

__all__ = [
    "LogClient",
    "LogMisbehaved",
    "LogUnreachable",
    "Monitor",
    "MonitorError",
    "MonitorMisconfigured",
    "MonitorState",
    "Round",
    "StateFolder",
    "WrongLogKey",
]
