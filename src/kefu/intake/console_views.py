"""Console pages of the channels: every account with its health, adding and editing one,
checking it now, and retrying replies that did not go out. For supervisors."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kefu.accounts.access import request_staff_user
from kefu.intake import connections, health
from kefu.intake.access import access_channel_account, access_delivery
from kefu.intake.forms import ChannelAccountForm
from kefu.intake.models import ChannelAccount, ChannelKind
from kefu.lib.errors import KefuError, NotFound
from kefu.lib.ratelimit import client_address
from kefu.routing.access import require_supervisor


@require_GET
def channel_list(request: HttpRequest) -> HttpResponse:
    require_supervisor(request_staff_user(request))
    context = {"channels": health.channel_health(), "kinds": ChannelKind.choices}
    return render(request, "intake/channels/list.html", context)


@require_http_methods(["GET", "POST"])
def channel_account(
    request: HttpRequest, account_id: int | None = None, kind: str = ""
) -> HttpResponse:
    user = request_staff_user(request)
    require_supervisor(user)
    if account_id is not None:
        account = access_channel_account(user, account_id)
    elif kind in ChannelKind.values:
        account = ChannelAccount(kind=kind)
    else:
        raise NotFound()
    before = dict(account.config or {})
    form = ChannelAccountForm(request.POST or None, instance=account, kind=account.kind)
    if request.method == "POST" and form.is_valid():
        try:
            saved = connections.save_channel_account(
                user, form.save(commit=False), form.settings(), ip_address=client_address(request)
            )
        except KefuError as error:
            name = f"setting_{error.field}"
            form.add_error(name if name in form.fields else None, str(error.message))
        else:
            problem = connections.set_up_channel(saved, before)
            if problem:
                messages.error(
                    request,
                    _("Saved, but the channel could not be set up: %(error)s") % {"error": problem},
                )
            else:
                messages.success(request, _("Saved."))
            return redirect("channels:account", saved.pk)
    context = {
        "form": form,
        "account": account if account.pk else None,
        "kind_label": ChannelKind(account.kind).label,
        "status": next(iter(health.channel_health(account_id=account.pk)), None)
        if account.pk
        else None,
        "deliveries": connections.failed_deliveries(account) if account.pk else [],
    }
    return render(request, "intake/channels/account.html", context)


@require_POST
def check_account(request: HttpRequest, account_id: int) -> HttpResponse:
    user = request_staff_user(request)
    account = access_channel_account(user, account_id)
    result = connections.check_now(account)
    if result.error:
        messages.error(request, _("The check failed: %(error)s") % {"error": result.error})
    else:
        text = ngettext(
            "Checked: %(count)d new message.", "Checked: %(count)d new messages.", result.fetched
        )
        messages.success(request, text % {"count": result.fetched})
    return redirect("channels:account", account.pk)


@require_POST
def retry_delivery(request: HttpRequest, delivery_id: int) -> HttpResponse:
    user = request_staff_user(request)
    delivery = access_delivery(user, delivery_id)
    connections.retry_delivery(user, delivery)
    messages.success(request, _("The reply will be sent again now."))
    return redirect("channels:account", delivery.account_id)
