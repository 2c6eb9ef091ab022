from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import make_staff
from kefu.accounts.models import AuditLogEntry, Role, Team, User
from kefu.complaints import services
from kefu.complaints.errors import CaseTextInvalid, NoCaseOwner
from kefu.complaints.models import Case, CaseSource, CaseStatus
from kefu.complaints.tests.factories import case_notifications, proposed_case
from kefu.conversations import services as conversations
from kefu.conversations.models import Conversation, Priority, TimelineEvent, TimelineKind

pytestmark = pytest.mark.django_db


def case_events(conversation: Conversation) -> list[tuple[str, str]]:
    return [
        (e.kind, e.data["event"])
        for e in TimelineEvent.objects.filter(conversation=conversation, kind__startswith="case_")
        | TimelineEvent.objects.filter(
            conversation=conversation, kind=TimelineKind.ESCALATION_REQUESTED
        )
    ]


def test_a_supervisor_of_the_queues_team_owns_an_agents_complaint(
    ticket: Conversation, agent: User, supervisor: User, team_lead: User, admin: User
) -> None:
    before = timezone.now()
    case = services.open_case(ticket.pk, source=CaseSource.INTENT)
    assert case.owner == team_lead
    assert case.original_agent == agent
    assert case.opened_by is None
    assert case.status == CaseStatus.OPEN
    assert before + timedelta(hours=72) <= case.due_at <= timezone.now() + timedelta(hours=72)
    # Not opened by staff: the priority is left to routing.
    assert Conversation.objects.get(pk=ticket.pk).priority == Priority.NORMAL
    assert case_notifications(team_lead) == [(case.pk, "opened")]
    assert case_notifications(supervisor) == []


def test_without_a_team_supervisor_any_supervisor_owns_it(
    ticket: Conversation, supervisor: User, admin: User
) -> None:
    assert services.open_case(ticket.pk, source=CaseSource.INTENT).owner == supervisor


def test_without_supervisors_an_administrator_owns_it(ticket: Conversation, admin: User) -> None:
    assert services.open_case(ticket.pk, source=CaseSource.INTENT).owner == admin


def test_a_supervisors_own_conversation_goes_to_an_administrator(
    ticket: Conversation, team_lead: User, supervisor: User, admin: User
) -> None:
    conversations.assign_conversation(team_lead, ticket.pk, assignee_id=team_lead.pk)
    case = services.open_case(ticket.pk, source=CaseSource.INTENT)
    assert case.owner == admin
    assert case.original_agent == team_lead


def test_the_least_busy_team_supervisor_gets_the_next_case(
    ticket: Conversation, conversation: Conversation, team_lead: User, teams: dict[str, Team]
) -> None:
    second_lead = make_staff(
        "second", role=Role.SUPERVISOR, queues=("deposit_withdrawal",), teams=teams
    )
    first = services.open_case(ticket.pk, source=CaseSource.INTENT)
    second = services.open_case(conversation.pk, source=CaseSource.INTENT)
    assert (first.owner, second.owner) == (team_lead, second_lead)


def test_opening_twice_returns_the_open_case(
    ticket: Conversation, agent: User, team_lead: User
) -> None:
    first = services.open_case(
        ticket.pk, source=CaseSource.AGENT, reason="Customer is angry", opened_by=agent
    )
    again = services.open_case(ticket.pk, source=CaseSource.INTENT, reason="other")
    assert again.pk == first.pk
    assert Case.objects.get().reason == "Customer is angry"
    assert case_events(ticket) == [("case_opened", "opened")]
    assert case_notifications(team_lead) == [(first.pk, "opened")]
    # Staff opened it: the conversation went to high priority, once.
    assert Conversation.objects.get(pk=ticket.pk).priority == Priority.HIGH
    assert TimelineEvent.objects.filter(kind=TimelineKind.PRIORITY_CHANGED).count() == 1
    audit = AuditLogEntry.objects.get(action="case.opened")
    assert (audit.actor, audit.target_type, audit.target_id) == (
        agent,
        "conversation",
        str(ticket.pk),
    )
    assert audit.after == {
        "case": first.pk,
        "source": "agent",
        "owner": team_lead.pk,
        "status": "open",
    }


def test_an_urgent_conversation_keeps_its_priority(
    ticket: Conversation, agent: User, team_lead: User
) -> None:
    conversations.change_priority(agent, ticket.pk, Priority.URGENT)
    services.open_case(ticket.pk, source=CaseSource.AGENT, opened_by=agent)
    assert Conversation.objects.get(pk=ticket.pk).priority == Priority.URGENT


def test_a_closed_case_leaves_room_for_a_new_one(
    ticket: Conversation, agent: User, team_lead: User
) -> None:
    first = services.open_case(ticket.pk, source=CaseSource.AGENT, opened_by=agent)
    services.close_case(team_lead, first.pk)
    second = services.open_case(ticket.pk, source=CaseSource.INTENT)
    assert second.pk != first.pk
    assert list(Case.objects.order_by("pk").values_list("status", flat=True)) == [
        "closed",
        "open",
    ]


def test_nobody_to_own_it_stores_nothing(ticket: Conversation, agent: User) -> None:
    with pytest.raises(NoCaseOwner):
        services.open_case(ticket.pk, source=CaseSource.AGENT, opened_by=agent)
    assert not Case.objects.exists()
    assert Conversation.objects.get(pk=ticket.pk).priority == Priority.NORMAL


def test_a_too_long_reason_is_refused(ticket: Conversation, agent: User, team_lead: User) -> None:
    with pytest.raises(CaseTextInvalid):
        services.open_case(ticket.pk, source=CaseSource.AGENT, reason="x" * 2001, opened_by=agent)
    assert not Case.objects.exists()


def test_notes_are_recorded(ticket: Conversation, agent: User, team_lead: User) -> None:
    case = services.open_case(ticket.pk, source=CaseSource.INTENT)
    note = services.add_note(agent, case.pk, "  Checked the chat log.  ")
    assert list(case.notes.values_list("author__username", "body")) == [
        ("agent", "Checked the chat log.")
    ]
    assert AuditLogEntry.objects.get(action="case.note_added").after == {
        "case": case.pk,
        "note": note.pk,
    }
    with pytest.raises(CaseTextInvalid):
        services.add_note(agent, case.pk, "   ")
    assert case.notes.count() == 1


def test_overdue_owners_are_told_once(ticket: Conversation, agent: User, team_lead: User) -> None:
    case = services.open_case(ticket.pk, source=CaseSource.INTENT)
    now = timezone.now()
    assert services.check_overdue_cases(now + timedelta(hours=71)) == 0
    assert services.check_overdue_cases(now + timedelta(hours=73)) == 1
    assert services.check_overdue_cases(now + timedelta(hours=74)) == 0
    assert case_notifications(team_lead) == [(case.pk, "opened"), (case.pk, "overdue")]
    assert case_events(ticket) == [("case_opened", "opened"), ("case_updated", "overdue")]
    assert Case.objects.get().overdue_notified_at == now + timedelta(hours=73)


def test_a_case_waiting_for_the_customer_is_not_overdue(
    ticket: Conversation, agent: User, team_lead: User
) -> None:
    case = proposed_case(ticket.pk, agent)
    assert services.check_overdue_cases(timezone.now() + timedelta(days=30)) == 0
    assert case_notifications(team_lead) == [(case.pk, "opened")]


def test_a_rejected_resolution_starts_a_new_due_time(
    ticket: Conversation, agent: User, team_lead: User, admin: User
) -> None:
    case = services.open_case(ticket.pk, source=CaseSource.INTENT)
    assert services.check_overdue_cases(timezone.now() + timedelta(hours=73)) == 1
    services.propose_resolution(team_lead, case.pk, "We refunded the fee.")
    services.customer_reject(ticket.tracking_token, case.pk, "Not enough")
    assert services.check_overdue_cases(timezone.now() + timedelta(hours=71)) == 0
    assert services.check_overdue_cases(timezone.now() + timedelta(hours=73)) == 1
    assert case_notifications(admin) == [(case.pk, "escalated"), (case.pk, "overdue")]
