"""Risk pages: the address screening tool, the security team's review cases, the policies."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kefu.accounts.access import request_staff_user
from kefu.conversations.models import Conversation
from kefu.lib.ratelimit import client_address
from kefu.risk import cases as cases_service
from kefu.risk.access import access_case, visible_cases, works_security
from kefu.risk.forms import DecisionForm, PolicyForm, ScreenForm
from kefu.risk.models import CaseStatus, RiskEvent, Severity
from kefu.risk.screening import screen_address
from kefu.risk.services import current_list_versions
from kefu.routing.access import require_supervisor


@require_GET
def screen(request: HttpRequest) -> HttpResponse:
    """Look an address up on the sanctions and scam lists; supervisors also see which list
    versions are loaded."""
    user = request_staff_user(request)
    form = ScreenForm(request.GET if "address" in request.GET else None)
    result = None
    if form.is_valid():
        result = screen_address(form.cleaned_data["address"], form.cleaned_data["asset"])
    versions = current_list_versions() if user.sees_all_queues else []
    context = {"form": form, "result": result, "versions": versions}
    return render(request, "risk/screen.html", context)


@require_GET
def cases(request: HttpRequest) -> HttpResponse:
    """The security team's review cases: open ones first, the most severe first."""
    user = request_staff_user(request)
    if not works_security(user):
        return redirect("risk:screen")  # everyone else has the screening tool
    status = request.GET.get("status", CaseStatus.OPEN)
    rows = visible_cases(user)
    if status in CaseStatus.values:
        rows = rows.filter(status=status)
    rows = rows.annotate(alert_count=Count("alerts")).order_by("-severity", "-updated_at", "-pk")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "risk/cases.html",
        {"page": page, "status": status, "statuses": CaseStatus.choices},
    )


@require_http_methods(["GET", "POST"])
def case(request: HttpRequest, case_id: int) -> HttpResponse:
    """One case: its alerts with their reasons, the actions taken, the customer's recent
    events and conversations; confirm or dismiss it."""
    user = request_staff_user(request)
    risk_case = access_case(user, case_id)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        decide = (
            cases_service.confirm_case
            if form.cleaned_data["decision"] == "confirm"
            else (cases_service.dismiss_case)
        )
        decide(
            user,
            risk_case.pk,
            note=form.cleaned_data["note"],
            ip_address=client_address(request),
        )
        messages.success(request, _("Saved."))
        return redirect("risk:case", case_id=risk_case.pk)
    context = {
        "case": risk_case,
        "alerts": risk_case.alerts.select_related("event").order_by("created_at", "pk"),
        "actions": risk_case.actions.select_related("actor"),
        "events": RiskEvent.objects.filter(user_id=risk_case.user_id).order_by(
            "-occurred_at", "-pk"
        )[:100],
        "conversations": Conversation.objects.filter(
            customer__external_id=risk_case.user_id
        ).order_by("-last_message_at")[:20],
        "form": form,
    }
    return render(request, "risk/case.html", context)


@require_http_methods(["GET", "POST"])
def policies(request: HttpRequest) -> HttpResponse:
    """What Kefu does on its own for each severity (supervisors)."""
    user = request_staff_user(request)
    require_supervisor(user)
    current = {severity: cases_service.policy_actions(severity) for severity in Severity.values}
    form = PolicyForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        for severity in Severity.values:
            cases_service.set_policy(
                user,
                severity,
                form.cleaned_data[f"severity_{severity}"],
                ip_address=client_address(request),
            )
        messages.success(request, _("Saved."))
        return redirect("risk:policies")
    return render(request, "risk/policies.html", {"form": form})
