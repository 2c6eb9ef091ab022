"""The Redis Stream consumer, against the real Redis of the scale-out test run."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.conf import settings

from kefu.risk.models import RiskEvent
from kefu.risk.stream import GROUP, connect, consume_once, ensure_group
from kefu.risk.tests.factories import event

pytestmark = pytest.mark.django_db


@pytest.fixture
def stream() -> Iterator[tuple[redis.Redis, str]]:
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: the stream lives in Redis (the scale-out test run)")
    client = connect(settings.REDIS_URL)
    name = f"kefu:test:risk:{uuid.uuid4().hex}"
    ensure_group(client, name)
    yield client, name
    client.delete(name, f"{name}:rejected")


def test_entries_are_stored_acknowledged_and_bad_ones_dead_lettered(
    stream: tuple[redis.Redis, str],
) -> None:
    client, name = stream
    client.xadd(name, {"event": json.dumps(event("login_succeeded", "s-1"))})
    client.xadd(name, {"event": "{not json"})
    client.xadd(name, {"event": json.dumps(event("login_failed", "s-2"))})

    report = consume_once(client, "c-1", stream=name, block_ms=100)

    assert (report.entries, report.accepted, report.rejected) == (3, 2, 1)
    assert set(RiskEvent.objects.values_list("event_id", flat=True)) == {"s-1", "s-2"}
    pending = client.xpending(name, GROUP)
    assert pending["pending"] == 0
    dead: Any = client.xrange(f"{name}:rejected")
    assert [fields[b"code"] for _entry, fields in dead] == [b"not_an_object"]


def test_an_entry_delivered_again_changes_nothing(stream: tuple[redis.Redis, str]) -> None:
    client, name = stream
    client.xadd(name, {"event": json.dumps(event("login_succeeded", "s-1"))})
    client.xadd(name, {"event": json.dumps(event("login_succeeded", "s-1"))})

    report = consume_once(client, "c-1", stream=name, block_ms=100)

    assert (report.accepted, report.duplicates) == (1, 1)
    assert RiskEvent.objects.count() == 1
    assert consume_once(client, "c-1", stream=name, block_ms=100).entries == 0
