"""Typed shapes of risk events coming in, and of the reports and screening results going out."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from ninja import Schema
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, IPvAnyAddress, JsonValue
from pydantic import StringConstraints as Text

from kefu.risk.models import EventKind

MAX_USER_AGENT_INPUT = 2000


class EventIn(BaseModel):
    """One event as the exchange sends it; anything not listed here goes in ``payload``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    event_id: Annotated[str, Text(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]
    kind: EventKind
    user_id: Annotated[str, Text(min_length=1, max_length=100)]
    occurred_at: AwareDatetime
    ip: IPvAnyAddress | None = None
    device_id: Annotated[str, Text(max_length=200)] = ""
    user_agent: Annotated[str, Text(max_length=MAX_USER_AGENT_INPUT)] = ""
    country: Annotated[str, Text(pattern=r"^[A-Z]{2}$")] | None = None
    asset: Annotated[str, Text(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9]+$")] | None = (
        None
    )
    network: Annotated[str, Text(min_length=1, max_length=40)] | None = None
    address: Annotated[str, Text(min_length=1, max_length=128)] | None = None
    amount: Annotated[Decimal, Field(gt=0, max_digits=38, decimal_places=18)] | None = None
    payload: dict[str, JsonValue] = Field(default_factory=dict)


class RejectionOut(Schema):
    index: int
    event_id: str
    code: str
    message: str


class HitOut(Schema):
    event_id: str
    list: str
    asset: str
    address: str
    label: str


class IngestReportOut(Schema):
    accepted: list[str]
    duplicates: list[str]
    rejected: list[RejectionOut]
    screening_hits: list[HitOut]
    alerts: int
    cases: list[int]


class MatchOut(Schema):
    list: str
    asset: str
    label: str
    source: str


class ScreenOut(Schema):
    address: str
    normalised: str
    asset: str
    is_listed: bool
    matches: list[MatchOut]
