"""``GET /healthz``: can this process reach its database and its channel layer?"""

from __future__ import annotations

import asyncio
import time

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse

CHANNEL_LAYER_TIMEOUT_SECONDS = 2.0
HEALTH_GROUP = "kefu.health"


def _database_status() -> dict[str, object]:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return {"ok": False, "error": type(error).__name__}
    return {
        "ok": True,
        "vendor": connection.vendor,
        "ms": round((time.perf_counter() - started) * 1000, 2),
    }


async def _channel_layer_status() -> dict[str, object]:
    """Publish to a group nobody listens to: the layer (Redis) must accept it in time."""
    layer = get_channel_layer()
    if layer is None:
        return {"ok": False, "error": "not configured"}
    started = time.perf_counter()
    try:
        await asyncio.wait_for(
            layer.group_send(HEALTH_GROUP, {"type": "health.check"}),
            CHANNEL_LAYER_TIMEOUT_SECONDS,
        )
    except Exception as error:  # noqa: BLE001 - any failure means "down", reported as such
        return {"ok": False, "backend": type(layer).__name__, "error": type(error).__name__}
    return {
        "ok": True,
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
