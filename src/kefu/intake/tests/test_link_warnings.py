"""Links customers paste are checked as their messages are stored, on every channel."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest

from kefu.conversations import services as conversations
from kefu.conversations.models import AuthorType, Conversation, TimelineEvent, TimelineKind

pytestmark = pytest.mark.django_db
Capture = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]


def test_a_phishing_link_in_a_chat_warns_the_customer_and_the_agent(
    conversation: Conversation, django_capture_on_commit_callbacks: Capture
) -> None:
    phishing = "arbtirum.io"
    with django_capture_on_commit_callbacks(execute=True):
        conversations.post_customer_message(
            conversation.pk, body=f"support told me to verify at https://{phishing}/login"
        )
    warning = conversation.messages.get(author_type=AuthorType.SYSTEM)
    assert not warning.is_internal
    event = TimelineEvent.objects.get(conversation=conversation, kind=TimelineKind.PHISHING_LINK)
    assert [link["host"] for link in event.data["links"]] == [phishing]


def test_ordinary_messages_get_no_warning(
    conversation: Conversation, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        conversations.post_customer_message(conversation.pk, body="my deposit is missing")
    assert not conversation.messages.filter(author_type=AuthorType.SYSTEM).exists()
    assert not TimelineEvent.objects.filter(kind=TimelineKind.PHISHING_LINK).exists()
