"""The resolver description file, ``/.well-known/gs1resolver`` (GS1-Conformant Resolver
standard 1.2): what this resolver serves, so a client can tell it is a GS1 resolver and what
to ask of it.

Shaped like the GS1 Resolver Community Edition's file (``resolver_gs1resolver.json`` in
``tests/vectors/digitallink``), with this service's values, and valid against GS1's
description file schema: the resolver root is the public URL; the only primary key is the
GTIN (AI 01, qualified by 22, 10 and 21); the link types are the GS1 ones the link sets use
and the proof bundle's, each with a title in English and Chinese.
"""

from __future__ import annotations

from typing import Any

from api.scan.linkset import BUNDLE, GS1, VOCABULARY

__all__ = ["resolver_description"]

# CURIE -> (URI, language -> (title, description))
_LINK_TYPES: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {
    "gs1:pip": (GS1 + "pip", {
        "en": ("Product information page",
               "The lot's traceability page, verified on the phone."),
        "zh": ("产品追溯信息", "批次追溯页面，在手机上验证。")}),
    "gs1:traceability": (GS1 + "traceability", {
        "en": ("Traceability information", "The lot's public summary as JSON."),
        "zh": ("追溯数据", "批次公开摘要（JSON）。")}),
    "gs1:recallStatus": (GS1 + "recallStatus", {
        "en": ("Recall status", "Whether the lot or an ancestor is recalled or held, and why."),
        "zh": ("召回状态", "批次或其来源批次是否被召回或暂停，及原因。")}),
    "gs1:certificationInfo": (GS1 + "certificationInfo", {
        "en": ("Certification information", "The lot's commitment compliance certificate."),
        "zh": ("承诺达标合格证", "批次的承诺达标合格证。")}),
    "agritrace:bundle": (BUNDLE, {
        "en": ("Proof bundle",
               "The lot's signed records with their log proofs, to verify offline."),
        "zh": ("追溯证明包", "批次的签名记录及其日志证明，可离线验证。")}),
}


def resolver_description(host: str) -> dict[str, Any]:
    """The description file of the resolver at the public base URL ``host``."""
    return {
        "name": "agritrace 农产品追溯 GS1 Digital Link resolver",
        "resolverRoot": host,
        "supportedLinkType": [{"namespace": GS1, "prefix": "gs1:"},
                              {"namespace": VOCABULARY, "prefix": "agritrace:"}],
        "supportedPrimaryKeys": ["01"],
        "linkTypeDefaultCanBeLinkset": False,
        "supportsLanguageVariants": True,
        "supportsSemanticInterpretation": False,
        "validatesAIcombinations": True,
        "activeLinkTypes": {
            language: {curie: {"title": words[language][0],
                               "description": words[language][1], "url": uri}
                       for curie, (uri, words) in _LINK_TYPES.items()}
            for language in ("en", "zh")},
    }
