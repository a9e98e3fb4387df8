"""The cover of a trace as label/value lines, Chinese with English beside: what was
exported, by whom, when, and against which checkpoint. The spreadsheet's first sheet shows
them; the command line prints them."""

from __future__ import annotations

from ledger.exports.columns import TIME_LABEL
from ledger.exports.trace import Cover

__all__ = ["TITLE", "cover_lines"]

TITLE = "农产品追溯记录导出 Traceability records export"


def cover_lines(cover: Cover) -> list[tuple[str, str]]:
    checkpoint = cover.checkpoint
    lines = [
        ("查询 Query", cover.query),
        ("导出者 Exported by", cover.exported_by),
        ("导出时间 Exported at", f"{cover.exported_at:%Y-%m-%d %H:%M:%S} ({TIME_LABEL})"),
        ("记录数 Records (rows)", f"{cover.rows}"),
        ("批次数 Lots", f"{cover.lots}"),
        ("时间 Times", f"{TIME_LABEL}; 按时间排序 sorted by time"),
    ]
    if checkpoint is None:
        lines.append(("检查点 Checkpoint", "无 none published yet: leaf indices are provisional"))
    else:
        lines += [
            ("日志 Log", checkpoint.origin),
            ("检查点大小 Checkpoint size", f"{checkpoint.size}"),
            ("根哈希 Root hash (hex)", checkpoint.root_hash.hex()),
            ("检查点后的记录 Records after the checkpoint", f"{cover.after_checkpoint}"),
            ("签名检查点 Signed checkpoint", checkpoint.note),
        ]
    lines.append((
        "核验 How to check",
        "每行的记录哈希是该记录规范字节的 SHA-256，日志序号是它在透明日志中的位置；"
        "用 agritrace-verify 核验各批次的证据包。 Each row's record hash is the SHA-256 of "
        "the record's canonical bytes and its leaf index its position in the transparency "
        "log at the checkpoint above; check any lot's proof bundle with agritrace-verify."))
    return lines
