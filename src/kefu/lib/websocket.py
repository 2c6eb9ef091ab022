"""Websocket handshakes only from pages of this site.

Browsers send cookies with websocket handshakes, so a console socket opened by another site's
page would act as the signed-in agent. A handshake is accepted only when its Origin is this
very host (the Host header) and that host is one Django accepts (``ALLOWED_HOSTS``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import validate_host


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


def is_same_origin(scope: dict[str, Any]) -> bool:
    """Whether the handshake's Origin names the host it was sent to, an allowed host."""
    origin, host = _header(scope, b"origin"), _header(scope, b"host")
    if not origin or not host:
        return False
    parsed = urlsplit(origin)
    if parsed.scheme not in ("http", "https") or parsed.netloc.lower() != host.lower():
        return False
    return validate_host(parsed.hostname or "", settings.ALLOWED_HOSTS)


class SameOriginValidator:
    """ASGI middleware: refuse websocket handshakes from other origins."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not is_same_origin(scope):
            denier = WebsocketDenier()
            return await denier(scope, receive, send)
        return await self.application(scope, receive, send)
