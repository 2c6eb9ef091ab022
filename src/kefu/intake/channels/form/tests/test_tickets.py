from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from conftest import console_client
from kefu.accounts.models import User
from kefu.conversations import services
from kefu.conversations.models import Attachment, Channel, Conversation, Status

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


def submit(client: Client, **extra: object) -> Any:
    data: dict[str, object] = {
        "email": "carol@example.com",
        "name": "Carol",
        "subject": "Deposit missing",
        "description": "I sent 0.5 ETH on Arbitrum two hours ago.",
    }
    data.update(extra)
    return client.post(reverse("intake:new_ticket"), data)


def test_a_ticket_gets_a_number_and_a_private_tracking_link(client: Client) -> None:
    response = submit(client, attachments=[SimpleUploadedFile("shot.png", PNG)])
    conversation = Conversation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:track", args=[conversation.tracking_token])
    assert conversation.channel == Channel.FORM
    assert conversation.customer.email == "carol@example.com"
    assert conversation.subject == "Deposit missing"
    page = client.get(response["Location"]).content.decode()
    assert f"#{conversation.pk}" in page
    assert "Bookmark this page" in page
    assert "I sent 0.5 ETH on Arbitrum" in page
    attachment = Attachment.objects.get()
    assert (attachment.original_name, attachment.content_type) == ("shot.png", "image/png")
    # The "new ticket" banner shows once.
    assert "Bookmark this page" not in client.get(response["Location"]).content.decode()


def test_the_customer_reads_replies_and_answers(client: Client, agent: User) -> None:
    submit(client)
    conversation = Conversation.objects.get()
    services.assign_conversation(agent, conversation.pk, queue="deposit_withdrawal")
    services.post_agent_message(
        agent, conversation.pk, body="Which address did you use?", set_status=Status.PENDING
    )
    services.post_agent_message(agent, conversation.pk, body="internal only", is_internal=True)
    track = reverse("intake:track", args=[conversation.tracking_token])
    page = client.get(track).content.decode()
    assert "Which address did you use?" in page
    assert "internal only" not in page
    response = client.post(
        reverse("intake:track_reply", args=[conversation.tracking_token]),
        {"body": "0xabc on Arbitrum", "client_id": "r1"},
    )
    assert response.status_code == 302
    updated = Conversation.objects.get(pk=conversation.pk)
    assert updated.status == Status.OPEN
    assert updated.messages.filter(body="0xabc on Arbitrum").exists()


def test_bad_attachments_are_refused_and_nothing_is_created(client: Client) -> None:
    response = submit(client, attachments=[SimpleUploadedFile("x.html", b"<html><script>")])
    assert response.status_code == 400
    assert "not an allowed file type" in response.content.decode()
    assert not Conversation.objects.exists()


def test_missing_fields_are_reported(client: Client) -> None:
    response = client.post(reverse("intake:new_ticket"), {"email": "nope"})
    assert response.status_code == 400
    assert not Conversation.objects.exists()


def test_ticket_files_are_private_to_the_link_holder(client: Client, agent: User) -> None:
    submit(client, attachments=[SimpleUploadedFile("shot.png", PNG)])
    conversation = Conversation.objects.get()
    attachment = Attachment.objects.get()
    url = reverse("intake:track_attachment", args=[conversation.tracking_token, attachment.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "sandbox" in response["Content-Security-Policy"]
    other = submit(Client(), email="dave@example.com")
    assert other.status_code == 302
    second = Conversation.objects.exclude(pk=conversation.pk).get()
    stolen = client.get(
        reverse("intake:track_attachment", args=[second.tracking_token, attachment.pk])
    )
    assert stolen.status_code == 404
    assert client.get(reverse("intake:track", args=["guess"])).status_code == 404


def test_a_closed_ticket_takes_no_reply(client: Client, agent: User) -> None:
    submit(client)
    conversation = Conversation.objects.get()
    services.change_status(agent, conversation.pk, Status.CLOSED)
    client.post(
        reverse("intake:track_reply", args=[conversation.tracking_token]), {"body": "hello?"}
    )
    assert conversation.messages.count() == 1
    assert (
        "This ticket is closed"
        in client.get(reverse("intake:track", args=[conversation.tracking_token])).content.decode()
    )


@override_settings(
    RATE_LIMITS={
        "ticket_create": "2/m",
        "lookup": "100/m",
        "login": "10/m",
        "customer_message": "60/m",
        "widget_session": "30/m",
    }
)
def test_ticket_floods_are_rate_limited(client: Client) -> None:
    assert submit(client).status_code == 302
    assert submit(client).status_code == 302
    blocked = submit(client)
    assert blocked.status_code == 429
    assert "Too many requests" in blocked.content.decode()
    assert Conversation.objects.count() == 2


def test_the_form_needs_a_csrf_token(db: None) -> None:
    strict = Client(enforce_csrf_checks=True)
    response = submit(strict)
    assert response.status_code == 403
    assert not Conversation.objects.exists()


def test_customer_text_is_inert_everywhere_staff_read_it(client: Client, supervisor: User) -> None:
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    submit(client, subject=payload, description=payload, name=payload)
    conversation = Conversation.objects.get()
    staff = console_client(supervisor)
    pages = [
        staff.get(reverse("conversations:inbox")).content.decode(),
        staff.get(reverse("conversations:detail", args=[conversation.pk])).content.decode(),
        client.get(reverse("intake:track", args=[conversation.tracking_token])).content.decode(),
    ]
    for html in pages:
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
