"""The HMAC signature Kefu uses on webhooks it receives and sends (risk events and channel
messages in, SMS, push and channel replies out): ``X-Kefu-Signature: t=<unix seconds>,v1=<hex>``
where ``v1`` is HMAC-SHA256 with the shared secret over ``f"{t}."`` followed by the raw body.

A signature older or newer than five minutes is refused, so a captured request cannot be
replayed later. Several ``v1`` values may be sent while a secret is being rotated.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

HEADER = "X-Kefu-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``body`` signed at ``timestamp``."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The value of the signature header for ``body``."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def is_valid_signature(
    secrets: str | Iterable[str],
    header: str,
    body: bytes,
    *,
    now: float,
    tolerance_seconds: int = TOLERANCE_SECONDS,
) -> bool:
    """Whether the signature header of ``body`` is well formed, within the tolerance of
    ``now`` and matches one of its ``v1`` values under one of ``secrets`` (the current secret
    and, while it is rotated, the previous one). Empty secrets never match."""
    keys = [secrets] if isinstance(secrets, str) else list(secrets)
    keys = [key for key in keys if key]
    timestamp: int | None = None
    given: list[str] = []
    for part in header.split(","):
        key, _equals, value = part.strip().partition("=")
        if key == "t" and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == "v1" and value and len(given) < 8:
            given.append(value)
    if not keys or timestamp is None or not given:
        return False
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = [signature(key, timestamp, body).encode() for key in keys]
    return any(
        hmac.compare_digest(wanted, value.encode("utf-8", "replace"))
        for wanted in expected
        for value in given
    )
