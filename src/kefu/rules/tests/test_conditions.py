"""Every condition field and operator, holding and not holding, through apply_rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kefu.accounts.models import User
from kefu.conversations import services as conversations
from kefu.conversations.models import Channel, Conversation, Customer
from kefu.routing.models import BusinessCalendar
from kefu.rules.services import apply_rules
from kefu.rules.tests.factories import chat, office_hours, rule, set_intent

pytestmark = pytest.mark.django_db

# Saturday 2024-01-06, 11:00 in Shanghai.
SATURDAY = datetime(2024, 1, 6, 3, 0, tzinfo=UTC)
# Monday 2024-01-08, 11:00 in Shanghai (03:00 UTC).
MONDAY_MORNING = datetime(2024, 1, 8, 3, 0, tzinfo=UTC)
# Monday 2024-01-08, 20:00 in Shanghai.
MONDAY_EVENING = datetime(2024, 1, 8, 12, 0, tzinfo=UTC)
# Monday 2024-01-08, 23:00 in Shanghai.
MONDAY_NIGHT = datetime(2024, 1, 8, 15, 0, tzinfo=UTC)
# Sunday 2024-01-07 20:00 UTC: already Monday 04:00 in Shanghai.
SUNDAY_UTC_MONDAY_SHANGHAI = datetime(2024, 1, 7, 20, 0, tzinfo=UTC)


def fires(
    conversation: Conversation, *conditions: dict[str, Any], match: str = "all", now: Any = None
) -> bool:
    made = rule(conditions=conditions, match=match)
    return made.pk in apply_rules(conversation.pk, now=now or MONDAY_MORNING).fired


def when(field: str, operator: str, value: Any, **extra: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value, **extra}


@pytest.fixture
def vip(customer: Customer) -> Customer:
    return conversations.update_customer_profile(customer, vip_tier=3, security_level="elevated")


CASES = [
    # The conversation fixture: widget, deposits queue, English, normal priority.
    ("channel", "is", "widget", True),
    ("channel", "is", "telegram", False),
    ("channel", "is_not", "telegram", True),
    ("channel", "is_not", "widget", False),
    ("channel", "in", ["telegram", "widget"], True),
    ("channel", "in", "email, telegram", False),
    ("channel", "not_in", ["email"], True),
    ("channel", "not_in", ["widget", "email"], False),
    ("queue", "is", "deposit_withdrawal", True),
    ("queue", "is", "trading", False),
    ("queue", "is_not", "trading", True),
    ("queue", "is_not", "deposit_withdrawal", False),
    ("queue", "in", ["trading", "deposit_withdrawal"], True),
    ("queue", "in", ["trading"], False),
    ("queue", "not_in", ["trading"], True),
    ("queue", "not_in", ["deposit_withdrawal"], False),
    ("language", "is", "en", True),
    ("language", "is", "zh", False),
    ("language", "is_not", "zh", True),
    ("language", "is_not", "en", False),
    ("priority", "is", 2, True),
    ("priority", "is", "urgent", False),
    ("priority", "is_not", 4, True),
    ("priority", "is_not", "normal", False),
    ("priority", "gte", 2, True),
    ("priority", "gte", "high", False),
    ("priority", "lte", 2, True),
    ("priority", "lte", 1, False),
    ("priority", "in", "2, 3", True),
    ("priority", "in", [3, 4], False),
    ("priority", "not_in", [3, 4], True),
    ("priority", "not_in", [2], False),
    ("keyword", "contains", ["deposit"], True),
    ("keyword", "contains", "WITHDRAWAL, 提现", False),
    ("keyword", "contains", ["usdt"], True),
    ("keyword", "contains", ["ＵＳＤＴ"], True),
    ("keyword", "contains", [".*"], False),
    ("keyword", "contains", ["has  not"], True),
]


@pytest.mark.parametrize(("field", "operator", "value", "expected"), CASES)
def test_conversation_fields(
    conversation: Conversation, field: str, operator: str, value: Any, expected: bool
) -> None:
    assert fires(conversation, when(field, operator, value)) is expected


INTENT_CASES = [
    ("is", "deposit.not_credited", True),
    ("is", "withdrawal.pending", False),
    ("is_not", "withdrawal.pending", True),
    ("is_not", "deposit.not_credited", False),
    ("in", ["withdrawal.pending", "deposit.not_credited"], True),
    ("in", ["withdrawal.pending"], False),
    ("not_in", ["withdrawal.pending"], True),
    ("not_in", ["deposit.not_credited"], False),
]


@pytest.mark.parametrize(("operator", "value", "expected"), INTENT_CASES)
def test_intent(
    conversation: Conversation, agent: User, operator: str, value: Any, expected: bool
) -> None:
    set_intent(agent, conversation, "deposit.not_credited")
    assert fires(conversation, when("intent", operator, value)) is expected


CUSTOMER_CASES = [
    ("vip_tier", "is", 3, True),
    ("vip_tier", "is", "institutional", False),
    ("vip_tier", "is_not", 0, True),
    ("vip_tier", "is_not", "vip3", False),
    ("vip_tier", "gte", 3, True),
    ("vip_tier", "gte", 9, False),
    ("vip_tier", "lte", 3, True),
    ("vip_tier", "lte", 1, False),
    ("vip_tier", "in", [3, 9], True),
    ("vip_tier", "in", [0, 1], False),
    ("vip_tier", "not_in", [0], True),
    ("vip_tier", "not_in", "3, 9", False),
    ("security_level", "is", "elevated", True),
    ("security_level", "is", "high", False),
    ("security_level", "is_not", "high", True),
    ("security_level", "is_not", "elevated", False),
    ("security_level", "in", ["elevated", "high"], True),
    ("security_level", "in", ["normal"], False),
    ("security_level", "not_in", ["high"], True),
    ("security_level", "not_in", ["elevated"], False),
]


@pytest.mark.parametrize(("field", "operator", "value", "expected"), CUSTOMER_CASES)
def test_customer_fields(
    vip: Customer, field: str, operator: str, value: Any, expected: bool
) -> None:
    assert fires(chat(vip), when(field, operator, value)) is expected


TAG_CASES = [
    ("is", "vip", True),
    ("is", "other", False),
    ("is_not", "other", True),
    ("is_not", "vip", False),
    ("in", ["other", "vip"], True),
    ("in", ["other"], False),
    ("not_in", ["other"], True),
    ("not_in", ["vip", "other"], False),
]


@pytest.mark.parametrize(("operator", "value", "expected"), TAG_CASES)
def test_tags(conversation: Conversation, operator: str, value: Any, expected: bool) -> None:
    conversations.add_tag(conversation.pk, "VIP")
    assert fires(conversation, when("tag", operator, value)) is expected


TIME_CASES = [
    (when("weekday", "in", [5, 6], timezone="Asia/Shanghai"), SATURDAY, True),
    (when("weekday", "in", "0,1,2,3,4", timezone="Asia/Shanghai"), SATURDAY, False),
    (when("weekday", "not_in", [5, 6], timezone="Asia/Shanghai"), MONDAY_MORNING, True),
    (when("weekday", "not_in", [0], timezone="Asia/Shanghai"), MONDAY_MORNING, False),
    (when("weekday", "is", 0, timezone="Asia/Shanghai"), SUNDAY_UTC_MONDAY_SHANGHAI, True),
    (when("weekday", "is", 6, timezone="UTC"), SUNDAY_UTC_MONDAY_SHANGHAI, True),
    (when("weekday", "is", 6, timezone="Asia/Shanghai"), SUNDAY_UTC_MONDAY_SHANGHAI, False),
    (when("weekday", "is_not", 6, timezone="Asia/Shanghai"), SUNDAY_UTC_MONDAY_SHANGHAI, True),
    (when("weekday", "is_not", 0, timezone="Asia/Shanghai"), SUNDAY_UTC_MONDAY_SHANGHAI, False),
    (when("hour", "between", "9-18", timezone="Asia/Shanghai"), MONDAY_MORNING, True),
    (when("hour", "between", "09:00-18:00", timezone="Asia/Shanghai"), MONDAY_EVENING, False),
    (when("hour", "between", [9, 18], timezone="UTC"), MONDAY_EVENING, True),
    (when("hour", "between", "22-8", timezone="Asia/Shanghai"), MONDAY_NIGHT, True),
    (when("hour", "between", "22-8", timezone="Asia/Shanghai"), MONDAY_MORNING, False),
]


@pytest.mark.parametrize(("condition", "now", "expected"), TIME_CASES)
def test_weekday_and_hour_in_a_time_zone(
    conversation: Conversation, condition: dict[str, Any], now: datetime, expected: bool
) -> None:
    assert fires(conversation, condition, now=now) is expected


@pytest.mark.parametrize(
    ("state", "now", "expected"),
    [
        ("open", MONDAY_MORNING, True),
        ("open", SATURDAY, False),
        ("closed", SATURDAY, True),
        ("closed", MONDAY_MORNING, False),
        ("closed", MONDAY_EVENING, True),
    ],
)
def test_business_hours(
    conversation: Conversation, supervisor: User, state: str, now: datetime, expected: bool
) -> None:
    calendar = office_hours(supervisor)
    condition = when("business_hours", "is", state, calendar=calendar.pk)
    assert fires(conversation, condition, now=now) is expected


def test_a_deleted_calendar_matches_neither_open_nor_closed(
    conversation: Conversation, supervisor: User
) -> None:
    calendar = office_hours(supervisor)
    opened = rule(conditions=[when("business_hours", "is", "open", calendar=calendar.pk)])
    closed = rule(conditions=[when("business_hours", "is", "closed", calendar=calendar.pk)])
    BusinessCalendar.objects.filter(pk=calendar.pk).delete()
    fired = apply_rules(conversation.pk, now=MONDAY_MORNING).fired
    assert opened.pk not in fired and closed.pk not in fired


def test_keywords_read_the_subject_and_chinese_customer_messages(customer: Customer) -> None:
    stolen = chat(customer, "我的账户被盗了，资产都没了", subject="紧急")
    assert fires(stolen, when("keyword", "contains", "hacked, 被盗"))
    by_subject = chat(customer, "please help", subject="Account HACKED")
    assert fires(by_subject, when("keyword", "contains", ["hacked"]))


def test_keywords_ignore_agents_and_internal_notes(conversation: Conversation, agent: User) -> None:
    conversations.post_agent_message(agent, conversation.pk, body="Was it stolen?")
    conversations.post_agent_message(agent, conversation.pk, body="hacked?", is_internal=True)
    assert not fires(conversation, when("keyword", "contains", ["stolen", "hacked"]))
    conversations.post_customer_message(conversation.pk, body="Yes it was STOLEN")
    assert fires(conversation, when("keyword", "contains", ["stolen"]))


def test_keywords_are_plain_text_not_patterns(customer: Customer) -> None:
    hostile = chat(customer, "a" * 5000 + "!")
    assert not fires(hostile, when("keyword", "contains", ["(a+)+$"]))
    assert not fires(hostile, when("keyword", "contains", ["a.b"]))
    literal = chat(customer, "error (a+)+$ in the API")
    assert fires(literal, when("keyword", "contains", ["(A+)+$"]))


def test_all_needs_every_condition_and_any_needs_one(conversation: Conversation) -> None:
    holds = when("channel", "is", "widget")
    fails = when("language", "is", "zh")
    assert fires(conversation, holds, fails, match="any")
    assert not fires(conversation, holds, fails, match="all")
    assert not fires(conversation, fails, fails, match="any")
    assert fires(conversation, holds, holds, match="all")


def test_a_rule_without_conditions_applies_to_every_conversation(customer: Customer) -> None:
    telegram = chat(customer, "hi", channel=Channel.TELEGRAM)
    assert fires(telegram)
