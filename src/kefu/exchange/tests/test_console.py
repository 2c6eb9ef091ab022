"""The exchange account card beside a conversation, and the actions agents take from it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from conftest import console_client
from kefu.accounts.models import AuditLogEntry, User
from kefu.conversations import services as conversations
from kefu.conversations.models import Channel, Conversation
from kefu.exchange.adapter import LockReason, WithdrawalStatus
from kefu.exchange.demo.adapter import DemoExchange, load_demo_exchange
from kefu.exchange.http import HttpExchange
from kefu.exchange.models import DemoAccount
from kefu.exchange.services import use_exchange

pytestmark = pytest.mark.django_db


@pytest.fixture
def exchange() -> Iterator[DemoExchange]:
    load_demo_exchange()
    use_exchange(None)
    yield DemoExchange()
    use_exchange(None)


def chat_of(user_id: str) -> Conversation:
    customer = conversations.identify_customer(external_id=user_id)
    return conversations.start_conversation(
        customer=customer, channel=Channel.WIDGET, queue="deposit_withdrawal", body="help"
    ).conversation


def pending_account(exchange: DemoExchange) -> tuple[str, str]:
    for account in DemoAccount.objects.order_by("user_id"):
        for withdrawal in exchange.withdrawals(account.user_id):
            if withdrawal.status == WithdrawalStatus.PENDING_REVIEW:
                return account.user_id, withdrawal.id
    raise AssertionError("no withdrawal in review in the demo data")


def test_the_card_shows_the_account_in_the_agents_language(
    exchange: DemoExchange, agent: User
) -> None:
    user_id, withdrawal_id = pending_account(exchange)
    conversation = chat_of(user_id)
    client = console_client(agent)
    page = client.get(reverse("conversations:detail", args=[conversation.pk])).content.decode()
    assert reverse("exchange:account", args=[conversation.pk]) in page
    card = client.get(reverse("exchange:account", args=[conversation.pk])).content.decode()
    assert withdrawal_id in card and "in review" in card
    chinese = client.get(
        reverse("exchange:account", args=[conversation.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert withdrawal_id in chinese.content.decode()


def test_agents_hold_and_supervisors_release(
    exchange: DemoExchange, agent: User, supervisor: User
) -> None:
    user_id, withdrawal_id = pending_account(exchange)
    conversation = chat_of(user_id)
    url = reverse("exchange:action", args=[conversation.pk])
    held = console_client(agent).post(
        url, {"action": "hold", "withdrawal": withdrawal_id, "note": "customer asked"}
    )
    assert "Done." in held.content.decode()
    assert exchange.withdrawals(user_id, txid=withdrawal_id)[0].status == WithdrawalStatus.HELD
    refused = console_client(agent).post(url, {"action": "release", "withdrawal": withdrawal_id})
    assert "supervisor must release" in refused.content.decode()
    assert exchange.withdrawals(user_id, txid=withdrawal_id)[0].status == WithdrawalStatus.HELD
    console_client(supervisor).post(url, {"action": "release", "withdrawal": withdrawal_id})
    assert (
        exchange.withdrawals(user_id, txid=withdrawal_id)[0].status == WithdrawalStatus.PROCESSING
    )
    actions = AuditLogEntry.objects.filter(target_id=user_id).values_list("action", flat=True)
    assert set(actions) == {"exchange.hold_withdrawal", "exchange.release_withdrawal"}


def test_agents_lock_and_require_step_up_and_the_card_says_so_in_both_languages(
    exchange: DemoExchange, agent: User
) -> None:
    conversation = chat_of("10000231")
    url = reverse("exchange:action", args=[conversation.pk])
    card_url = reverse("exchange:account", args=[conversation.pk])
    client = console_client(agent)
    before = client.get(card_url).content.decode()
    assert 'value="lock"' in before and 'value="step_up"' in before
    assert "data-step-up" not in before
    locked = client.post(url, {"action": "lock", "note": "customer says phone stolen"})
    assert "Done." in locked.content.decode()
    stepped = client.post(url, {"action": "step_up"}).content.decode()
    assert "Done." in stepped and "step-up required" in stepped
    assert 'value="step_up"' not in stepped and 'value="lock"' not in stepped
    profile = exchange.profile("10000231")
    assert profile.step_up_required and profile.lock is not None
    assert profile.lock.reason == LockReason.RISK_REVIEW
    again = client.post(url, {"action": "step_up"}).content.decode()
    assert "Nothing to change" in again
    with translation.override("zh-hans"):
        chinese_badge = gettext("step-up required")
    chinese = client.get(card_url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "data-step-up" in chinese and chinese_badge in chinese
    actions = AuditLogEntry.objects.filter(target_id="10000231").values_list("action", flat=True)
    assert sorted(actions) == [
        "exchange.lock_account",
        "exchange.require_step_up",
        "exchange.require_step_up",
    ]


def test_outsiders_cannot_act_on_a_conversation_they_cannot_see(
    exchange: DemoExchange, outsider: User
) -> None:
    user_id, withdrawal_id = pending_account(exchange)
    conversation = chat_of(user_id)
    response = console_client(outsider).post(
        reverse("exchange:action", args=[conversation.pk]),
        {"action": "hold", "withdrawal": withdrawal_id},
    )
    assert response.status_code == 404
    assert (
        exchange.withdrawals(user_id, txid=withdrawal_id)[0].status
        == WithdrawalStatus.PENDING_REVIEW
    )


def test_a_back_office_that_does_not_answer_is_said_so(exchange: DemoExchange, agent: User) -> None:
    use_exchange(HttpExchange("http://127.0.0.1:9", "secret", timeout=0.3))
    conversation = chat_of("10000231")
    card = console_client(agent).get(reverse("exchange:account", args=[conversation.pk]))
    assert card.status_code == 200
    assert "did not answer" in card.content.decode()
