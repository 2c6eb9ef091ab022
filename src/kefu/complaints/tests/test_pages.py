from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import console_client
from kefu.accounts.models import AuditLogEntry, User
from kefu.complaints import services
from kefu.complaints.models import Case, CaseSource, CaseStatus
from kefu.complaints.tests.factories import case_notifications, proposed_case
from kefu.conversations import services as conversations
from kefu.conversations.models import (
    AuthorType,
    Channel,
    Conversation,
    Customer,
    Message,
    Priority,
    TimelineEvent,
)

pytestmark = pytest.mark.django_db


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def detail_url(case: Case) -> str:
    return reverse("complaints:detail", args=[case.pk])


def track_url(conversation: Conversation) -> str:
    return reverse("intake:track", args=[conversation.tracking_token])


def case_state(case: Case) -> dict[str, Any]:
    row = Case.objects.get(pk=case.pk)
    return {
        "status": row.status,
        "owner": row.owner_id,
        "resolution": row.resolution,
        "notes": row.notes.count(),
        "closed_at": row.closed_at,
    }


def test_a_complaint_from_marking_to_the_customers_confirmation(
    ticket: Conversation,
    agent: User,
    team_lead: User,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    agent_console = console_client(agent)
    conversation_url = reverse("conversations:detail", args=[ticket.pk])
    assert 'id="complaint-form"' in page(agent_console, conversation_url)

    # The agent marks the conversation as a complaint from its side bar.
    response = agent_console.post(
        reverse("complaints:mark_as_complaint", args=[ticket.pk]),
        {"reason": "Customer says the agent was rude"},
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(case)
    assert (case.source, case.owner, case.original_agent, case.opened_by) == (
        CaseSource.AGENT,
        team_lead,
        agent,
        agent,
    )
    assert Conversation.objects.get(pk=ticket.pk).priority == Priority.HIGH
    sidebar = page(agent_console, conversation_url)
    assert f'href="{detail_url(case)}" id="case-link"' in sidebar
    assert 'id="complaint-form"' not in sidebar

    # The owner finds it in their list, investigates and notes what they found.
    owner_console = console_client(team_lead)
    listed = page(owner_console, reverse("complaints:list") + "?view=mine")
    assert f'id="case-{case.pk}"' in listed
    assert "Customer says the agent was rude" in page(owner_console, detail_url(case))
    owner_console.post(reverse("complaints:investigate", args=[case.pk]))
    owner_console.post(
        reverse("complaints:add_note", args=[case.pk]), {"body": "Chat log confirms it."}
    )
    html = page(owner_console, detail_url(case))
    assert "Chat log confirms it." in html
    assert Case.objects.get().status == CaseStatus.INVESTIGATING

    # The resolution goes to the customer as a reply, by email too (a ticket).
    with django_capture_on_commit_callbacks(execute=True):
        owner_console.post(
            reverse("complaints:resolution", args=[case.pk]),
            {"text": "We apologise and refunded the 5 USDT fee."},
        )
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLUTION_PROPOSED
    assert case.resolution == "We apologise and refunded the 5 USDT fee."
    reply = Message.objects.filter(author_type=AuthorType.AGENT).get()
    assert (reply.body, reply.is_internal, reply.author) == (
        "We apologise and refunded the 5 USDT fee.",
        False,
        team_lead,
    )
    assert len(mail.outbox) == 1
    assert "We apologise and refunded the 5 USDT fee." in mail.outbox[0].body

    # The customer sees it with two answers on the tracking page, and confirms.
    tracking = page(client, track_url(ticket))
    assert 'id="complaint-resolution"' in tracking
    assert "This resolves my complaint" in tracking
    assert "still not satisfied" in tracking
    response = client.post(
        reverse("complaints:customer_confirm", args=[ticket.tracking_token, case.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == track_url(ticket)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert case.customer_confirmed_at is not None
    assert case.closed_at == case.customer_confirmed_at
    tracking = page(client, track_url(ticket))
    assert "You confirmed that your complaint is resolved" in tracking
    assert 'id="complaint-resolution"' not in tracking
    assert case_notifications(team_lead) == [(case.pk, "opened"), (case.pk, "confirmed")]
    assert "The customer confirmed the resolution" in page(owner_console, detail_url(case))

    # Every step is on the conversation's timeline and in the audit log.
    events = [
        (e.kind, e.data.get("event"))
        for e in TimelineEvent.objects.filter(conversation=ticket, kind__startswith="case_")
    ]
    assert events == [
        ("case_opened", "opened"),
        ("case_updated", "investigating"),
        ("case_updated", "note_added"),
        ("case_updated", "resolution_proposed"),
        ("case_resolved", "confirmed"),
    ]
    assert list(
        AuditLogEntry.objects.filter(action__startswith="case.")
        .order_by("pk")
        .values_list("action", "actor__username")
    ) == [
        ("case.opened", "agent"),
        ("case.status_changed", "lead"),
        ("case.note_added", "lead"),
        ("case.status_changed", "lead"),
        ("case.customer_confirmed", None),
    ]
    stream = page(agent_console, conversation_url)
    assert "Complaint case opened" in stream
    assert "Marked by staff; owner: Lead" in stream
    assert "the customer confirmed the resolution" in stream
    assert f'<a href="{detail_url(case)}">Case {case.pk}</a>' in stream


def test_a_customer_who_is_not_satisfied_reopens_it_with_an_administrator(
    ticket: Conversation, agent: User, team_lead: User, admin: User, client: Client
) -> None:
    case = proposed_case(ticket.pk, agent)
    response = client.post(
        reverse("complaints:customer_reject", args=[ticket.tracking_token, case.pk]),
        {"comment": "The fee was 10 USDT, not 5."},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.owner, case.customer_comment) == (
        CaseStatus.OPEN,
        admin,
        "The fee was 10 USDT, not 5.",
    )
    assert case.customer_rejected_at is not None
    assert case.customer_confirmed_at is None
    assert case_notifications(team_lead) == [(case.pk, "opened"), (case.pk, "rejected")]
    assert case_notifications(admin) == [(case.pk, "escalated")]
    html = page(console_client(admin), detail_url(case))
    assert "The fee was 10 USDT, not 5." in html
    assert "was not satisfied with the resolution" in html
    assert "passed to a supervisor" in page(client, track_url(ticket))
    stream = page(console_client(agent), reverse("conversations:detail", args=[ticket.pk]))
    assert (
        "the customer is not satisfied: The fee was 10 USDT, not 5. · escalated to Admin" in stream
    )
    # A second answer to the same proposal is refused and changes nothing.
    before = case_state(case)
    client.post(reverse("complaints:customer_confirm", args=[ticket.tracking_token, case.pk]))
    assert case_state(case) == before


def test_the_lists_mine_all_open_and_overdue(
    ticket: Conversation, conversation: Conversation, agent: User, team_lead: User, supervisor: User
) -> None:
    mine = services.open_case(ticket.pk, source=CaseSource.INTENT)
    with override_settings(COMPLAINT_DUE_HOURS=0):
        late = services.open_case(conversation.pk, source=CaseSource.INTENT)
    services.reassign_case(supervisor, late.pk, supervisor.pk)
    owner_console = console_client(team_lead)

    def listed(client: Client, view: str) -> set[int]:
        html = page(client, reverse("complaints:list") + "?view=" + view)
        return {c.pk for c in (mine, late) if f'id="case-{c.pk}"' in html}

    assert listed(owner_console, "mine") == {mine.pk}
    assert listed(owner_console, "open") == {mine.pk, late.pk}
    assert listed(owner_console, "overdue") == {late.pk}
    assert listed(owner_console, "bogus") == {mine.pk}
    assert "overdue by" in page(owner_console, reverse("complaints:list") + "?view=overdue")
    assert case_notifications(supervisor) == [(late.pk, "reassigned")]


def test_the_list_costs_the_same_queries_whatever_its_size(
    customer: Customer, agent: User, team_lead: User
) -> None:
    client = console_client(team_lead)

    def open_one() -> None:
        started = conversations.start_conversation(
            customer=customer, channel=Channel.WIDGET, body="bad", queue="deposit_withdrawal"
        )
        services.open_case(started.conversation.pk, source=CaseSource.INTENT)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            page(client, reverse("complaints:list") + "?view=open")
        return len(captured)

    open_one()
    count()  # the first request also caches the brand
    few = count()
    open_one()
    open_one()
    assert count() == few


def test_an_agent_of_another_team_cannot_see_the_case(
    ticket: Conversation, agent: User, team_lead: User, outsider: User
) -> None:
    case = services.open_case(ticket.pk, source=CaseSource.INTENT)
    before = case_state(case)
    client = console_client(outsider)
    assert client.get(detail_url(case)).status_code == 404
    assert f'id="case-{case.pk}"' not in page(client, reverse("complaints:list") + "?view=open")
    for name, data in [
        ("add_note", {"body": "sneaky"}),
        ("investigate", {}),
        ("resolution", {"text": "closed"}),
        ("close", {}),
        ("reassign", {"owner": outsider.pk}),
    ]:
        assert client.post(reverse(f"complaints:{name}", args=[case.pk]), data).status_code == 404
    response = client.post(
        reverse("complaints:mark_as_complaint", args=[ticket.pk]), {"reason": "x"}
    )
    assert response.status_code == 404
    assert case_state(case) == before
    assert Case.objects.count() == 1


def test_an_agent_who_does_not_own_it_may_read_and_note_but_not_act(
    ticket: Conversation, agent: User, team_lead: User, admin: User
) -> None:
    case = services.open_case(ticket.pk, source=CaseSource.INTENT)
    client = console_client(agent)
    html = page(client, detail_url(case))
    assert 'id="case-actions"' not in html
    before = case_state(case)
    for name, data in [
        ("investigate", {}),
        ("resolution", {"text": "closed"}),
        ("close", {}),
        ("reassign", {"owner": admin.pk}),
    ]:
        assert client.post(reverse(f"complaints:{name}", args=[case.pk]), data).status_code == 403
    assert case_state(case) == before
    assert not Message.objects.filter(author_type=AuthorType.AGENT).exists()
    client.post(reverse("complaints:add_note", args=[case.pk]), {"body": "I said nothing rude."})
    assert case_state(case) == {**before, "notes": 1}


def test_a_supervisor_reassigns_only_to_supervisors_and_administrators(
    ticket: Conversation, agent: User, team_lead: User, supervisor: User
) -> None:
    case = services.open_case(ticket.pk, source=CaseSource.INTENT)
    client = console_client(supervisor)
    assert 'id="case-owner-select"' in page(client, detail_url(case))
    before = case_state(case)
    client.post(reverse("complaints:reassign", args=[case.pk]), {"owner": agent.pk})
    assert case_state(case) == before
    assert "Choose an active supervisor or administrator." in page(client, detail_url(case))
    client.post(reverse("complaints:reassign", args=[case.pk]), {"owner": supervisor.pk})
    assert Case.objects.get().owner == supervisor
    assert AuditLogEntry.objects.get(action="case.reassigned").before == {"owner": team_lead.pk}


def test_a_too_long_note_is_refused_with_a_reason(ticket: Conversation, team_lead: User) -> None:
    case = services.open_case(ticket.pk, source=CaseSource.INTENT)
    client = console_client(team_lead)
    client.post(reverse("complaints:add_note", args=[case.pk]), {"body": "x" * 5001})
    assert case.notes.count() == 0
    assert "at most 5000 characters" in page(client, detail_url(case))


def test_the_console_needs_a_two_factor_sign_in(ticket: Conversation, team_lead: User) -> None:
    case = services.open_case(ticket.pk, source=CaseSource.INTENT)
    half_signed_in = Client()
    half_signed_in.force_login(team_lead)
    for url in (reverse("complaints:list"), detail_url(case)):
        response = half_signed_in.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    assert half_signed_in.post(reverse("complaints:close", args=[case.pk])).status_code == 302
    assert Case.objects.get().status == CaseStatus.OPEN


def test_the_console_nav_links_the_cases(agent: User) -> None:
    html = page(console_client(agent), reverse("complaints:list"))
    assert f'<a href="{reverse("complaints:list")}">Cases</a>' in html
