"""Database work from async code (websocket consumers), on a pool of database threads.

Channels' default runs all of a process's database work on one thread, so a single slow
transaction (waiting on a row lock held by another process) stalls every socket of the process.
Consumers use this pool instead: ``KEFU_DATABASE_THREADS`` connections work in parallel
(PostgreSQL; SQLite has one writer, so one thread). Each call still cleans up stale connections
like ``database_sync_to_async``. Frames of one socket are handled in order, so one customer's
messages are stored in the order they were sent.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import ParamSpec, TypeVar

from channels.db import DatabaseSyncToAsync
from django.conf import settings
from django.db import connections

P = ParamSpec("P")
R = TypeVar("R")


@cache
def database_executor() -> ThreadPoolExecutor:
    """The process's pool of database threads."""
    return ThreadPoolExecutor(
        max_workers=settings.DATABASE_THREADS, thread_name_prefix="kefu-database"
    )


def in_database(function: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """Wrap a synchronous function that uses the database so async code can await it."""
    return DatabaseSyncToAsync(  # type: ignore[no-any-return]
        function, thread_sensitive=False, executor=database_executor()
    )


def close_database_threads() -> None:
    """Close every pool thread's database connection and stop the threads (tests, shutdown)."""
    if database_executor.cache_info().currsize == 0:
        return
    executor = database_executor()
    workers = settings.DATABASE_THREADS
    barrier = threading.Barrier(workers)

    def close_in_this_thread() -> None:
        # Each thread holds its own connection; make every thread close its own.
        barrier.wait(timeout=10)
        connections.close_all()

    for _ in range(workers):
        executor.submit(close_in_this_thread)
    executor.shutdown(wait=True)
    database_executor.cache_clear()
