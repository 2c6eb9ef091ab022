"""The event stream consumer: at scale the exchange appends events to a Redis Stream instead of
calling the API once per event, and ``kefu risk consume`` reads them in batches.

Each stream entry has one field, ``event``, holding one event as JSON (the API's format). A
consumer group spreads entries over any number of consumers; an entry is acknowledged only
after its batch was stored (ingestion is idempotent on event id, so an entry delivered again
after a crash changes nothing), and entries a dead consumer left pending are claimed after
``CLAIM_IDLE_MS``. Rejected events are copied, with the reason, to a ``<stream>:rejected``
stream for the exchange to look at, and acknowledged.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

import redis

from kefu.risk.models import EventSource
from kefu.risk.services import MAX_BATCH_EVENTS, IngestReport, ingest_events

logger = logging.getLogger(__name__)

STREAM = "kefu:risk:events"
GROUP = "kefu-risk"
BATCH = 500
BLOCK_MS = 2000
CLAIM_IDLE_MS = 60_000
MAX_ENTRY_BYTES = 64 * 1024


@dataclass
class ConsumeReport:
    entries: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)


def ensure_group(client: redis.Redis, stream: str = STREAM) -> None:
    """Create the consumer group (and the stream) unless they exist."""
    try:
        client.xgroup_create(stream, GROUP, id="0", mkstream=True)
    except redis.ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise


def consume_once(
    client: redis.Redis, consumer: str, *, stream: str = STREAM, block_ms: int = BLOCK_MS
) -> ConsumeReport:
    """Read, store and acknowledge one batch: first entries other consumers left pending too
    long, then new ones. Returns what it did."""
    entries = _claim_stale(client, consumer, stream)
    if not entries:
        answer: Any = client.xreadgroup(
            GROUP, consumer, {stream: ">"}, count=min(BATCH, MAX_BATCH_EVENTS), block=block_ms
        )
        entries = answer[0][1] if answer else []
    report = ConsumeReport(entries=len(entries))
    if not entries:
        return report
    ids = [entry_id for entry_id, _fields in entries]
    events = [_event_of(fields) for _entry_id, fields in entries]
    result = ingest_events(events, source=EventSource.STREAM)
    _dead_letters(client, stream, ids, events, result)
    client.xack(stream, GROUP, *ids)
    report.accepted = len(result.accepted)
    report.duplicates = len(result.duplicates)
    report.rejected = len(result.rejected)
    return report


def _claim_stale(client: redis.Redis, consumer: str, stream: str) -> list[Any]:
    answer: Any = client.xautoclaim(
        stream, GROUP, consumer, min_idle_time=CLAIM_IDLE_MS, start_id="0-0", count=BATCH
    )
    return list(answer[1]) if answer and len(answer) > 1 else []


def _event_of(fields: dict[bytes, bytes]) -> object:
    raw = fields.get(b"event", b"")
    if len(raw) > MAX_ENTRY_BYTES:
        return None  # rejected as "not an object", with its place in the batch
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def _dead_letters(
    client: redis.Redis,
    stream: str,
    ids: list[bytes],
    events: list[object],
    result: IngestReport,
) -> None:
    for rejection in result.rejected:
        client.xadd(
            f"{stream}:rejected",
            {
                "entry": ids[rejection.index],
                "code": str(rejection.code),
                "message": rejection.message,
                "event": json.dumps(events[rejection.index], default=str)[:MAX_ENTRY_BYTES],
            },
            maxlen=100_000,
            approximate=True,
        )


def consume_forever(
    client: redis.Redis, consumer: str, stop: threading.Event, *, stream: str = STREAM
) -> None:
    """Consume until ``stop`` is set; a failing batch is retried (its entries stay pending)."""
    ensure_group(client, stream)
    while not stop.is_set():
        try:
            consume_once(client, consumer, stream=stream)
        except (redis.RedisError, OSError):
            logger.exception("reading the risk event stream failed; retrying")
            stop.wait(2)
