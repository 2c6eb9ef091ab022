"""Messages a partner posts to the webhook channel: signed, validated, stored once."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from django.test import Client

from kefu.accounts.models import User
from kefu.conversations import services as conversations
from kefu.conversations.models import (
    Attachment,
    AuthorType,
    Channel,
    Conversation,
    Customer,
    Message,
    Status,
)
from kefu.intake.channels.webhook import services
from kefu.intake.channels.webhook.errors import ConfigurationInvalid
from kefu.intake.channels.webhook.tests.factories import (
    SECRET,
    message,
    post_signed,
    webhook_account,
)
from kefu.intake.models import ChannelAccount, ChannelThread, InboundRecord
from kefu.lib.signing import signature_header

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def account(db: None) -> ChannelAccount:
    return webhook_account("http://127.0.0.1:9/replies")


def test_a_signed_message_opens_a_conversation(client: Client, account: ChannelAccount) -> None:
    response = post_signed(
        client, account, message(subject="Withdrawal", sent_at="2026-12-01T10:00:00Z")
    )

    conversation = Conversation.objects.get()
    stored = Message.objects.get()
    assert response.status_code == 200
    assert response.json() == {
        "conversation": conversation.number,
        "message_id": stored.pk,
        "created": True,
    }
    assert (conversation.channel, conversation.subject) == (Channel.WEBHOOK, "Withdrawal")
    assert (stored.author_type, stored.body) == (AuthorType.CUSTOMER, "My withdrawal is stuck")
    assert conversation.customer.name == "Dana"
    thread = ChannelThread.objects.get(conversation=conversation)
    assert (thread.account_id, thread.address) == (
        account.pk,
        {"thread_id": "t-1", "sender_id": "user-42"},
    )
    assert InboundRecord.objects.get().external_id == "m-1"


def test_a_resent_message_is_stored_once(client: Client, account: ChannelAccount) -> None:
    first = post_signed(client, account, message())
    again = post_signed(client, account, message(text="a different text, same id"))

    assert again.status_code == 200
    assert again.json() == {**first.json(), "created": False}
    assert Message.objects.count() == 1


@pytest.mark.parametrize(
    "case",
    ["wrong secret", "no header", "stale", "from the future", "tampered", "garbage header"],
)
def test_a_bad_signature_is_refused_and_nothing_is_stored(
    client: Client, account: ChannelAccount, case: str
) -> None:
    now = int(time.time())
    body = json.dumps(message()).encode()
    cases: dict[str, dict[str, Any]] = {
        "wrong secret": {"secret": "not-the-secret-at-all"},
        "no header": {"header": ""},
        "stale": {"timestamp": now - 301},
        "from the future": {"timestamp": now + 301},
        "tampered": {"header": post_signed_header(body.replace(b"stuck", b"fine"))},
        "garbage header": {"header": "t=abc,v1=,,=,v2=zz"},
    }
    arguments = cases[case]

    response = post_signed(client, account, None, body=body, **arguments)

    assert response.status_code == 401
    assert response.json() == {
        "code": "authentication_required",
        "message": "The X-Kefu-Signature header is missing or does not match the body.",
    }
    assert not Conversation.objects.exists()
    assert not InboundRecord.objects.exists()


def post_signed_header(body: bytes) -> str:
    return signature_header(SECRET, int(time.time()), body)


def test_the_previous_secret_works_while_it_is_rotated(client: Client) -> None:
    account = webhook_account()
    ChannelAccount.objects.filter(pk=account.pk).update(
        config={"secret": "the-new-secret-0123456789", "previous_secret": SECRET}
    )

    assert post_signed(client, account, message()).status_code == 200
    assert (
        post_signed(client, account, message("m-2"), secret="the-new-secret-0123456789").status_code
        == 200
    )
    assert post_signed(client, account, message("m-3"), secret="neither").status_code == 401
    assert Message.objects.count() == 2


def test_an_unknown_or_inactive_account_is_not_found(
    client: Client, account: ChannelAccount
) -> None:
    other_kind = ChannelAccount.objects.create(
        kind="telegram", name="bot", config={"secret": SECRET}
    )
    ChannelAccount.objects.filter(pk=account.pk).update(is_active=False)

    for target in (account, other_kind):
        response = post_signed(client, target, message())
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    missing = client.post(
        "/api/v1/channels/webhook/999999/messages", data=b"{}", content_type="application/json"
    )
    assert missing.status_code == 404
    assert not Conversation.objects.exists()


def deeply_nested() -> bytes:
    return (
        b'{"message_id": "m", "thread_id": "t", "sender": {"id": "s"}, "text": '
        + b"[" * 5000
        + b"]" * 5000
        + b"}"
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", ""),
        (b"\xff\xfe\x00garbage", ""),
        (b"[1, 2, 3]", ""),
        (b"null", ""),
        (json.dumps({**message(), "message_id": 7}).encode(), "message_id"),
        (json.dumps(message(text=["a"])).encode(), "text"),
        (json.dumps(message(sender="user-42")).encode(), "sender"),
        (json.dumps({"message_id": "m", "text": "hi"}).encode(), "thread_id"),
        (json.dumps(message(message_id="   ")).encode(), ""),
        (json.dumps(message(text="", attachments=[])).encode(), "text"),
        (json.dumps(message(sent_at="yesterday")).encode(), "sent_at"),
        (json.dumps(message(admin=True)).encode(), "admin"),
        (json.dumps(message(message_id="x" * 300)).encode(), "message_id"),
        (
            json.dumps(
                message(attachments=[{"name": "a.png", "data_base64": "%%%not base64%%%"}])
            ).encode(),
            "attachments.0.data_base64",
        ),
        (
            json.dumps(
                message(attachments=[{"name": "a.txt", "data_base64": "aGk="}] * 11)
            ).encode(),
            "attachments",
        ),
        (deeply_nested(), ""),
    ],
)
def test_hostile_bodies_are_refused_with_a_clear_error(
    client: Client, account: ChannelAccount, body: bytes, field: str
) -> None:
    response = post_signed(client, account, None, body=body)

    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == "invalid_input"
    assert answer.get("field", "") == field
    assert answer["message"]
    assert not Conversation.objects.exists()


def test_an_empty_message_is_refused_and_refused_files_are_named_for_the_agent(
    client: Client, account: ChannelAccount
) -> None:
    response = post_signed(client, account, message("m-2", text="\x00\x01"))
    assert response.status_code == 400
    assert response.json()["code"] == "message_empty"
    assert not Conversation.objects.exists()
    assert not InboundRecord.objects.exists()

    executable = base64.b64encode(b"MZ\x90\x00binary").decode()
    only_a_refused_file = message(
        text="", attachments=[{"name": "a.exe", "data_base64": executable}]
    )
    response = post_signed(client, account, only_a_refused_file)
    assert response.status_code == 200 and response.json()["created"]
    conversation = Conversation.objects.get()
    note = conversation.messages.get(is_internal=True)
    assert "a.exe" in note.body


def test_a_body_over_the_limit_is_refused_before_it_is_read(
    client: Client, account: ChannelAccount
) -> None:
    document = message(text="x" * 100)
    document["attachments"] = [
        {
            "name": "big.txt",
            "data_base64": base64.b64encode(b"x" * services.MAX_BODY_BYTES).decode(),
        }
    ]

    response = post_signed(client, account, document)

    assert response.status_code == 413
    assert response.json()["code"] == "invalid_input"
    assert not Conversation.objects.exists()


def test_the_same_sender_is_the_same_customer_on_this_account_only(
    client: Client, account: ChannelAccount
) -> None:
    other_account = webhook_account(name="X relay")
    post_signed(client, account, message("m-1", thread_id="t-1"))
    post_signed(client, account, message("m-2", thread_id="t-2"))
    post_signed(client, other_account, message("m-1", thread_id="t-1"))

    first, second, elsewhere = Conversation.objects.order_by("pk")
    assert first.pk != second.pk
    assert first.customer_id == second.customer_id
    assert elsewhere.customer_id != first.customer_id
    assert Customer.objects.count() == 2


def test_a_thread_continues_until_it_is_resolved_then_starts_anew(
    client: Client, account: ChannelAccount, agent: User
) -> None:
    post_signed(client, account, message("m-1"))
    post_signed(client, account, message("m-2", text="any news?"))
    first = Conversation.objects.get()
    conversations.change_status(agent, first.pk, Status.RESOLVED)

    third = post_signed(client, account, message("m-3", text="it happened again")).json()
    fourth = post_signed(client, account, message("m-4", text="still there?")).json()

    assert list(first.messages.values_list("body", flat=True)) == [
        "My withdrawal is stuck",
        "any news?",
    ]
    second = Conversation.objects.exclude(pk=first.pk).get()
    assert third["conversation"] == fourth["conversation"] == second.number
    assert Conversation.objects.get(pk=first.pk).status == Status.RESOLVED
    assert ChannelThread.objects.get(conversation=second).address["thread_id"] == "t-1"


def test_the_exchange_user_id_counts_only_on_a_trusting_account(client: Client) -> None:
    trusting = webhook_account(trust_user_id=True, name="Our app")
    untrusting = webhook_account(name="X relay")
    sender = {"id": "s-1", "email": "victim@example.com"}
    known = conversations.identify_customer(external_id="u-77", name="Known", email="k@example.com")

    post_signed(client, trusting, message("m-1", user_id="u-77", sender=sender))
    post_signed(client, untrusting, message("m-1", user_id="u-77", sender=sender))

    trusted, untrusted = Conversation.objects.order_by("pk")
    assert trusted.customer_id == known.pk
    assert untrusted.customer_id != known.pk
    assert untrusted.customer.external_id is None
    assert untrusted.customer.email == ""


def test_attachments_are_kept_and_refused_ones_named_for_the_agent(
    client: Client, account: ChannelAccount
) -> None:
    document = message(
        attachments=[
            {
                "name": "shot.png",
                "content_type": "image/png",
                "data_base64": base64.b64encode(PNG).decode(),
            },
            {"name": "run.exe", "data_base64": base64.b64encode(b"MZ\x90\x00binary").decode()},
        ]
    )

    assert post_signed(client, account, document).status_code == 200

    attachment = Attachment.objects.get()
    assert (attachment.original_name, attachment.content_type) == ("shot.png", "image/png")
    note = Message.objects.get(is_internal=True)
    assert "run.exe" in note.body


def test_a_chinese_speaker_gets_a_chinese_conversation(
    client: Client, account: ChannelAccount
) -> None:
    document = message(text="我的提现卡住了", sender={"id": "u-cn", "language": "zh-CN"})

    assert post_signed(client, account, document).status_code == 200

    conversation = Conversation.objects.get()
    assert conversation.language == "zh"
    assert conversation.customer.language == "zh"


def test_the_endpoint_is_documented_in_the_openapi_schema(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()

    operation = schema["paths"]["/api/v1/channels/webhook/{account_id}/messages"]["post"]
    assert "X-Kefu-Signature" in operation["description"]
    assert "back-off" in operation["description"]
    assert "Idempotency-Key" in operation["description"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"message_id", "thread_id", "sender"}
    assert body["properties"]["sender"]["properties"]["id"]["type"] == "string"
    callback = operation["callbacks"]["reply"]["{outbound_url}"]["post"]
    reply = callback["requestBody"]["content"]["application/json"]["schema"]
    assert {"event", "delivery_id", "thread_id", "author", "text"} <= set(reply["required"])
    assert reply["properties"]["author"]["properties"]["type"]["enum"] == ["agent", "bot", "system"]
    assert "$ref" not in json.dumps(body) and "$ref" not in json.dumps(reply)
    assert set(operation["responses"]) == {"200", "400", "401", "404", "413"}


@pytest.mark.parametrize(
    "url",
    [
        "ftp://partner.example/replies",
        "javascript:alert(1)",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/x",
        "http://[::ffff:169.254.169.254]/x",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://user:password@partner.example/",
        "http://0.0.0.0:8080/",
        "https:///no-host",
        "http://partner.example:99999/",
    ],
)
def test_an_unsafe_outbound_url_is_refused_when_configured(db: None, url: str) -> None:
    with pytest.raises(ConfigurationInvalid):
        webhook_account(url)
    assert not ChannelAccount.objects.exists()


def test_safe_outbound_urls_and_secrets(db: None) -> None:
    assert (
        services.check_outbound_url(" https://partner.example/kefu ")
        == "https://partner.example/kefu"
    )
    assert services.check_outbound_url("http://127.0.0.1:8080/x") == "http://127.0.0.1:8080/x"
    assert services.check_outbound_url("http://10.0.0.5/x") == "http://10.0.0.5/x"
    with pytest.raises(ConfigurationInvalid):
        services.connect_webhook_account(name="short", secret="too-short")
