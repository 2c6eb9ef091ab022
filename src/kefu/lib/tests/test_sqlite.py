"""The embedded SQLite engine: concurrent writers queue instead of failing or starving."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from kefu.accounts.models import AuditLogEntry
from kefu.lib.sqlite.base import _writer

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded engine is SQLite's"),
]


def write_rows(count: int, label: str, errors: list[BaseException]) -> None:
    try:
        for number in range(count):
            with transaction.atomic():
                AuditLogEntry.objects.create(actor_label=label, action=f"bench.{number}")
    except BaseException as error:  # noqa: BLE001 - collected for the main thread's assertion
        errors.append(error)
    finally:
        connections.close_all()


def test_concurrent_write_transactions_all_succeed() -> None:
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=write_rows, args=(25, f"writer-{n}", errors)) for n in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert AuditLogEntry.objects.filter(actor_label__startswith="writer-").count() == 150
    assert not _writer.locked()


def test_a_failed_transaction_gives_the_turn_back() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        AuditLogEntry.objects.create(actor_label="rolled back", action="x")
        raise RuntimeError("boom")
    assert not _writer.locked()
    errors: list[BaseException] = []
    other = threading.Thread(target=write_rows, args=(1, "after", errors))
    other.start()
    other.join(timeout=10)
    assert errors == []
    assert list(AuditLogEntry.objects.values_list("actor_label", flat=True)) == ["after"]
