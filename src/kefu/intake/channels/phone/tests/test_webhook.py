from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client

from kefu.accounts.models import AuditLogEntry, User
from kefu.conversations.models import (
    Channel,
    Conversation,
    Customer,
    TimelineEvent,
    TimelineKind,
)
from kefu.intake.adapters import Sender
from kefu.intake.channels.phone import services
from kefu.intake.channels.phone.tests.factories import SECRET, call, phone_account, post_call
from kefu.intake.ingest import match_customer
from kefu.intake.models import CallRecord, ChannelAccount
from kefu.lib.signing import signature_header

pytestmark = pytest.mark.django_db


def stored() -> tuple[int, int, int, int]:
    return (
        CallRecord.objects.count(),
        Conversation.objects.count(),
        Customer.objects.count(),
        TimelineEvent.objects.filter(kind=TimelineKind.CALL_LOGGED).count(),
    )


def test_a_signed_call_from_a_new_number_opens_a_phone_conversation(client: Client) -> None:
    account = phone_account()
    transcript = "Caller: my deposit is missing.\nAgent: let me check."
    response = post_call(
        client,
        account,
        call(recording_url="https://rec.example.com/r/1.mp3", transcript=transcript),
    )
    assert response.status_code == 201
    body = response.json()
    record = CallRecord.objects.get()
    assert body == {"call": record.pk, "conversation": record.conversation_id, "created": True}
    assert record.account == account
    assert record.external_id == "call-1"
    assert record.customer_number == "+8613800138000"
    assert record.duration_seconds == 312
    assert record.direction == "inbound"
    assert record.started_at == datetime.fromisoformat("2026-01-05T09:30:00+08:00")
    assert record.recording_url == "https://rec.example.com/r/1.mp3"
    assert record.transcript == transcript
    conversation = record.conversation
    assert conversation.channel == Channel.PHONE
    assert conversation.customer.phone == "+8613800138000"
    first = conversation.messages.get()
    assert first.body == "Phone call, 5 min 12 s"
    assert transcript not in first.body
    event = conversation.timeline.get(kind=TimelineKind.CALL_LOGGED)
    assert event.data["call"] == record.pk and event.data["call_id"] == "call-1"
    audit = AuditLogEntry.objects.get(action="conversation.call_logged")
    assert audit.target_id == str(conversation.pk) and audit.actor is None
    account.refresh_from_db()
    assert account.last_inbound_at is not None


def test_a_call_joins_the_open_conversation_of_the_customer_with_that_number(
    client: Client, conversation: Conversation, customer: Customer
) -> None:
    account = phone_account()
    # The customer's number became known on an earlier contact.
    match_customer(
        account,
        Sender(external_id="+8613800138000", phone="+8613800138000", exchange_user_id="u-1001"),
    )
    other = phone_account()
    response = post_call(client, other, call("call-7", customer_number="0086 138 0013 8000"))
    assert response.status_code == 201
    record = CallRecord.objects.get()
    assert record.conversation == conversation
    assert record.conversation.customer == customer
    # The transcript and summary stay out of the existing conversation's messages.
    assert conversation.messages.count() == 1
    assert conversation.timeline.filter(kind=TimelineKind.CALL_LOGGED).count() == 1


def test_a_second_call_from_the_same_number_joins_the_first_calls_conversation(
    client: Client,
) -> None:
    account = phone_account()
    first = post_call(client, account, call("call-1")).json()
    second = post_call(client, account, call("call-2", duration_seconds=45)).json()
    assert second["created"] is True
    assert second["conversation"] == first["conversation"]
    assert Customer.objects.count() == 1
    assert CallRecord.objects.count() == 2


def test_without_recent_activity_a_call_opens_a_new_conversation(client: Client) -> None:
    account = phone_account(reuse_days=0)
    first = post_call(client, account, call("call-1")).json()
    second = post_call(client, account, call("call-2", direction="outbound")).json()
    assert second["conversation"] != first["conversation"]
    assert Customer.objects.count() == 1
    summary = Conversation.objects.get(pk=second["conversation"]).messages.get().body
    assert summary == "Phone call to the customer, 5 min 12 s"


def test_the_exchange_user_id_is_used_only_when_the_account_trusts_it(
    client: Client, conversation: Conversation, customer: Customer
) -> None:
    untrusted = phone_account()
    response = post_call(client, untrusted, call("call-1", user_id="u-1001"))
    assert Conversation.objects.get(pk=response.json()["conversation"]).customer != customer
    trusted = phone_account(trust_user_id=True)
    response = post_call(
        client, trusted, call("call-2", customer_number="+4930123456", user_id="u-1001")
    )
    assert response.json()["conversation"] == conversation.pk


def test_the_agent_is_matched_by_user_name_or_email(client: Client, agent: User) -> None:
    account = phone_account()
    post_call(client, account, call("call-1", agent_username="agent"))
    post_call(client, account, call("call-2", agent_email="nobody@example.com"))
    agents = dict(CallRecord.objects.values_list("external_id", "agent"))
    assert agents == {"call-1": agent.pk, "call-2": None}


def test_a_redelivered_call_is_stored_once(client: Client) -> None:
    account = phone_account()
    first = post_call(client, account, call())
    before = stored()
    again = post_call(client, account, call(duration_seconds=999))
    assert again.status_code == 200
    assert again.json() == {**first.json(), "created": False}
    assert stored() == before
    assert CallRecord.objects.get().duration_seconds == 312


@pytest.mark.parametrize("case", ["wrong secret", "stale", "missing", "garbage"])
def test_a_call_with_a_bad_signature_is_refused_and_nothing_stored(
    client: Client, case: str
) -> None:
    account = phone_account()
    body = json.dumps(call()).encode()
    header = {
        "wrong secret": signature_header("another-secret-0123456789", int(time.time()), body),
        "stale": signature_header(SECRET, int(time.time()) - 3600, body),
        "missing": "",
        "garbage": "t=abc,v1=",
    }[case]
    response = post_call(client, account, body, signature=header)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_required"
    assert stored() == (0, 0, 0, 0)


def test_the_previous_secret_works_while_it_is_rotated(client: Client) -> None:
    account = phone_account()
    rotated = {**account.config, "secret": "new-telephony-secret-0123", "previous_secret": SECRET}
    ChannelAccount.objects.filter(pk=account.pk).update(config=rotated)
    assert post_call(client, account, call("call-1")).status_code == 201
    new = post_call(client, account, call("call-2"), secret="new-telephony-secret-0123")
    assert new.status_code == 201
    ChannelAccount.objects.filter(pk=account.pk).update(config={**rotated, "previous_secret": ""})
    assert post_call(client, account, call("call-3")).status_code == 401
    assert CallRecord.objects.count() == 2


def test_an_account_without_a_secret_accepts_nothing(client: Client) -> None:
    account = ChannelAccount.objects.create(kind="phone", name="Unconfigured", config={})
    response = post_call(client, account, call(), secret="")
    assert response.status_code == 401
    assert stored() == (0, 0, 0, 0)


def test_an_unknown_or_inactive_account_is_not_found(client: Client) -> None:
    account = phone_account()
    response = post_call(client, account, call())
    assert response.status_code == 201
    missing = ChannelAccount(pk=account.pk + 100)
    assert post_call(client, missing, call("call-9")).status_code == 404
    ChannelAccount.objects.filter(pk=account.pk).update(is_active=False)
    assert post_call(client, account, call("call-10")).status_code == 404
    assert CallRecord.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"recording_url": "http://rec.example.com/1.mp3"}, "recording_url"),
        ({"recording_url": "https://user:pw@rec.example.com/1.mp3"}, "recording_url"),
        ({"recording_url": "javascript:alert(1)"}, "recording_url"),
        ({"customer_number": "call me maybe"}, "customer_number"),
        ({"customer_number": "+12"}, "customer_number"),
        ({"customer_number": "+1234567890123456"}, "customer_number"),
        ({"started_at": "2026-01-05T09:30:00"}, "started_at"),
        ({"duration_seconds": -1}, "duration_seconds"),
        ({"duration_seconds": "312"}, "duration_seconds"),
        ({"direction": "sideways"}, "direction"),
        ({"transcript": "x" * 100_001}, "transcript"),
        ({"call_id": "   "}, "call_id"),
        ({"extra": 1}, "extra"),
    ],
)
def test_an_invalid_call_is_refused_with_the_field_named(
    client: Client, change: dict[str, Any], field: str
) -> None:
    account = phone_account()
    response = post_call(client, account, call(**change))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_input"
    assert body["field"] == field
    assert body["message"].startswith(f"{field}: ")
    assert stored() == (0, 0, 0, 0)


def test_a_body_that_is_not_json_or_too_large_is_refused(client: Client) -> None:
    account = phone_account()
    not_json = post_call(client, account, b"\xff\xfe not json")
    assert not_json.status_code == 422
    assert not_json.json()["code"] == "invalid_input"
    huge = json.dumps(call(transcript="x" * (services.MAX_BODY_BYTES + 1))).encode()
    too_large = post_call(client, account, huge)
    assert too_large.status_code == 413
    assert stored() == (0, 0, 0, 0)


def test_a_call_in_the_future_is_refused(client: Client) -> None:
    account = phone_account()
    response = post_call(client, account, call(started_at="2999-01-01T00:00:00+00:00"))
    assert response.status_code == 422
    assert response.json()["field"] == "started_at"
    assert stored() == (0, 0, 0, 0)


def test_the_calls_fragment_lists_calls_and_escapes_what_the_system_sent(
    client: Client, agent: User
) -> None:
    account = phone_account()
    post_call(
        client,
        account,
        call(
            agent_username="agent",
            recording_url="https://rec.example.com/r/1.mp3?a=1&b=2",
            transcript="<script>alert(1)</script> hello",
        ),
    )
    record = CallRecord.objects.select_related("conversation").get()
    calls = services.calls_for(record.conversation)
    assert [c.pk for c in calls] == [record.pk]
    html = render_to_string(
        "phone/_calls.html", {"calls": calls, "conversation": record.conversation}
    )
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; hello" in html
    assert "<details><summary>Transcript</summary>" in html
    assert 'href="https://rec.example.com/r/1.mp3?a=1&amp;b=2"' in html
    assert 'rel="noopener noreferrer"' in html
    assert "+8613800138000" in html
    assert "Agent" in html and agent.public_name in html
    assert "5 min 12 s" in html
    assert f"/console/channels/phone/c/{record.conversation_id}/log/" in html
