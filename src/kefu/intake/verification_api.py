"""The public API to check whether a handle or address is an official channel."""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from kefu.intake.verification import RATE_LIMIT, VerificationResult, check_channel
from kefu.lib.ratelimit import check_rate_limit

router = Router(tags=["verification"])

Kind = Literal["telegram", "discord", "email", "phone", "website", "x"]


class VerifyQuery(Schema):
    model_config = ConfigDict(extra="forbid")

    value: str = Field(..., min_length=1, max_length=500)
    kind: Kind | None = None


class VerificationOut(Schema):
    kind: str = Field(..., description="telegram, discord, email, phone, website or x")
    value: str = Field(..., description="The value as Kefu compares it (normalised)")
    status: str = Field(..., description="official, not_official, phishing or lookalike")
    is_official: bool
    label: str = Field(..., description="The official entry it matches, or what it imitates")
    message: str = Field(..., description="The answer for people, in the request's language")


@router.get(
    "/verify",
    response=VerificationOut,
    summary="Is this Telegram, Discord or X account, email, phone number or link official?",
)
def verify(request: HttpRequest, query: Query[VerifyQuery]) -> VerificationResult:
    check_rate_limit(request, RATE_LIMIT)
    return check_channel(query.value, query.kind)
