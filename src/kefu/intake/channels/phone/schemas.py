"""API schemas of the phone channel: a call record from the telephony system."""

from __future__ import annotations

import re
from typing import Literal

from ninja import Field, Schema
from pydantic import AwareDatetime, ConfigDict, field_validator

from kefu.intake.channels.phone.services import (
    MAX_DURATION_SECONDS,
    MAX_TRANSCRIPT_CHARS,
    check_recording_url,
)
from kefu.intake.verification import normalise_phone

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class CallIn(Schema):
    """One call. ``call_id`` is the telephony system's id for it: a redelivery with the same
    id stores nothing new."""

    model_config = ConfigDict(extra="forbid", strict=True)

    call_id: str = Field(..., min_length=1, max_length=255)
    direction: Literal["inbound", "outbound"] = "inbound"
    customer_number: str = Field(..., min_length=1, max_length=40)
    agent_email: str = Field("", max_length=254)
    agent_username: str = Field("", max_length=150)
    # Strict mode refuses the ISO string JSON carries; it is parsed (and must have an offset).
    started_at: AwareDatetime = Field(..., strict=False)
    duration_seconds: int = Field(0, ge=0, le=MAX_DURATION_SECONDS)
    recording_url: str = Field("", max_length=500)
    transcript: str = Field("", max_length=MAX_TRANSCRIPT_CHARS)
    user_id: str = Field("", max_length=64, description="The exchange's user id, if known")

    @field_validator("call_id")
    @classmethod
    def _call_id(cls, value: str) -> str:
        value = _CONTROL.sub("", value).strip()
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("customer_number")
    @classmethod
    def _number(cls, value: str) -> str:
        return normalise_phone(value)

    @field_validator("recording_url")
    @classmethod
    def _recording(cls, value: str) -> str:
        return check_recording_url(value)

    @field_validator("transcript")
    @classmethod
    def _transcript(cls, value: str) -> str:
        return _CONTROL.sub("", value).strip()


class CallOut(Schema):
    call: int
    conversation: int
    created: bool
