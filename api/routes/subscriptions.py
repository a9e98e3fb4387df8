"""Platforms' webhooks: ``POST/GET/DELETE /platform/subscriptions``, and what became of each
delivery, ``GET /platform/deliveries`` and ``POST /platform/deliveries/{id}/replay``.

A token of an organisation with the ``platform`` role manages its own subscriptions and sees
its own deliveries; an admin token, every one. The secret is in the creation answer only.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from api.deps import CallerDep, LedgerDep, ServicesDep
from api.schemas import errors as documented
from api.schemas.webhooks import (
    DeliveryPublic,
    SubscriptionCreatedPublic,
    SubscriptionIn,
    SubscriptionPublic,
)
from ledger.access.grants import Caller
from ledger.application import Ledger
from ledger.errors import NotPermitted

__all__ = ["router"]

router = APIRouter(tags=["platforms 平台"])
SubscriptionPath = Annotated[str, Path(pattern=r"^sub_[0-9a-f]{20}$",
                                       description="A subscription id.")]
DeliveryPath = Annotated[str, Path(pattern=r"^msg_[0-9a-f]{32}$",
                                   description="A delivery's webhook-id.")]
NO_STORE = {"Cache-Control": "no-store"}


def _owner(caller: Caller, ledger: Ledger) -> str | None:
    """The platform the caller acts for (None for an admin); 403 for another role."""
    if caller.admin:
        return None
    org = caller.acting_org()
    if "platform" not in ledger.organisation(org).roles:
        raise NotPermitted(f"{org} is not registered as a platform (role platform)",
                           field="authorization")
    return org


@router.post("/platform/subscriptions", status_code=201,
             responses=documented(400, 401, 403, 413, 422))
def subscribe(body: SubscriptionIn, ledger: LedgerDep, services: ServicesDep,
              caller: CallerDep, response: Response) -> SubscriptionCreatedPublic:
    """Register a webhook for the notices (holds, recalls, releases, their corrections) that
    reach the listed GTINs, organisations or lots. The answer holds the signing secret, once."""
    owner = _owner(caller, ledger)
    made, secret = services.subscriptions.create(
        owner, body.url, gtins=body.gtins, orgs=body.orgs, lots=body.lots,
        everything=body.everything, allow_private=services.settings.webhook_private)
    response.headers.update(NO_STORE)
    return SubscriptionCreatedPublic(**made.as_json(), secret=secret)


@router.get("/platform/subscriptions", responses=documented(401, 403))
def subscriptions(ledger: LedgerDep, services: ServicesDep,
                  caller: CallerDep) -> list[SubscriptionPublic]:
    """The caller's subscriptions (every one, for an admin), oldest first; no secrets."""
    owner = _owner(caller, ledger)
    found = services.subscriptions.active(owner, everyone=caller.admin)
    return [SubscriptionPublic(**one.as_json()) for one in found]


@router.get("/platform/subscriptions/{subscription}", responses=documented(400, 401, 403, 404))
def subscription(subscription: SubscriptionPath, ledger: LedgerDep, services: ServicesDep,
                 caller: CallerDep) -> SubscriptionPublic:
    owner = _owner(caller, ledger)
    found = services.subscriptions.get(subscription, owner, admin=caller.admin)
    return SubscriptionPublic(**found.as_json())


@router.delete("/platform/subscriptions/{subscription}", status_code=204,
               response_class=Response, responses=documented(400, 401, 403, 404))
def unsubscribe(subscription: SubscriptionPath, ledger: LedgerDep, services: ServicesDep,
                caller: CallerDep) -> Response:
    """Delete a subscription; its deliveries not yet made are cancelled."""
    owner = _owner(caller, ledger)
    services.subscriptions.delete(subscription, owner, admin=caller.admin)
    return Response(status_code=204)


@router.get("/platform/deliveries", responses=documented(400, 401, 403))
def deliveries(
    ledger: LedgerDep, services: ServicesDep, caller: CallerDep,
    status: Literal["pending", "retrying", "delivered", "dead", "cancelled"] | None = None,
    after: Annotated[str | None, Query(pattern=r"^msg_[0-9a-f]{32}$",
                                       description="The last id of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryPublic]:
    """The caller's deliveries (every one, for an admin) with every attempt, by id."""
    owner = _owner(caller, ledger)
    rows = services.ledger.store.outbox.deliveries(owner, admin=caller.admin, status=status,
                                                   limit=limit, after=after)
    return [DeliveryPublic.model_validate(row) for row in rows]


@router.post("/platform/deliveries/{delivery}/replay", status_code=202,
             responses=documented(400, 401, 403, 404, 409))
def replay(delivery: DeliveryPath, ledger: LedgerDep, services: ServicesDep,
           caller: CallerDep) -> DeliveryPublic:
    """Send a dead (or retrying) delivery again now, with a new 24-hour horizon."""
    owner = _owner(caller, ledger)
    outbox = services.ledger.store.outbox
    outbox.replay(delivery, owner, admin=caller.admin)
    found = outbox.deliveries(owner, admin=caller.admin, only=delivery)
    return DeliveryPublic.model_validate(found[0])
