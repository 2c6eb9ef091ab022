"""Reading requests from outside safely: the raw body of a webhook, size-checked."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest

from kefu.lib.errors import KefuError


def limited_body(request: HttpRequest, limit: int, too_large: KefuError) -> bytes:
    """The raw body of ``request`` when it has at most ``limit`` bytes; raises ``too_large``
    otherwise: on the declared Content-Length before anything is read, then on what came."""
    declared = request.headers.get("Content-Length", "0")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    try:
        body = request.body
    except RequestDataTooBig:
        raise too_large from None
    if len(body) > limit:
        raise too_large
    return body
