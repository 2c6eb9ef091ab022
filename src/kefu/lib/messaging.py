"""SMS and push messages to customers, through the exchange's messaging gateway: the one client
module for them (tests put a local server that speaks the same protocol behind the URLs).

The gateway knows each customer's verified phone number and app devices, so Kefu sends only
the exchange's user id and the text: no phone numbers or device tokens are kept here. A request
is ``POST`` of JSON (``{"user_id", "text"}`` for SMS, ``{"user_id", "title", "text"}`` for push)
signed like the back-office contract: ``X-Kefu-Signature: t=<unix>,v1=<hex HMAC-SHA256 of
"t." + body>`` with ``KEFU_MESSAGING_SECRET``; the answer is ``2xx`` with ``{"id": "..."}``.
Every call has a timeout, and a failure says whether it is worth retrying.
"""

from __future__ import annotations

import json
import time

import httpx
from django.conf import settings

from kefu.lib.signing import HEADER, signature_header

MAX_SMS_CHARS = 300
MAX_PUSH_TITLE_CHARS = 80
MAX_PUSH_CHARS = 500


class MessagingError(Exception):
    """The gateway did not take the message; ``permanent`` when sending again cannot help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def sms_configured() -> bool:
    return bool(settings.SMS_URL and settings.MESSAGING_SECRET)


def push_configured() -> bool:
    return bool(settings.PUSH_URL and settings.MESSAGING_SECRET)


def send_sms(user_id: str, text: str) -> str:
    """Send an SMS to the customer's verified phone; returns the gateway's message id."""
    return _post(settings.SMS_URL, {"user_id": user_id, "text": text[:MAX_SMS_CHARS]})


def send_push(user_id: str, title: str, text: str) -> str:
    """Send a push message to the customer's app; returns the gateway's message id."""
    return _post(
        settings.PUSH_URL,
        {
            "user_id": user_id,
            "title": title[:MAX_PUSH_TITLE_CHARS],
            "text": text[:MAX_PUSH_CHARS],
        },
    )


def _post(url: str, payload: dict[str, str]) -> str:
    if not url or not settings.MESSAGING_SECRET:
        raise MessagingError("no messaging gateway is configured", permanent=True)
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        HEADER: signature_header(settings.MESSAGING_SECRET, int(time.time()), body),
        "User-Agent": "kefu-messaging/1",
    }
    try:
        response = httpx.post(
            url,
            content=body,
            headers=headers,
            timeout=httpx.Timeout(settings.MESSAGING_TIMEOUT, connect=2.0),
            follow_redirects=False,
        )
    except httpx.HTTPError as error:
        raise MessagingError(
            f"gateway unreachable: {type(error).__name__}", permanent=False
        ) from None
    if response.status_code >= 500:
        raise MessagingError(f"gateway error {response.status_code}", permanent=False)
    if not 200 <= response.status_code < 300:
        raise MessagingError(f"gateway refused: {response.status_code}", permanent=True)
    try:
        answer = response.json()
    except ValueError:
        raise MessagingError("gateway answer is not JSON", permanent=False) from None
    message_id = answer.get("id") if isinstance(answer, dict) else None
    if not isinstance(message_id, str) or not message_id or len(message_id) > 100:
        raise MessagingError("gateway answer has no message id", permanent=False)
    return message_id
