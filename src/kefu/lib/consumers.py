"""The base of Kefu's websocket consumers: JSON frames, size limits, errors, live relays."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Coroutine
from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _

MAX_FRAME_CHARS = 20_000
logger = logging.getLogger(__name__)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("websocket background work failed", exc_info=task.exception())


class JsonConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """A JSON websocket consumer that relays ``live.event`` messages to its client.

    Frames that are not JSON objects of reasonable size get an ``invalid_input`` error back
    instead of closing the socket.
    """

    def in_background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` without holding up this socket's next frame (writes in flight).

        Tasks started in order begin in order, so writes handed to one batcher keep the order
        the client sent them in.
        """
        tasks: set[asyncio.Task[None]] = self.__dict__.setdefault("_background", set())
        task = asyncio.get_running_loop().create_task(work)
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        task.add_done_callback(_log_failure)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every handler, which costs a hop
        # to the database thread for each frame and each relayed event. Every database call
        # here goes through database_sync_to_async, which does that cleanup itself.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None or len(text_data) > MAX_FRAME_CHARS:
            await self.send_error("invalid_input", _("Messages must be text of reasonable size."))
            return
        await super().receive(text_data=text_data)

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        try:
            return json.loads(text_data)
        except ValueError:
            return None

    async def live_event(self, event: dict[str, Any]) -> None:
        """Relay a live update (see ``kefu.lib.live``) to the client as it is."""
        await self.send_json(event["payload"])

    async def send_error(self, code: str, message: str, **extra: Any) -> None:
        await self.send_json({"type": "error", "code": code, "message": message, **extra})
