"""Bodies and answers of the platform webhooks and the recall feed (``api.routes.subscriptions``,
``api.routes.feed``); the notice shape is ``ledger.platform.notices``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AttemptPublic", "DeliveryPublic", "FeedPublic", "NoticePublic",
           "SubscriptionCreatedPublic", "SubscriptionIn", "SubscriptionPublic"]

Listed = list[str]


class SubscriptionIn(BaseModel):
    """A webhook: where to send notices, and for which products."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000, examples=["https://shop.example.cn/hooks/agritrace"],
                     description="http:// or https:// URL the notices are POSTed to; "
                                 "redirects are never followed.")
    gtins: Listed = Field(default_factory=list, max_length=10_000,
                          description="GTINs the platform sells.")
    orgs: Listed = Field(default_factory=list, max_length=10_000,
                         description="Organisations whose lots it sells (producer or holder).")
    lots: Listed = Field(default_factory=list, max_length=10_000,
                         description="Lot codes it sells.")
    everything: bool = Field(default=False, description="Every notice, whatever it reaches.")


class SubscriptionPublic(BaseModel):
    id: str = Field(examples=["sub_3f9a0c2b7d1e4a5b6c7d"])
    org: str | None = Field(description="The platform it belongs to (null: made by an admin).")
    url: str
    gtins: Listed
    orgs: Listed
    lots: Listed
    everything: bool
    created_ms: int = Field(description="When it was made, ms since the epoch.")


class SubscriptionCreatedPublic(SubscriptionPublic):
    secret: str = Field(description="The Standard Webhooks signing secret, whsec_ and base64. "
                                    "Shown only in this answer: keep it.")


class AttemptPublic(BaseModel):
    at_ms: int
    duration_ms: int
    status_code: int | None = Field(description="The receiver's status code; null if none.")
    error: str | None = Field(description="Why there was no answer (refused, timed out).")


class DeliveryPublic(BaseModel):
    id: str = Field(description="The webhook-id the receiver sees, the same on every try.")
    subscription: str
    notice: str = Field(description="The notice's id: its record's hash.")
    status: Literal["pending", "retrying", "delivered", "dead", "cancelled"]
    attempts: list[AttemptPublic]
    next_attempt_ms: int | None
    created_ms: int
    delivered_ms: int | None


class NoticePublic(BaseModel):
    id: str
    type: Literal["lot.held", "lot.recalled", "lot.released", "lot.corrected"]
    lot: str
    record: str
    leaf_index: int | None
    recorded: str
    org: str
    reason: str
    affected_lots: Listed
    gtins: Listed


class FeedPublic(BaseModel):
    """Notices in log order after the cursor ``after``; ask again with ``after=next``."""

    notices: list[NoticePublic]
    after: int
    next: int
    next_url: str
