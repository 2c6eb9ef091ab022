"""Live updates sent from threads the server's event loop did not call (the embedded worker)."""

from __future__ import annotations

import asyncio
import threading

from channels.layers import get_channel_layer

from kefu.lib.live import LiveEvent, remember_server_loop, send_now


async def test_events_from_a_worker_thread_reach_the_server_loop() -> None:
    remember_server_loop()
    layer = get_channel_layer()
    assert layer is not None
    channel = await layer.new_channel()
    await layer.group_add("worker-test", channel)
    thread = threading.Thread(
        target=send_now, args=([LiveEvent(("worker-test",), {"type": "hello", "n": 1})],)
    )
    thread.start()
    message = await asyncio.wait_for(layer.receive(channel), timeout=5)
    thread.join()
    assert message["payload"] == {"type": "hello", "n": 1}
