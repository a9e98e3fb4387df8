"""Helpers for side-by-side benchmarks: fresh stores, interleaved rounds, medians."""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

import psycopg

PG_DSN = os.environ.get("AGRITRACE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def fresh_url(backend: str) -> Iterator[str]:
    """A URL of an empty store on ``backend`` ("sqlite" or "postgres"), removed after."""
    if backend == "sqlite":
        with TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        yield f"{PG_DSN}?schema={schema}"
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def postgres_reachable() -> bool:
    try:
        with psycopg.connect(PG_DSN, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def rate(count: int, work: Callable[[], None]) -> float:
    """Items per second for ``work``, which handles ``count`` items."""
    started = time.perf_counter()
    work()
    return count / (time.perf_counter() - started)


def interleaved(rounds: int, **contenders: Callable[[], float]) -> dict[str, float]:
    """Run the contenders alternately ``rounds`` times; the median rate of each.

    Alternating keeps drift on a shared machine from favouring whichever ran first."""
    results: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, contender in contenders.items():
            results[name].append(contender())
    return {name: statistics.median(values) for name, values in results.items()}


def paired(rounds: int, baseline: Callable[[], float],
           candidate: Callable[[], float]) -> tuple[float, float, float]:
    """Median rates of ``baseline`` and ``candidate`` run back to back ``rounds`` times,
    and the median of the per-round ratios candidate / baseline.

    Each ratio compares two runs a moment apart, so load from other processes on a shared
    machine mostly cancels out; the ratio of two medians would not."""
    base: list[float] = []
    cand: list[float] = []
    for _ in range(rounds):
        base.append(baseline())
        cand.append(candidate())
    ratios = [c / b for b, c in zip(base, cand, strict=True)]
    return statistics.median(base), statistics.median(cand), statistics.median(ratios)
