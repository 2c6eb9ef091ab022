"""Template helpers of routing: the presence control, a conversation's routing card, timeline
summaries, SLA metric names and durations."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kefu.accounts.models import User
from kefu.conversations.models import Conversation, Priority, TimelineEvent
from kefu.routing import notifications, priority
from kefu.routing.models import (
    ConversationRouting,
    EscalationLevel,
    Notification,
    NotificationKind,
    Presence,
    SlaStage,
)
from kefu.routing.sla import running_clocks

register = template.Library()

METRICS = {
    "first_response": gettext_lazy("first response"),
    "next_response": gettext_lazy("next response"),
    "resolution": gettext_lazy("resolution"),
}


CASE_EVENTS = {
    "opened": gettext_lazy("opened, you own it"),
    "reassigned": gettext_lazy("now yours"),
    "rejected": gettext_lazy("the customer is not satisfied with the resolution"),
    "escalated": gettext_lazy("escalated to you"),
    "confirmed": gettext_lazy("the customer confirmed the resolution"),
    "overdue": gettext_lazy("overdue"),
}


@register.filter
def metric_name(metric: str) -> str:
    return str(METRICS.get(metric, metric))


@register.filter
def duration(seconds: int | float | None) -> str:
    """ "12 min", "3 h 5 min", "2 d 4 h"; negative values read the same (the caller says
    "overdue")."""
    if seconds is None:
        return "—"
    total = abs(int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": max(minutes, 0 if total < 60 else 1)}


@register.filter
def priority_reason(reason: dict[str, Any]) -> str:
    return priority.describe(reason)  # type: ignore[arg-type]


@register.filter
def routing_event_summary(event: TimelineEvent) -> str:
    """What a routing timeline event says, in the reader's language."""
    data = event.data or {}
    if event.kind == "routed":
        level = data.get("priority")
        label = Priority(level).label if level in Priority.values else ""
        return _("%(queue)s, priority %(priority)s (score %(score)s)") % {
            "queue": event.queue_name,
            "priority": label,
            "score": data.get("score", 0),
        }
    if event.kind in ("sla_warning", "sla_breached"):
        return metric_name(str(data.get("metric", "")))
    if event.kind == "escalated":
        level = data.get("level")
        return str(EscalationLevel(level).label) if level in EscalationLevel.values else ""
    return ""


@register.inclusion_tag("routing/_presence.html", takes_context=True)
def presence_control(context: template.Context) -> dict[str, Any]:
    user = context.get("user")
    if not isinstance(user, User):
        return {"user": None}
    profile = getattr(user, "routing_profile", None)
    return {
        "user": user,
        "presence": profile.presence if profile else Presence.OFFLINE,
        "presence_choices": Presence.choices,
        "unread": notifications.unread_count(user),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("routing/_card.html", takes_context=True)
def routing_card(context: template.Context, conversation: Conversation) -> dict[str, Any]:
    routing = (
        ConversationRouting.objects.filter(pk=conversation.pk).select_related("sla_policy").first()
    )
    now = timezone.now()
    clocks = running_clocks(routing, conversation) if routing is not None else []
    return {
        "conversation": conversation,
        "routing": routing,
        "clocks": [
            {
                "metric": clock.metric,
                "due_at": clock.due_at,
                "seconds_left": int((clock.due_at - now).total_seconds()),
                "warned": clock.stage >= SlaStage.WARNED,
            }
            for clock in clocks
        ],
        "tags": list(conversation.tags.values_list("name", flat=True)),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def notification_text(notification: Notification) -> str:
    """A notification in the reader's language."""
    data = notification.data or {}
    number = notification.conversation_id
    if notification.kind == NotificationKind.SLA_WARNING:
        return _("Conversation #%(number)s: %(metric)s is due soon.") % {
            "number": number,
            "metric": metric_name(str(data.get("metric", ""))),
        }
    if notification.kind == NotificationKind.SLA_BREACHED:
        return _("Conversation #%(number)s: %(metric)s is overdue.") % {
            "number": number,
            "metric": metric_name(str(data.get("metric", ""))),
        }
    if notification.kind == NotificationKind.ESCALATED:
        level = data.get("level")
        return _("Conversation #%(number)s was escalated to you (%(level)s).") % {
            "number": number,
            "level": EscalationLevel(level).label if level in EscalationLevel.values else "",
        }
    if notification.kind == NotificationKind.ASSIGNED:
        level = data.get("priority")
        return _("Conversation #%(number)s was assigned to you (priority %(priority)s).") % {
            "number": number,
            "priority": Priority(level).label if level in Priority.values else "",
        }
    if notification.kind == NotificationKind.RULE:
        return _("Conversation #%(number)s: the rule “%(rule)s” asks you to look.") % {
            "number": number,
            "rule": str(data.get("name", "")),
        }
    if notification.kind == NotificationKind.CASE:
        event = str(data.get("event", ""))
        return _("Complaint case %(case)s on conversation #%(number)s: %(event)s") % {
            "case": data.get("case", ""),
            "number": number,
            "event": str(CASE_EVENTS.get(event, event)),
        }
    if notification.kind == NotificationKind.CHANNEL:
        if data.get("state") == "down":
            return _("The channel “%(name)s” is down: it keeps failing.") % {
                "name": data.get("name", "")
            }
        return _("The channel “%(name)s” has received nothing for longer than expected.") % {
            "name": data.get("name", "")
        }
    return str(notification.get_kind_display())
