"""The HMAC signature Kefu uses on webhooks it receives and sends (risk events in, SMS and push
out): ``X-Kefu-Signature: t=<unix seconds>,v1=<hex>`` where ``v1`` is HMAC-SHA256 with the
shared secret over ``f"{t}."`` followed by the raw body."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Kefu-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``body`` signed at ``timestamp``."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The value of the signature header for ``body``."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"
