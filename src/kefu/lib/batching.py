"""Micro-batching for the websocket write path.

Consumers of one process hand their writes to a batcher; it passes everything that arrived
while the previous batch was being written to one call of ``flush``. Under light load every
write goes alone at once (no added wait); under heavy load writes share transactions, which is
what lets one database thread keep up. At most ``concurrency`` batches are in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class MicroBatcher(Generic[Item, Result]):
    """Collects items and writes them in batches of at most ``max_size``."""

    def __init__(
        self,
        flush: Callable[[list[Item]], Awaitable[Sequence[Result]]],
        *,
        max_size: int = 100,
        concurrency: int = 1,
    ) -> None:
        self._flush = flush
        self._max_size = max_size
        self._concurrency = concurrency
        self._pending: list[tuple[Item, asyncio.Future[Result]]] = []
        self._workers = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, item: Item) -> Result:
        """Write ``item`` with the next batch and return its result (or raise its error)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        self._pending.append((item, future))
        if self._workers < self._concurrency:
            self._workers += 1
            task = loop.create_task(self._work())
            # The loop keeps only weak references to tasks.
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _work(self) -> None:
        try:
            while self._pending:
                batch = self._pending[: self._max_size]
                del self._pending[: self._max_size]
                await self._write(batch)
        finally:
            self._workers -= 1

    async def _write(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._flush([item for item, _ in batch])
        except Exception as error:  # noqa: BLE001 - the error belongs to every waiting writer
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)
