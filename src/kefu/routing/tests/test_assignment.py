"""Routing a conversation to the best free agent, or its queue, and serving the queues."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from conftest import make_staff
from kefu.accounts.models import Role, Team, User
from kefu.conversations import services as conversations
from kefu.conversations.models import Channel, Conversation, Priority, Status, TimelineKind
from kefu.routing import services as routing
from kefu.routing.models import ConversationRouting, Presence
from kefu.routing.tests.factories import customer_named, ready, ticket, understood

pytestmark = pytest.mark.django_db


@pytest.fixture
def zh_agent(teams: dict[str, Team]) -> User:
    return make_staff("lina", queues=("deposit_withdrawal",), teams=teams)


def test_a_ticket_goes_to_the_queue_of_its_intent_and_the_agent_who_speaks_the_language(
    agent: User, zh_agent: User
) -> None:
    ready(agent, languages=("en",))
    ready(zh_agent, languages=("zh", "en"))
    conversation = ticket(
        customer_named("wang"),
        body="我的提币一直在审核中",
        intent="withdrawal.pending",
        language="zh",
    )

    routed = routing.route_conversation(conversation.pk)

    assert routed is not None
    assert routed.queue == "deposit_withdrawal"
    assert routed.assignee_id == zh_agent.pk
    conversation.refresh_from_db()
    assert conversation.assignee_id == zh_agent.pk
    assigned = conversation.timeline.get(kind=TimelineKind.ASSIGNED)
    assert assigned.data["automatic"] is True
    assert "language:zh" in assigned.data["fit"]
    assert conversation.timeline.filter(kind=TimelineKind.ROUTED).count() == 1


def test_the_agent_who_last_helped_the_customer_gets_them_again(
    agent: User, teammate: User
) -> None:
    ready(agent)
    ready(teammate)
    customer = customer_named("bob")
    earlier = ticket(customer, intent="withdrawal.pending")
    conversations.assign_conversation(teammate, earlier.pk, assignee_id=teammate.pk)
    conversations.post_agent_message(teammate, earlier.pk, body="Looking into it")
    conversations.change_status(teammate, earlier.pk, Status.RESOLVED)

    later = ticket(customer, body="Another withdrawal is stuck", intent="withdrawal.pending")
    routed = routing.route_conversation(later.pk)

    assert routed is not None and routed.assignee_id == teammate.pk


def test_load_against_capacity_spreads_work_and_a_full_team_leaves_it_waiting(
    agent: User, teammate: User
) -> None:
    ready(agent, tickets=1)
    ready(teammate, tickets=1)
    first = routing.route_conversation(
        ticket(customer_named("a"), intent="deposit.not_credited").pk
    )
    second = routing.route_conversation(
        ticket(customer_named("b"), intent="deposit.not_credited").pk
    )
    third = routing.route_conversation(
        ticket(customer_named("c"), intent="deposit.not_credited").pk
    )

    assert first is not None and second is not None and third is not None
    assert {first.assignee_id, second.assignee_id} == {agent.pk, teammate.pk}
    assert third.assignee_id is None
    assert [c.pk for c in routing.waiting_conversations("deposit_withdrawal")] == [
        third.conversation_id
    ]


def test_chats_and_tickets_have_separate_capacities(agent: User) -> None:
    ready(agent, chats=1, tickets=1)
    chat = ticket(customer_named("a"), intent="deposit.not_credited", channel=Channel.WIDGET)
    form = ticket(customer_named("b"), intent="deposit.not_credited")
    another_chat = ticket(
        customer_named("c"), intent="deposit.not_credited", channel=Channel.WIDGET
    )

    assert routing.route_conversation(chat.pk).assignee_id == agent.pk  # type: ignore[union-attr]
    assert routing.route_conversation(form.pk).assignee_id == agent.pk  # type: ignore[union-attr]
    assert routing.route_conversation(another_chat.pk).assignee_id is None  # type: ignore[union-attr]


def test_away_and_offline_agents_get_nothing_and_going_online_serves_the_queue_by_priority(
    agent: User, teammate: User
) -> None:
    ready(agent, presence=Presence.AWAY, tickets=1)
    ready(teammate, presence=Presence.OFFLINE)
    normal = ticket(customer_named("a"), intent="deposit.how_to")
    urgent = ticket(
        customer_named("b"),
        body="I was hacked, my BTC is gone",
        intent="withdrawal.failed",
        signals=["hacked", "stolen"],
    )
    assert routing.route_conversation(normal.pk).assignee_id is None  # type: ignore[union-attr]
    assert routing.route_conversation(urgent.pk).assignee_id is None  # type: ignore[union-attr]

    routing.set_presence(agent, Presence.ONLINE)

    urgent.refresh_from_db()
    normal.refresh_from_db()
    assert urgent.priority == Priority.URGENT
    assert urgent.assignee_id == agent.pk
    assert normal.assignee_id is None  # the agent's one ticket slot went to the urgent one


def test_priority_is_explained_and_a_person_s_choice_is_kept(agent: User) -> None:
    customer = customer_named("vip", vip_tier=3, security_level="high")
    conversation = ticket(customer, intent="security.unauthorized_access", signals=["hacked"])

    routing.route_conversation(conversation.pk)

    conversation.refresh_from_db()
    row = ConversationRouting.objects.get(pk=conversation.pk)
    factors = {reason["factor"]: reason["points"] for reason in row.priority_reasons}
    assert factors == {"intent": 60, "signal": 30, "vip": 15, "security": 20}
    assert row.priority_score == 125
    assert conversation.priority == Priority.URGENT

    conversations.change_priority(agent, conversation.pk, Priority.HIGH)
    routing.refresh_priorities(timezone.now() + timedelta(hours=2))

    conversation.refresh_from_db()
    assert conversation.priority == Priority.HIGH
    assert ConversationRouting.objects.get(pk=conversation.pk).priority_is_manual


def test_waiting_raises_the_priority_of_a_waiting_conversation(agent: User) -> None:
    conversation = ticket(customer_named("a"), intent="withdrawal.limits_fees")
    routing.route_conversation(conversation.pk)
    conversation.refresh_from_db()
    assert conversation.priority == Priority.LOW

    raised = routing.refresh_priorities(timezone.now() + timedelta(minutes=30))

    conversation.refresh_from_db()
    assert raised == 1
    assert conversation.priority == Priority.NORMAL
    event = conversation.timeline.get(kind=TimelineKind.PRIORITY_CHANGED)
    assert event.data == {"from": Priority.LOW, "to": Priority.NORMAL, "automatic": True}


@pytest.mark.parametrize("bot", [True, False])
def test_tickets_are_routed_once_understood_and_chats_are_left_to_the_bot(
    agent: User, bot: bool, settings: Any
) -> None:
    settings.BOT_ENABLED = bot
    ready(agent)
    form = conversations.start_conversation(
        customer=customer_named("a"), channel=Channel.FORM, body="deposit missing"
    ).conversation
    chat = conversations.start_conversation(
        customer=customer_named("b"), channel=Channel.WIDGET, body="deposit missing"
    ).conversation

    stored = understood("deposit.not_credited")
    assert routing.route_analysed(stored) == (1 if bot else 2)

    form.refresh_from_db()
    assert form.queue == "deposit_withdrawal" and form.assignee_id == agent.pk
    # With the bot on, the chat is the bot's until it hands off; without, people get it now.
    assert ConversationRouting.objects.filter(pk=chat.pk).exists() is not bot


def test_the_sweep_routes_a_ticket_nobody_understood(agent: User) -> None:
    ready(agent)
    form = conversations.start_conversation(
        customer=customer_named("a"), channel=Channel.FORM, body="???"
    ).conversation

    assert routing.route_unrouted(timezone.now()) == 0  # within the grace
    assert routing.route_unrouted(timezone.now() + timedelta(minutes=5)) == 1

    form.refresh_from_db()
    assert form.queue == "general" and ConversationRouting.objects.filter(pk=form.pk).exists()


def test_chats_of_an_agent_who_left_go_back_to_the_queue(agent: User, teammate: User) -> None:
    ready(agent)
    chat = ticket(customer_named("a"), intent="deposit.not_credited", channel=Channel.WIDGET)
    form = ticket(customer_named("b"), intent="deposit.not_credited")
    routing.route_conversation(chat.pk)
    routing.route_conversation(form.pk)
    routing.set_presence(agent, Presence.OFFLINE)
    ready(teammate)

    assert routing.return_chats_of_offline_agents(timezone.now()) == 0  # grace
    assert routing.return_chats_of_offline_agents(timezone.now() + timedelta(minutes=10)) == 1
    assert routing.assign_waiting() == 1

    chat.refresh_from_db()
    form.refresh_from_db()
    assert chat.assignee_id == teammate.pk
    assert form.assignee_id == agent.pk  # tickets stay with their agent


def test_a_supervisor_rebalances_work_of_offline_and_overloaded_agents(
    agent: User, teammate: User, teams: dict[str, Team]
) -> None:
    supervisor = make_staff("boss", role=Role.SUPERVISOR, teams=teams)
    ready(agent, tickets=3)
    conversations_of_agent = [
        ticket(customer_named(f"c{n}"), intent="deposit.not_credited") for n in range(3)
    ]
    for conversation in conversations_of_agent:
        routing.route_conversation(conversation.pk)
    routing.set_presence(agent, Presence.OFFLINE)
    ready(teammate, tickets=2)

    result = routing.rebalance(supervisor)

    assert (result.returned, result.assigned) == (3, 2)
    owners: list[int | None] = list(
        Conversation.objects.filter(pk__in=[c.pk for c in conversations_of_agent])
        .order_by("pk")
        .values_list("assignee_id", flat=True)
    )
    assert owners.count(teammate.pk) == 2 and owners.count(None) == 1
    assert supervisor.audit_entries.filter(action="routing.rebalanced").count() == 1


def test_a_transfer_by_hand_is_served_by_the_new_team(agent: User, outsider: User) -> None:
    ready(outsider)
    conversation = ticket(customer_named("a"), intent="deposit.not_credited")
    routing.route_conversation(conversation.pk)
    conversations.assign_conversation(agent, conversation.pk, queue="trading")

    assert routing.assign_waiting() == 1
    conversation.refresh_from_db()
    assert conversation.assignee_id == outsider.pk


def test_a_complaint_becomes_a_case_owned_above_the_agent(
    agent: User, teams: dict[str, Team]
) -> None:
    from kefu.complaints.models import Case

    make_staff("lead", role=Role.SUPERVISOR, queues=("general",), teams=teams)
    conversation = ticket(
        customer_named("angry"),
        body="Your support is useless, I want a manager",
        intent="feedback.complaint",
    )

    routing.route_conversation(conversation.pk)
    routing.route_conversation(conversation.pk)  # routed again: still one case

    case = Case.objects.get(conversation=conversation)
    assert case.owner.username == "lead"
    assert Case.objects.count() == 1


def test_a_complaint_without_anyone_to_own_it_is_still_routed(agent: User) -> None:
    from kefu.complaints.models import Case

    conversation = ticket(customer_named("angry"), body="Terrible", intent="feedback.complaint")

    routed = routing.route_conversation(conversation.pk)

    assert routed is not None and routed.queue == "general"
    assert not Case.objects.exists()


def test_queues_are_served_earliest_due_first(agent: User) -> None:
    from kefu.routing.tests.factories import policy

    policy(name="High", position=1, priority=Priority.HIGH, first_response_seconds=900)
    policy(name="Normal", position=2, priority=Priority.NORMAL, first_response_seconds=3600)
    start = timezone.now()
    old_normal = ticket(customer_named("a"), intent="deposit.not_credited")
    routing.route_conversation(old_normal.pk, now=start - timedelta(minutes=50))
    fresh_high = ticket(customer_named("b"), intent="withdrawal.failed", signals=["scam"])
    routing.route_conversation(fresh_high.pk, now=start)
    fresh_normal = ticket(customer_named("c"), intent="deposit.not_credited")
    routing.route_conversation(fresh_normal.pk, now=start)

    order = [c.pk for c in routing.waiting_conversations("deposit_withdrawal")]

    # Due in 10 minutes, then in 15, then in 60.
    assert order == [old_normal.pk, fresh_high.pk, fresh_normal.pk]
    ready(agent, tickets=1)
    old_normal.refresh_from_db()
    assert old_normal.assignee_id == agent.pk


def test_a_new_arrival_does_not_take_a_slot_ahead_of_those_due_before_it(
    agent: User,
) -> None:
    from kefu.routing.tests.factories import policy

    policy(first_response_seconds=600)
    ready(agent, tickets=1)
    first = ticket(customer_named("a"), intent="deposit.not_credited")
    routing.route_conversation(first.pk)
    ahead = ticket(customer_named("b"), intent="withdrawal.failed", signals=["stolen"])
    routing.route_conversation(ahead.pk)  # the agent is full: it waits
    # The slot frees; before the sweep serves the queue, a new ticket arrives.
    conversations.change_status(agent, first.pk, Status.RESOLVED)
    behind = ticket(customer_named("c"), intent="deposit.how_to")

    routed = routing.route_conversation(behind.pk)

    ahead.refresh_from_db()
    assert ahead.assignee_id == agent.pk
    assert routed is not None and routed.assignee_id is None


def test_a_queue_with_only_ticket_slots_free_does_not_rank_its_waiting_chats(
    agent: User, django_assert_max_num_queries: Any
) -> None:
    ready(agent, chats=1, tickets=5)
    chats = [
        ticket(customer_named(f"c{n}"), intent="deposit.not_credited", channel=Channel.WIDGET)
        for n in range(6)
    ]
    for chat in chats:
        routing.route_conversation(chat.pk)
    assert Conversation.objects.filter(assignee=agent).count() == 1

    with django_assert_max_num_queries(6):
        assert routing.assign_waiting() == 0


def test_urgent_goes_first_then_those_still_in_time_then_the_late(agent: User) -> None:
    from kefu.routing.tests.factories import policy

    Team.objects.get(queue="account_security").members.add(agent)
    policy(name="Urgent", position=1, priority=Priority.URGENT, first_response_seconds=300)
    policy(name="Rest", position=2, first_response_seconds=3600)
    now = timezone.now()
    late = ticket(customer_named("a"), intent="deposit.not_credited")
    routing.route_conversation(late.pk, now=now - timedelta(hours=2))
    in_time = ticket(customer_named("b"), intent="deposit.not_credited")
    routing.route_conversation(in_time.pk, now=now - timedelta(minutes=30))
    urgent = ticket(customer_named("c"), intent="security.unauthorized_access")
    routing.route_conversation(urgent.pk, now=now)

    order = [c.pk for c in routing.waiting_conversations()]

    assert order == [urgent.pk, in_time.pk, late.pk]


def test_rules_run_once_when_a_conversation_first_reaches_people(supervisor: User) -> None:
    from kefu.rules.models import Rule
    from kefu.rules.services import save_rule

    save_rule(
        supervisor,
        None,
        name="Tag deposits",
        conditions=[{"field": "intent", "operator": "is", "value": "deposit.not_credited"}],
        actions=[{"type": "add_tag", "value": "deposits"}],
    )
    conversation = ticket(customer_named("a"), intent="deposit.not_credited")

    first = routing.route_conversation(conversation.pk)
    again = routing.route_conversation(conversation.pk)

    assert first is not None and len(first.rules_fired) == 1
    assert again is not None and again.rules_fired == []
    assert Rule.objects.get().fired_count == 1
