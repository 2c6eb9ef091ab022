"""What firing rules does: the outcome for routing, side effects, timeline, counters, order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kefu.accounts.models import Team, User
from kefu.conversations import services as conversations
from kefu.conversations.models import (
    AuthorType,
    CannedResponse,
    Conversation,
    ConversationTag,
    Customer,
    Priority,
    TimelineEvent,
    TimelineKind,
)
from kefu.routing.models import Notification, NotificationKind
from kefu.rules.models import Rule
from kefu.rules.services import RuleOutcome, apply_rules, move_rule, set_rule_active
from kefu.rules.tests.factories import canned, chat, rule

pytestmark = pytest.mark.django_db

NOW = datetime(2024, 1, 8, 3, 0, tzinfo=UTC)


def test_queue_and_priority_are_returned_not_applied(conversation: Conversation) -> None:
    made = rule(
        actions=[
            {"type": "set_queue", "value": "account_security"},
            {"type": "set_priority", "value": "urgent"},
        ]
    )
    outcome = apply_rules(conversation.pk, now=NOW)
    assert outcome == RuleOutcome(queue="account_security", priority=4, fired=[made.pk])
    conversation.refresh_from_db()
    assert (conversation.queue, conversation.priority) == ("deposit_withdrawal", Priority.NORMAL)


def test_assign_team_chooses_the_teams_queue(conversation: Conversation) -> None:
    rule(actions=[{"type": "assign_team", "value": "trading"}])
    assert apply_rules(conversation.pk, now=NOW).queue == "trading"


def test_nothing_fires_without_rules(conversation: Conversation) -> None:
    assert apply_rules(conversation.pk, now=NOW) == RuleOutcome(None, None, [])
    assert not TimelineEvent.objects.filter(kind=TimelineKind.RULE_FIRED).exists()


def test_later_rules_see_what_earlier_rules_set(conversation: Conversation) -> None:
    first = rule("To trading", actions=[{"type": "set_queue", "value": "trading"}])
    second = rule(
        "Trading urgent",
        conditions=[{"field": "queue", "operator": "is", "value": "trading"}],
        actions=[{"type": "set_priority", "value": 4}],
    )
    third = rule(
        "Urgent to security",
        conditions=[{"field": "priority", "operator": "gte", "value": "urgent"}],
        actions=[{"type": "set_queue", "value": "account_security"}],
    )
    outcome = apply_rules(conversation.pk, now=NOW)
    assert outcome == RuleOutcome("account_security", 4, [first.pk, second.pk, third.pk])


def test_rules_run_in_order_and_stop_processing_ends_the_run(
    conversation: Conversation, supervisor: User
) -> None:
    first = rule("First", actions=[{"type": "set_priority", "value": 3}])
    stopper = rule("Stopper", actions=[{"type": "set_priority", "value": 1}], stop_processing=True)
    skipped = rule("Skipped", actions=[{"type": "set_priority", "value": 4}])
    assert apply_rules(conversation.pk, now=NOW) == RuleOutcome(None, 1, [first.pk, stopper.pk])
    assert move_rule(supervisor, skipped.pk, "up")
    assert apply_rules(conversation.pk, now=NOW) == RuleOutcome(
        None, 1, [first.pk, skipped.pk, stopper.pk]
    )


def test_a_stopping_rule_that_does_not_fire_stops_nothing(conversation: Conversation) -> None:
    rule(
        "Never",
        conditions=[{"field": "language", "operator": "is", "value": "zh"}],
        stop_processing=True,
    )
    later = rule("Later")
    assert apply_rules(conversation.pk, now=NOW).fired == [later.pk]


def test_inactive_rules_are_skipped(conversation: Conversation, supervisor: User) -> None:
    off = rule("Off", actions=[{"type": "set_priority", "value": 4}])
    set_rule_active(supervisor, off.pk, is_active=False)
    assert apply_rules(conversation.pk, now=NOW) == RuleOutcome(None, None, [])
    assert Rule.objects.get(pk=off.pk).fired_count == 0


def test_each_fired_rule_is_on_the_timeline_and_counted(conversation: Conversation) -> None:
    made = rule(
        "VIP",
        actions=[{"type": "set_priority", "value": 3}, {"type": "add_tag", "value": "vip"}],
    )
    apply_rules(conversation.pk, now=NOW)
    apply_rules(conversation.pk, now=NOW)
    events = list(
        TimelineEvent.objects.filter(conversation=conversation, kind=TimelineKind.RULE_FIRED)
    )
    assert [event.data for event in events] == [
        {
            "rule": made.pk,
            "name": "VIP",
            "actions": [{"type": "set_priority", "value": 3}, {"type": "add_tag", "value": "vip"}],
        }
    ] * 2
    made.refresh_from_db()
    assert (made.fired_count, made.last_fired_at) == (2, NOW)


def test_add_tag_tags_once_and_says_which_rule(conversation: Conversation) -> None:
    rule("Tagger", actions=[{"type": "add_tag", "value": "After Hours"}])
    apply_rules(conversation.pk, now=NOW)
    apply_rules(conversation.pk, now=NOW)
    assert list(
        ConversationTag.objects.filter(conversation=conversation).values_list("name", flat=True)
    ) == ["after-hours"]
    added = TimelineEvent.objects.get(conversation=conversation, kind=TimelineKind.TAG_ADDED)
    assert added.data == {"tag": "after-hours", "rule": "Tagger"}
    kinds = list(
        TimelineEvent.objects.filter(conversation=conversation)
        .exclude(kind=TimelineKind.INTENT_SET)
        .values_list("kind", flat=True)
    )
    assert kinds[:2] == [TimelineKind.RULE_FIRED, TimelineKind.TAG_ADDED]


def test_a_tag_added_by_an_earlier_rule_is_seen_by_later_ones(conversation: Conversation) -> None:
    rule("Tag", actions=[{"type": "add_tag", "value": "vip"}])
    later = rule(
        "VIP priority",
        conditions=[{"field": "tag", "operator": "is", "value": "vip"}],
        actions=[{"type": "set_priority", "value": 3}],
    )
    outcome = apply_rules(conversation.pk, now=NOW)
    assert later.pk in outcome.fired and outcome.priority == 3


def test_canned_reply_in_the_conversations_language(customer: Customer, supervisor: User) -> None:
    english = canned(supervisor, "After hours", "We are closed; we reply at 9:00.")
    canned(supervisor, "After hours", "我们已下班，将于9点回复。", language="zh")
    rule(actions=[{"type": "send_canned_reply", "value": english.pk}])
    chinese = chat(customer, "我的充值没有到账", language="zh")
    apply_rules(chinese.pk, now=NOW)
    bot = list(chinese.messages.filter(author_type=AuthorType.BOT).values_list("body", flat=True))
    assert bot == ["我们已下班，将于9点回复。"]
    event = TimelineEvent.objects.get(conversation=chinese, kind=TimelineKind.RULE_FIRED)
    assert event.data["actions"] == [
        {"type": "send_canned_reply", "value": english.pk, "detail": "After hours"}
    ]
    english_chat = chat(customer, "Where is my deposit?", language="en")
    apply_rules(english_chat.pk, now=NOW)
    assert list(
        english_chat.messages.filter(author_type=AuthorType.BOT).values_list("body", flat=True)
    ) == ["We are closed; we reply at 9:00."]


def test_a_deleted_canned_reply_is_skipped(conversation: Conversation, supervisor: User) -> None:
    gone = canned(supervisor, "Old", "Old text")
    made = rule(actions=[{"type": "send_canned_reply", "value": gone.pk}])
    conversations.delete_canned_response(supervisor, gone.pk)
    assert apply_rules(conversation.pk, now=NOW).fired == [made.pk]
    assert not conversation.messages.filter(author_type=AuthorType.BOT).exists()
    event = TimelineEvent.objects.get(conversation=conversation, kind=TimelineKind.RULE_FIRED)
    assert event.data["actions"] == [
        {"type": "send_canned_reply", "value": gone.pk, "skipped": True}
    ]
    assert not CannedResponse.objects.exists()


def test_notify_supervisors(conversation: Conversation, supervisor: User, agent: User) -> None:
    made = rule("Hacked", actions=[{"type": "notify", "value": "supervisors"}])
    apply_rules(conversation.pk, now=NOW)
    rows = list(Notification.objects.values_list("recipient", "kind", "conversation", "data"))
    assert rows == [
        (supervisor.pk, NotificationKind.RULE, conversation.pk, {"rule": made.pk, "name": "Hacked"})
    ]


def test_notify_the_team_of_the_queue_the_rules_chose(
    conversation: Conversation,
    agent: User,
    teammate: User,
    outsider: User,
    supervisor: User,
) -> None:
    rule(actions=[{"type": "notify", "value": "team"}])
    apply_rules(conversation.pk, now=NOW)
    assert set(Notification.objects.values_list("recipient", flat=True)) == {
        agent.pk,
        teammate.pk,
    }
    Notification.objects.all().delete()
    rule(actions=[{"type": "set_queue", "value": "trading"}, {"type": "notify", "value": "team"}])
    apply_rules(conversation.pk, now=NOW)
    recipients = list(Notification.objects.values_list("recipient", flat=True).order_by("pk"))
    assert recipients == [agent.pk, teammate.pk, outsider.pk]


def test_notify_one_staff_member(
    conversation: Conversation, agent: User, teams: dict[str, Team]
) -> None:
    rule(actions=[{"type": "notify", "value": agent.pk}])
    apply_rules(conversation.pk, now=NOW)
    assert list(Notification.objects.values_list("recipient", flat=True)) == [agent.pk]
    event = TimelineEvent.objects.get(conversation=conversation, kind=TimelineKind.RULE_FIRED)
    assert event.data["actions"] == [{"type": "notify", "value": agent.pk, "detail": "Agent"}]
