"""What a trace asks for, checked once at the edge: one selector (a lot, a GTIN, an
organisation or a recall) and/or a date range.

``since`` and ``until`` take a date (``2026-09-10``, a whole day in UTC+8) or a time with its
zone; ``until`` includes the day or the moment it names. An error names the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from ledger.domain.fields import gtin as parse_gtin
from ledger.domain.fields import identifier, lot_code, parse_time
from ledger.errors import InvalidInput
from ledger.exports.columns import BEIJING

__all__ = ["SELECTORS", "TraceQuery", "parse_trace_query"]

SELECTORS = ("lot", "gtin", "org", "recall")


@dataclass(frozen=True)
class TraceQuery:
    """A checked query. ``since`` is inclusive, ``until`` exclusive (aware datetimes)."""

    lot: str | None = None
    gtin: str | None = None
    org: str | None = None
    recall: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    since_text: str | None = None  # as given, for the cover sheet
    until_text: str | None = None

    @property
    def selector(self) -> tuple[str, str] | None:
        """``(field, value)`` of the one selector given, if any."""
        for name in SELECTORS:
            value = getattr(self, name)
            if value is not None:
                return name, value
        return None

    def with_org(self, org: str) -> TraceQuery:
        return TraceQuery(None, None, org, None, self.since, self.until, self.since_text,
                          self.until_text)

    def describe(self) -> str:
        """The query in words, for the cover sheet and file names."""
        parts = [f"{name}={value}" for name, value in
                 (*((n, getattr(self, n)) for n in SELECTORS),
                  ("since", self.since_text), ("until", self.until_text)) if value is not None]
        return " ".join(parts) or "everything"

    def within(self, moment: datetime) -> bool:
        return (self.since is None or moment >= self.since) and \
               (self.until is None or moment < self.until)


def parse_trace_query(*, lot: Any = None, gtin: Any = None, org: Any = None,
                      recall: Any = None, since: Any = None, until: Any = None) -> TraceQuery:
    """Check a trace query; ``InvalidInput`` naming the field when a value is wrong or two
    selectors are given."""
    given = [name for name, value in (("lot", lot), ("gtin", gtin), ("org", org),
                                      ("recall", recall)) if value not in (None, "")]
    if len(given) > 1:
        raise InvalidInput(f"give one of lot, gtin, org or recall, not both {given[0]} and "
                           f"{given[1]}", field=given[1])
    start = _bound(since, "since", end=False) if since not in (None, "") else None
    end = _bound(until, "until", end=True) if until not in (None, "") else None
    if start is not None and end is not None and end <= start:
        raise InvalidInput("must not be before since", field="until")
    return TraceQuery(
        lot=lot_code(lot, "lot") if "lot" in given else None,
        gtin=parse_gtin(gtin, "gtin") if "gtin" in given else None,
        org=identifier(org, "org") if "org" in given else None,
        recall=_recall(recall) if "recall" in given else None,
        since=start, until=end,
        since_text=str(since) if start else None, until_text=str(until) if end else None)


def _recall(value: Any) -> str:
    """A recall record's hash or a lot code."""
    if isinstance(value, str) and len(value) == 64:
        text = value.lower()
        if all(c in "0123456789abcdef" for c in text):
            return text
    return lot_code(value, "recall")


def _bound(value: Any, field: str, *, end: bool) -> datetime:
    """A date (the start of that day in UTC+8, or the start of the next for an end) or a
    time with its zone (just after it, for an end, so the moment itself is included)."""
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            day = date.fromisoformat(value.strip())
        except ValueError as error:
            raise InvalidInput(f"{value!r} is not a date such as 2026-09-10 nor an ISO 8601 "
                               "time with its zone", field=field) from error
        start = datetime.combine(day, time(), BEIJING)
        return start + timedelta(days=1) if end else start
    moment = parse_time(value, field)
    return moment + timedelta(microseconds=1) if end else moment
