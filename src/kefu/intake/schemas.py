"""API schemas of the customer channels."""

from __future__ import annotations

from ninja import Field, Schema
from pydantic import ConfigDict


class StrictSchema(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)


class TicketIn(StrictSchema):
    email: str = Field(..., max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    name: str = Field("", max_length=120)
    subject: str = Field(..., min_length=1, max_length=200)
    body: str = Field(..., min_length=1, max_length=10_000)
    language: str = Field("", max_length=10)
    external_id: str = Field("", max_length=64)


class TicketOut(Schema):
    number: int
    status: str
    tracking_token: str
    tracking_url: str


class WidgetSessionIn(StrictSchema):
    visitor_token: str = Field("", max_length=2048)
    user_id: str = Field("", max_length=64)
    user_hash: str = Field("", max_length=128)
    name: str = Field("", max_length=120)
    email: str = Field("", max_length=254)
    language: str = Field("", max_length=10)


class WidgetSessionOut(Schema):
    visitor_token: str
