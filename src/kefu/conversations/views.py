"""The agent console: inbox, conversation, replies, properties, files, audit log, canned replies.

Views parse input, call one service or query and render; htmx requests get fragments.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.accounts.access import request_staff_user
from kefu.accounts.models import AuditLogEntry, User
from kefu.conversations import services
from kefu.conversations.access import (
    access_attachment,
    access_conversation,
    visible_conversations,
)
from kefu.conversations.forms import CannedResponseForm, PropertiesForm, ReplyForm
from kefu.conversations.inbox import inbox_counts, inbox_page, parse_inbox_filter
from kefu.conversations.models import CannedResponse, Channel, Conversation, Priority, Status
from kefu.conversations.stream import conversation_stream, intent_choices
from kefu.lib.attachments import attachment_response
from kefu.lib.errors import KefuError, NotFound, PermissionDenied
from kefu.lib.htmx import is_fragment_request, render_page_or_fragment
from kefu.lib.ratelimit import client_address
from kefu.lib.taxonomy import queue_choices
from kefu.lib.uploads import check_uploads


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The inbox: views on the left, conversations newest first, live-refreshed."""
    user = request_staff_user(request)
    inbox_filter = parse_inbox_filter(
        request.GET.get("view", "all"),
        request.GET.get("status", ""),
        request.GET.get("channel", ""),
    )
    page = inbox_page(user, inbox_filter, cursor=request.GET.get("cursor", ""))
    context = {
        "filter": inbox_filter,
        "page": page,
        "counts": inbox_counts(user),
        "status_choices": Status.choices,
        "queues": queue_choices(),
        "channel_choices": Channel.choices,
        "status_param": request.GET.get("status", ""),
        "channel_param": request.GET.get("channel", ""),
    }
    return render_page_or_fragment(
        request, "conversations/inbox.html", "conversations/_inbox_list.html", context
    )


def stream_context(conversation: Conversation) -> dict[str, Any]:
    """What the stream template needs: the conversation, its stream, the intents to pick."""
    return {
        "conversation": conversation,
        "stream": conversation_stream(conversation),
        "intent_choices": intent_choices(),
    }


@require_GET
def conversation_detail(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """One conversation: its stream of messages and events, reply box and side bar."""
    user = request_staff_user(request)
    conversation = access_conversation(user, conversation_id)
    return render(
        request, "conversations/conversation.html", _conversation_context(user, conversation)
    )


@require_GET
def conversation_stream_fragment(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The stream alone, refreshed when a live update says something changed."""
    user = request_staff_user(request)
    conversation = access_conversation(user, conversation_id)
    return render(
        request,
        "conversations/_stream.html",
        stream_context(conversation),
    )


@require_GET
def conversation_sidebar_fragment(request: HttpRequest, conversation_id: int) -> HttpResponse:
    user = request_staff_user(request)
    conversation = access_conversation(user, conversation_id)
    return render(request, "conversations/_sidebar.html", _conversation_context(user, conversation))


@require_POST
def reply(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Send a reply or note; htmx gets the refreshed stream, a plain form post a redirect."""
    user = request_staff_user(request)
    conversation = access_conversation(user, conversation_id)
    form = ReplyForm(request.POST, request.FILES)
    error = ""
    if form.is_valid():
        try:
            uploads = check_uploads(form.cleaned_data["attachments"])
            set_status = form.cleaned_data["set_status"]
            services.post_agent_message(
                user,
                conversation.pk,
                body=form.cleaned_data["body"],
                is_internal=form.cleaned_data["is_internal"],
                client_id=form.cleaned_data["client_id"],
                uploads=uploads,
                set_status=Status(set_status) if set_status else None,
                ip_address=client_address(request),
            )
        except KefuError as failure:
            error = str(failure.message)
    else:
        error = "; ".join(str(e) for errors in form.errors.values() for e in errors)
    if not is_fragment_request(request):
        if error:
            messages.error(request, error)
        return redirect("conversations:detail", conversation_id=conversation.pk)
    if error:
        response = render(request, "conversations/_reply_error.html", {"error": error})
        response["HX-Retarget"] = "#reply-error"
        response["HX-Reswap"] = "innerHTML"
        return response
    return render(
        request,
        "conversations/_stream.html",
        stream_context(conversation),
    )


@require_POST
def update_properties(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Change status, priority, team or assignee from the side bar."""
    user = request_staff_user(request)
    conversation = access_conversation(user, conversation_id)
    form = PropertiesForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            _apply_properties(user, conversation, form.cleaned_data, client_address(request))
        except KefuError as failure:
            error = str(failure.message)
    else:
        error = "; ".join(str(e) for errors in form.errors.values() for e in errors)
    try:
        conversation = access_conversation(user, conversation_id)
    except NotFound:
        # Transferred to a team this agent does not work: back to the inbox.
        messages.success(request, _("The conversation was transferred."))
        return _redirect(request, reverse("conversations:inbox"))
    if not is_fragment_request(request):
        return redirect("conversations:detail", conversation_id=conversation.pk)
    context = _conversation_context(user, conversation)
    context["properties_error"] = error
    return render(request, "conversations/_sidebar.html", context)


@require_POST
def merge(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Merge this conversation into the one whose number the agent gave; go to it."""
    user = request_staff_user(request)
    source = access_conversation(user, conversation_id)
    number = request.POST.get("target", "").strip().lstrip("#")
    try:
        target = access_conversation(user, int(number)) if number.isdigit() else None
        if target is None:
            raise NotFound()
        services.merge_conversations(user, source.pk, target.pk, ip_address=client_address(request))
    except KefuError as failure:
        messages.error(request, str(failure.message))
        return _redirect(request, reverse("conversations:detail", args=[source.pk]))
    messages.success(
        request, _("Conversation #%(number)s was merged into this one.") % {"number": source.pk}
    )
    return _redirect(request, reverse("conversations:detail", args=[target.pk]))


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if is_fragment_request(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _apply_properties(
    user: User, conversation: Conversation, data: dict[str, Any], ip_address: str
) -> None:
    if data.get("status"):
        services.change_status(user, conversation.pk, data["status"], ip_address=ip_address)
    if data.get("priority") is not None:
        services.change_priority(user, conversation.pk, data["priority"], ip_address=ip_address)
    if data.get("queue"):
        services.assign_conversation(
            user, conversation.pk, queue=data["queue"], ip_address=ip_address
        )
    if data.get("assignee"):
        raw = data["assignee"]
        assignee_id = None if raw == "none" else int(raw) if raw.isdigit() else -1
        services.assign_conversation(
            user, conversation.pk, assignee_id=assignee_id, ip_address=ip_address
        )


def _conversation_context(user: User, conversation: Conversation) -> dict[str, Any]:
    customer = conversation.customer
    return {
        "conversation": conversation,
        "customer": customer,
        "stream": conversation_stream(conversation),
        "intent_choices": intent_choices(),
        "reply_form": ReplyForm(),
        "status_choices": Status.choices,
        "priority_choices": Priority.choices,
        "queues": queue_choices(),
        "agents": User.objects.filter(is_active=True).order_by("display_name", "username"),
        "canned_responses": services.canned_responses_for(conversation),
        "other_conversations": visible_conversations(user)
        .filter(customer=customer)
        .exclude(pk=conversation.pk)
        .order_by("-last_message_at")[:5],
    }


@require_GET
def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    return attachment_response(access_attachment(request_staff_user(request), attachment_id))


@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """Every staff action, newest first (supervisors and administrators)."""
    user = request_staff_user(request)
    if not user.sees_all_queues:
        raise PermissionDenied()
    entries = AuditLogEntry.objects.select_related("actor")
    action = request.GET.get("action", "")
    if action:
        entries = entries.filter(action__startswith=action[:60])
    actor = request.GET.get("actor", "")
    if actor:
        entries = entries.filter(actor_label=actor[:150])
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request, "conversations/audit_log.html", {"page": page, "action": action, "actor": actor}
    )


@require_http_methods(["GET", "POST"])
def canned_responses(request: HttpRequest, response_id: int | None = None) -> HttpResponse:
    """List, create and edit canned responses (supervisors and administrators)."""
    user = request_staff_user(request)
    if not user.sees_all_queues:
        raise PermissionDenied()
    instance = get_object_or_404(CannedResponse, pk=response_id) if response_id else None
    form = CannedResponseForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        services.save_canned_response(user, form, ip_address=client_address(request))
        return redirect("conversations:canned_responses")
    return render(
        request,
        "conversations/canned_responses.html",
        {
            "form": form,
            "editing": instance,
            "responses": CannedResponse.objects.all(),
        },
    )


@require_POST
def delete_canned_response(request: HttpRequest, response_id: int) -> HttpResponse:
    user = request_staff_user(request)
    if not user.sees_all_queues:
        raise PermissionDenied()
    services.delete_canned_response(user, response_id, ip_address=client_address(request))
    return redirect("conversations:canned_responses")
