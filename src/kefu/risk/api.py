"""REST endpoints of risk: signed event ingestion for the exchange, and address screening
for staff."""

from __future__ import annotations

import json
import time

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from kefu.conversations.api import StaffToken, staff
from kefu.lib.http import limited_body
from kefu.risk import services
from kefu.risk.errors import BatchInvalid, BatchTooLarge, IngestionDisabled
from kefu.risk.models import EventSource
from kefu.risk.schemas import IngestReportOut, ScreenOut
from kefu.risk.screening import ScreenResult, screen_address
from kefu.risk.signature import HEADER, verify_signature

ingestion_router = Router(tags=["risk"])
staff_router = Router(tags=["staff"], auth=StaffToken())


@ingestion_router.post(
    "/risk/events",
    response=IngestReportOut,
    summary="Send a batch of account and money events (signed with X-Kefu-Signature)",
)
def ingest(request: HttpRequest) -> services.IngestReport:
    secret: str = settings.RISK_SECRET
    if not secret:
        raise IngestionDisabled()
    too_large = BatchTooLarge(
        _("Send at most %(bytes)d bytes in one batch.") % {"bytes": services.MAX_BATCH_BYTES}
    )
    body = limited_body(request, services.MAX_BATCH_BYTES, too_large)
    verify_signature(secret, request.headers.get(HEADER, ""), body, now=time.time())
    return services.ingest_events(_events_of(body), source=EventSource.API)


def _events_of(body: bytes) -> list[object]:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise BatchInvalid() from None
    events = document.get("events") if isinstance(document, dict) else None
    if not isinstance(events, list):
        raise BatchInvalid()
    return events


@staff_router.get(
    "/risk/screen", response=ScreenOut, summary="Is an address on a sanctions or scam list?"
)
def screen(request: HttpRequest, address: str, asset: str = "") -> ScreenResult:
    staff(request)
    return screen_address(address, asset)
