"""The bot in a chat, end to end through the services: the customer's messages are stored and
understood, the bot answers from the exchange and the knowledge base, hands off, resolves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kefu.accounts.models import User
from kefu.bot.models import BotSession, BotState
from kefu.conversations import services as conversations
from kefu.conversations.models import (
    AuthorType,
    Channel,
    Conversation,
    HandoffReason,
    Priority,
    Status,
    TimelineKind,
)
from kefu.exchange.adapter import DepositStatus, WithdrawalStatus
from kefu.exchange.demo.adapter import DemoExchange, load_demo_exchange
from kefu.exchange.http import HttpExchange
from kefu.exchange.models import DemoAccount
from kefu.exchange.services import use_exchange
from kefu.knowledge.services import load_content
from kefu.nlu import services as nlu
from kefu.nlu.model import Model

pytestmark = pytest.mark.django_db


@pytest.fixture
def bot(live_model: Model, settings: Any) -> Iterator[DemoExchange]:
    settings.BOT_ENABLED = True
    load_content()
    load_demo_exchange()
    use_exchange(None)
    yield DemoExchange()
    use_exchange(None)


class Chat:
    """A customer chatting in the widget; each ``say`` waits for the bot's turn."""

    def __init__(self, external_id: str | None, language: str = "en") -> None:
        if external_id:
            self.customer = conversations.identify_customer(
                external_id=external_id, language=language
            )
        else:
            self.customer = conversations.identify_customer(visitor_id="v-test", language=language)
        self.conversation: Conversation | None = None
        self.seen = 0

    def say(self, text: str) -> list[str]:
        if self.conversation is None:
            self.conversation = conversations.start_conversation(
                customer=self.customer, channel=Channel.WIDGET, body=text
            ).conversation
        else:
            conversations.post_customer_message(self.conversation.pk, body=text)
        nlu.analyse_pending()
        bodies = list(
            self.conversation.messages.filter(author_type=AuthorType.BOT)
            .order_by("pk")
            .values_list("body", flat=True)
        )
        new, self.seen = bodies[self.seen :], len(bodies)
        return new

    @property
    def session(self) -> BotSession:
        assert self.conversation is not None
        return BotSession.objects.get(conversation=self.conversation)

    def refreshed(self) -> Conversation:
        assert self.conversation is not None
        self.conversation.refresh_from_db()
        return self.conversation

    def events(self, kind: TimelineKind) -> list[dict[str, Any]]:
        assert self.conversation is not None
        return list(self.conversation.timeline.filter(kind=kind).values_list("data", flat=True))


def an_account_with_deposit(exchange: DemoExchange, status: DepositStatus) -> tuple[str, Any]:
    for account in DemoAccount.objects.order_by("user_id"):
        for deposit in exchange.deposits(account.user_id, limit=100):
            if deposit.status == status:
                return account.user_id, deposit
    raise AssertionError(f"no {status} deposit in the demo data")


def test_a_confirming_deposit_is_explained_and_the_customer_confirms(bot: DemoExchange) -> None:
    user_id, deposit = an_account_with_deposit(bot, DepositStatus.CONFIRMING)
    chat = Chat(user_id)
    asked = chat.say(f"my {deposit.coin} deposit has not arrived")
    assert any("txid" in reply for reply in asked)
    answer = " ".join(chat.say(f"{deposit.coin} {deposit.network} txid {deposit.txid}"))
    assert f"{deposit.confirmations}/{deposit.required_confirmations}" in answer
    assert str(deposit.amount) in answer
    assert chat.session.state == BotState.CONFIRMING
    chat.say("great, thanks, that answers it")
    assert chat.session.resolved
    assert chat.refreshed().status == Status.RESOLVED
    assert chat.events(TimelineKind.BOT_RESOLVED)
    assert deposit.id in chat.events(TimelineKind.BOT_LOOKUP)[0]["detail"]


def test_a_wrong_network_deposit_opens_a_recovery_hand_off(bot: DemoExchange) -> None:
    user_id, deposit = an_account_with_deposit(bot, DepositStatus.WRONG_NETWORK)
    chat = Chat(user_id)
    chat.say("I sent my deposit on the wrong network, can I get it back?")
    chat.say(f"{deposit.coin} txid {deposit.txid}")
    assert chat.session.state == BotState.HANDED_OFF
    assert chat.session.handoff_reason == HandoffReason.RECOVERY
    conversation = chat.refreshed()
    assert conversation.queue == "deposit_withdrawal"
    assert conversation.priority == Priority.HIGH
    handoff = chat.events(TimelineKind.BOT_HANDOFF)[0]
    assert handoff["reason"] == "recovery" and deposit.id in handoff["detail"]
    # People have it now: the bot stays quiet.
    assert chat.say("hello? anyone?") == []


def test_chinese_customers_get_chinese_answers(bot: DemoExchange) -> None:
    chat = Chat("10004412", language="zh")
    reply = " ".join(chat.say("我的USDT充值还没到账"))
    assert "交易哈希" in reply or "TxID" in reply
    assert "Please" not in reply


def test_asking_for_a_person_hands_off_at_once(bot: DemoExchange) -> None:
    chat = Chat("10000231")
    chat.say("转人工")
    assert chat.session.handoff_reason == HandoffReason.HUMAN


def test_a_suspected_takeover_gets_the_security_path(bot: DemoExchange) -> None:
    chat = Chat("10000231")
    reply = " ".join(chat.say("My account was hacked, someone withdrew all my BTC!"))
    assert "Freeze your account" in reply
    assert chat.session.handoff_reason == HandoffReason.SECURITY
    assert chat.refreshed().priority == Priority.URGENT


def test_two_answers_that_did_not_help_bring_a_person(bot: DemoExchange) -> None:
    chat = Chat(None)
    first = " ".join(chat.say("what are the maker and taker fees for spot trading?"))
    assert "/help/a/" in first
    assert "**" not in first  # Markdown marks are for the help center, not the chat
    second = " ".join(chat.say("no, that didn't help"))
    assert "/help/a/" in second and second != first
    chat.say("still not what I need")
    assert chat.session.handoff_reason == HandoffReason.FAILED_ANSWERS


def test_an_angry_customer_goes_to_a_person(bot: DemoExchange) -> None:
    chat = Chat("10000231")
    chat.say("WHERE IS MY MONEY, this is a SCAM exchange!!!")
    assert chat.session.handoff_reason == HandoffReason.ANGRY


def test_a_pasted_secret_is_redacted_and_never_repeated(bot: DemoExchange) -> None:
    chat = Chat("10000231")
    phrase = "abandon ability able about above absent absorb abstract absurd abuse access accident"
    replies = chat.say(f"my withdrawal is stuck, here is my seed phrase {phrase}")
    assert chat.conversation is not None
    stored = chat.conversation.messages.filter(author_type=AuthorType.CUSTOMER).get()
    assert "abandon" not in stored.body
    assert chat.conversation.messages.filter(author_type=AuthorType.SYSTEM).exists()
    assert replies and all("abandon" not in reply for reply in replies)


def test_a_taken_conversation_gets_no_bot(bot: DemoExchange, agent: User) -> None:
    chat = Chat("10000231")
    chat.say("hello")
    assert chat.conversation is not None
    conversations.assign_conversation(agent, chat.conversation.pk, assignee_id=agent.pk)
    assert chat.say("my deposit has not arrived") == []


def test_tickets_are_left_to_people(bot: DemoExchange) -> None:
    customer = conversations.identify_customer(external_id="10000231")
    conversation = conversations.start_conversation(
        customer=customer, channel=Channel.FORM, body="My deposit has not arrived"
    ).conversation
    nlu.analyse_pending()
    assert not conversation.messages.filter(author_type=AuthorType.BOT).exists()


def test_an_exchange_that_does_not_answer_hands_off_and_loses_nothing(bot: DemoExchange) -> None:
    use_exchange(HttpExchange("http://127.0.0.1:9", "secret", timeout=0.3))
    chat = Chat("10000231")
    chat.say("is my identity verification approved?")
    assert chat.session.handoff_reason == HandoffReason.LOOKUP_FAILED
    assert chat.conversation is not None
    assert chat.conversation.messages.filter(author_type=AuthorType.CUSTOMER).count() == 1
    assert chat.events(TimelineKind.BOT_HANDOFF)[0]["detail"] == "exchange_unavailable"


def test_a_held_withdrawal_goes_to_a_person(bot: DemoExchange) -> None:
    for account in DemoAccount.objects.order_by("user_id"):
        held = [w for w in bot.withdrawals(account.user_id) if w.status == WithdrawalStatus.HELD]
        if held:
            break
    chat = Chat(account.user_id)
    chat.say("my withdrawal is stuck")
    chat.say(f"it is {held[0].id}")
    assert chat.session.handoff_reason == HandoffReason.NEEDS_HUMAN


def test_each_message_is_answered_once(bot: DemoExchange) -> None:
    from kefu.bot.services import answer_messages

    chat = Chat("10000231")
    chat.say("hi")
    assert chat.conversation is not None
    ids = list(chat.conversation.messages.values_list("pk", flat=True))
    assert answer_messages(ids) == 0
    assert chat.conversation.messages.filter(author_type=AuthorType.BOT).count() == 1


def test_chinese_mixed_with_markup_is_answered_in_chinese(bot: DemoExchange) -> None:
    chat = Chat(None, language="zh")
    reply = " ".join(chat.say('我的USDT充值还没到账 <img src=x onerror="alert(1)">'))
    assert "为您找到以下内容" in reply


def test_a_missing_deposit_the_customer_is_sure_of_goes_to_people(bot: DemoExchange) -> None:
    chat = Chat("10000231")
    chat.say("my USDT deposit has not arrived")
    reply = " ".join(chat.say(f"USDT TRC20 txid {'ab' * 32}"))
    assert "can't find a deposit" in reply
    chat.say("yes")
    assert chat.session.handoff_reason == HandoffReason.LOOKUP_FAILED


def test_details_after_a_withdrawal_answer_stay_with_the_withdrawal(bot: DemoExchange) -> None:
    """ "USDT TRC20 1200" right after the bot explained a withdrawal is about that withdrawal, and
    "ok, I'll wait, thanks" after "I can't find it" is not a request for a person."""
    for account in DemoAccount.objects.order_by("user_id"):
        sent = [
            w for w in bot.withdrawals(account.user_id) if w.status == WithdrawalStatus.BROADCAST
        ]
        if sent:
            break
    chat = Chat(account.user_id)
    chat.say("my withdrawal shows as sent but my wallet has nothing")
    reply = " ".join(chat.say(f"{sent[0].coin} {sent[0].network} {sent[0].amount}"))
    assert sent[0].id in reply
    assert "deposit" not in reply.lower()


def test_ok_i_will_check_after_a_missing_deposit_is_not_a_hand_off(bot: DemoExchange) -> None:
    chat = Chat("10000231")
    chat.say("my USDT deposit has not arrived")
    chat.say(f"USDT TRC20 txid {'cd' * 32}")
    chat.say("ok I'll check the address again, thanks")
    assert chat.session.state != BotState.HANDED_OFF
    assert chat.session.resolved


def test_the_bot_tells_an_impersonator_from_an_official_channel(
    bot: DemoExchange, supervisor: User
) -> None:
    from kefu.intake.models import OfficialKind
    from kefu.intake.verification import add_official_channel

    add_official_channel(supervisor, kind=OfficialKind.TELEGRAM, value="@novaex_support")
    chat = Chat("10004412", language="zh")
    fake = chat.say("这个电报 @novaex_support_vip 是官方的吗")
    assert len(fake) == 1 and "novaex_support_vip" in fake[0]
    real = chat.say("is @novaex_support your official telegram?")
    assert len(real) == 1 and real[0] != fake[0]
    assert chat.session.state != BotState.HANDED_OFF
