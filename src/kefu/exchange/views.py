"""The exchange account beside a conversation in the console: what the back office knows about
the customer, and the actions an agent may take within their role."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kefu.accounts.access import request_staff_user
from kefu.accounts.models import Role, User
from kefu.conversations.access import access_conversation
from kefu.exchange import services
from kefu.exchange.adapter import (
    HOLDABLE,
    Balance,
    Deposit,
    Profile,
    Withdrawal,
    WithdrawalStatus,
)
from kefu.lib.errors import KefuError
from kefu.lib.ratelimit import client_address

RECENT = 5
ACTIONS = ("unlock", "lock", "step_up", "two_factor_reset", "hold", "release")


@dataclass
class AccountView:
    user_id: str
    profile: Profile | None = None
    balances: list[Balance] = field(default_factory=list)
    deposits: list[Deposit] = field(default_factory=list)
    withdrawals: list[Withdrawal] = field(default_factory=list)
    error: str = ""
    notice: str = ""
    holdable: tuple[str, ...] = tuple(HOLDABLE)
    held: str = WithdrawalStatus.HELD


def _account(user_id: str) -> AccountView:
    view = AccountView(user_id=user_id)
    adapter = services.exchange()
    try:
        view.profile = adapter.profile(user_id)
        view.balances = [row for row in adapter.balances(user_id) if row.amount]
        view.deposits = adapter.deposits(user_id, limit=RECENT)
        view.withdrawals = adapter.withdrawals(user_id, limit=RECENT)
    except KefuError as error:
        view.error = str(error.message)
    return view


def _render(
    request: HttpRequest, user: User, conversation_id: int, view: AccountView
) -> HttpResponse:
    context = {
        "conversation_id": conversation_id,
        "account": view,
        "is_supervisor": user.role != Role.AGENT,
    }
    return render(request, "exchange/_account.html", context)


@require_GET
def account_card(request: HttpRequest, conversation_id: int) -> HttpResponse:
    user = request_staff_user(request)
    conversation = access_conversation(user, conversation_id)
    user_id = conversation.customer.external_id or ""
    if not user_id:
        return _render(
            request,
            user,
            conversation_id,
            AccountView(user_id="", error=_("This customer is not signed in to the exchange.")),
        )
    return _render(request, user, conversation_id, _account(user_id))


@require_POST
def account_action(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Unlock or lock the account, require step-up verification, request a 2FA reset, hold or
    release a withdrawal; the card comes back with the result (or why it was refused)."""
    user = request_staff_user(request)
    conversation = access_conversation(user, conversation_id)
    user_id = conversation.customer.external_id or ""
    action = request.POST.get("action", "")
    note = request.POST.get("note", "").strip()[:500]
    withdrawal_id = request.POST.get("withdrawal", "")[:64]
    address = client_address(request)
    notice = ""
    error = ""
    try:
        if not user_id or action not in ACTIONS:
            raise KefuError(_("Unknown action."))
        if action == "unlock":
            result = services.unlock_account(user, user_id, note=note, ip_address=address)
        elif action == "lock":
            result = services.lock_account(user, user_id, note=note, ip_address=address)
        elif action == "step_up":
            result = services.require_step_up(user, user_id, note=note, ip_address=address)
        elif action == "two_factor_reset":
            result = services.request_two_factor_reset(user, user_id, note=note, ip_address=address)
        elif action == "hold":
            result = services.hold_withdrawal(
                user, user_id, withdrawal_id, note=note, ip_address=address
            )
        else:
            result = services.release_withdrawal(
                user, user_id, withdrawal_id, note=note, ip_address=address
            )
        notice = _("Done.") if result.changed else _("Nothing to change: it was already so.")
    except KefuError as error_raised:
        error = str(error_raised.message)
    view = _account(user_id) if user_id else AccountView(user_id="")
    view.notice = notice
    view.error = error or view.error
    return _render(request, user, conversation_id, view)
