"""Assignment under concurrency, on PostgreSQL: many routers at once never hand out the same
last free slot and never exceed an agent's capacity."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from kefu.accounts.models import User
from kefu.conversations.models import Conversation
from kefu.routing import services as routing
from kefu.routing.tests.factories import customer_named, ready, ticket

pytestmark = pytest.mark.django_db(transaction=True)


def _run_at_once(work: list[int], function: object) -> list[BaseException]:
    barrier = threading.Barrier(len(work))
    errors: list[BaseException] = []

    def run(conversation_id: int) -> None:
        try:
            barrier.wait()
            function(conversation_id)  # type: ignore[operator]
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(pk,)) for pk in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are what is tested: PostgreSQL (SQLite serialises all writers)")


def test_concurrent_routing_never_exceeds_capacity(agent: User, teammate: User) -> None:
    ready(agent, tickets=3)
    ready(teammate, tickets=2)
    waiting = [ticket(customer_named(f"c{n}"), intent="deposit.not_credited").pk for n in range(16)]

    errors = _run_at_once(waiting, routing.route_conversation)

    assert errors == []
    owners = Counter(
        Conversation.objects.filter(pk__in=waiting).values_list("assignee_id", flat=True)
    )
    assert owners == {agent.pk: 3, teammate.pk: 2, None: 11}


def test_two_conversations_race_for_the_last_slot(agent: User) -> None:
    ready(agent, tickets=1)
    first, second = (
        ticket(customer_named(name), intent="deposit.not_credited").pk for name in ("a", "b")
    )
    for pk in (first, second):
        # Routed while the agent was full, both waiting for the same slot.
        routing.set_presence(agent, "away")
        routing.route_conversation(pk)
    routing.set_presence(agent, "online")  # serves one of them
    Conversation.objects.filter(assignee=agent).update(assignee=None)

    errors = _run_at_once([first, second], lambda pk: routing.assign_best_agent(pk))

    assert errors == []
    assert Conversation.objects.filter(assignee=agent).count() == 1
