"""``GET /healthz``: can this process reach its database and its channel layer?"""

from __future__ import annotations

import asyncio
import secrets
import time

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse

CHANNEL_LAYER_TIMEOUT_SECONDS = 2.0


def _database_status() -> dict[str, object]:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:
        return {"ok": False, "error": type(error).__name__}
    return {
        "ok": True,
        "vendor": connection.vendor,
        "ms": round((time.perf_counter() - started) * 1000, 2),
    }


async def _channel_layer_status() -> dict[str, object]:
    layer = get_channel_layer()
    if layer is None:
        return {"ok": False, "error": "not configured"}
    started = time.perf_counter()
    try:
        channel = await layer.new_channel()
        token = secrets.token_hex(8)
        await layer.send(channel, {"type": "health.check", "token": token})
        message = await asyncio.wait_for(layer.receive(channel), CHANNEL_LAYER_TIMEOUT_SECONDS)
        ok = message.get("token") == token
    except Exception as error:
        return {"ok": False, "backend": type(layer).__name__, "error": type(error).__name__}
    return {
        "ok": ok,
        "backend": type(layer).__name__,
        "ms": round((time.perf_counter() - started) * 1000, 2),
    }


async def healthz(request: HttpRequest) -> JsonResponse:
    """Report database and channel-layer health; 503 when either is down."""
    database = await sync_to_async(_database_status)()
    channel_layer = await _channel_layer_status()
    ok = bool(database["ok"]) and bool(channel_layer["ok"])
    return JsonResponse(
        {
            "status": "ok" if ok else "unavailable",
            "database": database,
            "channel_layer": channel_layer,
        },
        status=200 if ok else 503,
    )
