"""Replies of agents going back to the chat they answer, and what Telegram does to them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from kefu.accounts.models import User
from kefu.conversations.models import Conversation, TimelineEvent, TimelineKind
from kefu.conversations.services import post_agent_message
from kefu.intake import outbound
from kefu.intake.channels.telegram.adapter import split_text
from kefu.intake.channels.telegram.tests.bot_api import BotApi, Failure
from kefu.intake.channels.telegram.tests.factories import (
    GROUP,
    WANG,
    in_group,
    mention,
    post_update,
    private,
    webhook_account,
)
from kefu.intake.models import ChannelAccount, ChannelThread, DeliveryStatus, OutboundDelivery
from kefu.lib.uploads import check_upload

pytestmark = pytest.mark.django_db
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def private_conversation(
    client: Client, bot_api: BotApi, *, user: dict[str, object] | None = None
) -> Conversation:
    account = webhook_account(bot_api)
    update = private(100, 1, "Where is my deposit?", **({"user": user} if user else {}))
    post_update(client, account, update)
    return Conversation.objects.get()


def test_an_agent_reply_goes_to_the_customer_s_chat_as_plain_text(
    client: Client, bot_api: BotApi, agent: User
) -> None:
    conversation = private_conversation(client, bot_api)

    posted = post_agent_message(agent, conversation.pk, body="It arrives in *5 minutes* <b>")
    assert outbound.deliver_due() == 1

    [call] = bot_api.called("sendMessage")
    assert call.params == {
        "chat_id": 5001,
        "text": "It arrives in *5 minutes* <b>",
        "link_preview_options": {"is_disabled": True},
    }
    delivery = OutboundDelivery.objects.get(message=posted.message)
    assert (delivery.status, delivery.external_id) == (DeliveryStatus.SENT, "9001")


def test_a_reply_in_a_group_answers_the_member_s_message(
    client: Client, bot_api: BotApi, agent: User
) -> None:
    account = webhook_account(bot_api)
    text = "@kefu_help_bot deposit missing"
    post_update(client, account, in_group(800, 41, text, entities=[mention(text)]))
    conversation = Conversation.objects.get()

    post_agent_message(agent, conversation.pk, body="Please send the TXID")
    outbound.deliver_due()

    [call] = bot_api.called("sendMessage")
    assert call.params["chat_id"] == GROUP["id"]
    assert call.params["reply_parameters"] == {
        "message_id": 41,
        "allow_sending_without_reply": True,
    }


def test_chinese_replies_arrive_unchanged(client: Client, bot_api: BotApi, agent: User) -> None:
    conversation = private_conversation(client, bot_api, user=WANG)

    post_agent_message(agent, conversation.pk, body="您好，您的充值已到账 ✅ 🎉")
    outbound.deliver_due()

    assert bot_api.called("sendMessage")[0].params["text"] == "您好，您的充值已到账 ✅ 🎉"


def test_a_blocked_bot_fails_the_delivery_at_once_and_tells_the_agent(
    client: Client, bot_api: BotApi, agent: User
) -> None:
    conversation = private_conversation(client, bot_api)
    bot_api.fail("sendMessage", Failure(403, "Forbidden: bot was blocked by the user"))

    posted = post_agent_message(agent, conversation.pk, body="Hello?")
    outbound.deliver_due()

    delivery = OutboundDelivery.objects.get(message=posted.message)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 1
    assert delivery.last_error == "sendMessage: 403 Forbidden: bot was blocked by the user"
    event = TimelineEvent.objects.get(conversation=conversation, kind=TimelineKind.DELIVERY_FAILED)
    assert event.data["message"] == posted.message.pk
    account = ChannelAccount.objects.get()
    assert account.consecutive_failures == 1
    assert "bot_token" not in account.last_error and "AAH" not in account.last_error


def test_a_telegram_error_is_retried_until_it_goes_out(
    client: Client, bot_api: BotApi, agent: User
) -> None:
    conversation = private_conversation(client, bot_api)
    bot_api.fail("sendMessage", Failure(500, "Internal Server Error"))
    bot_api.fail("sendMessage", Failure(429, "Too Many Requests: retry after 3", retry_after=3))

    posted = post_agent_message(agent, conversation.pk, body="On its way")
    outbound.deliver_due()
    delivery = OutboundDelivery.objects.get(message=posted.message)
    assert (delivery.status, delivery.last_error) == (
        DeliveryStatus.RETRYING,
        "sendMessage: 500 Internal Server Error",
    )

    assert outbound.deliver(delivery.pk, now=timezone.now() + timedelta(minutes=1)) == (
        DeliveryStatus.RETRYING
    )
    assert outbound.deliver(delivery.pk, now=timezone.now() + timedelta(minutes=5)) == (
        DeliveryStatus.SENT
    )

    assert [call.params["text"] for call in bot_api.called("sendMessage")] == ["On its way"] * 3
    assert not TimelineEvent.objects.filter(kind=TimelineKind.DELIVERY_FAILED).exists()


def test_a_chat_that_no_longer_exists_fails_permanently(
    client: Client, bot_api: BotApi, agent: User
) -> None:
    conversation = private_conversation(client, bot_api)
    bot_api.fail("sendMessage", Failure(400, "Bad Request: chat not found"))

    posted = post_agent_message(agent, conversation.pk, body="Hello?")
    outbound.deliver_due()

    assert OutboundDelivery.objects.get(message=posted.message).status == DeliveryStatus.FAILED


def test_a_long_reply_is_split_into_messages_telegram_takes(
    client: Client, bot_api: BotApi, agent: User
) -> None:
    conversation = private_conversation(client, bot_api)
    body = "\n".join(f"第{n}步：请检查您的充值地址和网络。" for n in range(480))

    posted = post_agent_message(agent, conversation.pk, body=body)
    outbound.deliver_due()

    texts = [call.params["text"] for call in bot_api.called("sendMessage")]
    assert len(texts) == 3
    assert all(len(text) <= 4096 for text in texts)
    assert "\n".join(texts) == body
    assert OutboundDelivery.objects.get(message=posted.message).external_id == "9001"


def test_splitting_counts_emoji_as_two_units() -> None:
    parts = split_text("🎉" * 3000)
    assert [len(part) for part in parts] == [2048, 952]


def test_an_agent_s_attachment_is_sent_as_a_photo(
    client: Client, bot_api: BotApi, agent: User
) -> None:
    conversation = private_conversation(client, bot_api)
    upload = check_upload(SimpleUploadedFile("steps.png", PNG, content_type="image/png"))

    post_agent_message(agent, conversation.pk, body="See the picture", uploads=[upload])
    outbound.deliver_due()

    assert [call.method for call in bot_api.calls[-2:]] == ["sendMessage", "sendPhoto"]
    photo = bot_api.called("sendPhoto")[0]
    assert photo.params["chat_id"] == "5001"
    assert photo.files["photo"] == ("steps.png", PNG)


def test_a_group_that_became_a_supergroup_gets_the_reply_at_its_new_id(
    client: Client, bot_api: BotApi, agent: User
) -> None:
    account = webhook_account(bot_api)
    text = "@kefu_help_bot hi"
    group = {"id": -4001, "type": "group", "title": "Old group"}
    post_update(client, account, in_group(800, 41, text, chat=group, entities=[mention(text)]))
    conversation = Conversation.objects.get()
    upgraded = Failure(
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        parameters={"migrate_to_chat_id": -1009876},
    )
    bot_api.fail("sendMessage", upgraded)

    post_agent_message(agent, conversation.pk, body="Hello")
    outbound.deliver_due()

    assert [call.params["chat_id"] for call in bot_api.called("sendMessage")] == [-4001, -1009876]
    assert ChannelThread.objects.get(conversation=conversation).address["chat_id"] == -1009876
    assert "reply_parameters" not in bot_api.called("sendMessage")[1].params


def test_a_reply_in_a_forum_topic_stays_in_the_topic(
    client: Client, bot_api: BotApi, agent: User
) -> None:
    account = webhook_account(bot_api)
    text = "@kefu_help_bot KYC question"
    topic: dict[str, Any] = {"message_thread_id": 77, "is_topic_message": True}
    post_update(client, account, in_group(800, 41, text, entities=[mention(text)], **topic))
    conversation = Conversation.objects.get()

    post_agent_message(agent, conversation.pk, body="Sure, go ahead")
    outbound.deliver_due()

    [call] = bot_api.called("sendMessage")
    assert (call.params["message_thread_id"], call.params["reply_parameters"]["message_id"]) == (
        77,
        41,
    )
