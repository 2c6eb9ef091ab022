"""Routing pages: presence, notifications, the SLA board, agents and their routing profiles,
re-balancing, SLA policies and business calendars, and tags on a conversation."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.accounts.access import request_staff_user
from kefu.conversations import services as conversations
from kefu.conversations.access import access_conversation, visible_queues
from kefu.lib.errors import KefuError
from kefu.lib.htmx import is_fragment_request, render_page_or_fragment
from kefu.lib.ratelimit import client_address
from kefu.lib.taxonomy import queue_choices, queues
from kefu.routing import board, notifications, policies, services
from kefu.routing.access import (
    access_calendar,
    access_sla_policy,
    access_staff_member,
    require_supervisor,
)
from kefu.routing.forms import (
    AgentProfileForm,
    BusinessCalendarForm,
    HolidayForm,
    PresenceForm,
    SlaPolicyForm,
)
from kefu.routing.models import BusinessCalendar, Notification, Presence, SlaPolicy


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


@require_POST
def presence(request: HttpRequest) -> HttpResponse:
    """Set one's own presence from the console header."""
    user = request_staff_user(request)
    form = PresenceForm(request.POST)
    if form.is_valid():
        services.set_presence(user, form.cleaned_data["presence"])
    if is_fragment_request(request):
        context = {
            "presence": services.profile_for(user).presence,
            "presence_choices": Presence.choices,
            "user": user,
            "unread": notifications.unread_count(user),
        }
        return render(request, "routing/_presence.html", context)
    return _back(request, "conversations:inbox")


@require_http_methods(["GET", "POST"])
def notification_list(request: HttpRequest) -> HttpResponse:
    """One's notifications, newest first; POST marks them read."""
    user = request_staff_user(request)
    if request.method == "POST":
        notifications.mark_read(user)
        return redirect("routing:notifications")
    rows = Notification.objects.filter(recipient=user).select_related("conversation")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "routing/notifications.html", {"page": page})


@require_GET
def waiting(request: HttpRequest) -> HttpResponse:
    """The queues of one's teams (every queue for supervisors) in the order they are served:
    priority, then the longest wait, with each one's score and first-response due time."""
    user = request_staff_user(request)
    worked = visible_queues(user)
    rows = [
        conversation
        for conversation in services.waiting_conversations()
        if worked is None or conversation.queue in worked
    ][: board.BOARD_ROWS]
    return render_page_or_fragment(
        request, "routing/waiting.html", "routing/_waiting.html", {"rows": rows}
    )


@require_GET
def sla_board(request: HttpRequest) -> HttpResponse:
    """The live SLA board (refreshes itself): nearest due first, breaches and risks counted."""
    user = request_staff_user(request)
    require_supervisor(user)
    queue = request.GET.get("queue", "")
    queue = queue if queue in queues() else ""
    context = {"board": board.sla_board(queue), "queue": queue, "queues": queue_choices()}
    return render_page_or_fragment(
        request, "routing/sla_board.html", "routing/_sla_board.html", context
    )


@require_GET
def agents(request: HttpRequest) -> HttpResponse:
    """Every staff member: presence, load against capacity, teams; re-balance the queues."""
    user = request_staff_user(request)
    require_supervisor(user)
    return render(
        request, "routing/agents.html", {"lines": board.team_overview(), "queues": queue_choices()}
    )


@require_http_methods(["GET", "POST"])
def agent_profile(request: HttpRequest, staff_id: int) -> HttpResponse:
    """A staff member's teams, languages, seniority, capacity and skills."""
    user = request_staff_user(request)
    member = access_staff_member(user, staff_id)
    profile = services.profile_for(member)
    initial = {
        "teams": list(member.teams.values_list("queue", flat=True)),
        "languages": member.languages_spoken,
        "seniority": profile.seniority,
        "chat_capacity": profile.chat_capacity,
        "ticket_capacity": profile.ticket_capacity,
        **{f"skill_{queue}": profile.skill_in(queue) for queue in queues()},
    }
    form = AgentProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        policies.update_agent_profile(
            user,
            member,
            teams=data["teams"],
            languages=data["languages"],
            seniority=data["seniority"],
            chat_capacity=data["chat_capacity"],
            ticket_capacity=data["ticket_capacity"],
            skill_levels=form.skill_levels(),
            ip_address=client_address(request),
        )
        messages.success(request, _("Saved."))
        return redirect("routing:agents")
    return render(request, "routing/agent_profile.html", {"form": form, "member": member})


@require_POST
def rebalance(request: HttpRequest) -> HttpResponse:
    """Give back work of offline and overloaded agents and serve the queues again."""
    user = request_staff_user(request)
    require_supervisor(user)
    queue = request.POST.get("queue", "")
    result = services.rebalance(
        user, queue=queue if queue in queues() else None, ip_address=client_address(request)
    )
    messages.success(
        request,
        _("%(returned)d conversations went back to their queue; %(assigned)d were assigned.")
        % {"returned": result.returned, "assigned": result.assigned},
    )
    return redirect("routing:agents")


@require_GET
def sla_policies(request: HttpRequest) -> HttpResponse:
    user = request_staff_user(request)
    require_supervisor(user)
    context = {
        "policies": SlaPolicy.objects.select_related("calendar"),
        "calendars": BusinessCalendar.objects.prefetch_related("holidays"),
    }
    return render(request, "routing/sla_policies.html", context)


@require_http_methods(["GET", "POST"])
def sla_policy(request: HttpRequest, policy_id: int | None = None) -> HttpResponse:
    user = request_staff_user(request)
    require_supervisor(user)
    instance = access_sla_policy(user, policy_id) if policy_id else None
    form = SlaPolicyForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        policies.save_sla_policy(user, form.save(commit=False), ip_address=client_address(request))
        messages.success(request, _("Saved."))
        return redirect("routing:sla_policies")
    return render(request, "routing/sla_policy.html", {"form": form, "policy": instance})


@require_http_methods(["GET", "POST"])
def calendar(request: HttpRequest, calendar_id: int | None = None) -> HttpResponse:
    user = request_staff_user(request)
    require_supervisor(user)
    instance = access_calendar(user, calendar_id) if calendar_id else None
    form = BusinessCalendarForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        saved = policies.save_calendar(
            user,
            instance,
            name=data["name"],
            timezone=data["timezone"],
            hours=data["hours"],
            ip_address=client_address(request),
        )
        messages.success(request, _("Saved."))
        return redirect("routing:calendar", calendar_id=saved.pk)
    context = {
        "form": form,
        "calendar": instance,
        "holiday_form": HolidayForm(),
        "holidays": instance.holidays.all() if instance else [],
    }
    return render(request, "routing/calendar.html", context)


@require_POST
def holidays(request: HttpRequest, calendar_id: int) -> HttpResponse:
    """Add a holiday (date, name), or remove one (``remove`` = its id)."""
    user = request_staff_user(request)
    instance = access_calendar(user, calendar_id)
    remove = request.POST.get("remove", "")
    if remove.isdigit():
        policies.remove_holiday(user, instance, int(remove), ip_address=client_address(request))
        return redirect("routing:calendar", calendar_id=instance.pk)
    form = HolidayForm(request.POST)
    if form.is_valid():
        policies.add_holiday(
            user,
            instance,
            form.cleaned_data["date"],
            form.cleaned_data["name"],
            ip_address=client_address(request),
        )
    else:
        messages.error(request, _("Give the holiday a valid date."))
    return redirect("routing:calendar", calendar_id=instance.pk)


@require_POST
def tags(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Add a tag to a conversation (``tag``), or remove one (``remove``)."""
    user = request_staff_user(request)
    conversation = access_conversation(user, conversation_id)
    try:
        if request.POST.get("remove"):
            conversations.remove_tag(
                user, conversation.pk, request.POST["remove"], ip_address=client_address(request)
            )
        else:
            conversations.add_tag(
                conversation.pk,
                request.POST.get("tag", ""),
                actor=user,
                ip_address=client_address(request),
            )
    except KefuError as error:
        messages.error(request, str(error.message))
    return redirect("conversations:detail", conversation_id=conversation.pk)
