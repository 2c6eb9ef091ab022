"""Signed requests of a webhook partner, built like a partner would build them."""

from __future__ import annotations

import json
import time
from typing import Any

from django.test import Client

from kefu.intake.channels.webhook import services
from kefu.intake.models import ChannelAccount
from kefu.lib.signing import signature_header

SECRET = "partner-secret-0123456789"


def webhook_account(
    outbound_url: str = "", *, trust_user_id: bool = False, name: str = "App chat"
) -> ChannelAccount:
    return services.connect_webhook_account(
        name=name, secret=SECRET, outbound_url=outbound_url, trust_user_id=trust_user_id
    )


def message(message_id: str = "m-1", **extra: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "message_id": message_id,
        "thread_id": "t-1",
        "sender": {"id": "user-42", "name": "Dana", "username": "dana"},
        "text": "My withdrawal is stuck",
    }
    document.update(extra)
    return document


def url_of(account: ChannelAccount) -> str:
    return f"/api/v1/channels/webhook/{account.pk}/messages"


def post_signed(
    client: Client,
    account: ChannelAccount,
    document: object,
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    body: bytes | None = None,
    header: str | None = None,
) -> Any:
    raw = body if body is not None else json.dumps(document).encode()
    signed = signature_header(secret, timestamp or int(time.time()), raw)
    return client.post(
        url_of(account),
        data=raw,
        content_type="application/json",
        headers={"X-Kefu-Signature": signed if header is None else header},
    )
