"""Demo pages: chat as one of the demo exchange's customers, signed in, to see the bot look
their deposits, withdrawals, locks and verification up. Served only with the demo exchange
(``settings.DEMO_PAGES``): anyone may pick any demo customer."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kefu.conversations.models import Customer
from kefu.conversations.services import current_widget_conversation
from kefu.exchange.adapter import (
    Deposit,
    DepositStatus,
    Profile,
    Withdrawal,
    WithdrawalStatus,
)
from kefu.exchange.demo.adapter import DemoExchange
from kefu.exchange.models import DemoAccount
from kefu.intake.channels.widget.identity import user_hash

FINAL_WITHDRAWALS = {WithdrawalStatus.COMPLETED}


@dataclass
class DemoCustomer:
    profile: Profile
    deposits: list[Deposit] = field(default_factory=list)
    withdrawals: list[Withdrawal] = field(default_factory=list)
    # The agent of the chat the widget would resume: the bot stays out of it.
    agent: str = ""


def _agents_of_open_chats() -> dict[str, str]:
    agents = {}
    for customer in Customer.objects.exclude(external_id=None):
        conversation = current_widget_conversation(customer)
        if conversation is not None and conversation.assignee is not None:
            agents[str(customer.external_id)] = conversation.assignee.public_name
    return agents


def _customers() -> list[DemoCustomer]:
    exchange = DemoExchange()
    agents = _agents_of_open_chats()
    customers = []
    for account in DemoAccount.objects.order_by("user_id"):
        customers.append(
            DemoCustomer(
                profile=exchange.profile(account.user_id),
                deposits=[
                    row
                    for row in exchange.deposits(account.user_id, limit=10)
                    if row.status != DepositStatus.CREDITED
                ][:3],
                withdrawals=[
                    row
                    for row in exchange.withdrawals(account.user_id, limit=10)
                    if row.status not in FINAL_WITHDRAWALS
                ][:3],
                agent=agents.get(account.user_id, ""),
            )
        )
    return customers


@require_GET
def demo_customers(request: HttpRequest) -> HttpResponse:
    return render(request, "exchange/demo_customers.html", {"customers": _customers()})


@require_GET
def demo_customer(request: HttpRequest, user_id: str) -> HttpResponse:
    account = DemoAccount.objects.filter(user_id=user_id[:32]).first()
    if account is None:
        raise Http404()
    context = {
        "account": account,
        "user_hash": user_hash(account.user_id),
        "widget_language": "zh-hans" if account.language == "zh" else "en",
    }
    return render(request, "exchange/demo_customer.html", context)
