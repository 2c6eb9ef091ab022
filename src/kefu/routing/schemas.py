"""API schemas of routing."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from kefu.conversations.schemas import StrictSchema


class PriorityReasonOut(Schema):
    factor: str
    points: int
    value: str
    text: str


class RoutingOut(Schema):
    conversation_id: int
    priority: int
    priority_score: int
    priority_is_manual: bool
    reasons: list[PriorityReasonOut]
    queued_at: datetime
    sla_policy: str | None
    first_response_due_at: datetime | None
    next_response_due_at: datetime | None
    resolution_due_at: datetime | None
    escalation_level: int


class QueueOut(Schema):
    queue: str
    name: str
    waiting: int
    oldest_wait_seconds: int
    agents_online: int


class PresenceIn(StrictSchema):
    presence: str = Field(..., max_length=10)


class PresenceOut(Schema):
    presence: str
    chat_capacity: int
    ticket_capacity: int
