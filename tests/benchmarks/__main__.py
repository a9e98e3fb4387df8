"""Run every benchmark and print a Markdown report: ``make bench``.

Each figure is the median of interleaved rounds against its baseline, in the same run.
"""

from __future__ import annotations

import argparse
import platform
import sys
from datetime import UTC, datetime

from tests.benchmarks import bench_log, bench_recording
from tests.benchmarks.common import postgres_reachable


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks")
    parser.add_argument("--quick", action="store_true", help="smaller counts, for a smoke run")
    parser.add_argument("--only", choices=("recording", "log", "heads", "bundle", "api", "scan",
                                           "app", "epcis", "platform", "webhooks", "exports",
                                           "monitor"),
                        help="run one section: recording, log, heads, bundle, api, scan, app, "
                             "epcis, platform, webhooks, exports or monitor")
    args = parser.parse_args()
    scale = 5 if args.quick else 1
    backends = ["sqlite"] + (["postgres"] if postgres_reachable() else [])
    print(f"# agritrace benchmarks — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
          f"Python {platform.python_version()}, {platform.machine()}\n")

    if args.only in (None, "recording"):
        recording_section(backends, scale)
    if args.only in (None, "log"):
        log_section(backends, scale)
    if args.only in (None, "heads"):
        from tests.benchmarks.bench_heads import report as heads_report
        heads_report(backends, scale)
    if args.only in (None, "bundle"):
        from tests.benchmarks.bench_bundle import report as bundle_report
        bundle_report(scale)
    if args.only in (None, "api"):
        from tests.benchmarks.bench_api import report as api_report
        api_report(backends, scale)
    if args.only in (None, "scan"):
        from tests.benchmarks.bench_scan import report as scan_report
        scan_report(scale)
    if args.only in (None, "app"):
        from tests.benchmarks.bench_app import report as app_report
        app_report(scale)
    if args.only in (None, "epcis"):
        from tests.benchmarks.bench_epcis import report as epcis_report
        epcis_report(backends, scale)
    if args.only in (None, "platform"):
        from tests.benchmarks.bench_platform import report as platform_report
        platform_report(backends, scale)
    if args.only in (None, "webhooks"):
        from tests.benchmarks.bench_webhooks import report as webhooks_report
        webhooks_report(backends, scale)
    if args.only in (None, "exports"):
        from tests.benchmarks.bench_exports import report as exports_report
        exports_report(backends, scale)
    if args.only in (None, "monitor"):
        from tests.benchmarks.bench_monitor import report as monitor_report
        monitor_report(backends, scale)
    return 0


def recording_section(backends: list[str], scale: int) -> None:
    print("## Recording: ours vs plain eventsourcing, records/s\n")
    print("Medians of 5 paired rounds; the ratio is the median of per-round ratios.\n")
    print("| backend | per save | plain eventsourcing | agritrace | ratio | goal |")
    print("|---|---|---|---|---|---|")
    for backend in backends:
        for per_save, count in ((1, 1500), (100, 6000)):
            result = bench_recording.recording(backend, count // scale, per_save)
            print(f"| {backend} | {per_save} | {result['plain']:,.0f} | {result['ours']:,.0f} "
                  f"| {result['ratio']:.2f} | ≥ 0.67 |", flush=True)

    print("\n## Audit: audit vs raw Ed25519 verification, records/s\n")
    print("Medians of 5 paired rounds; the ratio is the median of per-round ratios.\n")
    print("| backend | raw Ed25519 verify | audit | ratio | goal |")
    print("|---|---|---|---|---|")
    for backend in backends:
        result = bench_recording.audit(backend, 6000 // scale)
        print(f"| {backend} | {result['raw_ed25519']:,.0f} | {result['audit']:,.0f} "
              f"| {result['ratio']:.2f} | ≥ 0.70 |", flush=True)
    print()


def log_section(backends: list[str], scale: int) -> None:
    count = 50_000 // scale
    print("## Log integration: leaves/s, batches of 1,000 (median of 3)\n")
    print(f"The same {count:,} records (~700 bytes) each; raw SHA-256 = hashlib over the same "
          "leaf and node hashes; pymerkle = `SqliteTree.append_entries` (leaves only).\n")
    print("| backend | agritrace integrate | raw SHA-256 | ratio | pymerkle SQLite bulk append "
          "| goal |")
    print("|---|---|---|---|---|---|")
    for backend in backends:
        result = bench_log.integration(backend, count)
        theirs = result.get("pymerkle")
        pymerkle = f"{theirs:,.0f}" if theirs else ("n/a" if backend == "sqlite" else "—")
        goal = "≥ 20,000" if backend == "sqlite" else ""
        print(f"| {backend} | {result['agritrace']:,.0f} | {result['raw_sha256']:,.0f} "
              f"| {result['agritrace'] / result['raw_sha256']:.3f} | {pymerkle} | {goal} |",
              flush=True)
    sizes = (10**4, 10**5) if scale > 1 else (10**4, 10**5, 10**6)
    print("\n## Inclusion proofs: ms per proof on SQLite, 2,000 random leaves\n")
    print("| leaves | proof hashes | by index median | p99 | by hash median | p99 | goal |")
    print("|---|---|---|---|---|---|---|")
    for row in bench_log.proof_latency(sizes):
        goal = "median < 2 ms" if row["size"] == 10**6 else ""
        print(f"| {row['size']:,} | {row['hashes']:.0f} | {row['index_median']:.3f} "
              f"| {row['index_p99']:.3f} | {row['hash_median']:.3f} | {row['hash_p99']:.3f} "
              f"| {goal} |", flush=True)
    print()


if __name__ == "__main__":
    sys.exit(main())
