"""State changes of a conversation other than messages: status, priority, assignment; and the
reads the customer side needs."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.conversations import events
from kefu.conversations.errors import InvalidChange
from kefu.conversations.models import (
    Channel,
    Conversation,
    ConversationTag,
    Customer,
    Message,
    Priority,
    Status,
    TimelineEvent,
    TimelineKind,
)
from kefu.lib.taxonomy import queues

HISTORY_LIMIT = 200


def lock_conversation(conversation_id: int) -> Conversation:
    """Load a conversation and lock its row until the transaction ends (call inside atomic()).

    FOR NO KEY UPDATE: it serialises changes to the conversation but does not block messages
    being inserted for it elsewhere (their foreign-key check only takes a key-share lock).
    Raises Conversation.DoesNotExist.
    """
    return Conversation.objects.select_for_update(no_key=True).get(pk=conversation_id)


def new_tracking_token() -> str:
    """A random, unguessable token for a conversation's private tracking link."""
    return secrets.token_urlsafe(24)


# The fields apply_status may change.
STATUS_FIELDS = ["status", "resolved_at", "closed_at"]


def apply_status(
    conversation: Conversation, status: Status, actor: User | None, now: datetime
) -> TimelineEvent:
    """Move a locked ``conversation`` to ``status`` in memory (the caller saves STATUS_FIELDS)
    and return its unsaved timeline event."""
    previous = conversation.status
    conversation.status = status
    if status == Status.RESOLVED:
        conversation.resolved_at = now
    elif status == Status.CLOSED:
        conversation.closed_at = now
        conversation.resolved_at = conversation.resolved_at or now
    elif previous in (Status.RESOLVED, Status.CLOSED):
        conversation.resolved_at = None
        conversation.closed_at = None
    return TimelineEvent(
        conversation=conversation,
        kind=TimelineKind.STATUS_CHANGED,
        actor=actor,
        data={"from": previous, "to": status},
    )


def change_status(
    actor: User, conversation_id: int, status: str, *, ip_address: str | None = None
) -> Conversation:
    """Set a conversation's status (open, pending, resolved, closed)."""
    if status not in Status.values:
        raise InvalidChange(_("Unknown status."), field="status")
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        previous = conversation.status
        if previous == status:
            return conversation
        event = apply_status(conversation, Status(status), actor, timezone.now())
        conversation.save(update_fields=STATUS_FIELDS)
        event.save()
        events.audit_conversation(
            actor,
            "conversation.status_changed",
            conversation,
            before={"status": previous},
            after={"status": status},
            ip_address=ip_address,
        )
        events.publish_conversation_changed(conversation)
    return conversation


def change_priority(
    actor: User, conversation_id: int, priority: int, *, ip_address: str | None = None
) -> Conversation:
    """Set a conversation's priority (low, normal, high, urgent)."""
    if priority not in Priority.values:
        raise InvalidChange(_("Unknown priority."), field="priority")
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        previous = conversation.priority
        if previous == priority:
            return conversation
        conversation.priority = priority
        conversation.save(update_fields=["priority"])
        events.record_timeline(
            conversation,
            TimelineKind.PRIORITY_CHANGED,
            actor=actor,
            data={"from": previous, "to": priority},
        )
        events.audit_conversation(
            actor,
            "conversation.priority_changed",
            conversation,
            before={"priority": previous},
            after={"priority": priority},
            ip_address=ip_address,
        )
        events.publish_conversation_changed(conversation)
    return conversation


UNCHANGED = object()


def assign_conversation(
    actor: User,
    conversation_id: int,
    *,
    assignee_id: int | object | None = UNCHANGED,
    queue: str | None = None,
    ip_address: str | None = None,
) -> Conversation:
    """Assign a conversation to an agent (or nobody) and/or transfer it to another team's queue.

    Transferring to another queue without naming an agent leaves it unassigned there.
    """
    if queue is not None and queue not in queues():
        raise InvalidChange(_("Unknown team."), field="queue")
    assignee: User | None = None
    if isinstance(assignee_id, int):
        assignee = User.objects.filter(pk=assignee_id, is_active=True).first()
        if assignee is None:
            raise InvalidChange(_("Unknown agent."), field="assignee")
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        before = {"assignee": conversation.assignee_id, "queue": conversation.queue}
        if queue is not None and queue != conversation.queue:
            conversation.queue = queue
            if assignee_id is UNCHANGED:
                conversation.assignee = None
        if assignee_id is not UNCHANGED:
            conversation.assignee = assignee
        after = {"assignee": conversation.assignee_id, "queue": conversation.queue}
        if after == before:
            return conversation
        conversation.save(update_fields=["assignee", "queue"])
        events.record_timeline(
            conversation,
            TimelineKind.ASSIGNED,
            actor=actor,
            data={
                "assignee": conversation.assignee_id,
                "assignee_name": conversation.assignee.public_name if conversation.assignee else "",
                "queue": conversation.queue,
            },
        )
        events.audit_conversation(
            actor,
            "conversation.assigned",
            conversation,
            before=before,
            after=after,
            ip_address=ip_address,
        )
        events.publish_conversation_changed(
            conversation,
            previous_queue=str(before["queue"]),
            previous_assignee_id=before["assignee"]
            if isinstance(before["assignee"], int)
            else None,
        )
    return conversation


def customer_visible_messages(conversation: Conversation) -> list[Message]:
    """The latest messages a customer sees (no internal notes), oldest first, files loaded."""
    messages = list(
        conversation.messages.filter(is_internal=False)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("-pk")[:HISTORY_LIMIT]
    )
    messages.reverse()
    return messages


def customer_messages(conversation: Conversation) -> list[events.MessagePayload]:
    """The JSON form of :func:`customer_visible_messages`."""
    return [
        events.message_payload(m, list(m.attachments.all()))
        for m in customer_visible_messages(conversation)
    ]


def current_widget_conversation(customer: Customer) -> Conversation | None:
    """The customer's latest chat that is not closed, which the widget resumes."""
    return (
        Conversation.objects.filter(customer=customer, channel=Channel.WIDGET)
        .exclude(status=Status.CLOSED)
        .order_by("-pk")
        .first()
    )


TAG_PATTERN = re.compile(r"^[\w-]{1,40}$")


def clean_tag(name: str) -> str:
    """A tag as stored: lowercase letters, digits, dashes and underscores (any script), at
    most 40. Raises InvalidChange for anything else."""
    tag = (name or "").strip().lower().replace(" ", "-")
    if not TAG_PATTERN.match(tag):
        raise InvalidChange(
            _("A tag is 1 to 40 letters, digits, dashes or underscores."), field="tag"
        )
    return tag


def add_tag(
    conversation_id: int,
    name: str,
    *,
    actor: User | None = None,
    rule: str = "",
    ip_address: str | None = None,
) -> bool:
    """Put a tag on a conversation (by an agent, or by the automation rule named ``rule``).
    Returns False when it was already there. Raises InvalidChange for a malformed tag."""
    tag = clean_tag(name)
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        _row, created = ConversationTag.objects.get_or_create(conversation=conversation, name=tag)
        if not created:
            return False
        events.record_timeline(
            conversation, TimelineKind.TAG_ADDED, actor=actor, data={"tag": tag, "rule": rule}
        )
        if actor is not None:
            events.audit_conversation(
                actor,
                "conversation.tag_added",
                conversation,
                after={"tag": tag},
                ip_address=ip_address,
            )
        events.publish_conversation_changed(conversation)
    return True


def remove_tag(
    actor: User, conversation_id: int, name: str, *, ip_address: str | None = None
) -> bool:
    """Take a tag off a conversation. Returns False when it was not there."""
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        deleted, _rows = ConversationTag.objects.filter(
            conversation=conversation, name=(name or "").strip().lower()
        ).delete()
        if not deleted:
            return False
        events.record_timeline(
            conversation, TimelineKind.TAG_REMOVED, actor=actor, data={"tag": name}
        )
        events.audit_conversation(
            actor,
            "conversation.tag_removed",
            conversation,
            before={"tag": name},
            ip_address=ip_address,
        )
        events.publish_conversation_changed(conversation)
    return True
