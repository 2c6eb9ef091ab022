"""Presence: set in the console, and dropped when the agent's last console goes away."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from kefu.accounts.models import User
from kefu.conversations.tests.test_consumers import receive_until, staff_socket
from kefu.routing import services as routing
from kefu.routing.models import AgentProfile, ConsoleConnection, Presence

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def presence_of(user: User) -> str:
    def read() -> str:
        return str(AgentProfile.objects.get(user=user).presence)

    presence: str = await database_sync_to_async(read)()
    return presence


async def connections_of(user: User) -> int:
    def count() -> int:
        return int(ConsoleConnection.objects.filter(user=user).count())

    total: int = await database_sync_to_async(count)()
    return total


async def test_closing_the_last_console_drops_presence_after_the_grace(agent: User) -> None:
    await database_sync_to_async(routing.set_presence)(agent, Presence.ONLINE)
    first = await staff_socket(agent)
    second = await staff_socket(agent)
    assert (await first.connect())[0] and (await second.connect())[0]
    await receive_until(first, "ready")
    await receive_until(second, "ready")
    assert await connections_of(agent) == 2

    await first.send_json_to({"type": "ping"})
    assert await receive_until(first, "pong") == {"type": "pong"}
    await first.disconnect()
    await database_sync_to_async(routing.drop_absent_agents)(timezone.now() + timedelta(minutes=1))
    assert await presence_of(agent) == Presence.ONLINE  # another console is still open

    await second.disconnect()
    assert await connections_of(agent) == 0
    await database_sync_to_async(routing.drop_absent_agents)(timezone.now())
    assert await presence_of(agent) == Presence.ONLINE  # moving between pages
    gone = await database_sync_to_async(routing.drop_absent_agents)(
        timezone.now() + timedelta(minutes=1)
    )
    assert gone == 1
    assert await presence_of(agent) == Presence.OFFLINE


async def test_a_console_whose_server_died_stops_counting(agent: User) -> None:
    await database_sync_to_async(routing.set_presence)(agent, Presence.ONLINE)
    console = await staff_socket(agent)
    assert (await console.connect())[0]
    await receive_until(console, "ready")

    # No ping for longer than the timeout: as if its server process had died.
    await database_sync_to_async(routing.drop_absent_agents)(timezone.now() + timedelta(minutes=5))

    assert await connections_of(agent) == 0
    assert await presence_of(agent) == Presence.OFFLINE
    await console.disconnect()


async def test_presence_changes_reach_the_agent_s_consoles(agent: User) -> None:
    console = await staff_socket(agent)
    assert (await console.connect())[0]
    await receive_until(console, "ready")

    await database_sync_to_async(routing.set_presence)(agent, Presence.AWAY)

    event = await receive_until(console, "presence.changed")
    assert event == {"type": "presence.changed", "user": agent.pk, "presence": "away"}
    await console.disconnect()
