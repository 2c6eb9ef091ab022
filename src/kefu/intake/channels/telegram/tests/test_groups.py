"""Support groups: only what is addressed to the bot becomes a conversation, one per member."""

from __future__ import annotations

import pytest
from django.test import Client

from kefu.accounts.models import User
from kefu.conversations.models import Conversation, Message
from kefu.conversations.services import post_agent_message
from kefu.intake import outbound
from kefu.intake.channels.telegram.tests.bot_api import BotApi
from kefu.intake.channels.telegram.tests.factories import (
    BOB,
    BOT_USER,
    GROUP,
    in_group,
    mention,
    post_update,
    webhook_account,
)
from kefu.intake.models import ChannelThread, InboundRecord

pytestmark = pytest.mark.django_db


def test_group_chatter_that_does_not_address_the_bot_is_ignored(
    client: Client, bot_api: BotApi
) -> None:
    account = webhook_account(bot_api)
    other_bot = "@another_bot hello"

    responses = [
        post_update(client, account, in_group(800, 1, "gm everyone")),
        post_update(
            client,
            account,
            in_group(801, 2, other_bot, entities=[mention(other_bot, "@another_bot")]),
        ),
        post_update(
            client,
            account,
            in_group(
                802,
                3,
                "/price@another_bot",
                entities=[{"type": "bot_command", "offset": 0, "length": 18}],
            ),
        ),
    ]

    assert [response.json()["stored"] for response in responses] == [False, False, False]
    assert Conversation.objects.count() == 0
    assert InboundRecord.objects.count() == 0


def test_a_mention_of_the_bot_opens_a_conversation_that_replies_to_the_member(
    client: Client, bot_api: BotApi
) -> None:
    account = webhook_account(bot_api)
    text = "@kefu_help_bot my withdrawal is stuck"

    response = post_update(client, account, in_group(800, 41, text, entities=[mention(text)]))

    assert response.json()["stored"] is True
    conversation = Conversation.objects.get()
    assert conversation.messages.get().body == "my withdrawal is stuck"
    assert conversation.customer.name == "Alice Chen"
    assert ChannelThread.objects.get(conversation=conversation).address == {
        "chat_id": GROUP["id"],
        "chat_type": "supergroup",
        "reply_to_message_id": 41,
        "user_id": 5001,
    }


def test_a_mention_after_an_emoji_is_found_by_its_utf16_offset(
    client: Client, bot_api: BotApi
) -> None:
    account = webhook_account(bot_api)
    text = "🚀🚀 提币 @kefu_help_bot 没到账"

    post_update(client, account, in_group(800, 41, text, entities=[mention(text)]))

    assert Message.objects.get().body == "🚀🚀 提币 没到账"


def test_a_command_addressed_to_the_bot_counts_as_a_mention(
    client: Client, bot_api: BotApi
) -> None:
    account = webhook_account(bot_api)
    text = "/help@kefu_help_bot I cannot log in"
    command = {"type": "bot_command", "offset": 0, "length": 19}

    post_update(client, account, in_group(800, 41, text, entities=[command]))

    assert Message.objects.get().body == "/help I cannot log in"


def test_each_member_has_their_own_conversation(client: Client, bot_api: BotApi) -> None:
    account = webhook_account(bot_api)
    text = "@kefu_help_bot help"

    post_update(client, account, in_group(800, 41, text, entities=[mention(text)]))
    post_update(client, account, in_group(801, 42, text, user=BOB, entities=[mention(text)]))
    post_update(client, account, in_group(802, 43, text, entities=[mention(text)]))

    by_customer = {
        conversation.customer.name: conversation.messages.count()
        for conversation in Conversation.objects.select_related("customer")
    }
    assert by_customer == {"Alice Chen": 2, "Bob": 1}


def test_a_reply_to_the_bot_s_answer_continues_the_member_s_conversation(
    client: Client, bot_api: BotApi, agent: User
) -> None:
    account = webhook_account(bot_api)
    text = "@kefu_help_bot my deposit is missing"
    post_update(client, account, in_group(800, 41, text, entities=[mention(text)]))
    conversation = Conversation.objects.get()
    post_agent_message(agent, conversation.pk, body="Which network did you use?")
    outbound.deliver_due()
    answer_id = bot_api.called("sendMessage")[-1]
    bot_message = {
        "message_id": 9001,
        "from": BOT_USER,
        "chat": GROUP,
        "date": 1767225700,
        "text": answer_id.params["text"],
    }

    reply = in_group(801, 44, "TRC20", reply_to_message=bot_message)
    response = post_update(client, account, reply)

    assert response.json()["stored"] is True
    assert list(conversation.messages.order_by("pk").values_list("body", flat=True)) == [
        "my deposit is missing",
        "Which network did you use?",
        "TRC20",
    ]
    address = ChannelThread.objects.get(conversation=conversation).address
    assert address["reply_to_message_id"] == 44


def test_another_member_replying_to_the_bot_gets_their_own_conversation(
    client: Client, bot_api: BotApi, agent: User
) -> None:
    account = webhook_account(bot_api)
    text = "@kefu_help_bot my deposit is missing"
    post_update(client, account, in_group(800, 41, text, entities=[mention(text)]))
    alice = Conversation.objects.get()
    post_agent_message(agent, alice.pk, body="Which network did you use?")
    outbound.deliver_due()
    bot_message = {"message_id": 9001, "from": BOT_USER, "chat": GROUP, "date": 1, "text": "x"}

    post_update(
        client, account, in_group(801, 44, "me too", user=BOB, reply_to_message=bot_message)
    )

    bob = Conversation.objects.exclude(pk=alice.pk).get()
    assert bob.customer.name == "Bob"
    assert list(bob.messages.values_list("body", flat=True)) == ["me too"]
    assert alice.messages.count() == 2


def test_a_reply_to_someone_else_is_not_for_the_bot(client: Client, bot_api: BotApi) -> None:
    account = webhook_account(bot_api)
    someone = {"message_id": 3, "from": BOB, "chat": GROUP, "date": 1, "text": "hi"}

    post_update(client, account, in_group(800, 41, "hello Bob", reply_to_message=someone))

    assert Conversation.objects.count() == 0
