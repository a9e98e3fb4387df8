"""Where the worker processes of one run keep their metrics, so a scrape sums them all.

``agritrace serve --workers N`` hands uvicorn the app's import string; uvicorn's supervisor
starts N worker processes (``multiprocessing``, spawned), and each builds its own app. Each
worker counts its requests into files of one directory, which prometheus-client's
multiprocess mode reads back, summed, at every scrape: whichever worker answers, the counters
are the same.

``shared_directory()`` names that directory:

- ``PROMETHEUS_MULTIPROC_DIR`` when the environment sets it: a process manager that starts
  the workers itself (gunicorn, say) owns it and empties it before each start;
- in a worker started by a supervisor, one directory per run of that supervisor, under the
  system's temporary directory: ``agritrace-metrics-<uid>/<supervisor pid>-<run>``, where
  ``<run>`` tells two runs apart even when a supervisor's pid is reused (the workers inherit
  their supervisor's random ``multiprocessing`` key). The first worker of a run makes it and
  removes the directories of supervisors no longer running; a worker removes the live gauges
  of workers that died (uvicorn restarts a dead worker; its counts stay, as counters must);
- ``None`` for a process that serves alone: each app then counts in memory on its own.

``use_directory`` switches this process's prometheus-client into multiprocess mode.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import tempfile
from hashlib import sha256
from pathlib import Path

from prometheus_client import multiprocess, values

__all__ = ["ENVIRONMENT", "run_directory", "shared_directory", "use_directory"]

ENVIRONMENT = "PROMETHEUS_MULTIPROC_DIR"
RUN = re.compile(r"^(\d+)-[0-9a-f]{16}$")
LIVE_GAUGE = re.compile(r"^gauge_live\w*_(\d+)\.db$")


def shared_directory() -> Path | None:
    """The directory this process shares its metrics in, made ready; None when it serves
    alone."""
    given = os.environ.get(ENVIRONMENT, "").strip()
    if given:
        return Path(given)
    supervisor = multiprocessing.parent_process()
    if supervisor is None or supervisor.pid is None:
        return None
    runs = Path(tempfile.gettempdir()) / f"agritrace-metrics-{os.getuid()}"
    return run_directory(runs, supervisor.pid, bytes(multiprocessing.current_process().authkey))


def run_directory(runs: Path, supervisor: int, key: bytes) -> Path:
    """The directory of ``supervisor``'s run (``key`` is shared by its workers) under
    ``runs``, made if missing, with the directories of finished runs removed and the live
    gauges of dead workers dropped."""
    runs.mkdir(mode=0o700, exist_ok=True)
    mine = runs / f"{supervisor}-{sha256(key).hexdigest()[:16]}"
    for run in runs.iterdir():
        found = RUN.match(run.name)
        if run != mine and found is not None and not _running(int(found.group(1))):
            shutil.rmtree(run, ignore_errors=True)
    mine.mkdir(mode=0o700, exist_ok=True)
    for file in mine.iterdir():
        found = LIVE_GAUGE.match(file.name)
        if found is not None and not _running(int(found.group(1))):
            # prometheus-client leaves this function unannotated.
            multiprocess.mark_process_dead(  # type: ignore[no-untyped-call]
                int(found.group(1)), str(mine))
    return mine


def use_directory(directory: Path) -> None:
    """Count this process's metrics in files in ``directory`` (multiprocess mode).

    prometheus-client picks how it keeps values once, from ``PROMETHEUS_MULTIPROC_DIR``, when
    it is first imported; a worker learns its directory later, so it sets the variable and
    picks again, as the import would have. Metrics made before this stay in memory."""
    os.environ[ENVIRONMENT] = str(directory)
    if not getattr(values.ValueClass, "_multiprocess", False):
        # prometheus-client leaves get_value_class unannotated.
        values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
