"""The trace's columns: Chinese headers with the English beside them, and the UTC+8 clock.

Times are shown in 北京时间 (UTC+8, Asia/Shanghai, which keeps no daylight saving time) so an
inspector reads them as the people who recorded them did; records hold UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

__all__ = [
    "BEIJING",
    "COLUMNS",
    "EVENT_NAMES",
    "TIME_LABEL",
    "Column",
    "beijing",
    "header",
    "index_of",
]

BEIJING = timezone(timedelta(hours=8), "UTC+8")
TIME_LABEL = "北京时间 UTC+8 (Asia/Shanghai)"


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    width: int  # characters, for the spreadsheet

    @property
    def title(self) -> str:
        return f"{self.zh} {self.en}"


COLUMNS: tuple[Column, ...] = (
    Column("time", "时间", "Time (UTC+8)", 20),
    Column("event", "环节", "Event", 18),
    Column("lot", "批次", "Lot", 16),
    Column("product", "产品", "Product", 16),
    Column("gtin", "商品条码", "GTIN", 16),
    Column("quantity", "数量", "Quantity", 10),
    Column("unit", "单位", "Unit", 10),
    Column("location", "地点", "Location", 24),
    Column("origin", "产地", "Origin", 30),
    Column("who", "操作方", "Who", 24),
    Column("source_lots", "来源批次", "Source lots", 18),
    Column("destination_lots", "去向批次", "Destination lots", 18),
    Column("counterparty", "收发方", "Shipped to / received from", 16),
    Column("references", "单据", "Reference documents", 30),
    Column("details", "详情", "Details", 40),
    Column("recorded", "入账时间", "Recorded (UTC+8)", 20),
    Column("record_hash", "记录哈希", "Record hash", 66),
    Column("leaf_index", "日志序号", "Leaf index", 10),
    Column("signer", "签名组织", "Signer org", 16),
    Column("key_id", "签名密钥", "Key id", 18),
    Column("corrected_by", "更正记录", "Corrected by", 66),
    Column("corrects", "更正对象", "Corrects", 66),
    Column("chain", "链", "Chain", 18),
    Column("seq", "链序号", "Seq", 7),
)

EVENT_NAMES: Mapping[str, str] = {
    "Harvested": "采收", "Collected": "田头集货", "Graded": "分等分级",
    "PreCooled": "产地预冷", "Stored": "冷藏", "Packed": "分级包装", "Shipped": "发运",
    "Received": "收货", "Inspected": "检验检测", "Certified": "证书", "Held": "暂扣",
    "Released": "解除暂扣", "Recalled": "召回", "Corrected": "更正",
}


def index_of(key: str) -> int:
    """The position of column ``key`` in a row."""
    for position, column in enumerate(COLUMNS):
        if column.key == key:
            return position
    raise KeyError(key)


def header() -> list[str]:
    return [column.title for column in COLUMNS]


def beijing(utc_text: str) -> datetime:
    """A record's UTC time (``2026-09-12T00:00:00Z``) as an aware time in UTC+8."""
    return datetime.fromisoformat(utc_text).astimezone(UTC).astimezone(BEIJING)
