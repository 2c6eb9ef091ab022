"""What the language model understood of customer messages, stored on them; and agents'
corrections of the intent. The analysis itself is done by ``kefu.nlu``, which calls these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from kefu.accounts.models import User
from kefu.conversations import events
from kefu.conversations.models import AuthorType, Conversation, Message, TimelineKind
from kefu.lib.live import LiveEvent, publish_on_commit

# A conversation takes its intent from the first customer message understood at least this well.
CONVERSATION_INTENT_CONFIDENCE = 0.5
OUT_OF_SCOPE = "out_of_scope"
REPEAT_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Pending:
    """A customer message waiting to be understood."""

    message_id: int
    conversation_id: int
    body: str
    previous_contacts: int


def messages_to_analyse(message_ids: list[int]) -> list[Pending]:
    """The customer messages among ``message_ids`` that have no analysis yet, with how many
    other conversations their customer started in the last week."""
    messages = list(
        Message.objects.filter(
            pk__in=message_ids, author_type=AuthorType.CUSTOMER, analysis__isnull=True
        ).select_related("conversation")
    )
    customers = {message.conversation.customer_id for message in messages}
    since = timezone.now() - REPEAT_WINDOW
    recent = dict(
        Conversation.objects.filter(customer_id__in=customers, created_at__gte=since)
        .values_list("customer_id")
        .annotate(n=Count("id"))
        .values_list("customer_id", "n")
    )
    return [
        Pending(
            message.pk,
            message.conversation_id,
            message.body,
            max(0, recent.get(message.conversation.customer_id, 1) - 1),
        )
        for message in messages
    ]


def record_analyses(results: list[tuple[int, dict[str, Any]]]) -> int:
    """Store analyses (message id, analysis) and give conversations without an intent the one
    of their first well-understood message. Consoles with the conversation open are told.
    Returns how many messages were updated (a message analysed twice is stored once)."""
    if not results:
        return 0
    with transaction.atomic():
        messages = Message.objects.select_for_update().in_bulk([m for m, _ in results])
        changed: list[Message] = []
        for message_id, analysis in results:
            message = messages.get(message_id)
            if message is None or message.analysis is not None:
                continue
            message.analysis = analysis
            message.intent = message.intent or analysis["intent"]
            changed.append(message)
        Message.objects.bulk_update(changed, ["analysis", "intent"])
        for message in changed:
            _adopt_intent(message)
            publish_on_commit(_analysed_event(message))
    return len(changed)


def _adopt_intent(message: Message) -> None:
    analysis = message.analysis or {}
    if analysis.get("out_of_scope") or analysis.get("confidence", 0) < (
        CONVERSATION_INTENT_CONFIDENCE
    ):
        return
    updated = Conversation.objects.filter(pk=message.conversation_id, intent="").update(
        intent=message.intent
    )
    if updated:
        events.record_timeline(
            message.conversation,
            TimelineKind.INTENT_SET,
            data={"intent": message.intent, "message": message.pk, "automatic": True},
        )


def correct_message_intent(agent: User, message: Message, intent: str) -> Message:
    """Set the right intent of a customer message (``intent`` is a taxonomy id, checked by the
    caller). The conversation follows when its intent came from this message or is unset."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update().select_related("conversation").get(pk=message.pk)
        )
        conversation = message.conversation
        before = message.intent
        message.intent = intent
        message.save(update_fields=["intent"])
        if conversation.intent in ("", before):
            Conversation.objects.filter(pk=conversation.pk).update(intent=intent)
            conversation.intent = intent
        events.record_timeline(
            conversation,
            TimelineKind.INTENT_SET,
            actor=agent,
            data={"intent": intent, "previous": before, "message": message.pk},
        )
        events.audit_conversation(
            agent,
            "message.intent_corrected",
            conversation,
            before={"message": message.pk, "intent": before},
            after={"message": message.pk, "intent": intent},
        )
        publish_on_commit(_analysed_event(message))
    return message


def _analysed_event(message: Message) -> LiveEvent:
    return LiveEvent(
        (events.staff_group(message.conversation_id),),
        {
            "type": "message.analysed",
            "message": message.pk,
            "intent": message.intent,
            "analysis": message.analysis,
        },
    )
