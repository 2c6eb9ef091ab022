"""Updates Telegram sends to the webhook: checked, stored once, hostile ones refused."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils.translation import gettext, override

from kefu.accounts.models import User
from kefu.conversations.models import Channel, Conversation, Customer, Message, Status
from kefu.conversations.services import conversations as conversation_services
from kefu.intake.channels.telegram import services
from kefu.intake.channels.telegram.tests.bot_api import BotApi
from kefu.intake.channels.telegram.tests.factories import (
    ALICE,
    GROUP,
    PUBLIC_URL,
    WANG,
    in_group,
    polling_account,
    post_update,
    private,
    webhook_account,
)
from kefu.intake.models import ChannelIdentity, ChannelThread, InboundRecord

pytestmark = pytest.mark.django_db
GREETING = "Hello! Type your question here and our support team will answer you."


def test_connecting_the_webhook_sets_it_with_a_secret(bot_api: BotApi) -> None:
    account = webhook_account(bot_api)

    secret = account.setting("webhook_secret")
    assert len(secret) >= 32
    assert bot_api.webhook == {
        "url": f"{PUBLIC_URL}/api/v1/channels/telegram/{account.pk}/webhook",
        "secret_token": secret,
        "allowed_updates": ["message"],
    }
    assert account.setting("mode") == "webhook"
    assert account.setting("bot_username") == "kefu_help_bot"


def test_a_private_message_opens_a_conversation_with_its_customer(
    client: Client, bot_api: BotApi
) -> None:
    account = webhook_account(bot_api)

    response = post_update(client, account, private(100, 1, "My USDT deposit is missing"))

    assert response.status_code == 200
    assert response.json() == {"ok": True, "stored": True}
    conversation = Conversation.objects.get()
    assert conversation.channel == Channel.TELEGRAM
    assert conversation.status == Status.OPEN
    assert [m.body for m in conversation.messages.all()] == ["My USDT deposit is missing"]
    assert conversation.customer.name == "Alice Chen"
    identity = ChannelIdentity.objects.get()
    assert (identity.external_user_id, identity.username, identity.customer_id) == (
        "5001",
        "alice_c",
        conversation.customer_id,
    )
    thread = ChannelThread.objects.get(conversation=conversation)
    assert thread.account == account
    assert thread.address == {"chat_id": 5001, "chat_type": "private"}


def test_a_redelivered_update_is_stored_once(client: Client, bot_api: BotApi) -> None:
    account = webhook_account(bot_api)
    update = private(100, 1, "Withdrawal stuck")

    first = post_update(client, account, update)
    again = post_update(client, account, update)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == {"ok": True, "stored": False}
    assert Message.objects.count() == 1
    assert InboundRecord.objects.get().external_id == "5001:1"


def test_the_next_message_of_the_chat_continues_its_conversation(
    client: Client, bot_api: BotApi
) -> None:
    account = webhook_account(bot_api)
    post_update(client, account, private(100, 1, "Hello"))
    post_update(client, account, private(101, 2, "My deposit is missing"))

    conversation = Conversation.objects.get()
    assert [m.body for m in conversation.messages.order_by("pk")] == [
        "Hello",
        "My deposit is missing",
    ]


def test_a_resolved_chat_starts_a_new_conversation_and_then_continues_that_one(
    client: Client, bot_api: BotApi, agent: User
) -> None:
    account = webhook_account(bot_api)
    post_update(client, account, private(100, 1, "First question"))
    first = Conversation.objects.get()
    conversation_services.change_status(agent, first.pk, Status.RESOLVED)

    post_update(client, account, private(101, 2, "Another question"))
    post_update(client, account, private(102, 3, "More on it"))

    second = Conversation.objects.exclude(pk=first.pk).get()
    assert [m.body for m in second.messages.order_by("pk")] == ["Another question", "More on it"]
    assert first.messages.count() == 1


@pytest.mark.parametrize(
    ("secret", "status", "code"),
    [("", 401, "authentication_required"), ("wrong", 403, "permission_denied")],
)
def test_a_call_without_the_right_secret_stores_nothing(
    client: Client, bot_api: BotApi, secret: str, status: int, code: str
) -> None:
    account = webhook_account(bot_api)

    response = post_update(client, account, private(100, 1), secret=secret)

    assert response.status_code == status
    assert response.json()["code"] == code
    assert Message.objects.count() == 0
    assert InboundRecord.objects.count() == 0


def test_after_switching_to_polling_the_old_secret_is_refused(
    client: Client, bot_api: BotApi
) -> None:
    account = webhook_account(bot_api)
    old_secret = account.setting("webhook_secret")

    services.switch_to_polling(account)

    assert bot_api.webhook is None
    assert account.setting("mode") == "polling"
    response = post_update(client, account, private(100, 1), secret=old_secret)
    assert response.status_code == 403
    assert Message.objects.count() == 0


def test_an_unknown_or_inactive_account_is_not_found(client: Client, bot_api: BotApi) -> None:
    account = webhook_account(bot_api)
    secret = account.setting("webhook_secret")
    missing = client.post(
        f"/api/v1/channels/telegram/{account.pk + 100}/webhook",
        data="{}",
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": secret},
    )
    assert missing.status_code == 404
    services.deactivate_account(account)
    inactive = post_update(client, account, private(100, 1))
    assert inactive.status_code == 404
    assert Message.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"\xff\xfe\x00garbage", 400),
        (b"[1, 2, 3]", 400),
        (b'"a string"', 400),
        (b'{"update_id": "100"}', 400),
        (b'{"update_id": true}', 400),
        (b"[" * 100_000 + b"]" * 100_000, 400),
        (b'{"update_id": 1, "pad": "' + b"x" * 300_000 + b'"}', 413),
    ],
)
def test_a_body_that_is_not_an_update_is_refused_cleanly(
    client: Client, bot_api: BotApi, body: bytes, status: int
) -> None:
    account = webhook_account(bot_api)

    response = post_update(client, account, body)

    assert response.status_code == status
    assert response.json()["code"] == "invalid_input"
    assert InboundRecord.objects.count() == 0


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 5},
        {"update_id": 5, "message": "hello"},
        {"update_id": 5, "message": {"message_id": 1, "text": "no chat, no sender"}},
        {"update_id": 5, "message": {"message_id": "1", "chat": {"id": 1}, "from": {"id": 1}}},
        {"update_id": 5, "message": {"message_id": 1, "chat": [], "from": {}, "text": "x"}},
        {
            "update_id": 5,
            "message": {
                "message_id": 1,
                "chat": {"id": 7, "type": "private"},
                "from": {"id": 7, "is_bot": False},
                "text": ["not", "a", "string"],
                "entities": "nope",
            },
        },
        private(5, 1, None, new_chat_members=[ALICE]),
        private(5, 1, "from another bot", user={**ALICE, "is_bot": True}),
        {"update_id": 5, "edited_message": private(5, 1, "edited")["message"]},
        {"update_id": 5, "channel_post": {"message_id": 1, "chat": {"id": -5, "type": "channel"}}},
    ],
)
def test_an_update_support_does_not_read_is_acknowledged_and_ignored(
    client: Client, bot_api: BotApi, update: object
) -> None:
    account = webhook_account(bot_api)

    response = post_update(client, account, update)

    assert response.status_code == 200
    assert response.json() == {"ok": True, "stored": False}
    assert Conversation.objects.count() == 0


def test_a_huge_text_is_kept_whole_as_a_file(client: Client, bot_api: BotApi) -> None:
    account = webhook_account(bot_api)
    text = "提币没到账。" * 3000  # 18,000 characters, more than a message may hold

    response = post_update(client, account, private(100, 1, text))

    assert response.status_code == 200
    message = Message.objects.get(author_type="customer")
    assert len(message.body) <= 10_000
    attachment = message.attachments.get()
    assert attachment.original_name == "message.txt"
    assert attachment.file.read().decode("utf-8") == text


def test_chinese_text_and_language_come_through(client: Client, bot_api: BotApi) -> None:
    account = webhook_account(bot_api)

    post_update(client, account, private(100, 1, "你好，我的USDT充值还没到账", user=WANG))

    conversation = Conversation.objects.get()
    assert conversation.messages.get().body == "你好，我的USDT充值还没到账"
    assert conversation.language == "zh"
    customer = Customer.objects.get()
    assert (customer.name, customer.language) == ("伟 王", "zh")


def test_start_greets_the_customer_once_and_opens_nothing(client: Client, bot_api: BotApi) -> None:
    account = webhook_account(bot_api)
    start = private(100, 1, "/start", entities=[{"type": "bot_command", "offset": 0, "length": 6}])

    post_update(client, account, start)
    post_update(client, account, start)
    post_update(client, account, private(101, 2, "/start", user=WANG))

    greetings = bot_api.called("sendMessage")
    with override("zh-hans"):
        in_chinese = gettext(GREETING)
    assert [(call.params["chat_id"], call.params["text"]) for call in greetings] == [
        (5001, GREETING),
        (5002, in_chinese),
    ]
    assert "parse_mode" not in greetings[0].params
    assert Conversation.objects.count() == 0


def test_start_with_a_question_opens_a_conversation_with_the_question(
    client: Client, bot_api: BotApi
) -> None:
    account = webhook_account(bot_api)

    post_update(client, account, private(100, 1, "/start My deposit is missing"))

    assert Message.objects.get().body == "My deposit is missing"
    assert bot_api.called("sendMessage") == []


def test_a_polling_account_refuses_webhook_calls(client: Client, bot_api: BotApi) -> None:
    account = polling_account(bot_api)

    response = post_update(client, account, private(100, 1), secret="anything")

    assert response.status_code == 403
    assert Message.objects.count() == 0


def test_the_webhook_is_described_in_the_openapi_schema(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()

    operation = schema["paths"]["/api/v1/channels/telegram/{account_id}/webhook"]["post"]
    assert operation["summary"] == "Receive a Telegram update (Bot API webhook)"
    assert "X-Telegram-Bot-Api-Secret-Token" in operation["description"]


def test_start_in_a_group_is_answered_in_the_group(client: Client, bot_api: BotApi) -> None:
    account = webhook_account(bot_api)
    command = {"type": "bot_command", "offset": 0, "length": 20}

    post_update(client, account, in_group(800, 41, "/start@kefu_help_bot", entities=[command]))

    [greeting] = bot_api.called("sendMessage")
    assert greeting.params["chat_id"] == GROUP["id"]
    assert greeting.params["reply_parameters"]["message_id"] == 41
    assert Conversation.objects.count() == 0


def test_a_lone_surrogate_in_the_text_is_replaced_not_a_crash(
    client: Client, bot_api: BotApi
) -> None:
    account = webhook_account(bot_api)
    text = "@kefu_help_bot \\ud800 where is my deposit"
    # Written out by hand: json.dumps would not produce a lone surrogate escape.
    body = (
        '{"update_id": 9, "message": {"message_id": 3, "date": 1, "text": "' + text + '",'
        ' "entities": [{"type": "mention", "offset": 0, "length": 14}],'
        ' "chat": {"id": -100, "type": "group"},'
        ' "from": {"id": 8, "is_bot": false, "first_name": "\\udc00Eve"}}}'
    )

    response = post_update(client, account, body)

    assert response.status_code == 200
    assert Message.objects.get().body == "? where is my deposit"
    assert Customer.objects.get().name == "?Eve"


def test_an_account_id_beyond_any_integer_column_is_not_found(
    client: Client, bot_api: BotApi
) -> None:
    account = webhook_account(bot_api)

    response = client.post(
        "/api/v1/channels/telegram/99999999999999999999999/webhook",
        data="{}",
        content_type="application/json",
        headers={"X-Telegram-Bot-Api-Secret-Token": account.setting("webhook_secret")},
    )

    assert response.status_code == 404
    assert Message.objects.count() == 0
