"""Console pages of the phone channel: an agent logs a call by hand."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kefu.accounts.access import request_staff_user
from kefu.conversations.access import access_conversation
from kefu.intake.channels.phone import services
from kefu.intake.channels.phone.errors import CallInvalid
from kefu.intake.channels.phone.forms import CallLogForm
from kefu.lib.ratelimit import client_address


@require_http_methods(["GET", "POST"])
def log_call(request: HttpRequest, conversation_id: int) -> HttpResponse:
    user = request_staff_user(request)
    conversation = access_conversation(user, conversation_id)
    initial = {"started_at": timezone.localtime(), "customer_number": conversation.customer.phone}
    form = CallLogForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.log_call_by_hand(
                user,
                conversation.pk,
                direction=data["direction"],
                started_at=data["started_at"],
                duration_seconds=form.total_seconds,
                customer_number=data["customer_number"],
                notes=data["notes"],
                recording_url=data["recording_url"],
                ip_address=client_address(request),
            )
        except CallInvalid as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
        else:
            messages.success(request, _("The call was logged."))
            return redirect("conversations:detail", conversation.pk)
    context = {"form": form, "conversation": conversation}
    return render(request, "phone/log_call.html", context)
