"""Lots, records and organisations as the API shows them: the ledger's own views
(``ledger.views``), which the command line's ``--json`` prints too, so one definition gives
each shape. The API only extends a view where it answers more (``FoundRecordPublic``: a record
and its leaf; ``LineageLotPublic``: a traced lot and its shipments).

The views document their fields in attribute docstrings; ``documented`` has pydantic read
them (a view that extends another gets the other's descriptions too), so the OpenAPI
description carries them.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, TypeAdapter, with_config
from typing_extensions import get_original_bases, is_typeddict

from ledger.views import (
    CorrectionView,
    ExcursionView,
    KeyView,
    LineageView,
    LotView,
    OrganisationView,
    PriceFlagView,
    RecordView,
    ShipmentView,
)

__all__ = ["FoundRecordPublic", "KeyView", "LineageLotPublic", "LotView", "OrganisationView",
           "RecordView", "ShipmentView", "documented"]


def documented(*views: type) -> None:
    """Have pydantic describe each view's fields from their attribute docstrings."""
    for view in views:
        with_config(ConfigDict(use_attribute_docstrings=True,
                               json_schema_extra=_inherited_descriptions))(view)


def _inherited_descriptions(schema: dict[str, Any], view: type) -> None:
    """pydantic reads a TypedDict's attribute docstrings from its own body only: add those of
    the views it extends."""
    for base in get_original_bases(view):
        if not is_typeddict(base):
            continue
        for name, field in TypeAdapter(base).json_schema()["properties"].items():
            if "description" in field:
                schema["properties"][name].setdefault("description", field["description"])


class FoundRecordPublic(RecordView):
    """A record found by its hash, with its place in the log."""

    leaf_index: int | None
    """Its leaf in the log; null until integrated."""


class LineageLotPublic(LineageView):
    """A lot of a trace, with who holds it now (and, tracing forward, its shipments)."""

    shipments: list[ShipmentView] | None
    """Tracing forward: its shipments, oldest first, each with when it was received (or
    null); tracing back: null."""


documented(LotView, RecordView, LineageView, KeyView, OrganisationView, FoundRecordPublic,
           LineageLotPublic, CorrectionView, ExcursionView, PriceFlagView)
