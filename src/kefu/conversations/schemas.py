"""API schemas of conversations. Unknown fields are rejected; types are not coerced."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema
from pydantic import ConfigDict


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int


class MessageOut(Schema):
    id: int
    conversation: int
    author_type: str
    author_name: str
    body: str
    is_internal: bool
    client_id: str
    created_at: datetime
    attachments: list[AttachmentOut]


class RankedIntentOut(Schema):
    intent: str
    confidence: float


class AmountOut(Schema):
    value: str
    currency: str


class AnalysisOut(Schema):
    """What the language model understood of a customer message (see docs/nlu.md)."""

    language: str
    language_confidence: float
    mixed: bool
    intent: str
    confidence: float
    top: list[RankedIntentOut]
    out_of_scope: bool
    sentiment: str
    sentiment_score: float
    urgency: str
    signals: list[str]
    amount: AmountOut | None
    model: str


class StaffMessageOut(MessageOut):
    intent: str = Field(description="The intent an agent confirmed, or the model's")
    analysis: AnalysisOut | None = Field(description="Customer messages, once analysed")


class PublicConversationOut(Schema):
    number: int
    status: str
    subject: str
    created_at: datetime
    messages: list[MessageOut]


class CustomerMessageIn(StrictSchema):
    body: str = Field(..., max_length=10_000)
    client_id: str = Field("", max_length=64)


class CustomerOut(Schema):
    id: int
    external_id: str | None
    name: str
    email: str
    language: str
    vip_tier: int
    security_level: str


class CustomerContactIn(StrictSchema):
    """What the exchange tells support about how to reach a customer safely."""

    anti_phishing_code: str | None = Field(
        None,
        max_length=32,
        description="the code the customer set at the exchange; every email Kefu sends them "
        "shows it. An empty string removes it.",
    )
    phone: str | None = Field(
        None,
        max_length=20,
        pattern=r"^(\+[1-9][0-9]{6,14})?$",
        description="the verified phone number in E.164 (+8613800138000), or empty",
    )
    name: str | None = Field(None, max_length=120)


class CustomerContactOut(Schema):
    external_id: str
    anti_phishing_code_set: bool
    phone: str


class ConversationOut(Schema):
    id: int
    number: int
    channel: str
    status: str
    priority: int
    queue: str
    intent: str
    subject: str
    language: str
    assignee_id: int | None
    customer: CustomerOut
    created_at: datetime
    last_message_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    message_count: int


class ConversationPage(Schema):
    items: list[ConversationOut]
    next_cursor: str | None


class ConversationDetailOut(ConversationOut):
    messages: list[StaffMessageOut]


class ReplyIn(StrictSchema):
    body: str = Field(..., max_length=10_000)
    is_internal: bool = False
    client_id: str = Field("", max_length=64)
    status: str | None = None


class AssignIn(StrictSchema):
    assignee_id: int | None = None
    unassign: bool = False
    queue: str | None = None


class StatusIn(StrictSchema):
    status: str


class PriorityIn(StrictSchema):
    priority: int
