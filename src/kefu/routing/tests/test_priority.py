"""The priority computation and its reasons."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone, translation

from kefu.conversations.models import Priority
from kefu.routing.priority import compute_priority, describe, facts_from


def test_a_polite_how_to_question_is_low_and_has_no_reasons() -> None:
    computed = compute_priority(
        facts_from(intent="deposit.how_to", analyses=[], vip_tier=0, security_level="normal"),
        timezone.now(),
    )
    assert (computed.score, computed.priority, computed.reasons) == (0, Priority.LOW, [])


def test_signals_sentiment_and_amounts_come_from_the_analyses() -> None:
    analyses = [
        {
            "signals": ["stolen", "bogus"],
            "sentiment": "negative",
            "sentiment_score": 0.8,
            "amount": {"value": "25000", "currency": "USDT"},
        },
        {"signals": ["stolen"], "amount": {"value": "nan", "currency": "BTC"}},
        None,
        "junk",
    ]
    facts = facts_from(
        intent="withdrawal.failed", analyses=analyses, vip_tier=1, security_level="elevated"
    )
    assert facts.signals == frozenset({"stolen"})
    assert facts.amount == (Decimal("25000"), "USDT")

    computed = compute_priority(facts, timezone.now())

    assert {r["factor"]: r["points"] for r in computed.reasons} == {
        "intent": 25,
        "signal": 30,
        "sentiment": 12,
        "vip": 5,
        "security": 10,
        "amount": 10,
    }
    assert computed.priority == Priority.URGENT


def test_waiting_adds_up_to_twenty_points() -> None:
    now = timezone.now()
    facts = facts_from(
        intent="",
        analyses=[],
        vip_tier=0,
        security_level="normal",
        waiting_since=now - timedelta(minutes=30),
    )
    assert compute_priority(facts, now).score == 15
    facts = facts_from(
        intent="",
        analyses=[],
        vip_tier=0,
        security_level="normal",
        waiting_since=now - timedelta(hours=5),
    )
    assert compute_priority(facts, now).score == 20


def test_reasons_read_in_both_languages() -> None:
    reason = {"factor": "intent", "points": 60, "value": "security.phishing_scam"}
    with translation.override("en"):
        assert describe(reason) == "+60 topic: Phishing, scam, impersonation"  # type: ignore[arg-type]
    with translation.override("zh-hans"):
        assert describe(reason) == "+60 主题: 钓鱼/诈骗/官方验证"  # type: ignore[arg-type]
