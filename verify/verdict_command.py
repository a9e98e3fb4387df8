"""``agritrace-verify verdict FILE --verdict-key VKEY --log-key VKEY``: check a platform
verdict offline (``verify.verdicts``, docs/platform.md).

Exit 0 when the verdict verifies (with warnings when the document carries no bundle or no
key proof, so the verdict rests on the service's signature alone), 1 when it does not (the
step and the reason on stderr), 2 when the document, a key or a file cannot be read or is
malformed. Never a traceback. ``--json`` prints the result on stdout as well.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from verify.bundle import MAX_BUNDLE_BYTES
from verify.command_input import (
    EXIT_MALFORMED,
    EXIT_VALID,
    UsageParser,
    exit_code,
    read_input,
    verifier_key,
)
from verify.errors import VerificationError
from verify.verdicts import VerdictDocument, VerdictResult, verify_verdict

__all__ = ["STEPS", "main"]

STEPS = {
    0: ("解析", "parse"),
    1: ("结论签名", "verdict signature"),
    2: ("检查点", "checkpoint"),
    3: ("重新核验批次", "lot recomputed from its bundle"),
    4: ("结论公钥在日志中", "verdict key in the log"),
}
WORDS = {"ok": "相符", "mismatch": "不符", "recalled": "已召回", "held": "暂扣",
         "unknown": "未登记", "expired": "已过保质期"}


def _parser() -> argparse.ArgumentParser:
    parser = UsageParser(prog="agritrace-verify verdict",
                     description="核验平台商品核验结论 Verify a platform verdict offline.")
    parser.add_argument("file", metavar="FILE", help="verdict document JSON, or - for stdin")
    parser.add_argument("--verdict-key", action="append", required=True, metavar="VKEY",
                        help="the service's verdict key (text or file); may repeat")
    parser.add_argument("--log-key", action="append", required=True, metavar="VKEY",
                        help="the log's verifier key (text or file); may repeat")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def main(argv: Sequence[str]) -> int:
    """Run the ``verdict`` command with ``argv`` (after the word ``verdict``)."""
    args = _parser().parse_args(argv)
    try:
        verdict_keys = [verifier_key(value, "--verdict-key") for value in args.verdict_key]
        log_keys = [verifier_key(value, "--log-key") for value in args.log_key]
        document = VerdictDocument.from_json(read_input(args.file, MAX_BUNDLE_BYTES * 2))
        result = verify_verdict(document, verdict_keys, log_keys)
    except VerificationError as error:
        return _failed(error, args.json)
    except Exception as error:  # a bug must still not show users a traceback
        print(f"内部错误 internal error: {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_MALFORMED
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        _report(result)
    return EXIT_VALID


def _failed(error: VerificationError, as_json: bool) -> int:
    step = int(error.step) if error.step and error.step.isdigit() else 0
    chinese, english = STEPS.get(step, STEPS[0])
    code = exit_code(error)
    if code == EXIT_MALFORMED:
        print(f"无法读取 unreadable or malformed ({chinese} {english}): {error.reason}",
              file=sys.stderr)
    else:
        print(f"无效 invalid — 第 {step} 步 step {step}: {chinese} {english}\n"
              f"  原因 reason: {error.reason}", file=sys.stderr)
    if as_json:
        print(json.dumps({"valid": False, "exit": code, "error": type(error).__name__,
                          "step": step, "step_name": english, "reason": error.reason},
                         ensure_ascii=False))
    return code


def _report(result: VerdictResult) -> None:
    body = result.body
    verdict = body["verdict"]
    print(f"有效 valid — 商品 listing {body['listing_id']}: "
          f"{WORDS.get(verdict, verdict)} {verdict}")
    lot = body["lot"] or "—"
    checkpoint = body["checkpoint"]
    print(f"  批次 lot: {lot}; 签发 issued: {body['issued']}")
    print(f"  检查点 checkpoint: {checkpoint['origin']}, 树大小 tree size {checkpoint['size']}")
    for mismatch in body["mismatches"]:
        recorded = json.dumps(mismatch["recorded"], ensure_ascii=False)
        print(f"  不符 mismatch {mismatch['field']}: 声称 claimed "
              f"{json.dumps(mismatch['claimed'], ensure_ascii=False)}, 记录 records {recorded}")
    if body["status"]:
        print(f"  状态 status: {body['status']['status']} ({body['status']['reason']})")
    if body["unknown"]:
        print(f"  未登记 unknown: {body['unknown']}")
    if result.recomputed:
        print("  已由证明包重新计算 recomputed from the lot's bundle: the verdict holds "
              "without trusting the service")
    if result.key_in_log:
        print(f"  结论公钥已记入日志 verdict key recorded in the log by {body['verdict_key_org']}")
    for warning in result.warnings:
        print(f"  警告 warning: {warning}")
