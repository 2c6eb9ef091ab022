"""Calls to a webhook partner's ``outbound_url``: the one client module of the channel (tests
put a local server that speaks the contract behind the URL).

A reply is ``POST`` of JSON signed like everything Kefu sends (``X-Kefu-Signature``, see
:mod:`kefu.lib.signing`), with ``Idempotency-Key`` and ``X-Kefu-Delivery`` set to a delivery id
that stays the same on every retry, so the partner can drop a duplicate. Every call has a
timeout. ``2xx`` is success; ``5xx``, ``408``, ``429``, timeouts and connection errors are worth
retrying (:mod:`kefu.intake.outbound` backs off); any other answer is a permanent refusal.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from kefu.intake.adapters import DeliveryError
from kefu.lib.signing import HEADER, signature_header

CONNECT_TIMEOUT_SECONDS = 3.0
TIMEOUT_SECONDS = 10.0
RETRIED_STATUSES = frozenset({408, 425, 429})
MAX_ID_CHARS = 255


def post_reply(url: str, secret: str, payload: dict[str, Any], *, delivery_id: str) -> str:
    """Post one reply; returns the partner's id for it (its JSON ``{"id"}``, else
    ``delivery_id``). Raises :class:`DeliveryError` saying whether to retry."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "kefu-webhook/1",
        "Idempotency-Key": delivery_id,
        "X-Kefu-Delivery": delivery_id,
        HEADER: signature_header(secret, int(time.time()), body),
    }
    try:
        response = httpx.post(
            url,
            content=body,
            headers=headers,
            timeout=httpx.Timeout(TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS),
            follow_redirects=False,
        )
    except httpx.TimeoutException:
        raise DeliveryError("partner did not answer in time", permanent=False) from None
    except httpx.HTTPError as error:
        raise DeliveryError(
            f"partner unreachable: {type(error).__name__}", permanent=False
        ) from None
    status = response.status_code
    if status >= 500 or status in RETRIED_STATUSES:
        raise DeliveryError(f"partner answered {status}", permanent=False)
    if not 200 <= status < 300:
        raise DeliveryError(f"partner refused the reply: {status}", permanent=True)
    return _partner_id(response) or delivery_id


def _partner_id(response: httpx.Response) -> str:
    try:
        answer = response.json()
    except ValueError:
        return ""
    value = answer.get("id") if isinstance(answer, dict) else None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value[:MAX_ID_CHARS] if isinstance(value, str) else ""
