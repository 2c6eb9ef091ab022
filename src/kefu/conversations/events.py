"""Timeline rows, audit rows and the live updates of conversations.

Groups:
- ``conversation.<id>``: everyone following the conversation, customer and staff: public
  messages go here once;
- ``conversation.<id>.customer``: the customer's widget or tracking page only (agent typing,
  status for the customer);
- ``conversation.<id>.staff``: consoles that have the conversation open (internal notes,
  customer typing, changes);
- ``queue.<queue>``: inboxes of staff who see that queue;
- ``agent.<user id>``: one staff member's consoles (assignments).
"""

from __future__ import annotations

from typing import Any, TypedDict

from kefu.accounts.events import record_audit
from kefu.accounts.models import User
from kefu.conversations.models import (
    Attachment,
    Conversation,
    Message,
    TimelineEvent,
    TimelineKind,
)
from kefu.lib.live import LiveEvent, publish_on_commit


def public_group(conversation_id: int) -> str:
    return f"conversation.{conversation_id}"


def customer_groups(conversation_id: int) -> tuple[str, str]:
    """The groups a customer's socket joins for a conversation."""
    return public_group(conversation_id), customer_group(conversation_id)


def staff_groups(conversation_id: int) -> tuple[str, str]:
    """The groups a console joins for a conversation it has open."""
    return public_group(conversation_id), staff_group(conversation_id)


def customer_group(conversation_id: int) -> str:
    return f"conversation.{conversation_id}.customer"


def staff_group(conversation_id: int) -> str:
    return f"conversation.{conversation_id}.staff"


def queue_group(queue: str) -> str:
    return f"queue.{queue}"


def agent_group(user_id: int) -> str:
    return f"agent.{user_id}"


class AttachmentPayload(TypedDict):
    id: int
    name: str
    content_type: str
    size: int


class MessagePayload(TypedDict):
    id: int
    conversation: int
    author_type: str
    author_name: str
    body: str
    is_internal: bool
    client_id: str
    created_at: str
    attachments: list[AttachmentPayload]


class ConversationPayload(TypedDict):
    id: int
    status: str
    priority: int
    queue: str
    assignee: int | None
    last_message_at: str


def attachment_payload(attachment: Attachment) -> AttachmentPayload:
    return {
        "id": attachment.pk,
        "name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
    }


def message_payload(
    message: Message, attachments: list[Attachment] | None = None
) -> MessagePayload:
    """The JSON form of a message, the same for customers and staff (who see notes too)."""
    author_name = ""
    if message.author is not None:
        author_name = message.author.public_name
    return {
        "id": message.pk,
        "conversation": message.conversation_id,
        "author_type": message.author_type,
        "author_name": author_name,
        "body": message.body,
        "is_internal": message.is_internal,
        "client_id": message.client_id,
        "created_at": message.created_at.isoformat(),
        "attachments": [attachment_payload(a) for a in (attachments or [])],
    }


def conversation_payload(conversation: Conversation) -> ConversationPayload:
    return {
        "id": conversation.pk,
        "status": conversation.status,
        "priority": conversation.priority,
        "queue": conversation.queue,
        "assignee": conversation.assignee_id,
        "last_message_at": conversation.last_message_at.isoformat(),
    }


def _inbox_groups(
    conversation: Conversation, previous_queue: str = "", previous_assignee_id: int | None = None
) -> list[str]:
    groups = {queue_group(conversation.queue)}
    if previous_queue:
        groups.add(queue_group(previous_queue))
    for user_id in (conversation.assignee_id, previous_assignee_id):
        if user_id:
            groups.add(agent_group(user_id))
    return sorted(groups)


def publish_message(
    message: Message, conversation: Conversation, attachments: list[Attachment] | None = None
) -> None:
    """Tell the customer (unless it is a note), open consoles and inboxes about a message."""
    event: dict[str, Any] = {"type": "message", "message": message_payload(message, attachments)}
    inbox = {"type": "inbox.changed", "conversation": conversation_payload(conversation)}
    audience = (
        staff_group(conversation.pk) if message.is_internal else public_group(conversation.pk)
    )
    publish_on_commit(
        LiveEvent((audience,), event),
        LiveEvent(
            tuple(_inbox_groups(conversation)), inbox, coalesce_key=f"inbox.{conversation.pk}"
        ),
    )


def publish_conversation_changed(
    conversation: Conversation,
    *,
    previous_queue: str = "",
    previous_assignee_id: int | None = None,
) -> None:
    """Tell consoles and the customer that status, priority, queue or assignee changed."""
    for_staff = {"type": "conversation.changed", "conversation": conversation_payload(conversation)}
    for_customer = {
        "type": "conversation.changed",
        "conversation": {"id": conversation.pk, "status": conversation.status},
    }
    inbox = {"type": "inbox.changed", "conversation": conversation_payload(conversation)}
    publish_on_commit(
        LiveEvent((staff_group(conversation.pk),), for_staff),
        LiveEvent((customer_group(conversation.pk),), for_customer),
        LiveEvent(tuple(_inbox_groups(conversation, previous_queue, previous_assignee_id)), inbox),
    )


def record_timeline(
    conversation: Conversation,
    kind: TimelineKind,
    *,
    actor: User | None = None,
    data: dict[str, Any] | None = None,
) -> TimelineEvent:
    """Add one event to the conversation's timeline."""
    return TimelineEvent.objects.create(
        conversation=conversation, kind=kind, actor=actor, data=data or {}
    )


def audit_conversation(
    actor: User | None,
    action: str,
    conversation: Conversation,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> None:
    """Audit an action on a conversation (``actor`` None: the customer or the system)."""
    record_audit(
        actor,
        action,
        target_type="conversation",
        target_id=conversation.pk,
        before=before,
        after=after,
        ip_address=ip_address,
    )
