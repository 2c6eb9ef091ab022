"""REST endpoints of conversations: the customer's view by tracking token, and staff endpoints."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja import Status as HttpStatus
from ninja.security import HttpBearer

from kefu.accounts.errors import AuthenticationRequired
from kefu.accounts.models import User
from kefu.accounts.services import authenticate_api_token
from kefu.conversations import services
from kefu.conversations.access import access_conversation, access_conversation_by_token
from kefu.conversations.errors import InvalidChange
from kefu.conversations.events import message_payload
from kefu.conversations.inbox import inbox_page, parse_inbox_filter
from kefu.conversations.models import Conversation, Status
from kefu.conversations.schemas import (
    AssignIn,
    ConversationDetailOut,
    ConversationOut,
    ConversationPage,
    CustomerContactIn,
    CustomerContactOut,
    CustomerMessageIn,
    MessageOut,
    PriorityIn,
    PublicConversationOut,
    ReplyIn,
    StatusIn,
)
from kefu.lib.ratelimit import check_rate_limit, client_address


class StaffToken(HttpBearer):
    """``Authorization: Bearer kefu_...``: a staff member's API token."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return authenticate_api_token(token)


def staff(request: HttpRequest) -> User:
    """The staff member the request's token belongs to."""
    user = getattr(request, "auth", None)
    if not isinstance(user, User):
        raise AuthenticationRequired()
    return user


public_router = Router(tags=["customers"])
staff_router = Router(tags=["staff"], auth=StaffToken())


@public_router.get(
    "/conversations/{token}",
    response=PublicConversationOut,
    summary="Read a conversation by its private tracking token",
)
def read_conversation(request: HttpRequest, token: str) -> dict[str, object]:
    check_rate_limit(request, "lookup")
    conversation = access_conversation_by_token(token)
    return {
        "number": conversation.number,
        "status": conversation.status,
        "subject": conversation.subject,
        "created_at": conversation.created_at,
        "messages": services.customer_messages(conversation),
    }


@public_router.post(
    "/conversations/{token}/messages",
    response={200: MessageOut, 201: MessageOut},
    summary="Post a customer message to a conversation",
)
def post_customer_message(
    request: HttpRequest, token: str, payload: CustomerMessageIn
) -> HttpStatus[object]:
    check_rate_limit(request, "customer_message")
    conversation = access_conversation_by_token(token)
    posted = services.post_customer_message(
        conversation.pk, body=payload.body, client_id=payload.client_id
    )
    return HttpStatus(
        201 if posted.created else 200, message_payload(posted.message, posted.attachments)
    )


@staff_router.get(
    "/conversations", response=ConversationPage, summary="List conversations, newest activity first"
)
def list_conversations(
    request: HttpRequest,
    view: str = "all",
    status: str = "",
    channel: str = "",
    cursor: str = "",
    limit: int = 25,
) -> dict[str, object]:
    page = inbox_page(
        staff(request), parse_inbox_filter(view, status, channel), cursor=cursor, limit=limit
    )
    return {
        "items": [_conversation_out(c) for c in page.conversations],
        "next_cursor": page.next_cursor,
    }


@staff_router.get(
    "/conversations/{conversation_id}",
    response=ConversationDetailOut,
    summary="Read a conversation with every message, internal notes included",
)
def read_staff_conversation(request: HttpRequest, conversation_id: int) -> dict[str, object]:
    conversation = access_conversation(staff(request), conversation_id)
    messages = conversation.messages.select_related("author").prefetch_related("attachments")
    return {
        **_conversation_out(conversation),
        "messages": [
            {
                **message_payload(m, list(m.attachments.all())),
                "intent": m.intent,
                "analysis": m.analysis,
            }
            for m in messages
        ],
    }


@staff_router.post(
    "/conversations/{conversation_id}/replies",
    response={200: MessageOut, 201: MessageOut},
    summary="Reply to the customer, or add an internal note",
)
def reply(request: HttpRequest, conversation_id: int, payload: ReplyIn) -> HttpStatus[object]:
    user = staff(request)
    access_conversation(user, conversation_id)
    if payload.status is not None and payload.status not in Status.values:
        raise InvalidChange(_("Unknown status."), field="status")
    posted = services.post_agent_message(
        user,
        conversation_id,
        body=payload.body,
        is_internal=payload.is_internal,
        client_id=payload.client_id,
        set_status=Status(payload.status) if payload.status else None,
        ip_address=client_address(request),
    )
    return HttpStatus(
        201 if posted.created else 200, message_payload(posted.message, posted.attachments)
    )


@staff_router.post(
    "/conversations/{conversation_id}/assign",
    response=ConversationOut,
    summary="Assign to an agent and/or transfer to another team's queue",
)
def assign(request: HttpRequest, conversation_id: int, payload: AssignIn) -> dict[str, object]:
    user = staff(request)
    access_conversation(user, conversation_id)
    assignee: int | object | None = services.UNCHANGED
    if payload.unassign:
        assignee = None
    elif payload.assignee_id is not None:
        assignee = payload.assignee_id
    conversation = services.assign_conversation(
        user,
        conversation_id,
        assignee_id=assignee,
        queue=payload.queue,
        ip_address=client_address(request),
    )
    return _conversation_out(_reload(conversation))


@staff_router.post(
    "/conversations/{conversation_id}/status",
    response=ConversationOut,
    summary="Change the status: open, pending, resolved or closed",
)
def set_status(request: HttpRequest, conversation_id: int, payload: StatusIn) -> dict[str, object]:
    user = staff(request)
    access_conversation(user, conversation_id)
    conversation = services.change_status(
        user, conversation_id, payload.status, ip_address=client_address(request)
    )
    return _conversation_out(_reload(conversation))


@staff_router.post(
    "/conversations/{conversation_id}/priority",
    response=ConversationOut,
    summary="Change the priority: 1 low, 2 normal, 3 high, 4 urgent",
)
def set_priority(
    request: HttpRequest, conversation_id: int, payload: PriorityIn
) -> dict[str, object]:
    user = staff(request)
    access_conversation(user, conversation_id)
    conversation = services.change_priority(
        user, conversation_id, payload.priority, ip_address=client_address(request)
    )
    return _conversation_out(_reload(conversation))


@staff_router.put(
    "/customers/{external_id}/contact",
    response=CustomerContactOut,
    summary="Set a customer's anti-phishing code and verified phone (by exchange user id)",
    description=(
        "For the exchange's back office (a supervisor's or administrator's token): every email "
        "Kefu sends the customer shows their anti-phishing code, so a mail without it is known "
        "to be fake; calls are matched to the customer by the phone number. Fields left out "
        "stay as they are; an empty string clears one. The code is never returned."
    ),
)
def set_customer_contact(
    request: HttpRequest, external_id: str, payload: CustomerContactIn
) -> dict[str, object]:
    customer = services.set_customer_contact(
        staff(request),
        external_id,
        anti_phishing_code=payload.anti_phishing_code,
        phone=payload.phone,
        name=payload.name,
        ip_address=client_address(request),
    )
    return {
        "external_id": customer.external_id or "",
        "anti_phishing_code_set": bool(customer.anti_phishing_code),
        "phone": customer.phone,
    }


def _reload(conversation: Conversation) -> Conversation:
    return Conversation.objects.select_related("customer").get(pk=conversation.pk)


def _conversation_out(conversation: Conversation) -> dict[str, object]:
    customer = conversation.customer
    return {
        "id": conversation.pk,
        "number": conversation.number,
        "channel": conversation.channel,
        "status": conversation.status,
        "priority": conversation.priority,
        "queue": conversation.queue,
        "intent": conversation.intent,
        "subject": conversation.subject,
        "language": conversation.language,
        "assignee_id": conversation.assignee_id,
        "customer": {
            "id": customer.pk,
            "external_id": customer.external_id,
            "name": customer.name,
            "email": customer.email,
            "language": customer.language,
            "vip_tier": customer.vip_tier,
            "security_level": customer.security_level,
        },
        "created_at": conversation.created_at,
        "last_message_at": conversation.last_message_at,
        "first_response_at": conversation.first_response_at,
        "resolved_at": conversation.resolved_at,
        "message_count": conversation.message_count,
    }
