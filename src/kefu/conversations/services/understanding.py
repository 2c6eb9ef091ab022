"""What the language model understood of customer messages, stored on them; and agents'
corrections of the intent. The analysis itself is done by ``kefu.nlu``, which calls these."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from kefu.accounts.models import User
from kefu.conversations import events
from kefu.conversations.models import (
    AuthorType,
    Conversation,
    Message,
    TimelineEvent,
    TimelineKind,
)
from kefu.lib.live import LiveEvent, publish_on_commit

# A conversation takes its intent from the first customer message understood at least this well.
CONVERSATION_INTENT_CONFIDENCE = 0.5
REPEAT_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Pending:
    """A customer message waiting to be understood."""

    message_id: int
    body: str
    previous_contacts: int


Analyser = Callable[[list[Pending]], list[dict[str, Any]]]


def waiting_for_analysis() -> QuerySet[Message]:
    """Customer messages not analysed yet (a partial index keeps this cheap)."""
    return Message.objects.filter(author_type=AuthorType.CUSTOMER, analysis__isnull=True)


def analyse_waiting(analyse: Analyser, *, limit: int) -> list[int]:
    """Take up to ``limit`` waiting customer messages, oldest first, analyse them with
    ``analyse`` outside any transaction, then store the results in one short transaction
    (messages another worker analysed meanwhile are left as they are). Returns the ids of the
    messages it stored.

    Nothing is added to the write path of messages: whatever is stored is found here, even
    after a restart. The analysis holds no lock, so chat writers never wait for it."""
    messages = list(
        waiting_for_analysis()
        .order_by("pk")
        .only("pk", "conversation_id", "body", "intent")[:limit]
    )
    if not messages:
        return []
    results = dict(zip([m.pk for m in messages], analyse(_pending(messages)), strict=True))
    with transaction.atomic():
        still_waiting = list(
            waiting_for_analysis()
            .select_for_update()
            .filter(pk__in=list(results))
            .only("pk", "conversation_id", "intent")
        )
        return _record(still_waiting, [results[m.pk] for m in still_waiting])


def _pending(messages: list[Message]) -> list[Pending]:
    """Each message with how many other conversations its customer started this week."""
    customer_of = dict(
        Conversation.objects.filter(pk__in={m.conversation_id for m in messages}).values_list(
            "pk", "customer_id"
        )
    )
    since = timezone.now() - REPEAT_WINDOW
    recent = dict(
        Conversation.objects.filter(
            customer_id__in=set(customer_of.values()), created_at__gte=since
        )
        .values_list("customer_id")
        .annotate(n=Count("id"))
        .values_list("customer_id", "n")
    )
    return [
        Pending(
            m.pk,
            m.body,
            max(0, recent.get(customer_of.get(m.conversation_id, 0), 1) - 1),
        )
        for m in messages
    ]


def _record(messages: list[Message], results: list[dict[str, Any]]) -> list[int]:
    """Store analyses and give conversations without an intent the one of their first
    well-understood message. Consoles with the conversation open are told."""
    for message, analysis in zip(messages, results, strict=True):
        message.analysis = analysis
        message.intent = message.intent or analysis["intent"]
    Message.objects.bulk_update(messages, ["analysis", "intent"])
    adopted: set[int] = set()
    for message in messages:
        if message.conversation_id not in adopted and _adopt_intent(message):
            adopted.add(message.conversation_id)
        publish_on_commit(_analysed_event(message))
    return [message.pk for message in messages]


def _adopt_intent(message: Message) -> bool:
    analysis = message.analysis or {}
    if analysis.get("out_of_scope") or analysis.get("confidence", 0) < (
        CONVERSATION_INTENT_CONFIDENCE
    ):
        return False
    updated = Conversation.objects.filter(pk=message.conversation_id, intent="").update(
        intent=message.intent
    )
    if updated:
        TimelineEvent.objects.create(
            conversation_id=message.conversation_id,
            kind=TimelineKind.INTENT_SET,
            data={"intent": message.intent, "message": message.pk, "automatic": True},
        )
    return bool(updated)


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
