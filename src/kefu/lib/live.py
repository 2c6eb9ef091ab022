"""Live updates: publish a small JSON event to channel-layer groups after the commit.

Nobody may see a change that was rolled back, so services call :func:`publish_on_commit` inside
their transaction and the event leaves only once the transaction commits. Websocket consumers
run services through :func:`collect_events`, which hands the events back to the consumer so it
can send them from its own event loop instead of blocking its database thread on the network.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

# Consumers relay events of this type to their websocket.
RELAY_TYPE = "live.event"


@dataclass(frozen=True)
class LiveEvent:
    """One event for a set of groups."""

    groups: tuple[str, ...]
    payload: dict[str, Any]

    def message(self) -> dict[str, Any]:
        """The channel-layer message that carries the payload."""
        return {"type": RELAY_TYPE, "payload": self.payload}


_collector = threading.local()


def publish_on_commit(*events: LiveEvent) -> None:
    """Send the events once the current transaction commits (all in one hand-over)."""
    batch = list(events)
    transaction.on_commit(lambda: _dispatch(batch))


def _dispatch(events: list[LiveEvent]) -> None:
    pending: list[LiveEvent] | None = getattr(_collector, "events", None)
    if pending is not None:
        pending.extend(events)
        return
    send_now(events)


def send_now(events: list[LiveEvent]) -> None:
    """Send events from synchronous code, waiting until the layer has taken them."""
    async_to_sync(send_collected)(events)


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
        message = event.message()
        for group in event.groups:
            await layer.group_send(group, message)
