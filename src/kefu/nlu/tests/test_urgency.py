"""Urgency signals: each is a reason an agent can read."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kefu.nlu.urgency import assess, largest_amount


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("my account was HACKED, someone logged in from Russia", "hacked"),
        ("我的账号被盗了", "hacked"),
        ("不是我本人操作的提币", "hacked"),
        ("all my BTC is gone, funds are missing", "stolen"),
        ("我的币被转走了", "stolen"),
        ("a fake support account on telegram asked for my seed", "scam"),
        ("有人冒充客服骗我", "scam"),
        ("I will call the police and my lawyer", "threat"),
        ("再不处理我就报警", "threat"),
        ("WHY IS MY WITHDRAWAL STILL NOT DONE", "all_caps"),
        ("where is my money???", "exclamations"),
    ],
)
def test_signals(text: str, signal: str) -> None:
    urgency = assess(text)
    assert signal in urgency.signals
    assert urgency.level in ("high", "elevated")


def test_calm_question_is_normal() -> None:
    urgency = assess("How do I enable 2FA on my account?", intent="security.settings")
    assert urgency.level == "normal"
    assert urgency.signals == ()


def test_theft_is_high_and_money_at_risk_needs_a_money_intent() -> None:
    assert assess("someone stole 3 BTC from me").level == "high"
    assert "money_at_risk" in assess("someone stole 3 BTC from me").signals
    assert "money_at_risk" not in assess("what is the fee for 3 BTC", intent="trade.fees").signals
    assert (
        "money_at_risk"
        in assess("my 500 USDT deposit is missing", intent="deposit.not_credited").signals
    )


def test_repeated_contact_comes_from_the_caller() -> None:
    assert "repeated_contact" in assess("hello again", previous_contacts=2).signals
    assert "repeated_contact" not in assess("hello again").signals


def test_happy_messages_are_not_raised_by_soft_signals() -> None:
    thanks = assess("THANK YOU SO MUCH!!!", previous_contacts=3, sentiment="positive")
    assert set(thanks.signals) == {"all_caps", "exclamations", "repeated_contact"}
    assert thanks.level == "normal"
    assert assess("WHERE IS MY MONEY!!!", sentiment="negative").level == "elevated"


def test_tickers_are_not_shouting() -> None:
    assert "all_caps" not in assess("send USDT via TRC20 or BTC network KYC API").signals


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [
        ("I deposited 5,000 USDT and 0.2 BTC", Decimal("5000"), "USDT"),
        ("提了2万U还没到", Decimal("20000"), "USDT"),
        ("lost $3k yesterday", Decimal("3000"), "USD"),
        ("转了3000元给商家", Decimal("3000"), "CNY"),
    ],
)
def test_amounts(text: str, value: Decimal, currency: str) -> None:
    amount = largest_amount(text)
    assert amount is not None
    assert (amount.value, amount.currency) == (value, currency)


def test_no_amount() -> None:
    assert largest_amount("my deposit is late") is None
