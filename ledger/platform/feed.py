"""The recall feed: every notice (holds, recalls, releases, their corrections) in log order.

A page lists the notices whose records the log has integrated with a leaf index above the
cursor ``after``, in leaf order, at most ``limit``; ``next`` is the last one's leaf index.
Leaf indices are dense and given in order, so a record integrated later always comes after
every notice already listed: a platform that keeps ``next`` and asks again misses nothing
and sees nothing twice. Records not yet integrated wait for the next page. The feed is JSON
or Atom (RFC 4287), its titles in Chinese with English beside.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import Engine, select

from ledger.persistence.tables import log_leaves, platform_notices
from ledger.platform.notices import PlatformNotice

__all__ = ["MAX_PAGE", "FeedPage", "atom", "feed_page", "title"]

MAX_PAGE = 500
TITLES = {"lot.held": ("暂扣", "held"), "lot.recalled": ("召回", "recalled"),
          "lot.released": ("解除暂扣", "released"), "lot.corrected": ("更正", "corrected")}


@dataclass(frozen=True)
class FeedPage:
    """Notices after a cursor, each with its leaf index, and the cursor to ask with next."""

    items: list[dict[str, Any]]
    after: int
    next: int


def feed_page(engine: Engine, after: int = -1, limit: int = 100) -> FeedPage:
    """The integrated notices with a leaf index over ``after`` (-1: from the start)."""
    query = (select(platform_notices.c.notice_json, log_leaves.c.leaf_index)
             .select_from(platform_notices.join(
                 log_leaves, log_leaves.c.record_hash == platform_notices.c.record_hash))
             .where(log_leaves.c.leaf_index > after)
             .order_by(log_leaves.c.leaf_index).limit(limit))
    with engine.connect() as connection:
        rows = list(connection.execute(query))
    items = [PlatformNotice.from_stored(row.notice_json).as_json(int(row.leaf_index))
             for row in rows]
    return FeedPage(items, after, items[-1]["leaf_index"] if items else after)


def title(item: dict[str, Any]) -> str:
    """``召回 recalled: 批次 lot KG1（影响 3 个批次 3 lots affected）``."""
    zh, en = TITLES[item["type"]]
    count = len(item["affected_lots"])
    return (f"{zh} {en}: 批次 lot {item['lot']}"
            f"（影响 {count} 个批次 {count} lot{'s' if count != 1 else ''} affected）")


def atom(page: FeedPage, *, self_url: str, next_url: str, updated: str) -> str:
    """The page as an Atom feed; each entry's id is its record's hash as a URN."""
    entries = "".join(_entry(item) for item in page.items)
    newest = page.items[-1]["recorded"] if page.items else updated
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">\n'
        "<title>农产品召回与暂扣通告 Produce recalls and holds</title>\n"
        "<id>urn:agritrace:recalls</id>\n"
        f"<updated>{escape(newest)}</updated>\n"
        "<author><name>agritrace</name></author>\n"
        f'<link rel="self" href="{escape(self_url, {chr(34): "&quot;"})}"/>\n'
        f'<link rel="next" href="{escape(next_url, {chr(34): "&quot;"})}"/>\n'
        f"{entries}</feed>\n")


def _entry(item: dict[str, Any]) -> str:
    lots = "、".join(item["affected_lots"])
    gtins = "、".join(item["gtins"]) or "—"
    summary = (f"原因 reason: {item['reason']}\n受影响批次 affected lots: {lots}\n"
               f"GTIN: {gtins}\n记录 record: {item['record']}（日志序号 leaf index "
               f"{item['leaf_index']}）\n签署 signed by: {item['org']}")
    return (f"<entry><id>urn:agritrace:record:{item['record']}</id>"
            f"<title>{escape(title(item))}</title>"
            f"<updated>{escape(item['recorded'])}</updated>"
            f"<category term=\"{escape(item['type'])}\"/>"
            f"<summary>{escape(summary)}</summary></entry>\n")
