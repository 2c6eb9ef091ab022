"""SLA due times, warnings before a breach, and escalation after one, by the sweep."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from conftest import make_staff
from kefu.accounts.models import Role, Team, User
from kefu.conversations import services as conversations
from kefu.conversations.models import Channel, Priority, TimelineKind
from kefu.routing import board, sla
from kefu.routing import services as routing
from kefu.routing.models import (
    BusinessCalendar,
    ConversationRouting,
    EscalationLevel,
    Holiday,
    Notification,
    NotificationKind,
    SlaStage,
)
from kefu.routing.tests.factories import customer_named, policy, ready, ticket

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def people(teams: dict[str, Team], agent: User) -> dict[str, User]:
    return {
        "agent": agent,
        "supervisor": make_staff(
            "lead", role=Role.SUPERVISOR, queues=("deposit_withdrawal",), teams=teams
        ),
        "manager": make_staff("manager", role=Role.ADMIN, teams=teams),
    }


def routed_ticket(at: datetime, **values: object) -> int:
    conversation = ticket(customer_named("a"), intent="deposit.not_credited", **values)  # type: ignore[arg-type]
    routing.route_conversation(conversation.pk, now=at)
    return conversation.pk


def test_the_first_matching_policy_sets_due_times(people: dict[str, User]) -> None:
    policy(name="Urgent chats", position=1, priority=Priority.URGENT, first_response_seconds=120)
    fallback = policy(name="Everything else", position=9)
    start = timezone.now()
    conversation_id = routed_ticket(start)

    sla.refresh_due_times()

    row = ConversationRouting.objects.get(pk=conversation_id)
    assert row.sla_policy_id == fallback.pk
    assert row.first_response_due_at == start + timedelta(seconds=600)
    assert row.resolution_due_at == start + timedelta(days=1)
    assert row.next_response_due_at is None


def test_business_hours_and_holidays_stop_the_clock(people: dict[str, User]) -> None:
    calendar = BusinessCalendar.objects.create(
        name="Shanghai office",
        timezone="Asia/Shanghai",
        hours={str(day): [["09:00", "18:00"]] for day in range(5)},
    )
    Holiday.objects.create(calendar=calendar, date=date(2026, 12, 7), name="Day off")
    policy(calendar=calendar, first_response_seconds=3600)
    # Friday 17:30 in Shanghai: half an hour today, Monday is a holiday, so Tuesday 09:30.
    friday = datetime(2026, 12, 4, 17, 30, tzinfo=SHANGHAI)
    conversation_id = routed_ticket(friday)

    sla.refresh_due_times()

    due = ConversationRouting.objects.get(pk=conversation_id).first_response_due_at
    assert due == datetime(2026, 12, 8, 9, 30, tzinfo=SHANGHAI)


def test_the_sweep_warns_then_escalates_step_by_step_exactly_once(people: dict[str, User]) -> None:
    policy(first_response_seconds=600, warning_percent=80, escalation_step_seconds=600)
    ready(people["agent"])
    start = timezone.now()
    conversation_id = routed_ticket(start)

    assert sla.check_slas(start + timedelta(minutes=5)).warned == 0
    warned = sla.check_slas(start + timedelta(minutes=9))
    again = sla.check_slas(start + timedelta(minutes=9, seconds=30))
    breached = sla.check_slas(start + timedelta(minutes=11))
    sla.check_slas(start + timedelta(minutes=12))
    to_supervisor = sla.check_slas(start + timedelta(minutes=22))
    to_manager = sla.check_slas(start + timedelta(minutes=33))
    beyond = sla.check_slas(start + timedelta(minutes=60))

    assert (warned.warned, again.warned) == (1, 0)
    assert breached.breached == 1
    assert (to_supervisor.escalated, to_manager.escalated, beyond.escalated) == (1, 1, 0)
    row = ConversationRouting.objects.get(pk=conversation_id)
    assert row.first_response_stage == SlaStage.BREACHED
    assert row.escalation_level == EscalationLevel.MANAGER
    kinds = list(Notification.objects.order_by("pk").values_list("recipient__username", "kind"))
    assert kinds == [
        ("agent", NotificationKind.ASSIGNED),
        ("agent", NotificationKind.SLA_WARNING),
        ("agent", NotificationKind.SLA_BREACHED),
        ("lead", NotificationKind.ESCALATED),
        ("manager", NotificationKind.ESCALATED),
    ]
    timeline = list(
        ConversationRouting.objects.get(pk=conversation_id)
        .conversation.timeline.filter(
            kind__in=[TimelineKind.SLA_WARNING, TimelineKind.SLA_BREACHED, TimelineKind.ESCALATED]
        )
        .values_list("kind", flat=True)
    )
    assert timeline == ["sla_warning", "sla_breached", "escalated", "escalated", "escalated"]


def test_an_answer_stops_the_first_response_clock_and_a_new_wait_starts_the_next(
    people: dict[str, User],
) -> None:
    policy(first_response_seconds=600, next_response_seconds=300)
    agent = people["agent"]
    ready(agent)
    start = timezone.now()
    conversation_id = routed_ticket(start)
    conversations.post_agent_message(agent, conversation_id, body="On it")

    assert sla.check_slas(start + timedelta(hours=1)).breached == 0
    conversations.post_customer_message(conversation_id, body="Any news?")
    customer_wrote = ConversationRouting.objects.get(
        pk=conversation_id
    ).conversation.awaiting_reply_since
    assert customer_wrote is not None
    report = sla.check_slas(customer_wrote + timedelta(minutes=6))

    row = ConversationRouting.objects.get(pk=conversation_id)
    assert report.breached == 1
    assert row.next_response_stage == SlaStage.BREACHED
    assert row.first_response_stage == SlaStage.NONE
    conversations.post_agent_message(agent, conversation_id, body="Credited now")
    conversations.post_customer_message(conversation_id, body="Thanks, one more thing")
    sla.check_slas(timezone.now())
    assert ConversationRouting.objects.get(pk=conversation_id).next_response_stage == SlaStage.NONE


def test_an_unassigned_breach_goes_to_the_team_supervisor(people: dict[str, User]) -> None:
    policy(first_response_seconds=60)
    start = timezone.now()
    conversation_id = routed_ticket(start)

    sla.check_slas(start + timedelta(minutes=2))

    row = ConversationRouting.objects.get(pk=conversation_id)
    assert row.escalation_level == EscalationLevel.SUPERVISOR
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["lead"]


def test_the_board_counts_breaches_risks_and_attainment(people: dict[str, User]) -> None:
    policy(first_response_seconds=600)
    agent = people["agent"]
    start = timezone.now() - timedelta(minutes=30)
    late = routed_ticket(start)
    on_time = ticket(customer_named("b"), intent="deposit.not_credited", channel=Channel.EMAIL)
    routing.route_conversation(on_time.pk)
    answered = ticket(customer_named("c"), intent="deposit.not_credited")
    routing.route_conversation(answered.pk)
    conversations.post_agent_message(agent, answered.pk, body="Done")
    sla.check_slas()

    result = board.sla_board()

    assert (result.breached, result.at_risk, result.on_track) == (1, 0, 2)
    assert result.clocks[0].conversation.pk == late
    assert result.first_responses == 1 and result.first_response_attainment == 100.0
    line = {line.queue: line for line in result.queues}["deposit_withdrawal"]
    assert line.waiting == 2


def test_a_long_wait_raises_priority_but_keeps_the_policy_a_person_s_change_picks_again(
    people: dict[str, User],
) -> None:
    high = policy(name="High", position=1, priority=Priority.HIGH, first_response_seconds=900)
    low = policy(name="Low", position=2, priority=Priority.LOW, first_response_seconds=4 * 3600)
    start = timezone.now()
    conversation = ticket(customer_named("a"), intent="withdrawal.limits_fees")
    routing.route_conversation(conversation.pk, now=start)
    assert ConversationRouting.objects.get(pk=conversation.pk).sla_policy_id == low.pk

    routing.refresh_priorities(start + timedelta(hours=3))
    sla.refresh_due_times()

    conversation.refresh_from_db()
    row = ConversationRouting.objects.get(pk=conversation.pk)
    assert conversation.priority == Priority.NORMAL
    assert (row.sla_policy_id, row.first_response_due_at) == (low.pk, start + timedelta(hours=4))

    conversations.change_priority(people["agent"], conversation.pk, Priority.HIGH)
    sla.refresh_due_times()
    row = ConversationRouting.objects.get(pk=conversation.pk)
    assert (row.sla_policy_id, row.first_response_due_at) == (
        high.pk,
        start + timedelta(minutes=15),
    )


def test_resolved_conversations_do_not_crowd_out_due_times_of_open_ones(
    people: dict[str, User],
) -> None:
    from kefu.routing.policies import save_sla_policy

    target = policy(first_response_seconds=600)
    agent = people["agent"]
    ready(agent, tickets=10)
    for _ in range(3):
        conversations.change_status(agent, routed_ticket(timezone.now()), "resolved")
    open_one = ticket(customer_named("z"), intent="deposit.not_credited")
    routing.route_conversation(open_one.pk)
    queued_at = ConversationRouting.objects.get(pk=open_one.pk).queued_at
    target.first_response_seconds = 1200
    save_sla_policy(people["supervisor"], target)

    assert sla.refresh_due_times(limit=1) == 1
    due = ConversationRouting.objects.get(pk=open_one.pk).first_response_due_at
    assert due == queued_at + timedelta(seconds=1200)
