"""Signed call records, built like a telephony system would build them."""

from __future__ import annotations

import json
import time
from typing import Any

from django.test import Client

from kefu.intake.channels.phone import services
from kefu.intake.models import ChannelAccount
from kefu.lib.signing import signature_header

SECRET = "telephony-secret-0123456789"


def phone_account(*, trust_user_id: bool = False, reuse_days: int = 7) -> ChannelAccount:
    return services.connect_phone_account(
        name="Call centre", secret=SECRET, trust_user_id=trust_user_id, reuse_days=reuse_days
    )


def call(call_id: str = "call-1", **extra: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "call_id": call_id,
        "direction": "inbound",
        "customer_number": "+86 138-0013-8000",
        "started_at": "2026-01-05T09:30:00+08:00",
        "duration_seconds": 312,
    }
    document.update(extra)
    return document


def url_of(account: ChannelAccount) -> str:
    return f"/api/v1/channels/phone/{account.pk}/calls"


def post_call(
    client: Client,
    account: ChannelAccount,
    document: dict[str, Any] | bytes,
    *,
    secret: str = SECRET,
    signature: str | None = None,
) -> Any:
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    header = (
        signature if signature is not None else signature_header(secret, int(time.time()), body)
    )
    return client.post(
        url_of(account), body, content_type="application/json", HTTP_X_KEFU_SIGNATURE=header
    )
