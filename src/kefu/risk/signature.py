"""The HMAC signature of ingested event batches.

The exchange sends ``X-Kefu-Signature: t=<unix seconds>,v1=<hex>`` where ``v1`` is
HMAC-SHA256 with the shared secret over ``f"{t}."`` followed by the raw request body. A
signature older or newer than five minutes is refused, so a captured request cannot be
replayed later. Several ``v1`` values may be sent while a secret is being rotated. The scheme
itself is :mod:`kefu.lib.signing`.
"""

from __future__ import annotations

from kefu.lib.signing import (
    HEADER,
    TOLERANCE_SECONDS,
    is_valid_signature,
    signature,
    signature_header,
)
from kefu.risk.errors import SignatureInvalid

__all__ = ["HEADER", "TOLERANCE_SECONDS", "signature", "signature_header", "verify_signature"]


def verify_signature(secret: str, header: str, body: bytes, *, now: float) -> None:
    """Check the signature header of ``body``; raises :class:`SignatureInvalid` when it is
    missing, malformed, outside the tolerance or matches none of the given ``v1`` values."""
    if not is_valid_signature(secret, header, body, now=now):
        raise SignatureInvalid()
