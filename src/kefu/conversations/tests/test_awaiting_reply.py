"""The write path keeps the oldest customer message no agent has answered (the SLA's
next-response clock starts there)."""

from __future__ import annotations

import pytest

from kefu.accounts.models import User
from kefu.conversations import services
from kefu.conversations.models import Conversation
from kefu.conversations.services import NewMessage

pytestmark = pytest.mark.django_db


def awaiting(conversation: Conversation) -> object:
    conversation.refresh_from_db()
    return conversation.awaiting_reply_since


def test_a_new_conversation_waits_from_its_first_message(conversation: Conversation) -> None:
    first = conversation.messages.get()
    assert awaiting(conversation) == first.created_at


def test_a_reply_ends_the_wait_and_the_next_customer_message_starts_a_new_one(
    conversation: Conversation, agent: User
) -> None:
    started = awaiting(conversation)
    services.post_customer_message(conversation.pk, body="Any news?")
    assert awaiting(conversation) == started  # still the oldest unanswered message

    services.post_agent_message(agent, conversation.pk, body="Checking", is_internal=True)
    assert awaiting(conversation) == started  # a note is not an answer
    services.post_agent_message(agent, conversation.pk, body="It is credited now")
    assert awaiting(conversation) is None

    later = services.post_customer_message(conversation.pk, body="Thanks, another question")
    assert awaiting(conversation) == later.message.created_at


def test_one_batch_with_a_reply_between_customer_messages(
    conversation: Conversation, agent: User
) -> None:
    results = services.post_messages(
        [
            NewMessage(conversation.pk, "first"),
            NewMessage(conversation.pk, "answer", agent=agent),
            NewMessage(conversation.pk, "follow-up"),
            NewMessage(conversation.pk, "and more"),
        ]
    )

    follow_up = results[2]
    assert not isinstance(follow_up, Exception)
    assert awaiting(conversation) == follow_up.message.created_at
