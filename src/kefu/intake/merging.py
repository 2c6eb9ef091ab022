"""What the channels keep of a conversation, moved when it is merged into another
(``kefu.conversations.services.merging``)."""

from __future__ import annotations

from kefu.conversations.models import Conversation
from kefu.intake.models import CallRecord, ChannelThread, InboundRecord, ThreadKey


def follow_merge(source: Conversation, target: Conversation) -> None:
    """Point the source's thread keys, inbound records and calls at the target; the target
    takes the source's reply address only when it has none of its own (the next inbound
    message on either channel sets it to that channel). Call inside the merge's transaction."""
    ThreadKey.objects.filter(conversation=source).update(conversation=target)
    InboundRecord.objects.filter(conversation=source).update(conversation=target)
    CallRecord.objects.filter(conversation=source).update(conversation=target)
    if not ChannelThread.objects.filter(conversation=target).exists():
        ChannelThread.objects.filter(conversation=source).update(conversation=target)
