from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from conftest import console_client
from kefu.accounts.models import AuditLogEntry, User
from kefu.conversations.models import Conversation, TimelineKind
from kefu.intake.channels.phone import services
from kefu.intake.models import CallRecord
from kefu.lib.errors import NotFound

pytestmark = pytest.mark.django_db


def form(**change: Any) -> dict[str, Any]:
    data = {
        "direction": "outbound",
        "customer_number": "+86 138 0013 8000",
        "started_at": "2026-11-30T10:15",
        "duration_minutes": "5",
        "duration_seconds": "12",
        "recording_url": "",
        "notes": "Called back about the missing deposit; txid confirmed.",
    }
    data.update(change)
    return data


def url(conversation: Conversation) -> str:
    return reverse("channels:phone:log_call", args=[conversation.pk])


def test_an_agent_sees_the_form_with_the_time_filled_in(
    agent_client: Client, conversation: Conversation
) -> None:
    response = agent_client.get(url(conversation))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="log-call-form"' in page
    assert 'type="datetime-local"' in page
    assert f"#{conversation.pk}" in page


def test_an_agent_logs_a_call_and_goes_back_to_the_conversation(
    agent_client: Client, agent: User, conversation: Conversation
) -> None:
    response = agent_client.post(url(conversation), form())
    assert response.status_code == 302
    assert response["Location"] == reverse("conversations:detail", args=[conversation.pk])
    record = CallRecord.objects.get()
    assert record.conversation == conversation
    assert record.account is None and record.external_id == ""
    assert record.agent == agent and record.logged_by == agent
    assert record.direction == "outbound"
    assert record.customer_number == "+8613800138000"
    assert record.duration_seconds == 5 * 60 + 12
    assert record.notes == "Called back about the missing deposit; txid confirmed."
    event = conversation.timeline.get(kind=TimelineKind.CALL_LOGGED)
    assert event.actor == agent and event.data["call"] == record.pk
    audit = AuditLogEntry.objects.get(action="conversation.call_logged")
    assert audit.actor == agent
    assert audit.target_id == str(conversation.pk)
    assert audit.after == {"call": record.pk, "account": None, "by_hand": True}
    assert [call.pk for call in services.calls_for(conversation)] == [record.pk]


def test_an_agent_without_access_is_refused_and_nothing_is_stored(
    outsider: User, conversation: Conversation
) -> None:
    client = console_client(outsider)
    assert client.get(url(conversation)).status_code == 404
    assert client.post(url(conversation), form()).status_code == 404
    with pytest.raises(NotFound):
        services.log_call_by_hand(
            outsider,
            conversation.pk,
            direction="inbound",
            started_at=conversation.created_at,
            duration_seconds=10,
        )
    assert CallRecord.objects.count() == 0
    assert AuditLogEntry.objects.filter(action="conversation.call_logged").count() == 0


def test_a_signed_out_visitor_is_sent_to_sign_in(
    client: Client, conversation: Conversation
) -> None:
    response = client.post(url(conversation), form())
    assert response.status_code == 302
    assert "/console/auth/" in response["Location"]
    assert CallRecord.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"customer_number": "ask the customer"}, "This is not a phone number."),
        ({"recording_url": "http://rec.example.com/1.mp3"}, "The recording must be an https link."),
        ({"started_at": "2999-01-01T10:00"}, "The call cannot start in the future."),
        ({"duration_minutes": "-1"}, "Ensure this value is greater than or equal to 0."),
    ],
)
def test_an_invalid_call_shows_the_form_again_and_stores_nothing(
    agent_client: Client, conversation: Conversation, change: dict[str, str], error: str
) -> None:
    response = agent_client.post(url(conversation), form(**change))
    assert response.status_code == 200
    assert error in response.content.decode()
    assert CallRecord.objects.count() == 0


def test_without_a_number_the_customers_number_is_kept(
    agent_client: Client, conversation: Conversation
) -> None:
    agent_client.post(url(conversation), form(customer_number="", duration_seconds=""))
    record = CallRecord.objects.get()
    assert record.customer_number == conversation.customer.phone == ""
    assert record.duration_seconds == 300
