"""Live updates: publish a small JSON event to channel-layer groups after the commit.

Nobody may see a change that was rolled back, so services call :func:`publish_on_commit` inside
their transaction and the event leaves only once the transaction commits. Websocket consumers
run services through :func:`collect_events`, which hands the events back to the consumer so it
can send them from its own event loop instead of blocking its database thread on the network.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

# Consumers relay events of this type to their websocket.
RELAY_TYPE = "live.event"


@dataclass(frozen=True)
class LiveEvent:
    """One event for a set of groups.

    Events with a ``coalesce_key`` are hints that something changed (an inbox should refresh):
    each process sends at most one per key every ``COALESCE_SECONDS``, the latest one last.
    """

    groups: tuple[str, ...]
    payload: dict[str, Any]
    coalesce_key: str = ""

    def message(self) -> dict[str, Any]:
        """The channel-layer message that carries the payload."""
        return {"type": RELAY_TYPE, "payload": self.payload}


_collector = threading.local()


def publish_on_commit(*events: LiveEvent) -> None:
    """Send the events once the current transaction commits (all in one hand-over)."""
    batch = list(events)
    transaction.on_commit(lambda: _dispatch(batch))


_sink: Callable[[list[LiveEvent]], None] | None = None


def send_through(sink: Callable[[list[LiveEvent]], None] | None) -> None:
    """Hand every committed event of this process to ``sink`` instead of the channel layer.
    The analysis worker of the embedded mode, a child process, sends its events through its
    parent this way, since an in-memory channel layer does not reach across processes."""
    global _sink
    _sink = sink


def event_line(event: LiveEvent) -> str:
    """One event as a line of JSON (to a parent process)."""
    return json.dumps(
        {"groups": event.groups, "payload": event.payload, "coalesce_key": event.coalesce_key},
        separators=(",", ":"),
    )


def event_from_line(line: str) -> LiveEvent | None:
    """The event of a line written by ``event_line``; None for anything else."""
    try:
        data = json.loads(line)
        return LiveEvent(tuple(data["groups"]), dict(data["payload"]), str(data["coalesce_key"]))
    except (ValueError, KeyError, TypeError):
        return None


def _dispatch(events: list[LiveEvent]) -> None:
    if _sink is not None:
        _sink(events)
        return
    pending: list[LiveEvent] | None = getattr(_collector, "events", None)
    if pending is not None:
        pending.extend(events)
        return
    send_now(events)


def send_now(events: list[LiveEvent]) -> None:
    """Send events from synchronous code.

    In a thread of the ASGI server's process (requests, the embedded task worker) the events
    are handed to the server's event loop without waiting for them to leave (nobody needs to
    wait on the network); anywhere else (management commands, tests, worker processes) they
    are sent before this returns.
    """
    loop = _server_loop()
    if loop is None:
        async_to_sync(send_collected)(events)
        return
    future = asyncio.run_coroutine_threadsafe(send_collected(events), loop)
    future.add_done_callback(_log_failure)


_served_by: asyncio.AbstractEventLoop | None = None


def remember_server_loop() -> None:
    """Called by the ASGI application on the server's event loop: threads that were not called
    from it (the embedded task worker) hand their events to it too, since the in-memory
    channel layer may only be used from its own loop."""
    global _served_by
    if _served_by is None or _served_by.is_closed():
        _served_by = asyncio.get_running_loop()


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The server's running event loop, when this thread is not running it; else None."""
    threadlocal = SyncToAsync.threadlocal
    loop: asyncio.AbstractEventLoop | None = None
    if getattr(threadlocal, "main_event_loop_pid", None) == os.getpid():
        loop = getattr(threadlocal, "main_event_loop", None)
    if loop is None:
        loop = _served_by
    if loop is None or loop.is_closed() or not loop.is_running():
        return None
    try:
        if asyncio.get_running_loop() is loop:
            return None
    except RuntimeError:
        pass
    return loop


def _log_failure(future: concurrent.futures.Future[None]) -> None:
    error = future.exception()
    if error is not None:
        logger.error("live update not sent", exc_info=error)


@contextmanager
def collect_events() -> Iterator[list[LiveEvent]]:
    """Collect the events committed inside the block instead of sending them.

    The caller must send what it collected (``send_collected``), from async code.
    """
    previous = getattr(_collector, "events", None)
    events: list[LiveEvent] = []
    _collector.events = events
    try:
        yield events
    finally:
        _collector.events = previous


async def send_collected(events: Iterable[LiveEvent]) -> None:
    """Send collected events from async code."""
    layer = get_channel_layer()
    if layer is None:
        return
    for event in events:
        if event.coalesce_key and _coalesce(event):
            continue
        await _send(layer, event)


async def _send(layer: Any, event: LiveEvent) -> None:
    message = event.message()
    for group in event.groups:
        await layer.group_send(group, message)


COALESCE_SECONDS = 1.0
# Per event loop: key -> when one was last sent, and the latest event held back since.
_sent_at: dict[asyncio.AbstractEventLoop, dict[str, float]] = {}
_held: dict[asyncio.AbstractEventLoop, dict[str, LiveEvent]] = {}


def _coalesce(event: LiveEvent) -> bool:
    """Hold ``event`` back if one with its key went out less than COALESCE_SECONDS ago.

    The held event is sent when the interval ends, so the last change is never lost.
    """
    loop = asyncio.get_running_loop()
    sent_at = _sent_at.setdefault(loop, {})
    held = _held.setdefault(loop, {})
    now = loop.time()
    last = sent_at.get(event.coalesce_key)
    if last is None or now - last >= COALESCE_SECONDS:
        sent_at[event.coalesce_key] = now
        return False
    if event.coalesce_key not in held:
        loop.call_at(last + COALESCE_SECONDS, _release, loop, event.coalesce_key)
    held[event.coalesce_key] = event
    return True


def _release(loop: asyncio.AbstractEventLoop, key: str) -> None:
    event = _held.get(loop, {}).pop(key, None)
    _sent_at.get(loop, {}).pop(key, None)
    layer = get_channel_layer()
    if event is not None and layer is not None:
        _sent_at[loop][key] = loop.time()
        task = loop.create_task(_send(layer, event))
        _releases.add(task)
        task.add_done_callback(_releases.discard)


_releases: set[asyncio.Task[None]] = set()
