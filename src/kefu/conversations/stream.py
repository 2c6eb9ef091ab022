"""A conversation as staff read it: messages and timeline events in one stream, in order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kefu.conversations.models import Attachment, AuthorType, Conversation, Message, TimelineEvent
from kefu.lib.taxonomy import intents
from kefu.nlu.urgency import SIGNALS

SENTIMENT_NAMES = {
    "negative": _("negative"),
    "neutral": _("neutral"),
    "positive": _("positive"),
}
URGENCY_NAMES = {"high": _("urgent"), "elevated": _("elevated"), "normal": _("normal")}


@dataclass(frozen=True)
class Understanding:
    """What the language model made of a customer message, in words an agent reads."""

    intent: str
    intent_name: str
    confidence: int  # percent
    alternatives: tuple[tuple[str, int], ...]
    out_of_scope: bool
    corrected: bool
    sentiment: str
    sentiment_name: str | Promise
    urgency: str
    urgency_name: str | Promise
    signals: tuple[str | Promise, ...]
    language: str
    amount: str


def intent_name(intent: str) -> str:
    if intent == "out_of_scope":
        return str(_("Out of scope"))
    found = intents().get(intent)
    return found.name if found else intent


def understanding(message: Message) -> Understanding | None:
    """None for messages that were not analysed (staff and system messages, or not yet)."""
    analysis: dict[str, Any] | None = message.analysis
    if message.author_type != AuthorType.CUSTOMER or not analysis:
        return None
    amount = analysis.get("amount") or {}
    intent = message.intent or analysis["intent"]
    return Understanding(
        intent=intent,
        intent_name=intent_name(intent),
        confidence=round(100 * float(analysis.get("confidence", 0))),
        alternatives=tuple(
            (intent_name(top["intent"]), round(100 * float(top["confidence"])))
            for top in analysis.get("top", [])[1:]
        ),
        out_of_scope=intent == "out_of_scope",
        corrected=intent != analysis["intent"],
        sentiment=analysis.get("sentiment", "neutral"),
        sentiment_name=SENTIMENT_NAMES.get(analysis.get("sentiment", ""), ""),
        urgency=analysis.get("urgency", "normal"),
        urgency_name=URGENCY_NAMES.get(analysis.get("urgency", ""), ""),
        signals=tuple(SIGNALS[s] for s in analysis.get("signals", []) if s in SIGNALS),
        language=analysis.get("language", ""),
        amount=f"{amount['value']} {amount['currency']}" if amount else "",
    )


STREAM_LIMIT = 300


@dataclass(frozen=True)
class StreamItem:
    """One row of the stream: a message (with its files), a timeline event, or the start."""

    at: datetime
    message: Message | None = None
    event: TimelineEvent | None = None
    attachments: tuple[Attachment, ...] = ()
    started: Conversation | None = None
    understood: Understanding | None = None


def intent_choices() -> list[tuple[str, str]]:
    """Every intent an agent can give a message, in taxonomy order, out of scope last."""
    choices = [(intent.id, intent.name) for intent in intents().values()]
    if "out_of_scope" not in intents():
        choices.append(("out_of_scope", intent_name("out_of_scope")))
    return choices


def conversation_stream(conversation: Conversation) -> list[StreamItem]:
    """The latest messages and events of a conversation, oldest first (three queries)."""
    messages = list(
        # "delivery": how a reply is doing on its channel (kefu.intake.outbound).
        conversation.messages.select_related("author", "delivery")
        .prefetch_related("attachments")
        .order_by("-pk")[:STREAM_LIMIT]
    )
    events = list(conversation.timeline.select_related("actor").order_by("-pk")[:STREAM_LIMIT])
    items = [
        StreamItem(
            at=m.created_at,
            message=m,
            attachments=tuple(m.attachments.all()),
            understood=understanding(m),
        )
        for m in messages
    ]
    items += [StreamItem(at=e.created_at, event=e) for e in events]
    items.sort(key=lambda item: (item.at, 0 if item.event else 1))
    items = items[-STREAM_LIMIT:]
    if len(messages) < STREAM_LIMIT:
        items.insert(0, StreamItem(at=conversation.created_at, started=conversation))
    return items
