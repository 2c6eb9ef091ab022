"""Merging two conversations about one problem: a customer who emailed and then wrote on
Telegram about the same deposit gets one conversation, whatever the channels."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.conversations import events
from kefu.conversations.errors import InvalidChange
from kefu.conversations.models import (
    Attachment,
    Conversation,
    ConversationTag,
    Message,
    Status,
    TimelineKind,
)
from kefu.conversations.services.conversations import (
    STATUS_FIELDS,
    apply_status,
    lock_conversation,
)
from kefu.conversations.services.messages import OUTBOUND_CHANNELS


def merge_conversations(
    actor: User, source_id: int, target_id: int, *, ip_address: str | None = None
) -> Conversation:
    """Move every message, file and tag of ``source`` into ``target`` and close ``source``
    with a pointer to ``target``; both timelines say so, and the merge is audited. The channel
    keys of ``source`` (its chat, its email thread, its calls) follow, so the customer's next
    message on that channel continues ``target``, and replies go out on the channel of the
    customer's latest message.

    The caller has checked access to both. Raises :class:`InvalidChange` for a conversation
    merged into itself, or when either is closed.
    """
    if source_id == target_id:
        raise InvalidChange(_("A conversation cannot be merged into itself."), field="target")
    with transaction.atomic():
        # Both rows locked, always in the same order, so two opposite merges cannot deadlock.
        locked = {pk: lock_conversation(pk) for pk in sorted((source_id, target_id))}
        source, target = locked[source_id], locked[target_id]
        if source.status == Status.CLOSED or target.status == Status.CLOSED:
            raise InvalidChange(_("Closed conversations cannot be merged."), field="target")
        # Client ids only ever deduplicate resends within a conversation; the source's are
        # done with, and could collide with the target's.
        moved = Message.objects.filter(conversation=source).update(
            conversation=target, client_id=""
        )
        Attachment.objects.filter(conversation=source).update(conversation=target)
        for name in ConversationTag.objects.filter(conversation=source).values_list(
            "name", flat=True
        ):
            ConversationTag.objects.get_or_create(conversation=target, name=name)
        _merge_times(source, target, moved)
        if target.channel not in OUTBOUND_CHANNELS and source.channel in OUTBOUND_CHANNELS:
            # Replies go where the customer can read them outside a page of ours: a chat
            # merged into a Telegram conversation, say, answers on Telegram too.
            target.channel = source.channel
            target.save(update_fields=["channel"])
        from kefu.intake.merging import follow_merge

        follow_merge(source, target)
        now = timezone.now()
        closing = apply_status(source, Status.CLOSED, actor, now)
        source.message_count = 0
        source.awaiting_reply_since = None
        source.save(update_fields=[*STATUS_FIELDS, "message_count", "awaiting_reply_since"])
        closing.save()
        events.record_timeline(
            source, TimelineKind.MERGED, actor=actor, data={"into": target.pk, "messages": moved}
        )
        events.record_timeline(
            target, TimelineKind.MERGED, actor=actor, data={"from": source.pk, "messages": moved}
        )
        events.audit_conversation(
            actor,
            "conversation.merged",
            target,
            before={"source": source.pk},
            after={"messages": moved},
            ip_address=ip_address,
        )
        events.publish_conversation_changed(source)
        events.publish_conversation_changed(target)
    return target


def _merge_times(source: Conversation, target: Conversation, moved: int) -> None:
    """The target counts the moved messages; its clocks take the earlier wait and the later
    activity of the two."""
    target.message_count += moved
    target.last_message_at = max(target.last_message_at, source.last_message_at)
    customer_times = [
        at for at in (target.last_customer_message_at, source.last_customer_message_at) if at
    ]
    target.last_customer_message_at = max(customer_times) if customer_times else None
    waits = [at for at in (target.awaiting_reply_since, source.awaiting_reply_since) if at]
    target.awaiting_reply_since = min(waits) if waits else None
    if target.status in (Status.RESOLVED, Status.PENDING) and target.awaiting_reply_since:
        target.status = Status.OPEN
        target.resolved_at = None
    first = target.messages.aggregate(first=Min("created_at"))["first"]
    if first is not None and first < target.created_at:
        # The merged conversation started when the customer first wrote about it.
        Conversation.objects.filter(pk=target.pk).update(created_at=first)
    target.save(
        update_fields=[
            "message_count",
            "last_message_at",
            "last_customer_message_at",
            "awaiting_reply_since",
            "status",
            "resolved_at",
        ]
    )
