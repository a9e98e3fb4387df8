"""A cooperative's lists for its forms: its varieties per product and its protective price
per product (保护价, yuan per kilogram).

The recording app offers the varieties on the harvest form and pre-fills the protective
price of each purchase on the field-collection form. They help the clerk; they are not rules
of the ledger: a harvest of a variety off the list is recorded (a phone may have signed it
offline before the list changed), and a purchase below the protective price is recorded with
a warning, as always. One JSON document per organisation, replaced whole when saved.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from ledger.domain.fields import decimal, identifier, text
from ledger.errors import InvalidInput
from ledger.persistence.tables import org_settings

__all__ = ["MAX_PRODUCTS", "MAX_VARIETIES", "coop_settings", "save_coop_settings"]

MAX_PRODUCTS = 50
MAX_VARIETIES = 50
PRODUCT = text(80)
VARIETY = text(80)
PRICE = decimal(positive=True, maximum=Decimal(100_000), places=2)


def coop_settings(engine: Engine, org_id: str) -> dict[str, Any]:
    """The organisation's lists: ``{"varieties": {product: [variety, ...]},
    "protective_prices": {product: "4.5"}}`` (empty ones when it has none)."""
    with engine.connect() as connection:
        row = connection.execute(select(org_settings.c.settings_json)
                                 .where(org_settings.c.org_id == org_id)).first()
    kept: dict[str, Any] = json.loads(row.settings_json) if row else {
        "varieties": {}, "protective_prices": {}}
    return kept


def _mapping(value: Any, path: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput("must be an object keyed by product name", field=path)
    if len(value) > MAX_PRODUCTS:
        raise InvalidInput(f"at most {MAX_PRODUCTS} products", field=path)
    return value


def _varieties(value: Any) -> dict[str, list[str]]:
    kept: dict[str, list[str]] = {}
    for raw_product, names in _mapping(value, "varieties").items():
        product = PRODUCT(raw_product, "varieties")
        path = f"varieties.{product}"
        if not isinstance(names, list) or len(names) > MAX_VARIETIES:
            raise InvalidInput(f"must be a list of at most {MAX_VARIETIES} varieties",
                               field=path)
        listed: list[str] = []
        for i, name in enumerate(names):
            variety = VARIETY(name, f"{path}.{i}")
            if variety in listed:
                raise InvalidInput(f"{variety} is listed twice", field=f"{path}.{i}")
            listed.append(variety)
        if listed:
            kept[product] = listed
    return kept


def _prices(value: Any) -> dict[str, str]:
    return {PRODUCT(product, "protective_prices"):
            PRICE(price, f"protective_prices.{product}")
            for product, price in _mapping(value, "protective_prices").items()}


def save_coop_settings(engine: Engine, org_id: str, data: Any) -> dict[str, Any]:
    """Check and replace the organisation's lists; what is kept now."""
    identifier(org_id, "org")
    if not isinstance(data, dict):
        raise InvalidInput("must be an object", field="settings")
    value = {"varieties": _varieties(data.get("varieties")),
             "protective_prices": _prices(data.get("protective_prices"))}
    with engine.begin() as connection:
        connection.execute(delete(org_settings).where(org_settings.c.org_id == org_id))
        connection.execute(insert(org_settings).values(
            org_id=org_id, settings_json=json.dumps(value, ensure_ascii=False),
            updated_at=datetime.now(UTC)))
    return value
