"""Interactions Discord posts: verified, answered at once, stored once."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import Client

from kefu.accounts.models import User
from kefu.conversations import services as conversations
from kefu.conversations.models import AuthorType, Channel, Conversation, Message, Status
from kefu.intake.channels.discord import services
from kefu.intake.channels.discord.client import DiscordError
from kefu.intake.channels.discord.errors import ConfigurationInvalid
from kefu.intake.channels.discord.tests.server import (
    PUBLIC_KEY,
    FakeDiscord,
    command,
    discord_account,
    post_interaction,
)
from kefu.intake.models import ChannelAccount, ChannelIdentity, ChannelThread, InboundRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(discord: FakeDiscord) -> ChannelAccount:
    return discord_account(discord.url)


def test_a_ping_is_answered_with_a_pong(client: Client, account: ChannelAccount) -> None:
    response = post_interaction(client, account, {"id": "1", "type": 1, "version": 1})

    assert response.status_code == 200
    assert response.json() == {"type": 1}
    assert not InboundRecord.objects.exists()


@pytest.mark.parametrize("case", ["other key", "no signature", "not hex", "tampered"])
def test_a_bad_signature_is_refused_and_nothing_is_stored(
    client: Client, account: ChannelAccount, case: str
) -> None:
    body = json.dumps(command()).encode()
    arguments: dict[str, dict[str, Any]] = {
        "other key": {"key": Ed25519PrivateKey.generate()},
        "no signature": {"signature": ""},
        "not hex": {"signature": "zz" * 64},
        "tampered": {"signed_body": body.replace(b"not arrived", b"arrived")},
    }

    response = post_interaction(client, account, body=body, **arguments[case])

    assert response.status_code == 401
    assert response.json() == {
        "code": "authentication_required",
        "message": "The interaction signature is missing or does not match the body.",
    }
    assert not Conversation.objects.exists()


def test_support_opens_a_conversation_and_answers_only_the_user(
    client: Client, account: ChannelAccount
) -> None:
    response = post_interaction(client, account, command())

    conversation = Conversation.objects.get()
    assert response.status_code == 200
    assert response.json() == {
        "type": 4,
        "data": {
            "content": services.confirmation(conversation.number, "en"),
            "flags": 64,
            "allowed_mentions": {"parse": []},
        },
    }
    assert f"#{conversation.number}" in response.json()["data"]["content"]
    assert conversation.channel == Channel.DISCORD
    assert conversation.language == "en"
    message = Message.objects.get()
    assert (message.author_type, message.body) == (
        AuthorType.CUSTOMER,
        "My deposit has not arrived",
    )
    assert conversation.customer.name == "Dana"
    identity = ChannelIdentity.objects.get()
    assert (identity.kind, identity.external_user_id, identity.username) == (
        "discord",
        "8000000000000000042",
        "dana",
    )
    thread = ChannelThread.objects.get()
    assert thread.address == {"user_id": "8000000000000000042"}


def test_the_same_interaction_twice_is_one_message(client: Client, account: ChannelAccount) -> None:
    first = post_interaction(client, account, command())
    again = post_interaction(client, account, command())

    assert first.json() == again.json()
    assert Message.objects.count() == 1


def test_a_user_keeps_one_conversation_while_it_is_open(
    client: Client, account: ChannelAccount, agent: User
) -> None:
    post_interaction(client, account, command("1300000000000000001"))
    post_interaction(client, account, command("1300000000000000002", "any news?", in_guild=False))
    first = Conversation.objects.get()
    conversations.change_status(agent, first.pk, Status.RESOLVED)
    post_interaction(client, account, command("1300000000000000003", "again"))
    post_interaction(client, account, command("1300000000000000004", "still?"))

    assert list(first.messages.values_list("body", flat=True)) == [
        "My deposit has not arrived",
        "any news?",
    ]
    second = Conversation.objects.exclude(pk=first.pk).get()
    assert list(second.messages.values_list("body", flat=True)) == ["again", "still?"]
    assert second.customer_id == first.customer_id
    other = post_interaction(client, account, command("1300000000000000005", user_id="81"))
    assert other.status_code == 200
    elsewhere = Conversation.objects.get(
        messages__body="My deposit has not arrived", pk__gt=second.pk
    )
    assert elsewhere.customer_id != first.customer_id


def test_a_chinese_user_is_answered_in_chinese(client: Client, account: ChannelAccount) -> None:
    response = post_interaction(client, account, command(text="我的充值没有到账", locale="zh-CN"))

    conversation = Conversation.objects.get()
    assert conversation.language == "zh"
    assert conversation.customer.language == "zh"
    content = response.json()["data"]["content"]
    assert content == services.confirmation(conversation.number, "zh")
    assert services.language_of("zh-TW") == "zh" and services.language_of("en-GB") == "en"


def test_an_empty_message_or_another_command_is_answered_and_not_stored(
    client: Client, account: ChannelAccount
) -> None:
    empty = post_interaction(client, account, command(text="   "))
    other = command()
    other["data"]["name"] = "verify"
    unknown = post_interaction(client, account, other)
    button = {**command(), "type": 3, "data": {"custom_id": "x", "component_type": 2}}
    pressed = post_interaction(client, account, button)

    for response in (empty, unknown, pressed):
        assert response.status_code == 200
        assert response.json()["type"] == 4 and response.json()["data"]["flags"] == 64
    assert "/support" in unknown.json()["data"]["content"]
    assert not Conversation.objects.exists()


def nested(depth: int) -> bytes:
    return b'{"id": "1", "type": 2, "data": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe\x00",
        b"[]",
        b'{"type": 1}',
        json.dumps({**command(), "type": "2"}).encode(),
        json.dumps({**command(), "id": "not-a-snowflake"}).encode(),
        json.dumps(command(text=42)).encode(),
        json.dumps(command(text=["a"])).encode(),
        json.dumps({k: v for k, v in command().items() if k != "member"}).encode(),
        json.dumps({**command(), "member": {"user": {"id": 42}}}).encode(),
        json.dumps({**command(), "data": "support"}).encode(),
        nested(5000),
    ],
)
def test_hostile_bodies_are_refused_with_a_clear_error(
    client: Client, account: ChannelAccount, body: bytes
) -> None:
    response = post_interaction(client, account, body=body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"
    assert not Conversation.objects.exists()


def test_a_huge_body_is_refused(client: Client, account: ChannelAccount) -> None:
    response = post_interaction(client, account, command(text="x" * services.MAX_BODY_BYTES))

    assert response.status_code == 413
    assert response.json()["code"] == "invalid_input"
    assert not Conversation.objects.exists()


def test_an_unknown_or_inactive_account_is_not_found(
    client: Client, account: ChannelAccount
) -> None:
    ChannelAccount.objects.filter(pk=account.pk).update(is_active=False)

    assert post_interaction(client, account, {"id": "1", "type": 1}).status_code == 404
    missing = client.post(
        "/api/v1/channels/discord/999999/interactions", data=b"{}", content_type="application/json"
    )
    assert missing.status_code == 404


def test_the_support_command_is_registered_with_discord(
    discord: FakeDiscord, account: ChannelAccount
) -> None:
    ids = services.register_commands(account)

    [call] = discord.calls
    assert (call.method, call.authorization) == ("PUT", "Bot test-bot-token")
    assert ids == ["5001"]
    [definition] = call.body
    assert definition["name"] == "support" and definition["type"] == 1
    assert definition["description"] == "Ask the support team a question"
    assert definition["options"] == [
        {
            "type": 3,
            "name": "message",
            "description": "Your question, for example: my deposit has not arrived",
            "required": True,
            "max_length": 2000,
        }
        | {
            key: value
            for key, value in definition["options"][0].items()
            if key.endswith("_localizations")
        }
    ]
    for localised in (definition, definition["options"][0]):
        for key in ("name_localizations", "description_localizations"):
            if key in localised:
                assert set(localised[key]) == {"zh-CN", "zh-TW"}


def test_registering_with_a_bad_token_says_it_is_permanent(discord: FakeDiscord) -> None:
    account = services.connect_discord_account(
        name="bot",
        application_id="1100000000000000001",
        public_key=PUBLIC_KEY,
        bot_token="wrong",
        api_url=discord.url,
    )

    with pytest.raises(DiscordError) as raised:
        services.register_commands(account)
    assert raised.value.permanent
    assert str(raised.value) == "Discord refused: 401 (code 0)"


@pytest.mark.parametrize(
    "settings",
    [
        {"application_id": "abc"},
        {"public_key": "xyz"},
        {"bot_token": " "},
        {"api_url": "ftp://discord.example"},
    ],
)
def test_bad_settings_are_refused(db: None, settings: dict[str, str]) -> None:
    values = {
        "name": "bot",
        "application_id": "1",
        "public_key": PUBLIC_KEY,
        "bot_token": "t",
        **settings,
    }
    with pytest.raises(ConfigurationInvalid):
        services.connect_discord_account(**values)
    assert not ChannelAccount.objects.exists()


def test_the_endpoint_is_in_the_openapi_schema(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()

    operation = schema["paths"]["/api/v1/channels/discord/{account_id}/interactions"]["post"]
    assert "X-Signature-Ed25519" in operation["description"]
