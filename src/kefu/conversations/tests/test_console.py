from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import console_client
from kefu.accounts.models import AuditLogEntry, User
from kefu.conversations import services
from kefu.conversations.models import Attachment, Channel, Conversation, Customer, Message, Status

pytestmark = pytest.mark.django_db


def test_the_inbox_views_and_filters(agent: User, teammate: User, customer: Customer) -> None:
    mine = services.start_conversation(
        customer=customer, channel=Channel.WIDGET, body="mine", queue="deposit_withdrawal"
    ).conversation
    services.assign_conversation(agent, mine.pk, assignee_id=agent.pk)
    theirs = services.start_conversation(
        customer=customer,
        channel=Channel.FORM,
        body="theirs",
        subject="theirs",
        queue="deposit_withdrawal",
    ).conversation
    services.assign_conversation(agent, theirs.pk, assignee_id=teammate.pk)
    loose = services.start_conversation(
        customer=customer, channel=Channel.WIDGET, body="loose", queue="deposit_withdrawal"
    ).conversation
    done = services.start_conversation(
        customer=customer, channel=Channel.WIDGET, body="done", queue="deposit_withdrawal"
    ).conversation
    services.change_status(agent, done.pk, Status.RESOLVED)
    hidden = services.start_conversation(
        customer=customer, channel=Channel.WIDGET, body="trade", queue="trading"
    ).conversation
    client = console_client(agent)

    def listed(query: str) -> set[int]:
        html = client.get(reverse("conversations:inbox") + query).content.decode()
        return {
            c.pk for c in (mine, theirs, loose, done, hidden) if f'id="conversation-{c.pk}"' in html
        }

    assert listed("?view=mine") == {mine.pk}
    assert listed("?view=unassigned") == {loose.pk}
    assert listed("?view=all") == {mine.pk, theirs.pk, loose.pk}
    assert listed("?view=all&status=resolved") == {done.pk}
    assert listed("?view=all&status=any") == {mine.pk, theirs.pk, loose.pk, done.pk}
    assert listed("?view=all&channel=form") == {theirs.pk}
    assert listed("?view=queue:trading") == set()
    assert listed("?view=bogus&status=bogus&channel=bogus") == {mine.pk, theirs.pk, loose.pk}


def test_htmx_refreshes_get_only_the_list(agent_client: Client, conversation: Conversation) -> None:
    response = agent_client.get(reverse("conversations:inbox"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.startswith('<div id="inbox-list"')
    assert "<html" not in html
    assert f'id="conversation-{conversation.pk}"' in html


def test_the_inbox_costs_the_same_queries_whatever_its_size(
    agent: User, customer: Customer
) -> None:
    client = console_client(agent)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert (
                client.get(reverse("conversations:inbox"), HTTP_HX_REQUEST="true").status_code
                == 200
            )
        return len(captured)

    services.start_conversation(
        customer=customer, channel=Channel.WIDGET, body="1", queue="deposit_withdrawal"
    )
    count()  # warm the brand cache
    few = count()
    # session, user, the agent's teams (twice: list and counts), the page, two count queries
    assert few <= 7
    for n in range(30):
        services.start_conversation(
            customer=customer, channel=Channel.WIDGET, body=str(n), queue="deposit_withdrawal"
        )
    assert count() == few


def test_an_agent_replies_and_adds_a_note(agent_client: Client, conversation: Conversation) -> None:
    url = reverse("conversations:reply", args=[conversation.pk])
    response = agent_client.post(
        url, {"body": "Checking the chain", "client_id": "x1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Checking the chain" in response.content.decode()
    agent_client.post(
        url, {"body": "looks like wrong network", "is_internal": "on"}, HTTP_HX_REQUEST="true"
    )
    bodies = list(conversation.messages.values_list("body", "is_internal"))
    assert bodies[1:] == [("Checking the chain", False), ("looks like wrong network", True)]


def test_a_reply_to_a_closed_conversation_shows_the_error(
    agent: User, agent_client: Client, conversation: Conversation
) -> None:
    services.change_status(agent, conversation.pk, Status.CLOSED)
    response = agent_client.post(
        reverse("conversations:reply", args=[conversation.pk]),
        {"body": "hello?"},
        HTTP_HX_REQUEST="true",
    )
    assert response["HX-Retarget"] == "#reply-error"
    assert "closed" in response.content.decode()
    assert conversation.messages.count() == 1


def test_the_side_bar_changes_status_priority_team_and_agent(
    agent: User, agent_client: Client, teammate: User, conversation: Conversation
) -> None:
    url = reverse("conversations:properties", args=[conversation.pk])
    agent_client.post(url, {"status": "pending"}, HTTP_HX_REQUEST="true")
    agent_client.post(url, {"priority": "4"}, HTTP_HX_REQUEST="true")
    agent_client.post(url, {"assignee": str(teammate.pk)}, HTTP_HX_REQUEST="true")
    changed = Conversation.objects.get(pk=conversation.pk)
    assert (changed.status, changed.priority, changed.assignee) == ("pending", 4, teammate)
    agent_client.post(url, {"assignee": "none"}, HTTP_HX_REQUEST="true")
    assert Conversation.objects.get(pk=conversation.pk).assignee is None
    response = agent_client.post(url, {"queue": "trading"}, HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == reverse("conversations:inbox")
    assert Conversation.objects.get(pk=conversation.pk).queue == "trading"
    # The conversation left the agent's team: the agent can no longer open it.
    assert (
        agent_client.get(reverse("conversations:detail", args=[conversation.pk])).status_code == 404
    )


def test_other_teams_and_unknown_ids_are_not_found(
    conversation: Conversation, outsider: User
) -> None:
    client = console_client(outsider)
    for name in ("conversations:detail", "conversations:stream", "conversations:sidebar"):
        assert client.get(reverse(name, args=[conversation.pk])).status_code == 404
        assert client.get(reverse(name, args=[999999])).status_code == 404
    response = client.post(
        reverse("conversations:reply", args=[conversation.pk]), {"body": "not mine"}
    )
    assert response.status_code == 404
    assert not Message.objects.filter(body="not mine").exists()


def test_files_are_served_only_to_those_who_may_see_them(
    agent_client: Client, outsider: User, conversation: Conversation
) -> None:
    agent_client.post(
        reverse("conversations:reply", args=[conversation.pk]),
        {
            "body": "see attached",
            "attachments": [SimpleUploadedFile("steps.txt", b"1. open app")],
        },
    )
    attachment = Attachment.objects.get()
    response = agent_client.get(reverse("conversations:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"1. open app"  # type: ignore[attr-defined]
    assert response["Content-Type"] == "text/plain"
    assert "attachment" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    other = console_client(outsider).get(reverse("conversations:attachment", args=[attachment.pk]))
    assert other.status_code == 404


def test_the_audit_log_is_for_supervisors(
    agent_client: Client, supervisor: User, conversation: Conversation
) -> None:
    agent_client.post(
        reverse("conversations:properties", args=[conversation.pk]), {"priority": "3"}
    )
    assert agent_client.get(reverse("conversations:audit_log")).status_code == 403
    page = console_client(supervisor).get(
        reverse("conversations:audit_log") + "?action=conversation"
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "conversation.priority_changed" in html and "agent" in html


def test_supervisors_manage_canned_responses(
    supervisor: User, agent_client: Client, conversation: Conversation
) -> None:
    client = console_client(supervisor)
    client.post(
        reverse("conversations:canned_responses"),
        {
            "title": "Ask txid",
            "body": "Please send the txid",
            "language": "en",
            "queue": "deposit_withdrawal",
        },
    )
    page = agent_client.get(
        reverse("conversations:detail", args=[conversation.pk])
    ).content.decode()
    assert 'data-body="Please send the txid"' in page
    assert AuditLogEntry.objects.filter(action="canned_response.created").count() == 1
    assert (
        agent_client.post(
            reverse("conversations:canned_responses"), {"title": "x", "body": "y", "language": "en"}
        ).status_code
        == 403
    )
