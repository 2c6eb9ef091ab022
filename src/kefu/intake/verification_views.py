"""Pages of official-channel verification: the public check, and the registry staff keep."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.accounts.access import request_staff_user
from kefu.intake.models import OfficialChannel, OfficialKind
from kefu.intake.verification import (
    MAX_LABEL_CHARS,
    MAX_VALUE_CHARS,
    RATE_LIMIT,
    ValueInvalid,
    VerificationResult,
    add_official_channel,
    check_channel,
    deactivate_official_channel,
    may_edit_registry,
    official_channels,
    require_registry_editor,
)
from kefu.lib.ratelimit import check_rate_limit, client_address


class VerifyForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Account, email address, phone number or link"),
        max_length=MAX_VALUE_CHARS,
        required=False,
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        choices=[("", gettext_lazy("Detect it for me")), *OfficialKind.choices],
        required=False,
    )


class OfficialChannelForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=OfficialKind.choices)
    value = forms.CharField(label=gettext_lazy("Handle or address"), max_length=MAX_VALUE_CHARS)
    label = forms.CharField(
        label=gettext_lazy("Description"), max_length=MAX_LABEL_CHARS, required=False
    )


@require_GET
def verify(request: HttpRequest) -> HttpResponse:
    """Check a handle, address, number or link (``?q=...&kind=...``)."""
    form = VerifyForm(request.GET or None)
    result: VerificationResult | None = None
    error = ""
    if form.is_valid() and form.cleaned_data["q"].strip():
        check_rate_limit(request, RATE_LIMIT)
        try:
            result = check_channel(form.cleaned_data["q"], form.cleaned_data["kind"] or None)
        except ValueInvalid as invalid:
            error = str(invalid.message)
    context = {"form": form, "result": result, "error": error, "channels": official_channels()}
    return render(request, "intake/verification/verify.html", context)


@require_http_methods(["GET", "POST"])
def registry(request: HttpRequest) -> HttpResponse:
    """Every agent reads the registry; supervisors and administrators add to it."""
    user = request_staff_user(request)
    form = OfficialChannelForm(request.POST or None)
    if request.method == "POST":
        require_registry_editor(user)
        if form.is_valid():
            try:
                add_official_channel(user, **form.cleaned_data, ip_address=client_address(request))
            except ValueInvalid as invalid:
                form.add_error("value", str(invalid.message))
            else:
                messages.success(request, _("Added to the official channels."))
                return redirect("channels:official:registry")
    context = {
        "form": form,
        "channels": OfficialChannel.objects.order_by("-is_active", "kind", "value"),
        "may_edit": may_edit_registry(user),
    }
    return render(request, "intake/verification/registry.html", context)


@require_POST
def deactivate(request: HttpRequest, channel_id: int) -> HttpResponse:
    user = request_staff_user(request)
    deactivate_official_channel(user, channel_id, ip_address=client_address(request))
    messages.success(request, _("Taken off the official channels."))
    return redirect("channels:official:registry")
