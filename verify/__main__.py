"""``agritrace-verify BUNDLE --log-key VKEY``: check a proof bundle offline (DESIGN §6).
``agritrace-verify verdict FILE --verdict-key VKEY --log-key VKEY`` checks a platform verdict
instead (``verify.verdict_command``; a bundle file named ``verdict`` is given as ``./verdict``).

Exit 0 when the bundle verifies (a version 1 bundle with a warning that its completeness is
not proven), 1 when it does not (the step, the reason and the first bad
record on stderr), 2 when the bundle, a key or a file cannot be read or is malformed. Never a
traceback. ``--json`` prints a machine-readable result on stdout as well.

Keys are C2SP verifier keys (``name+hexid+base64``), given as the text itself or as the path
of a file holding it. ``--witness`` pins a witness; with witnesses pinned, ``--min-witnesses``
defaults to 1. ``--since FILE`` names a signed checkpoint seen before; the bundle (or
``--since-proof FILE``, one base64 hash per line) must prove the two trees consistent.

A valid bundle's summary is followed by the lot's state derived from its records
(``verify.state``): status, flagged ancestors, product, quantity, origin, certificates,
inspections, excursions, and the time it is verified as of, with its age. ``--max-age
DURATION`` (``90m``, ``1h``, ``2d``; digits alone are seconds) exits 1 when the checkpoint is
older than that, or its age is unknown (``verify.freshness``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from verify.bundle import MAX_BUNDLE_BYTES, Bundle
from verify.command_input import (
    EXIT_MALFORMED,
    EXIT_VALID,
    KEY_FILE_LIMIT,
    UsageParser,
    exit_code,
    read_input,
    utf8_text,
    verifier_key,
)
from verify.errors import MalformedInput, VerificationError
from verify.freshness import CheckpointStale, parse_age, stale_reason
from verify.policy import SeenCheckpoint, parse_proof_lines
from verify.state_text import describe_state
from verify.verification import BundleResult, verify_bundle

__all__ = ["STEPS", "main", "run"]

STEPS = {
    0: ("解析", "parse"),
    1: ("检查点签名", "checkpoint signature"),
    2: ("见证联署", "witness cosignatures"),
    3: ("收录证明", "inclusion proofs"),
    4: ("记录签名与密钥", "record signatures and keys"),
    5: ("链与关联", "chains and links"),
    6: ("与先前检查点一致", "consistency with an earlier checkpoint"),
    7: ("完整性", "completeness"),
    8: ("新鲜度", "freshness"),
}


def _parser() -> argparse.ArgumentParser:
    parser = UsageParser(prog="agritrace-verify",
                     description="核验追溯证明包 Verify an agritrace proof bundle offline.")
    parser.add_argument("bundle", metavar="BUNDLE", help="bundle JSON file, or - for stdin")
    parser.add_argument("--log-key", action="append", required=True, metavar="VKEY",
                        help="the log's verifier key (text or file); may repeat")
    parser.add_argument("--witness", action="append", default=[], metavar="VKEY",
                        help="a witness's verifier key (text or file); may repeat")
    parser.add_argument("--min-witnesses", type=int, metavar="K",
                        help="cosignatures required (default 1 with witnesses, else 0)")
    parser.add_argument("--since", metavar="FILE", help="a signed checkpoint seen before")
    parser.add_argument("--since-proof", metavar="FILE",
                        help="consistency proof between --since and the bundle, one hash a line")
    parser.add_argument("--max-age", metavar="DURATION",
                        help="fail when the checkpoint is older (90m, 1h, 2d; digits = seconds)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def run(args: argparse.Namespace) -> BundleResult:
    """Parse every input at the edge, then verify; raises ``VerificationError``."""
    log_keys = [verifier_key(value, "--log-key") for value in args.log_key]
    witnesses = [verifier_key(value, "--witness") for value in args.witness]
    minimum = args.min_witnesses
    if minimum is None:
        minimum = 1 if witnesses else 0
    since = None
    if args.since:
        proof = None
        if args.since_proof:
            lines = read_input(args.since_proof, KEY_FILE_LIMIT)
            proof = parse_proof_lines(utf8_text(lines, "--since-proof"))
        since = SeenCheckpoint.from_text(read_input(args.since, KEY_FILE_LIMIT), proof)
    elif args.since_proof:
        raise MalformedInput("--since-proof needs --since")
    bundle = Bundle.from_json(read_input(args.bundle, MAX_BUNDLE_BYTES))
    return verify_bundle(bundle, log_keys, witnesses=witnesses, min_witnesses=minimum,
                         since=since)


def _now() -> int:
    return int(time.time())


def _report_valid(result: BundleResult) -> None:
    print(f"有效 valid — 批次 lot {result.lot}")
    print(f"  记录 records: {result.records} (批次 lots {len(result.lots)}, "
          f"组织 organisations {len(result.organisations)})")
    print(f"  检查点 checkpoint: {result.origin}, 树大小 tree size {result.checkpoint_size}")
    names = ", ".join(result.witnesses) or "无 none"
    print(f"  见证 witnesses: {names}")
    if result.consistent_with is not None:
        print(f"  与先前检查点一致 consistent with the tree of size {result.consistent_with} "
              "seen before")
    if result.complete:
        print(f"  完整性 complete: every chain ends at its head at checkpoint "
              f"{result.checkpoint_size}")
    for warning in result.warnings:
        print(f"  警告 warning: {warning}")
    if result.state is not None and result.as_of is not None:
        print("\n".join(describe_state(result.state, result.as_of, _now())))


def failure_json(error: VerificationError) -> dict[str, Any]:
    """The ``--json`` form of a failure: exit code, error class, step, record, reason."""
    step = int(error.step) if error.step and error.step.isdigit() else 0
    return {"valid": False, "exit": exit_code(error), "error": type(error).__name__,
            "step": step, "step_name": STEPS[step][1], "record": error.record,
            "reason": error.reason}


def _failed(error: VerificationError, as_json: bool, **extra: Any) -> int:
    _report_failure(error)
    if as_json:
        print(json.dumps({**failure_json(error), **extra}, ensure_ascii=False))
    return exit_code(error)


def _report_failure(error: VerificationError) -> None:
    facts = failure_json(error)
    chinese, english = STEPS[facts["step"]]
    if isinstance(error, CheckpointStale):
        print(f"过期 stale — 记录真实，但检查点太旧或时间未知 the records are genuine, but the "
              f"checkpoint is too old or its age unknown\n  原因 reason: {error.reason}",
              file=sys.stderr)
    elif facts["exit"] == EXIT_MALFORMED:
        print(f"无法读取 unreadable or malformed ({chinese} {english}): {error.reason}",
              file=sys.stderr)
    else:
        print(f"无效 invalid — 第 {facts['step']} 步 step {facts['step']}: {chinese} "
              f"{english}\n  原因 reason: {error.reason}", file=sys.stderr)
    if error.record:
        print(f"  首个问题记录 first bad record: {error.record}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments[:1] == ["verdict"]:  # agritrace-verify verdict FILE: a platform verdict
        from verify.verdict_command import main as verdict_main
        return verdict_main(arguments[1:])
    args = _parser().parse_args(arguments)
    try:
        return _verify_and_report(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # stdout closed early (| head): nothing left to tell
        return EXIT_MALFORMED
    except Exception as error:  # a bug must still not show users a traceback
        print(f"内部错误 internal error: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_MALFORMED


def _verify_and_report(args: argparse.Namespace) -> int:
    try:
        max_age = None if args.max_age is None else parse_age(args.max_age)
        result = run(args)
    except VerificationError as error:
        return _failed(error, args.json)
    if max_age is not None and result.as_of is not None:
        reason = stale_reason(result.as_of, _now(), max_age)
        if reason is not None:
            # The records are genuine; what they say is older than the caller accepts.
            return _failed(CheckpointStale(reason, step="8"), args.json, state=result.state)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        _report_valid(result)
    return EXIT_VALID

if __name__ == "__main__":
    sys.exit(main())
