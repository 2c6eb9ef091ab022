"""A conversation as staff read it: messages and timeline events in one stream, in order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kefu.conversations.models import Attachment, Conversation, Message, TimelineEvent

STREAM_LIMIT = 300


@dataclass(frozen=True)
class StreamItem:
    """One row of the stream: a message (with its files), a timeline event, or the start."""

    at: datetime
    message: Message | None = None
    event: TimelineEvent | None = None
    attachments: tuple[Attachment, ...] = ()
    started: Conversation | None = None


def conversation_stream(conversation: Conversation) -> list[StreamItem]:
    """The latest messages and events of a conversation, oldest first (three queries)."""
    messages = list(
        conversation.messages.select_related("author")
        .prefetch_related("attachments")
        .order_by("-pk")[:STREAM_LIMIT]
    )
    events = list(conversation.timeline.select_related("actor").order_by("-pk")[:STREAM_LIMIT])
    items = [
        StreamItem(at=m.created_at, message=m, attachments=tuple(m.attachments.all()))
        for m in messages
    ]
    items += [StreamItem(at=e.created_at, event=e) for e in events]
    items.sort(key=lambda item: (item.at, 0 if item.event else 1))
    items = items[-STREAM_LIMIT:]
    if len(messages) < STREAM_LIMIT:
        items.insert(0, StreamItem(at=conversation.created_at, started=conversation))
    return items
