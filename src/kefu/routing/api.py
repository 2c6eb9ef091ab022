"""REST endpoints of routing (staff): a conversation's priority reasons and due times, the
queues, and one's own presence."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router

from kefu.conversations.access import access_conversation
from kefu.conversations.api import StaffToken, staff
from kefu.conversations.errors import InvalidChange
from kefu.lib.errors import NotFound
from kefu.routing import board, priority, services
from kefu.routing.models import ConversationRouting, Presence
from kefu.routing.schemas import PresenceIn, PresenceOut, QueueOut, RoutingOut

router = Router(tags=["staff"], auth=StaffToken())


@router.get(
    "/conversations/{conversation_id}/routing",
    response=RoutingOut,
    summary="Why a conversation has its priority, and its SLA due times",
)
def conversation_routing(request: HttpRequest, conversation_id: int) -> dict[str, object]:
    conversation = access_conversation(staff(request), conversation_id)
    row = (
        ConversationRouting.objects.filter(pk=conversation.pk).select_related("sla_policy").first()
    )
    if row is None:
        raise NotFound(_("This conversation has not been handed to people yet."))
    return {
        "conversation_id": conversation.pk,
        "priority": conversation.priority,
        "priority_score": row.priority_score,
        "priority_is_manual": row.priority_is_manual,
        "reasons": [
            {**reason, "text": priority.describe(reason)} for reason in row.priority_reasons
        ],
        "queued_at": row.queued_at,
        "sla_policy": row.sla_policy.name if row.sla_policy else None,
        "first_response_due_at": row.first_response_due_at,
        "next_response_due_at": row.next_response_due_at,
        "resolution_due_at": row.resolution_due_at,
        "escalation_level": row.escalation_level,
    }


@router.get("/queues", response=list[QueueOut], summary="Waiting conversations per queue")
def queues(request: HttpRequest) -> list[board.QueueLine]:
    staff(request)
    return board.queue_lines(timezone.now())


@router.put("/presence", response=PresenceOut, summary="Set your presence")
def set_presence(request: HttpRequest, payload: PresenceIn) -> dict[str, object]:
    user = staff(request)
    if payload.presence not in Presence.values:
        raise InvalidChange(_("Presence is online, away or offline."), field="presence")
    profile = services.set_presence(user, payload.presence)
    return {
        "presence": profile.presence,
        "chat_capacity": profile.chat_capacity,
        "ticket_capacity": profile.ticket_capacity,
    }
