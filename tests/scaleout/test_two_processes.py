"""A customer on one server process and an agent on another talk live, through PostgreSQL and
Redis: nothing that matters lives in one process."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets
from websockets.typing import Origin

from tests.servers import console_session_cookie, fresh_database, kefu_servers, require_scaleout

pytestmark = pytest.mark.scaleout
TIMEOUT = 10.0


async def next_of(socket: Any, kind: str, author_type: str = "") -> dict[str, Any]:
    """The next event of ``kind`` (for messages, by ``author_type``), skipping the rest."""
    while True:
        event: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), TIMEOUT))
        if event["type"] != kind:
            continue
        if author_type and event["message"]["author_type"] != author_type:
            continue
        return event


def test_customer_on_one_process_agent_on_another() -> None:
    database_url, redis_url = require_scaleout()
    with (
        fresh_database(database_url) as database,
        kefu_servers(2, database_url=database, redis_url=redis_url) as (first, second),
    ):
        cookie = console_session_cookie(second.url, "tom")
        token = httpx.post(
            first.url + "/api/v1/widget/session", json={"language": "en"}, timeout=TIMEOUT
        ).json()["visitor_token"]
        asyncio.run(_talk(first.url, second.url, token, cookie))


async def _talk(customer_base: str, agent_base: str, token: str, cookie: str) -> None:
    customer_ws = customer_base.replace("http", "ws") + f"/ws/customer/?visitor={token}"
    agent_ws = agent_base.replace("http", "ws") + "/ws/console/?inbox=1"
    async with (
        websockets.connect(customer_ws, origin=Origin(customer_base)) as customer,
        websockets.connect(
            agent_ws,
            origin=Origin(agent_base),
            additional_headers={"Cookie": f"sessionid={cookie}"},
        ) as agent,
    ):
        await next_of(customer, "history")
        await next_of(agent, "ready")
        await customer.send(
            json.dumps({"type": "message", "body": "Withdrawal stuck, help", "client_id": "c1"})
        )
        conversation_id = (await next_of(customer, "conversation"))["conversation"]["id"]
        # The agent's inbox on the other process hears of the new conversation.
        changed = await next_of(agent, "inbox.changed")
        assert changed["conversation"]["id"] == conversation_id
        await agent.send(json.dumps({"type": "subscribe", "conversation": conversation_id}))
        await next_of(agent, "subscribed")
        await agent.send(
            json.dumps(
                {
                    "type": "reply",
                    "conversation": conversation_id,
                    "body": "Looking into it now",
                    "client_id": "a1",
                }
            )
        )
        reply = await next_of(customer, "message", author_type="agent")
        assert reply["message"]["body"] == "Looking into it now"
        assert reply["message"]["author_name"] == "Tom Walker"
        await customer.send(
            json.dumps({"type": "message", "body": "txid 0xabc", "client_id": "c2"})
        )
        heard = await next_of(agent, "message", author_type="customer")
        assert heard["message"]["body"] == "txid 0xabc"
        assert heard["message"]["conversation"] == conversation_id
