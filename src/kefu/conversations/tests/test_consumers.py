"""The real ASGI application over websockets: customer widget <-> staff console."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing.websocket import WebsocketCommunicator
from django.conf import settings
from django.test import override_settings

from conftest import console_client
from kefu.accounts.models import User
from kefu.asgi import application
from kefu.conversations.models import Conversation, Message
from kefu.intake.channels.widget.identity import open_widget_session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
ORIGIN = (b"origin", b"http://testserver")
HOST = (b"host", b"testserver")


async def customer_socket(query: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(
        application, f"/ws/customer/?{query}", headers=[HOST, ORIGIN]
    )
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def staff_socket(
    user: User, *, two_factor: bool = True, inbox: bool = False
) -> WebsocketCommunicator:
    def session_cookie() -> str:
        client = console_client(user)
        if not two_factor:
            session = client.session
            session.flush()
            client.force_login(user)
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    cookie = await database_sync_to_async(session_cookie)()
    return WebsocketCommunicator(
        application,
        "/ws/console/?inbox=1" if inbox else "/ws/console/",
        headers=[HOST, ORIGIN, (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode())],
    )


async def receive_until(communicator: WebsocketCommunicator, kind: str) -> dict[str, Any]:
    """The next event of ``kind``, skipping others (inbox refreshes, acks)."""
    for _ in range(20):
        event: dict[str, Any] = await communicator.receive_json_from(timeout=5)
        if event["type"] == kind:
            return event
    raise AssertionError(f"no {kind} event")


async def test_customer_and_agent_talk_live(agent: User) -> None:
    token = await database_sync_to_async(open_widget_session)(language="zh")
    customer = await customer_socket(f"visitor={token}")
    history = await customer.receive_json_from()
    assert history == {"type": "history", "conversation": None, "messages": []}

    console = await staff_socket(agent)
    connected, _ = await console.connect()
    assert connected
    assert await console.receive_json_from() == {"type": "ready"}
    # The new chat lands in the general queue; make the agent a supervisor-like viewer of it
    # by transferring it to the agent's queue after it starts.
    await customer.send_json_to(
        {"type": "message", "body": "充值没到账 <script>x</script>", "client_id": "m1"}
    )
    started = await receive_until(customer, "conversation")
    conversation_id = started["conversation"]["id"]
    ack = await receive_until(customer, "ack")
    assert ack["client_id"] == "m1" and ack["created"] is True
    echoed = await receive_until(customer, "message")
    assert echoed["message"]["body"] == "充值没到账 <script>x</script>"

    await database_sync_to_async(_move_to_deposits)(conversation_id)
    await console.send_json_to({"type": "subscribe", "conversation": conversation_id})
    assert await receive_until(console, "subscribed") == {
        "type": "subscribed",
        "conversation": conversation_id,
    }

    await customer.send_json_to({"type": "typing", "is_typing": True})
    typing = await receive_until(console, "typing")
    assert typing == {
        "type": "typing",
        "conversation": conversation_id,
        "author_type": "customer",
        "is_typing": True,
    }

    await console.send_json_to(
        {"type": "typing", "conversation": conversation_id, "is_typing": True}
    )
    agent_typing = await receive_until(customer, "typing")
    assert agent_typing["author_type"] == "agent" and agent_typing["name"] == "Agent"

    await console.send_json_to(
        {
            "type": "reply",
            "conversation": conversation_id,
            "body": "internal: check chain",
            "is_internal": True,
            "client_id": "n1",
        }
    )
    await console.send_json_to(
        {
            "type": "reply",
            "conversation": conversation_id,
            "body": "已为您查询，正在确认中",
            "client_id": "r1",
        }
    )
    reply = await receive_until(customer, "message")
    # The internal note was never sent to the customer: the first message they get is the reply.
    assert reply["message"]["body"] == "已为您查询，正在确认中"
    assert reply["message"]["author_type"] == "agent"
    staff_view = await receive_until(console, "message")
    assert staff_view["message"]["body"] == "internal: check chain"

    # The customer reconnects (a page reload) and resends an unacknowledged message.
    await customer.disconnect()
    again = await customer_socket(f"visitor={token}")
    history = await receive_until(again, "history")
    assert [m["body"] for m in history["messages"]] == [
        "充值没到账 <script>x</script>",
        "已为您查询，正在确认中",
    ]
    await again.send_json_to(
        {"type": "message", "body": "充值没到账 <script>x</script>", "client_id": "m1"}
    )
    repeat = await receive_until(again, "ack")
    assert repeat["created"] is False and repeat["message_id"] == ack["message_id"]
    count = await database_sync_to_async(
        lambda: Message.objects.filter(conversation_id=conversation_id).count()
    )()
    assert count == 3
    await again.disconnect()
    await console.disconnect()


def _move_to_deposits(conversation_id: int) -> None:
    Conversation.objects.filter(pk=conversation_id).update(queue="deposit_withdrawal")


async def test_staff_without_two_factor_cannot_connect(agent: User) -> None:
    console = await staff_socket(agent, two_factor=False)
    connected, _ = await console.connect()
    assert connected is False


async def test_anonymous_cannot_connect_to_the_console(db: None) -> None:
    communicator = WebsocketCommunicator(application, "/ws/console/", headers=[HOST, ORIGIN])
    connected, _ = await communicator.connect()
    assert connected is False


@pytest.mark.parametrize("query", ["visitor=forged", "ticket=not-a-token", ""])
async def test_bad_customer_credentials_are_refused(query: str, db: None) -> None:
    communicator = WebsocketCommunicator(
        application, f"/ws/customer/?{query}", headers=[HOST, ORIGIN]
    )
    connected, _ = await communicator.connect()
    assert connected is False


async def test_a_foreign_origin_is_refused(db: None) -> None:
    token = await database_sync_to_async(open_widget_session)()
    communicator = WebsocketCommunicator(
        application,
        f"/ws/customer/?visitor={token}",
        headers=[HOST, (b"origin", b"https://evil.example")],
    )
    connected, _ = await communicator.connect()
    assert connected is False


@pytest.mark.parametrize(
    "headers",
    [
        [(b"host", b"testserver"), (b"origin", b"http://testserver.evil.example")],
        [(b"host", b"evil.example"), (b"origin", b"http://evil.example")],
        [(b"host", b"testserver")],
    ],
)
async def test_the_console_socket_needs_this_sites_origin(
    agent: User, headers: list[tuple[bytes, bytes]]
) -> None:
    console = await staff_socket(agent)
    cookie = next(value for key, value in console.scope["headers"] if key == b"cookie")
    communicator = WebsocketCommunicator(
        application, "/ws/console/", headers=[*headers, (b"cookie", cookie)]
    )
    connected, _ = await communicator.connect()
    assert connected is False
    connected, _ = await console.connect()
    assert connected is True
    await console.disconnect()


async def test_only_inbox_sockets_hear_about_every_conversation(
    agent: User, customer: object
) -> None:
    inbox = await staff_socket(agent, inbox=True)
    page = await staff_socket(agent)
    await inbox.connect()
    await page.connect()
    await receive_until(inbox, "ready")
    await receive_until(page, "ready")
    started = await database_sync_to_async(_start_deposit_chat)()
    changed = await receive_until(inbox, "inbox.changed")
    assert changed["conversation"]["id"] == started
    assert await page.receive_nothing(timeout=0.3)
    await inbox.disconnect()
    await page.disconnect()


def _start_deposit_chat() -> int:
    from kefu.conversations import services
    from kefu.conversations.models import Channel, Customer

    customer = Customer.objects.get()
    return services.start_conversation(
        customer=customer, channel=Channel.WIDGET, body="hi", queue="deposit_withdrawal"
    ).conversation.pk


async def test_an_agent_of_another_team_cannot_subscribe(
    conversation: Conversation, outsider: User
) -> None:
    console = await staff_socket(outsider)
    await console.connect()
    await receive_until(console, "ready")
    await console.send_json_to({"type": "subscribe", "conversation": conversation.pk})
    error = await receive_until(console, "error")
    assert error["code"] == "not_found"
    await console.send_json_to({"type": "reply", "conversation": conversation.pk, "body": "sneaky"})
    refused = await receive_until(console, "error")
    assert refused["code"] == "not_found"
    assert not await database_sync_to_async(
        lambda: Message.objects.filter(body="sneaky").exists()
    )()
    await console.disconnect()


async def test_a_transfer_away_ends_the_subscription(
    conversation: Conversation, agent: User, supervisor: User
) -> None:
    console = await staff_socket(agent)
    await console.connect()
    await receive_until(console, "ready")
    await console.send_json_to({"type": "subscribe", "conversation": conversation.pk})
    await receive_until(console, "subscribed")
    await database_sync_to_async(_transfer)(supervisor, conversation.pk, "trading")
    assert await receive_until(console, "unsubscribed") == {
        "type": "unsubscribed",
        "conversation": conversation.pk,
    }
    await console.send_json_to(
        {"type": "reply", "conversation": conversation.pk, "body": "too late"}
    )
    assert (await receive_until(console, "error"))["code"] == "not_found"
    assert not await database_sync_to_async(
        lambda: Message.objects.filter(body="too late").exists()
    )()
    await console.disconnect()


def _transfer(actor: User, conversation_id: int, queue: str) -> None:
    from kefu.conversations import services

    services.assign_conversation(actor, conversation_id, queue=queue)


async def test_a_ticket_holder_follows_the_ticket(conversation: Conversation, agent: User) -> None:
    socket = await customer_socket(f"ticket={conversation.tracking_token}")
    history = await receive_until(socket, "history")
    assert history["conversation"]["id"] == conversation.pk
    await socket.send_json_to({"type": "message", "body": "any news?", "client_id": "t1"})
    assert (await receive_until(socket, "ack"))["created"] is True
    await socket.disconnect()


@override_settings(WIDGET_MESSAGES_PER_10_SECONDS=3)
async def test_a_flood_of_messages_is_rate_limited(db: None) -> None:
    token = await database_sync_to_async(open_widget_session)()
    socket = await customer_socket(f"visitor={token}")
    await receive_until(socket, "history")
    for number in range(4):
        await socket.send_json_to(
            {"type": "message", "body": f"spam {number}", "client_id": f"s{number}"}
        )
    acknowledged: set[str] = set()
    refused: list[dict[str, Any]] = []
    while len(acknowledged) < 3 or not refused:
        event = await socket.receive_json_from(timeout=5)
        if event["type"] == "ack":
            acknowledged.add(event["client_id"])
        elif event["type"] == "error":
            refused.append(event)
    assert acknowledged == {"s0", "s1", "s2"}
    assert [(e["code"], e["client_id"]) for e in refused] == [("rate_limited", "s3")]
    stored = await database_sync_to_async(
        lambda: list(Message.objects.filter(body__startswith="spam").values_list("body", flat=True))
    )()
    assert sorted(stored) == ["spam 0", "spam 1", "spam 2"]
    await socket.disconnect()


@pytest.mark.parametrize(
    "frame", ["not json", "[1,2]", '{"type": "nope"}', '{"type": "message", "body": 5}']
)
async def test_malformed_frames_get_a_clear_error(frame: str, db: None) -> None:
    token = await database_sync_to_async(open_widget_session)()
    socket = await customer_socket(f"visitor={token}")
    await receive_until(socket, "history")
    await socket.send_to(text_data=frame)
    error = await receive_until(socket, "error")
    assert error["code"] == "invalid_input"
    await socket.disconnect()
