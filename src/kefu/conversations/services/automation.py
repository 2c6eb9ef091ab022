"""Changes the bot makes to a conversation: what it looked up, its hand-off to people, and a
resolution the customer confirmed. Each is on the timeline agents read, and open consoles and
inboxes are told."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from kefu.conversations import events
from kefu.conversations.models import HandoffReason, Priority, Status, TimelineKind
from kefu.conversations.services.conversations import STATUS_FIELDS, apply_status, lock_conversation
from kefu.lib.taxonomy import intents, queues


def record_bot_lookups(conversation_id: int, details: list[str]) -> None:
    """Put what the bot looked up in the exchange on the timeline (agents see the facts)."""
    if not details:
        return
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        for detail in details:
            events.record_timeline(
                conversation, TimelineKind.BOT_LOOKUP, data={"detail": detail[:300]}
            )


def hand_off_from_bot(
    conversation_id: int,
    reason: HandoffReason,
    *,
    intent: str = "",
    detail: str = "",
    urgent: bool = False,
) -> None:
    """Pass the conversation to people: the team of its intent, a priority that reflects why,
    and the reason on the timeline."""
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        previous_queue = conversation.queue
        row = intents().get(intent or conversation.intent)
        if row is not None and row.queue in queues() and conversation.assignee_id is None:
            conversation.queue = row.queue
        if urgent:
            conversation.priority = Priority.URGENT
        elif reason in (HandoffReason.ANGRY, HandoffReason.RECOVERY):
            conversation.priority = max(conversation.priority, Priority.HIGH)
        if conversation.status != Status.OPEN and conversation.status != Status.CLOSED:
            conversation.status = Status.OPEN
            conversation.resolved_at = None
        conversation.save(update_fields=["queue", "priority", "status", "resolved_at"])
        events.record_timeline(
            conversation,
            TimelineKind.BOT_HANDOFF,
            data={"reason": str(reason), "detail": detail[:300], "queue": conversation.queue},
        )
        events.publish_conversation_changed(conversation, previous_queue=previous_queue)


def resolve_from_bot(conversation_id: int) -> None:
    """The customer confirmed the bot's answer solved it: resolved (it reopens if they write)."""
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        if conversation.status in (Status.RESOLVED, Status.CLOSED) or conversation.assignee_id:
            return
        event = apply_status(conversation, Status.RESOLVED, None, timezone.now())
        conversation.save(update_fields=STATUS_FIELDS)
        event.save()
        events.record_timeline(conversation, TimelineKind.BOT_RESOLVED)
        events.publish_conversation_changed(conversation)
