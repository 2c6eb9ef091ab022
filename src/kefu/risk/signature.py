"""The HMAC signature of ingested event batches.

The exchange sends ``X-Kefu-Signature: t=<unix seconds>,v1=<hex>`` where ``v1`` is
HMAC-SHA256 with the shared secret over ``f"{t}."`` followed by the raw request body. A
signature older or newer than five minutes is refused, so a captured request cannot be
replayed later. Several ``v1`` values may be sent while a secret is being rotated.
"""

from __future__ import annotations

import hmac

from kefu.lib.signing import HEADER, signature, signature_header
from kefu.risk.errors import SignatureInvalid

__all__ = ["HEADER", "signature", "signature_header", "verify_signature"]
TOLERANCE_SECONDS = 300


def verify_signature(secret: str, header: str, body: bytes, *, now: float) -> None:
    """Check the signature header of ``body``; raises :class:`SignatureInvalid` when it is
    missing, malformed, outside the tolerance or matches none of the given ``v1`` values."""
    timestamp: int | None = None
    given: list[str] = []
    for part in header.split(","):
        key, _equals, value = part.strip().partition("=")
        if key == "t" and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == "v1" and value:
            given.append(value)
    if timestamp is None or not given:
        raise SignatureInvalid()
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise SignatureInvalid()
    expected = signature(secret, timestamp, body)
    if not any(hmac.compare_digest(expected.encode(), value.encode()) for value in given):
        raise SignatureInvalid()
