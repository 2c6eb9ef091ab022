"""The channels' card in the console's side bar: where replies go, how else the customer is
known (Telegram, Discord, email, phone) and their phone calls."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from kefu.conversations.models import Conversation
from kefu.intake.models import CallRecord, ChannelIdentity, ChannelThread

register = template.Library()
MAX_CALLS = 10


@register.inclusion_tag("intake/_channel_card.html", takes_context=True)
def channel_card(context: template.Context, conversation: Conversation) -> dict[str, Any]:
    thread = (
        ChannelThread.objects.filter(conversation=conversation).select_related("account").first()
    )
    return {
        "conversation": conversation,
        "thread": thread,
        "identities": list(
            ChannelIdentity.objects.filter(customer_id=conversation.customer_id).order_by(
                "kind", "pk"
            )
        ),
        "calls": list(
            CallRecord.objects.filter(conversation=conversation).select_related("agent")[:MAX_CALLS]
        ),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def call_duration(seconds: int) -> str:
    """A call's length as people say it: "5 min 12 s", "45 s"."""
    minutes, rest = divmod(max(0, int(seconds or 0)), 60)
    if not minutes:
        return _("%(seconds)d s") % {"seconds": rest}
    return _("%(minutes)d min %(seconds)d s") % {"minutes": minutes, "seconds": rest}
