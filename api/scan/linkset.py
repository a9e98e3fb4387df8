"""Link sets (RFC 9264) for a resolved Digital Link, as GS1 resolvers give for
``?linkType=all``: one context object anchored at the Digital Link URI, its keys the link
relation types (GS1 Web Vocabulary URIs, plus one extension type for the proof bundle), each
a list of target objects with ``href``, ``title``, ``type`` and ``hreflang``.

The proof bundle has no GS1 link type, so it has an extension relation type (RFC 8288
§2.1.2), ``BUNDLE``: an https URI in this project's own vocabulary, ``VOCABULARY``, the same
for every deployment (clients match on it), with the CURIE prefix ``agritrace:``. GS1's link
set schema admits only registered lowercase names and http(s) URIs as relation types.

``LINK_TYPES`` maps the ``linkType`` values the resolver accepts (the ``gs1:`` CURIE or the
full URI) to what it does with them; ``linkset`` (GS1-Conformant Resolver 1.0) and ``all``
(its earlier name) ask for the link set. As that standard requires, the default link has a
title and no other attribute, and answers about a code name the link set in a ``Link``
header with a title (``linkset_link``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ledger.bundles import MEDIA_TYPE as BUNDLE_TYPE
from ledger.consumer.model import LotSummary

__all__ = ["BUNDLE", "GS1", "LINKSET_TYPE", "LINK_TYPES", "VOCABULARY", "link_set", "link_type",
           "linkset_link", "recall_status"]

GS1 = "https://gs1.org/voc/"
VOCABULARY = "https://agritrace.org/voc/"
BUNDLE = VOCABULARY + "bundle"  # RFC 8288 extension relation type
FORMER_BUNDLE = "urn:agritrace:linktype:bundle"  # still accepted as a linkType value
LINKSET_TYPE = "application/linkset+json"
LINKSET_TITLE = "All links for this code (GS1 link set)"
HREFLANG = ["zh", "en"]

# linkType value -> the relation it names
LINK_TYPES: Mapping[str, str] = {
    **{f"gs1:{name}": GS1 + name for name in (
        "defaultLink", "pip", "traceability", "certificationInfo", "recallStatus")},
    **{GS1 + name: GS1 + name for name in (
        "defaultLink", "pip", "traceability", "certificationInfo", "recallStatus")},
    "agritrace:bundle": BUNDLE, BUNDLE: BUNDLE, FORMER_BUNDLE: BUNDLE,
}


def link_type(value: str | None) -> str | None:
    """The relation a ``linkType`` value names; ``"all"`` for the link set; None for none
    given or one not offered (the resolver then serves its default, the page)."""
    if value is None:
        return None
    if value in ("all", "linkset"):
        return "all"
    return LINK_TYPES.get(value)


def linkset_link(anchor: str) -> str:
    """The ``Link`` header value naming the link set of the Digital Link URI ``anchor``."""
    return (f'<{anchor}?linkType=all>; rel="linkset"; type="{LINKSET_TYPE}"; '
            f'title="{LINKSET_TITLE}"')


def _target(href: str, title: str, media_type: str) -> dict[str, Any]:
    return {"href": href, "title": title, "type": media_type, "hreflang": HREFLANG}


def link_set(summary: LotSummary, anchor: str, host: str) -> dict[str, Any]:
    """The link set of ``summary``'s lot, anchored at its Digital Link URI ``anchor``;
    ``host`` is the public base URL its other resources are on."""
    lot = quote(summary.lot, safe="-._")
    page = _target(anchor, "产品追溯信息 Product traceability page", "text/html")
    links: dict[str, Any] = {
        "anchor": anchor,
        "itemDescription": summary.product_name,
        GS1 + "defaultLink": [{"href": page["href"], "title": page["title"]}],
        GS1 + "pip": [page],
        GS1 + "traceability": [_target(
            f"{anchor}?linkType=gs1:traceability",
            "追溯数据 Traceability data (JSON)", "application/json")],
        GS1 + "recallStatus": [_target(
            f"{anchor}?linkType=gs1:recallStatus",
            "召回状态 Recall status (JSON)", "application/json")],
        BUNDLE: [_target(f"{host}/lots/{lot}/bundle",
                         "追溯证明包 Proof bundle, to verify offline", BUNDLE_TYPE)],
    }
    if summary.compliance_certificate() is not None:
        links[GS1 + "certificationInfo"] = [
            _target(f"{host}/lots/{lot}/certificate",
                    "承诺达标合格证 Compliance certificate", "text/html"),
            _target(f"{host}/lots/{lot}/certificate.pdf",
                    "承诺达标合格证 PDF Compliance certificate (PDF)", "application/pdf")]
    return {"linkset": [links]}


def recall_status(summary: LotSummary) -> dict[str, Any]:
    """What ``gs1:recallStatus`` answers: whether the lot or an ancestor is recalled or held,
    and why."""
    return {
        "lot": summary.lot, "gtin": summary.gtin, "status": summary.status,
        "recalled": summary.status == "recalled", "held": summary.status == "held",
        "alerts": [{"kind": a.kind, "lot": a.lot, "reason": a.reason, "time": a.time,
                    "by": a.org_name} for a in summary.alerts],
    }
