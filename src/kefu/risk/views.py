"""Risk pages: the address screening tool of the console."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kefu.accounts.access import request_staff_user
from kefu.risk.forms import ScreenForm
from kefu.risk.screening import screen_address
from kefu.risk.services import current_list_versions


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
