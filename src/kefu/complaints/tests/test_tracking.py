from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from conftest import console_client
from kefu.accounts.models import AuditLogEntry, User
from kefu.complaints import services
from kefu.complaints.errors import CaseTextInvalid
from kefu.complaints.models import Case, CaseSource, CaseStatus
from kefu.complaints.tests.factories import case_notifications, proposed_case
from kefu.conversations import services as conversations
from kefu.conversations.models import (
    Channel,
    Conversation,
    Customer,
    Priority,
    Status,
    TimelineEvent,
)

pytestmark = pytest.mark.django_db


def escalate(client: Client, conversation: Conversation, reason: str) -> Any:
    return client.post(
        reverse("complaints:customer_escalate", args=[conversation.tracking_token]),
        {"reason": reason},
    )


def track(client: Client, conversation: Conversation) -> str:
    response = client.get(reverse("intake:track", args=[conversation.tracking_token]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_customer_asks_to_escalate_from_the_tracking_page(
    ticket: Conversation, agent: User, team_lead: User, client: Client
) -> None:
    assert 'id="escalate-form"' in track(client, ticket)
    response = escalate(client, ticket, "  Nobody answers my question about the fee.  ")
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:track", args=[ticket.tracking_token])
    case = Case.objects.get()
    assert (case.source, case.reason, case.owner, case.opened_by, case.status) == (
        CaseSource.CUSTOMER,
        "Nobody answers my question about the fee.",
        team_lead,
        None,
        CaseStatus.OPEN,
    )
    # The customer did it: the priority is left to routing.
    assert Conversation.objects.get(pk=ticket.pk).priority == Priority.NORMAL
    events = TimelineEvent.objects.filter(
        conversation=ticket, kind__in=["escalation_requested", "case_opened"]
    ).order_by("pk")
    assert [(e.kind, e.actor_id) for e in events] == [
        ("escalation_requested", None),
        ("case_opened", None),
    ]
    audit = AuditLogEntry.objects.get(action="case.opened")
    assert (audit.actor, audit.actor_label) == (None, "system")
    assert case_notifications(team_lead) == [(case.pk, "opened")]
    html = track(client, ticket)
    assert "Your complaint was passed to a supervisor" in html
    assert 'id="escalate-form"' not in html
    # Asking again returns the same case.
    escalate(client, ticket, "Again")
    assert Case.objects.get().reason == "Nobody answers my question about the fee."
    assert TimelineEvent.objects.filter(kind="escalation_requested").count() == 1


def test_escalating_needs_a_csrf_token(ticket: Conversation, team_lead: User) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert escalate(strict, ticket, "Bad service").status_code == 403
    assert not Case.objects.exists()


def test_a_wrong_tracking_token_finds_nothing(
    ticket: Conversation, agent: User, team_lead: User, client: Client
) -> None:
    case = proposed_case(ticket.pk, agent)
    for token in ("wrong-token", "x" * 65):
        urls = [
            reverse("complaints:customer_escalate", args=[token]),
            reverse("complaints:customer_confirm", args=[token, case.pk]),
            reverse("complaints:customer_reject", args=[token, case.pk]),
        ]
        for url in urls:
            assert client.post(url, {"reason": "x", "comment": "x"}).status_code == 404
    assert Case.objects.get().status == CaseStatus.RESOLUTION_PROPOSED


def test_another_tickets_token_cannot_answer_this_case(
    ticket: Conversation, customer: Customer, agent: User, team_lead: User, client: Client
) -> None:
    case = proposed_case(ticket.pk, agent)
    other = conversations.start_conversation(
        customer=customer, channel=Channel.FORM, body="other", queue="deposit_withdrawal"
    ).conversation
    for name in ("customer_confirm", "customer_reject"):
        url = reverse(f"complaints:{name}", args=[other.tracking_token, case.pk])
        assert client.post(url, {"comment": "x"}).status_code == 404
    assert Case.objects.get().status == CaseStatus.RESOLUTION_PROPOSED


def test_a_too_long_reason_is_refused_and_nothing_is_stored(
    ticket: Conversation, team_lead: User, client: Client
) -> None:
    response = escalate(client, ticket, "x" * 2001)
    assert response.status_code == 302
    assert not Case.objects.exists()
    assert "Please keep it under 2000 characters." in track(client, ticket)
    with pytest.raises(CaseTextInvalid):
        services.request_escalation(ticket.tracking_token, "x" * 2001)
    escalate(client, ticket, "   ")
    assert "Please tell us what went wrong." in track(client, ticket)
    assert not Case.objects.exists()
    assert not TimelineEvent.objects.filter(kind="escalation_requested").exists()


def test_secrets_in_the_reason_and_comment_are_redacted(
    ticket: Conversation, agent: User, team_lead: User, client: Client
) -> None:
    escalate(client, ticket, "Agent asked for it, my password is Hunter2!xyz")
    case = Case.objects.get()
    assert "Hunter2!xyz" not in case.reason
    assert "[redacted password" in case.reason
    services.propose_resolution(team_lead, case.pk, "We spoke to the agent.")
    client.post(
        reverse("complaints:customer_reject", args=[ticket.tracking_token, case.pk]),
        {"comment": "password: S3cret!pass"},
    )
    case.refresh_from_db()
    assert "S3cret!pass" not in case.customer_comment
    assert "S3cret!pass" not in str(
        TimelineEvent.objects.filter(kind="case_updated").values_list("data", flat=True)
    )


def test_customer_text_is_inert_on_console_pages(
    ticket: Conversation, agent: User, team_lead: User, client: Client
) -> None:
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    escalate(client, ticket, payload)
    case = Case.objects.get()
    services.propose_resolution(team_lead, case.pk, "Sorry.")
    client.post(
        reverse("complaints:customer_reject", args=[ticket.tracking_token, case.pk]),
        {"comment": payload},
    )
    staff = console_client(team_lead)
    pages = [
        staff.get(reverse("complaints:detail", args=[case.pk])).content.decode(),
        staff.get(reverse("conversations:detail", args=[ticket.pk])).content.decode(),
    ]
    for html in pages:
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


@override_settings(RATE_LIMITS={**settings.RATE_LIMITS, "ticket_create": "2/m"})
def test_escalation_requests_are_rate_limited(
    ticket: Conversation, team_lead: User, client: Client
) -> None:
    assert escalate(client, ticket, "x" * 2001).status_code == 302
    assert escalate(client, ticket, "x" * 2001).status_code == 302
    blocked = escalate(client, ticket, "Bad service")
    assert blocked.status_code == 429
    assert not Case.objects.exists()


def test_a_closed_ticket_cannot_be_escalated(
    ticket: Conversation, agent: User, team_lead: User, client: Client
) -> None:
    conversations.change_status(agent, ticket.pk, Status.CLOSED)
    assert 'id="escalate-form"' not in track(client, ticket)
    escalate(client, ticket, "Bad service")
    assert not Case.objects.exists()
    assert "This conversation is closed" in track(client, ticket)


def test_confirming_without_a_proposal_changes_nothing(
    ticket: Conversation, team_lead: User, client: Client
) -> None:
    case = services.open_case(ticket.pk, source=CaseSource.INTENT)
    client.post(reverse("complaints:customer_confirm", args=[ticket.tracking_token, case.pk]))
    assert Case.objects.get().status == CaseStatus.OPEN
    assert "cannot be changed that way now" in track(client, ticket)
