"""Complaint cases in the console (list, detail, actions) and the customer's answers on the
ticket's tracking page. Views parse input, call one service and redirect or render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from kefu.accounts.access import request_staff_user
from kefu.accounts.models import User
from kefu.complaints import services
from kefu.complaints.access import (
    CASE_VIEWS,
    access_case,
    access_case_by_token,
    cases_in_view,
    may_act_on_case,
    may_reassign_cases,
    possible_owners,
)
from kefu.complaints.forms import (
    ComplaintForm,
    EscalationForm,
    NoteForm,
    ReassignForm,
    RejectForm,
    ResolutionForm,
)
from kefu.complaints.models import Case, CaseSource
from kefu.conversations.access import access_conversation, access_conversation_by_token
from kefu.lib.errors import KefuError, NotFound, PermissionDenied
from kefu.lib.ratelimit import check_rate_limit, client_address

CASES_PER_PAGE = 50


@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    """Cases the staff member may see: theirs as owner, every open one, or the overdue ones."""
    user = request_staff_user(request)
    view = request.GET.get("view", "mine")
    if view not in CASE_VIEWS:
        view = "mine"
    page = Paginator(cases_in_view(user, view, timezone.now()), CASES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "complaints/cases.html",
        {"page": page, "view": view, "views": CASE_VIEWS, "now": timezone.now()},
    )


@require_GET
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    """One case: reason, notes, actions, the resolution and the customer's answer."""
    user = request_staff_user(request)
    case = access_case(user, case_id)
    may_reassign = may_reassign_cases(user)
    context = {
        "case": case,
        "conversation": case.conversation,
        "notes": case.notes.select_related("author"),
        "may_act": may_act_on_case(user, case),
        "may_reassign": may_reassign,
        "owners": possible_owners() if may_reassign else [],
        "note_form": NoteForm(),
        "resolution_form": ResolutionForm(initial={"text": case.resolution}),
    }
    return render(request, "complaints/case.html", context)


@require_POST
def mark_as_complaint(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Staff open a case on a conversation from its side bar."""
    user = request_staff_user(request)
    conversation = access_conversation(user, conversation_id)
    form = ComplaintForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("conversations:detail", conversation_id=conversation.pk)
    try:
        case = services.open_case(
            conversation.pk,
            source=CaseSource.AGENT,
            reason=form.cleaned_data["reason"],
            opened_by=user,
            ip_address=client_address(request),
        )
    except KefuError as error:
        messages.error(request, str(error.message))
        return redirect("conversations:detail", conversation_id=conversation.pk)
    return redirect("complaints:detail", case_id=case.pk)


@require_POST
def add_note(request: HttpRequest, case_id: int) -> HttpResponse:
    form = NoteForm(request.POST)
    return _act(
        request,
        case_id,
        form,
        lambda user, case, ip: services.add_note(
            user, case.pk, form.cleaned_data["body"], ip_address=ip
        ),
        _("Note added."),
    )


@require_POST
def start_investigation(request: HttpRequest, case_id: int) -> HttpResponse:
    return _act(
        request,
        case_id,
        None,
        lambda user, case, ip: services.start_investigation(user, case.pk, ip_address=ip),
        _("You are investigating this case."),
    )


@require_POST
def propose_resolution(request: HttpRequest, case_id: int) -> HttpResponse:
    form = ResolutionForm(request.POST)
    return _act(
        request,
        case_id,
        form,
        lambda user, case, ip: services.propose_resolution(
            user, case.pk, form.cleaned_data["text"], ip_address=ip
        ),
        _("The resolution was sent to the customer."),
    )


@require_POST
def reassign(request: HttpRequest, case_id: int) -> HttpResponse:
    form = ReassignForm(request.POST)
    return _act(
        request,
        case_id,
        form,
        lambda user, case, ip: services.reassign_case(
            user, case.pk, form.cleaned_data["owner"], ip_address=ip
        ),
        _("The case has a new owner."),
    )


@require_POST
def close(request: HttpRequest, case_id: int) -> HttpResponse:
    return _act(
        request,
        case_id,
        None,
        lambda user, case, ip: services.close_case(user, case.pk, ip_address=ip),
        _("The case is closed."),
    )


def _act(
    request: HttpRequest,
    case_id: int,
    form: forms.Form | None,
    action: Callable[[User, Case, str], object],
    success: Promise,
) -> HttpResponse:
    """Run one staff action on a case the user may see, then back to the case. PermissionDenied
    becomes the 403 page; other refusals are shown on the case page."""
    user = request_staff_user(request)
    case = access_case(user, case_id)
    if form is not None and not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("complaints:detail", case_id=case.pk)
    try:
        action(user, case, client_address(request))
    except PermissionDenied:
        raise
    except KefuError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, str(success))
    return redirect("complaints:detail", case_id=case.pk)


@require_POST
def customer_escalate(request: HttpRequest, token: str) -> HttpResponse:
    """The customer asks to escalate, from the tracking page."""
    check_rate_limit(request, "ticket_create")
    access_conversation_by_token(token)
    form = EscalationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("intake:track", token=token)
    return _answer(
        request,
        token,
        lambda: services.request_escalation(token, form.cleaned_data["reason"]),
        _("Your complaint was passed to a supervisor. We will reply here."),
    )


@require_POST
def customer_confirm(request: HttpRequest, token: str, case_id: int) -> HttpResponse:
    """The customer says the proposed resolution resolves their complaint."""
    check_rate_limit(request, "customer_message")
    access_case_by_token(token, case_id)
    return _answer(
        request,
        token,
        lambda: services.customer_confirm(token, case_id),
        _("Thank you. Your complaint is closed."),
    )


@require_POST
def customer_reject(request: HttpRequest, token: str, case_id: int) -> HttpResponse:
    """The customer is still not satisfied with the proposed resolution."""
    check_rate_limit(request, "customer_message")
    access_case_by_token(token, case_id)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return redirect("intake:track", token=token)
    return _answer(
        request,
        token,
        lambda: services.customer_reject(token, case_id, form.cleaned_data["comment"]),
        _("We are sorry. Your complaint was passed further up and we will reply here."),
    )


def _answer(
    request: HttpRequest, token: str, action: Callable[[], Any], success: Promise
) -> HttpResponse:
    try:
        action()
    except NotFound:
        raise
    except KefuError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, str(success))
    return redirect("intake:track", token=token)


def _first_error(form: forms.Form) -> str:
    """The first error of a form, as a sentence to show."""
    for errors in form.errors.values():
        for error in errors:
            return str(error)
    return str(_("Check the form."))
