"""What a webhook partner sends us, what we answer, and what we send the partner for each
reply (documented in the OpenAPI schema; see ``api.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict

MAX_ATTACHMENTS = 10


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)


class SenderIn(StrictSchema):
    """The person who wrote, as the partner knows them."""

    id: str = Field(..., min_length=1, max_length=200, description="Stable id on the partner.")
    name: str = Field("", max_length=120)
    username: str = Field("", max_length=120)
    email: str = Field(
        "", max_length=254, description="Used to match customers only on trusted accounts."
    )
    language: str = Field("", max_length=16, description="`zh…` for Chinese, else English.")


class AttachmentIn(StrictSchema):
    """A file, inline as base64 (the whole request is at most 1 MB)."""

    name: str = Field(..., min_length=1, max_length=200)
    content_type: str = Field("", max_length=100)
    data_base64: str = Field(..., min_length=1)


class WebhookMessageIn(StrictSchema):
    """One customer message from the partner."""

    message_id: str = Field(
        ..., min_length=1, max_length=255, description="The partner's id; a resend is ignored."
    )
    thread_id: str = Field(
        ..., min_length=1, max_length=200, description="The partner's conversation or thread."
    )
    sender: SenderIn
    text: str = Field("", max_length=100_000)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)
    sent_at: datetime | None = Field(None, strict=False, description="ISO 8601.")
    subject: str = Field("", max_length=200)
    user_id: str = Field(
        "",
        max_length=64,
        description="The exchange's user id; honoured only when the account trusts the partner.",
    )


class WebhookMessageOut(Schema):
    conversation: int = Field(..., description="The conversation's number.")
    message_id: int = Field(..., description="Our id of the stored message.")
    created: bool = Field(..., description="False when this message_id was received before.")


class ErrorOut(Schema):
    code: str
    message: str
    field: str = ""


class ReplyAuthor(BaseModel):
    type: Literal["agent", "bot", "system"]
    name: str = Field(..., description="The public name (an agent's display name).")


class ReplyOut(BaseModel):
    """What Kefu POSTs to the account's ``outbound_url`` for each reply."""

    event: Literal["message.created"]
    delivery_id: str = Field(..., description="Also sent as Idempotency-Key: dedupe on it.")
    message_id: int
    thread_id: str
    recipient_id: str = Field(..., description="The sender id the thread came from.")
    conversation: int
    author: ReplyAuthor
    text: str
    sent_at: datetime


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of ``model`` with its nested models written in place, so it can sit
    inside an operation of the OpenAPI document (whose ``$defs`` references would not
    resolve there)."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/$defs/"):
                return resolve(definitions[reference.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved
