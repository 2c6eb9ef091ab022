"""The ticket form, and the private tracking page where the customer reads and replies."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.conversations import services as conversations
from kefu.conversations.access import access_attachment_by_token, access_conversation_by_token
from kefu.intake.channels.form import services
from kefu.intake.channels.form.forms import TicketForm, TicketReplyForm
from kefu.lib.attachments import attachment_response
from kefu.lib.errors import KefuError
from kefu.lib.language import normalise_language
from kefu.lib.ratelimit import check_rate_limit
from kefu.lib.uploads import check_uploads


@require_http_methods(["GET", "POST"])
def new_ticket(request: HttpRequest) -> HttpResponse:
    """The ticket form; on success, the private tracking page of the new ticket."""
    form = TicketForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            check_rate_limit(request, "ticket_create")
            uploads = check_uploads(form.cleaned_data["attachments"])
            conversation = services.create_ticket(
                email=form.cleaned_data["email"],
                name=form.cleaned_data["name"],
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["description"],
                language=normalise_language(get_language()),
                uploads=uploads,
            )
        except KefuError as error:
            form.add_error(None, str(error.message))
            status = error.status
        else:
            request.session["kefu_new_ticket"] = conversation.tracking_token
            return redirect("intake:track", token=conversation.tracking_token)
    elif request.method == "POST":
        status = 400
    return render(request, "intake/ticket_new.html", {"form": form}, status=status)


@require_GET
def track(request: HttpRequest, token: str) -> HttpResponse:
    """The ticket's private page: every public message, and a reply form."""
    check_rate_limit(request, "lookup")
    conversation = access_conversation_by_token(token)
    is_new = request.session.pop("kefu_new_ticket", "") == token
    return render(
        request,
        "intake/track.html",
        {
            "conversation": conversation,
            "is_new": is_new,
            "form": TicketReplyForm(),
            "messages_list": conversations.customer_visible_messages(conversation),
            "token": token,
        },
    )


@require_GET
def track_messages(request: HttpRequest, token: str) -> HttpResponse:
    """The message list alone, for live refreshes of the tracking page."""
    check_rate_limit(request, "lookup")
    conversation = access_conversation_by_token(token)
    return render(
        request,
        "intake/_track_messages.html",
        {
            "conversation": conversation,
            "token": token,
            "messages_list": conversations.customer_visible_messages(conversation),
        },
    )


@require_POST
def track_reply(request: HttpRequest, token: str) -> HttpResponse:
    """The customer answers on the tracking page."""
    conversation = access_conversation_by_token(token)
    form = TicketReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            check_rate_limit(request, "customer_message")
            uploads = check_uploads(form.cleaned_data["attachments"])
            conversations.post_customer_message(
                conversation.pk,
                body=form.cleaned_data["body"],
                uploads=uploads,
                client_id=request.POST.get("client_id", "")[:64],
            )
        except KefuError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("Your reply was sent."))
    else:
        messages.error(request, _("Your reply could not be sent. Check the form."))
    return redirect("intake:track", token=token)


@require_GET
def track_attachment(request: HttpRequest, token: str, attachment_id: int) -> FileResponse:
    """A file of the ticket, for the holder of its tracking link."""
    return attachment_response(access_attachment_by_token(token, attachment_id))
