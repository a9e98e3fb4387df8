"""Run every benchmark and print a Markdown report: ``make bench``.

Each figure is the median of interleaved rounds against its baseline, in the same run.
"""

from __future__ import annotations

import argparse
import platform
import sys
from datetime import UTC, datetime

from tests.benchmarks import bench_recording
from tests.benchmarks.common import postgres_reachable


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks")
    parser.add_argument("--quick", action="store_true", help="smaller counts, for a smoke run")
    args = parser.parse_args()
    scale = 5 if args.quick else 1
    backends = ["sqlite"] + (["postgres"] if postgres_reachable() else [])
    print(f"# agritrace benchmarks — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
          f"Python {platform.python_version()}, {platform.machine()}\n")

    print("## Recording (issue 2): ours vs plain eventsourcing, records/s (median of 3)\n")
    print("| backend | per save | plain eventsourcing | agritrace | ratio | goal |")
    print("|---|---|---|---|---|---|")
    for backend in backends:
        for per_save, count in ((1, 1500), (100, 6000)):
            result = bench_recording.recording(backend, count // scale, per_save)
            print(f"| {backend} | {per_save} | {result['plain']:,.0f} | {result['ours']:,.0f} "
                  f"| {result['ours'] / result['plain']:.2f} | ≥ 0.67 |", flush=True)

    print("\n## Audit (issue 2): audit vs raw Ed25519 verification, records/s (median of 3)\n")
    print("| backend | raw Ed25519 verify | audit | ratio | goal |")
    print("|---|---|---|---|---|")
    for backend in backends:
        result = bench_recording.audit(backend, 6000 // scale)
        print(f"| {backend} | {result['raw_ed25519']:,.0f} | {result['audit']:,.0f} "
              f"| {result['audit'] / result['raw_ed25519']:.2f} | ≥ 0.70 |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
