"""Console pages of automation rules (supervisors and administrators only): the list in
evaluation order, the editor, and the switches, moves and deletion."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.accounts.access import request_staff_user
from kefu.accounts.models import User
from kefu.conversations.models import CannedResponse
from kefu.lib.ratelimit import client_address
from kefu.lib.taxonomy import intents, queue_choices
from kefu.routing.models import BusinessCalendar
from kefu.rules import services
from kefu.rules.access import access_rule, access_rules, check_can_manage_rules
from kefu.rules.display import Names, summaries
from kefu.rules.errors import RuleInvalid
from kefu.rules.forms import RuleEditor
from kefu.rules.spec import DEFAULT_TIMEZONE

COMMON_TIMEZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Singapore", "Europe/London", "UTC")


@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    rules = list(access_rules(request_staff_user(request)))
    return render(request, "rules/list.html", {"summaries": summaries(rules, Names.load())})


@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    """Create a rule, or edit one; the rows are checked by the parser the service uses."""
    user = request_staff_user(request)
    check_can_manage_rules(user)
    rule = access_rule(user, rule_id) if rule_id is not None else None
    editor = RuleEditor(request.POST or None, rule=rule)
    if request.method == "POST" and editor.is_valid():
        try:
            services.save_rule(
                user,
                rule.pk if rule else None,
                ip_address=client_address(request),
                **editor.rule_fields(),
            )
        except RuleInvalid as error:
            editor.add_error(error.field, str(error.message))
        else:
            messages.success(request, _("Rule saved."))
            return redirect("rules:list")
    return render(request, "rules/edit.html", {"editor": editor, "rule": rule, **_reference()})


def _reference() -> dict[str, Any]:
    """What the editor lists as possible values (the menus of the value boxes)."""
    return {
        "queues": queue_choices(),
        "intents": list(intents().values()),
        "canned_responses": CannedResponse.objects.order_by("title", "language"),
        "calendars": BusinessCalendar.objects.all(),
        "staff": User.objects.filter(is_active=True).order_by("username")[:200],
        "timezones": COMMON_TIMEZONES,
        "default_timezone": DEFAULT_TIMEZONE,
    }


@require_POST
def rule_active(request: HttpRequest, rule_id: int) -> HttpResponse:
    user = request_staff_user(request)
    rule = access_rule(user, rule_id)
    is_active = request.POST.get("is_active") == "1"
    services.set_rule_active(user, rule.pk, is_active=is_active, ip_address=client_address(request))
    return redirect("rules:list")


@require_POST
def rule_move(request: HttpRequest, rule_id: int) -> HttpResponse:
    user = request_staff_user(request)
    rule = access_rule(user, rule_id)
    direction = request.POST.get("direction")
    if direction == "up":
        services.move_rule(user, rule.pk, "up", ip_address=client_address(request))
    elif direction == "down":
        services.move_rule(user, rule.pk, "down", ip_address=client_address(request))
    else:
        raise RuleInvalid(_("Move a rule up or down."), field="direction")
    return redirect("rules:list")


@require_http_methods(["GET", "POST"])
def rule_delete(request: HttpRequest, rule_id: int) -> HttpResponse:
    """Ask first (GET), delete on the confirmation (POST)."""
    user = request_staff_user(request)
    rule = access_rule(user, rule_id)
    if request.method == "POST":
        services.delete_rule(user, rule.pk, ip_address=client_address(request))
        messages.success(request, _("Rule deleted."))
        return redirect("rules:list")
    return render(request, "rules/delete.html", {"rule": rule})
