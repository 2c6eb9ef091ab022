"""Replies sent as direct messages from the bot, through the local Discord server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

import kefu.intake.channels.discord.adapter  # noqa: F401 - registers the adapter
from kefu.accounts.models import User
from kefu.conversations import services as conversations
from kefu.conversations.models import Conversation, TimelineEvent, TimelineKind
from kefu.intake import outbound
from kefu.intake.channels.discord.adapter import split_text
from kefu.intake.channels.discord.tests.server import (
    FakeDiscord,
    command,
    discord_account,
    post_interaction,
)
from kefu.intake.models import ChannelAccount, ChannelThread, DeliveryStatus, OutboundDelivery

pytestmark = pytest.mark.django_db
USER = "8000000000000000042"


@pytest.fixture
def account(discord: FakeDiscord) -> ChannelAccount:
    return discord_account(discord.url)


@pytest.fixture
def conversation(client: Client, account: ChannelAccount) -> Conversation:
    assert post_interaction(client, account, command()).status_code == 200
    return Conversation.objects.get()


def reply(
    agent: User, conversation: Conversation, capture: Callable[..., Any], body: str
) -> OutboundDelivery:
    """Post an agent reply; the commit queues its delivery, which the inline task sends."""
    with capture(execute=True):
        posted = conversations.post_agent_message(agent, conversation.pk, body=body)
    delivery = OutboundDelivery.objects.get(message=posted.message)
    return delivery


def test_an_agent_reply_is_a_direct_message_that_mentions_nobody(
    discord: FakeDiscord,
    conversation: Conversation,
    agent: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    first = reply(agent, conversation, django_capture_on_commit_callbacks, "@everyone hello")
    second = reply(agent, conversation, django_capture_on_commit_callbacks, "Second reply")

    [opened] = discord.of("dm")
    assert (opened.method, opened.body) == ("POST", {"recipient_id": USER})
    assert opened.authorization == "Bot test-bot-token"
    sent = discord.of("message")
    assert [call.path for call in sent] == [f"/api/v10/channels/9{USER}/messages"] * 2
    assert sent[0].body == {
        "content": "@everyone hello",
        "allowed_mentions": {"parse": []},
        "nonce": f"k{first.message_id}-0",
        "enforce_nonce": True,
    }
    assert sent[1].body["content"] == "Second reply"
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.external_id) == (DeliveryStatus.SENT, "5002")
    assert (second.status, second.external_id) == (DeliveryStatus.SENT, "5003")
    # The direct channel is remembered for the conversation, and for the user's next one.
    thread = ChannelThread.objects.get(conversation=conversation)
    assert thread.address == {"user_id": USER, "channel_id": f"9{USER}"}


def test_the_next_command_keeps_the_known_direct_channel(
    client: Client,
    discord: FakeDiscord,
    account: ChannelAccount,
    conversation: Conversation,
    agent: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    reply(agent, conversation, django_capture_on_commit_callbacks, "Checking")
    post_interaction(client, account, command("1300000000000000009", "thanks"))

    assert ChannelThread.objects.get(conversation=conversation).address == {
        "user_id": USER,
        "channel_id": f"9{USER}",
    }
    reply(agent, conversation, django_capture_on_commit_callbacks, "Found it")
    assert len(discord.of("dm")) == 1


def test_a_long_reply_is_split_into_discord_sized_messages(
    discord: FakeDiscord,
    conversation: Conversation,
    agent: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    paragraph = ("word " * 300).strip()
    body = "\n".join([paragraph] * 3)

    reply(agent, conversation, django_capture_on_commit_callbacks, body)

    parts = [call.body["content"] for call in discord.of("message")]
    assert len(parts) == 3
    assert all(len(part) <= 2000 for part in parts)
    assert " ".join(parts).split() == body.split()
    assert [call.body["nonce"] for call in discord.of("message")][-1].endswith("-2")


def test_split_text_cuts_words_only_when_it_must() -> None:
    assert split_text("a" * 4500) == ["a" * 2000, "a" * 2000, "a" * 500]
    assert split_text("short") == ["short"]
    assert split_text("   ") == ["…"]


def test_a_discord_outage_is_retried_until_it_is_back(
    discord: FakeDiscord,
    conversation: Conversation,
    agent: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    discord.failures = {"message": [500, 429]}
    delivery = reply(agent, conversation, django_capture_on_commit_callbacks, "Checking")

    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.RETRYING, "Discord error 500")
    later = timezone.now() + timedelta(seconds=31)
    assert outbound.deliver(delivery.pk, now=later) == DeliveryStatus.RETRYING
    delivery.refresh_from_db()
    assert delivery.last_error == "Discord rate limit, retry after 0.5 s"
    assert outbound.deliver(delivery.pk, now=later + timedelta(seconds=61)) == DeliveryStatus.SENT

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 3)
    assert [call.body["content"] for call in discord.of("message")] == ["Checking"] * 3
    assert len({call.body["nonce"] for call in discord.of("message")}) == 1
    assert ChannelAccount.objects.get(pk=delivery.account_id).consecutive_failures == 0


@pytest.mark.parametrize(("kind", "status"), [("message", 403), ("dm", 404)])
def test_a_user_who_cannot_be_messaged_fails_at_once_and_the_agent_sees_it(
    discord: FakeDiscord,
    conversation: Conversation,
    agent: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
    kind: str,
    status: int,
) -> None:
    discord.failures = {kind: [status]}
    delivery = reply(agent, conversation, django_capture_on_commit_callbacks, "Checking")

    delivery.refresh_from_db()
    reason = f"Discord refused: {status} (code {50007 if status == 403 else 10003})"
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.FAILED, reason)
    event = TimelineEvent.objects.get(conversation=conversation, kind=TimelineKind.DELIVERY_FAILED)
    assert event.data == {"message": delivery.message_id, "reason": reason, "attempts": 1}
    assert outbound.deliver(delivery.pk, now=timezone.now() + timedelta(hours=2)) is None
