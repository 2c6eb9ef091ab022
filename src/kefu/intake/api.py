"""REST endpoints of the customer channels: tickets and the chat widget's session."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router
from ninja import Status as HttpStatus

from kefu.conversations.notifications import tracking_url
from kefu.intake.channels.form import services as form_services
from kefu.intake.channels.widget.identity import open_widget_session
from kefu.intake.schemas import TicketIn, TicketOut, WidgetSessionIn, WidgetSessionOut
from kefu.lib.ratelimit import check_rate_limit

router = Router(tags=["customers"])


@router.post("/tickets", response={201: TicketOut}, summary="Open a ticket")
def create_ticket(request: HttpRequest, payload: TicketIn) -> HttpStatus[dict[str, object]]:
    check_rate_limit(request, "ticket_create")
    conversation = form_services.create_ticket(
        email=payload.email,
        name=payload.name,
        subject=payload.subject,
        body=payload.body,
        language=payload.language,
        external_id=payload.external_id,
        from_api=True,
    )
    return HttpStatus(
        201,
        {
            "number": conversation.number,
            "status": conversation.status,
            "tracking_token": conversation.tracking_token,
            "tracking_url": tracking_url(conversation.tracking_token),
        },
    )


@router.post(
    "/widget/session",
    response=WidgetSessionOut,
    summary="Start or renew a chat-widget visitor session",
)
def widget_session(request: HttpRequest, payload: WidgetSessionIn) -> dict[str, str]:
    check_rate_limit(request, "widget_session")
    token = open_widget_session(
        visitor_token=payload.visitor_token,
        external_id=payload.user_id,
        external_id_hash=payload.user_hash,
        name=payload.name,
        email=payload.email,
        language=payload.language,
    )
    return {"visitor_token": token}
