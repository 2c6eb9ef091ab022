"""Messages written from websockets: batched per process and event loop.

Each process batches what its sockets write (see ``kefu.lib.batching``) and stores each batch
with one call of ``services.post_messages`` on a database thread, then sends the batch's live
updates from the event loop.
"""

from __future__ import annotations

import asyncio

from django.conf import settings

from kefu.conversations import services
from kefu.lib.batching import MicroBatcher
from kefu.lib.database import in_database
from kefu.lib.errors import KefuError
from kefu.lib.live import LiveEvent, collect_events, send_collected

Outcome = services.PostedMessage | KefuError
_batchers: dict[asyncio.AbstractEventLoop, MicroBatcher[services.NewMessage, Outcome]] = {}


async def write_message(item: services.NewMessage) -> services.PostedMessage:
    """Store one message with the next batch; raise the KefuError that refused it."""
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        # One batch in flight per process: batches commit in the order their messages came,
        # so one socket's messages are stored in the order it sent them.
        batcher = MicroBatcher(_flush, max_size=settings.CHAT_WRITE_BATCH, concurrency=1)
        _batchers[loop] = batcher
    outcome = await batcher.submit(item)
    if isinstance(outcome, KefuError):
        raise outcome
    return outcome


async def _flush(items: list[services.NewMessage]) -> list[Outcome]:
    outcomes, collected = await in_database(_store)(items)
    await send_collected(collected)
    return outcomes


def _store(items: list[services.NewMessage]) -> tuple[list[Outcome], list[LiveEvent]]:
    with collect_events() as collected:
        outcomes = services.post_messages(items)
    return outcomes, list(collected)
