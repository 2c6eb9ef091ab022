"""Replies posted to a partner: a local server speaks the partner's side of the contract."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

import kefu.intake.channels.webhook.adapter  # noqa: F401 - registers the adapter
from kefu.accounts.models import User
from kefu.conversations import services as conversations
from kefu.conversations.models import Conversation, TimelineEvent, TimelineKind
from kefu.intake import outbound
from kefu.intake.channels.webhook.tests.factories import (
    SECRET,
    message,
    post_signed,
    webhook_account,
)
from kefu.intake.models import ChannelAccount, DeliveryStatus, OutboundDelivery
from kefu.lib.signing import is_valid_signature

pytestmark = pytest.mark.django_db


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Partner:
    """Records each call; answers the next status of ``statuses`` (then 200) with ``answer``."""

    url: str
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    answer: bytes = b'{"id": "p-1"}'


@pytest.fixture
def partner() -> Iterator[Partner]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    state = Partner(url=f"http://127.0.0.1:{server.server_address[1]}/kefu/replies")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.received.append(Received(self.path, dict(self.headers.items()), body))
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(state.answer)

        def log_message(self, *args: object) -> None:
            pass

    server.RequestHandlerClass = Handler
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def account(partner: Partner) -> ChannelAccount:
    return webhook_account(partner.url)


@pytest.fixture
def conversation(client: Client, account: ChannelAccount) -> Conversation:
    number = post_signed(client, account, message()).json()["conversation"]
    return Conversation.objects.get(pk=number)


def reply(
    agent: User,
    conversation: Conversation,
    capture: Callable[..., Any],
    body: str = "We are checking your withdrawal.",
) -> OutboundDelivery:
    """Post an agent reply; the commit queues its delivery, which the inline task sends."""
    with capture(execute=True):
        posted = conversations.post_agent_message(agent, conversation.pk, body=body)
    return OutboundDelivery.objects.get(message=posted.message)


def test_an_agent_reply_is_posted_signed_to_the_partner(
    partner: Partner,
    account: ChannelAccount,
    conversation: Conversation,
    agent: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    delivery = reply(agent, conversation, django_capture_on_commit_callbacks)

    [call] = partner.received
    assert call.path == "/kefu/replies"
    assert is_valid_signature(
        SECRET, call.headers["X-Kefu-Signature"], call.body, now=timezone.now().timestamp()
    )
    delivery_id = f"kefu-{account.pk}-{delivery.message_id}"
    assert call.headers["Idempotency-Key"] == call.headers["X-Kefu-Delivery"] == delivery_id
    assert call.headers["Content-Type"] == "application/json"
    assert call.json == {
        "event": "message.created",
        "delivery_id": delivery_id,
        "message_id": delivery.message_id,
        "thread_id": "t-1",
        "recipient_id": "user-42",
        "conversation": conversation.number,
        "author": {"type": "agent", "name": "Agent"},
        "text": "We are checking your withdrawal.",
        "sent_at": delivery.message.created_at.isoformat(),
    }
    delivery.refresh_from_db()
    assert (delivery.status, delivery.external_id, delivery.attempts) == (
        DeliveryStatus.SENT,
        "p-1",
        1,
    )
    assert ChannelAccount.objects.get(pk=account.pk).last_outbound_at is not None


def test_internal_notes_are_not_sent(
    partner: Partner,
    conversation: Conversation,
    agent: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        conversations.post_agent_message(agent, conversation.pk, body="VIP?", is_internal=True)

    assert partner.received == []
    assert not OutboundDelivery.objects.exists()


def test_a_failing_partner_is_retried_with_back_off_under_the_same_delivery_id(
    partner: Partner,
    conversation: Conversation,
    agent: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    partner.statuses = [500, 429]
    before = timezone.now()
    delivery = reply(agent, conversation, django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.RETRYING, 1)
    assert delivery.last_error == "partner answered 500"
    waited = delivery.next_attempt_at - before
    assert timedelta(seconds=30) <= waited < timedelta(seconds=40)
    # Not due yet: nothing is sent.
    assert outbound.deliver(delivery.pk) is None
    assert len(partner.received) == 1

    later = timezone.now() + timedelta(seconds=31)
    assert outbound.deliver(delivery.pk, now=later) == DeliveryStatus.RETRYING
    assert outbound.deliver(delivery.pk, now=later + timedelta(seconds=61)) == DeliveryStatus.SENT

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 3, "")
    keys = {call.headers["Idempotency-Key"] for call in partner.received}
    assert len(partner.received) == 3 and len(keys) == 1
    assert len({call.json["delivery_id"] for call in partner.received}) == 1


@pytest.mark.parametrize(
    ("status", "permanent"), [(400, True), (404, True), (410, True), (408, False), (503, False)]
)
def test_a_refusal_fails_at_once_and_the_agent_sees_it(
    partner: Partner,
    conversation: Conversation,
    agent: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
    status: int,
    permanent: bool,
) -> None:
    partner.statuses = [status]
    delivery = reply(agent, conversation, django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    failed = TimelineEvent.objects.filter(
        conversation=conversation, kind=TimelineKind.DELIVERY_FAILED
    )
    if permanent:
        assert delivery.status == DeliveryStatus.FAILED
        assert delivery.last_error == f"partner refused the reply: {status}"
        assert failed.get().data == {
            "message": delivery.message_id,
            "reason": f"partner refused the reply: {status}",
            "attempts": 1,
        }
    else:
        assert delivery.status == DeliveryStatus.RETRYING
        assert not failed.exists()


def test_an_answer_without_an_id_is_identified_by_the_delivery_id(
    partner: Partner,
    account: ChannelAccount,
    conversation: Conversation,
    agent: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    partner.answer = b"OK, thanks"
    delivery = reply(agent, conversation, django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.external_id == f"kefu-{account.pk}-{delivery.message_id}"


def test_an_unreachable_partner_is_retried(
    account: ChannelAccount,
    conversation: Conversation,
    agent: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    ChannelAccount.objects.filter(pk=account.pk).update(
        config={**account.config, "outbound_url": f"http://127.0.0.1:{port}/gone"}
    )

    delivery = reply(agent, conversation, django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.RETRYING
    assert delivery.last_error == "partner unreachable: ConnectError"
    assert ChannelAccount.objects.get(pk=account.pk).consecutive_failures == 1


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://169.254.169.254/latest/meta-data/", "the outbound_url is not allowed"),
        # The metadata address written as one number passes the check of literals, and is
        # caught when the name is resolved before sending.
        ("http://2852039166/latest/meta-data/", "the outbound_url resolves to a blocked address"),
    ],
)
def test_a_metadata_address_is_never_called_even_if_saved_around_the_check(
    partner: Partner,
    account: ChannelAccount,
    conversation: Conversation,
    agent: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
    url: str,
    error: str,
) -> None:
    ChannelAccount.objects.filter(pk=account.pk).update(
        config={**account.config, "outbound_url": url}
    )

    delivery = reply(agent, conversation, django_capture_on_commit_callbacks)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.FAILED, error)
    assert partner.received == []


# --- the outbound queue itself (kefu.intake.outbound), through this channel ---------------------


def test_the_back_off_doubles_up_to_an_hour() -> None:
    delays = [outbound.retry_delay(attempt).total_seconds() for attempt in (1, 2, 3, 8, 20)]
    assert delays == [30, 60, 120, 3600, 3600]


def test_a_reply_that_keeps_failing_is_given_up_after_the_last_attempt(
    agent: User,
    partner: Partner,
    conversation: Conversation,
    django_capture_on_commit_callbacks: Any,
) -> None:
    partner.statuses = [503] * (outbound.MAX_ATTEMPTS + 1)
    delivery = reply(agent, conversation, django_capture_on_commit_callbacks)
    later = timezone.now()
    for _attempt in range(outbound.MAX_ATTEMPTS - 1):
        later += timedelta(hours=2)
        outbound.deliver_due(later)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, outbound.MAX_ATTEMPTS)
    assert len(partner.received) == outbound.MAX_ATTEMPTS
    event = TimelineEvent.objects.get(kind=TimelineKind.DELIVERY_FAILED)
    assert event.data["attempts"] == outbound.MAX_ATTEMPTS
    # Nothing more is tried once it failed.
    assert outbound.deliver_due(later + timedelta(days=1)) == 0
    assert len(partner.received) == outbound.MAX_ATTEMPTS


def test_a_paused_channel_keeps_its_replies_until_it_is_active_again(
    agent: User,
    partner: Partner,
    account: ChannelAccount,
    conversation: Conversation,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ChannelAccount.objects.filter(pk=account.pk).update(is_active=False)
    delivery = reply(agent, conversation, django_capture_on_commit_callbacks)
    assert outbound.deliver_due() == 0
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED and not partner.received
    ChannelAccount.objects.filter(pk=account.pk).update(is_active=True)
    assert outbound.deliver_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and len(partner.received) == 1


def test_a_delivery_held_by_another_worker_is_not_sent_twice(
    agent: User,
    partner: Partner,
    account: ChannelAccount,
    conversation: Conversation,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ChannelAccount.objects.filter(pk=account.pk).update(is_active=False)
    delivery = reply(agent, conversation, django_capture_on_commit_callbacks)
    ChannelAccount.objects.filter(pk=account.pk).update(is_active=True)
    now = timezone.now()
    OutboundDelivery.objects.filter(pk=delivery.pk).update(
        claimed_until=now + timedelta(seconds=60)
    )
    assert outbound.deliver(delivery.pk, now=now) is None
    assert not partner.received
    # A worker that died holding it lets go when its claim runs out.
    assert outbound.deliver(delivery.pk, now=now + timedelta(seconds=61)) == DeliveryStatus.SENT
    assert len(partner.received) == 1
