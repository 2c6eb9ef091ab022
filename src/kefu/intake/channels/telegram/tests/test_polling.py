"""Long polling: updates fetched on each sweep from where the cursor stands."""

from __future__ import annotations

import pytest
from django.test import Client

from kefu.conversations.models import Conversation, Message
from kefu.intake import schedule
from kefu.intake.channels.telegram import adapter, services
from kefu.intake.channels.telegram.client import TelegramError
from kefu.intake.channels.telegram.tests.bot_api import BotApi, Failure
from kefu.intake.channels.telegram.tests.factories import (
    WANG,
    polling_account,
    post_update,
    private,
    webhook_account,
)
from kefu.intake.models import ChannelAccount, InboundRecord

pytestmark = pytest.mark.django_db


def test_polling_fetches_new_updates_and_moves_the_cursor_past_them(bot_api: BotApi) -> None:
    account = polling_account(bot_api)
    bot_api.queue(private(700, 1, "Hello"), private(701, 2, "你好", user=WANG))

    fetched = adapter.ADAPTER.poll(account)

    assert fetched == 2
    assert ChannelAccount.objects.get(pk=account.pk).cursor == "702"
    call = bot_api.called("getUpdates")[0]
    assert call.params == {"offset": 0, "timeout": 0, "limit": 100, "allowed_updates": ["message"]}
    assert sorted(Message.objects.values_list("body", flat=True)) == ["Hello", "你好"]
    assert Conversation.objects.count() == 2

    assert adapter.ADAPTER.poll(account) == 0
    assert bot_api.called("getUpdates")[-1].params["offset"] == 702
    assert bot_api.updates == []  # the offset confirmed them to Telegram


def test_updates_fetched_again_after_a_crash_are_not_stored_twice(bot_api: BotApi) -> None:
    account = polling_account(bot_api)
    bot_api.queue(private(700, 1, "Hello"))
    adapter.ADAPTER.poll(account)
    # The process died before Telegram heard of the new offset: it sends the update again.
    bot_api.queue(private(700, 1, "Hello"))
    ChannelAccount.objects.filter(pk=account.pk).update(cursor="")
    account.refresh_from_db()

    assert adapter.ADAPTER.poll(account) == 0

    assert Message.objects.count() == 1
    assert ChannelAccount.objects.get(pk=account.pk).cursor == "701"


def test_a_message_seen_by_webhook_and_by_polling_is_one_message(
    client: Client, bot_api: BotApi
) -> None:
    account = webhook_account(bot_api)
    post_update(client, account, private(700, 1, "Hello"))
    services.switch_to_polling(account)
    bot_api.queue(private(700, 1, "Hello"), private(701, 2, "Still there?"))

    adapter.ADAPTER.poll(account)

    assert list(Message.objects.order_by("pk").values_list("body", flat=True)) == [
        "Hello",
        "Still there?",
    ]


def test_a_telegram_outage_is_recorded_and_the_next_sweep_fetches_what_was_missed(
    bot_api: BotApi,
) -> None:
    account = polling_account(bot_api)
    bot_api.queue(private(700, 1, "Hello"), private(701, 2, "Anyone?"))
    bot_api.fail("getUpdates", Failure(502, "", raw=b"<html>502 Bad Gateway</html>"))

    assert schedule.poll_due(force=True) == {}

    down = ChannelAccount.objects.get(pk=account.pk)
    assert down.consecutive_failures == 1
    assert down.last_error == "TelegramError: getUpdates: Telegram answered 502 without JSON"
    assert Message.objects.count() == 0

    assert schedule.poll_due(force=True) == {account.pk: 2}

    recovered = ChannelAccount.objects.get(pk=account.pk)
    assert (recovered.consecutive_failures, recovered.cursor) == (0, "702")
    assert Message.objects.count() == 2


def test_an_unreachable_api_is_a_transient_error(bot_api: BotApi) -> None:
    account = polling_account(bot_api)
    services.set_config(account, api_url="http://127.0.0.1:9")

    with pytest.raises(TelegramError) as raised:
        adapter.ADAPTER.poll(account)

    assert raised.value.permanent is False
    assert str(raised.value) == "getUpdates: Telegram unreachable (ConnectError)"


def test_polling_while_a_webhook_is_set_says_so(bot_api: BotApi) -> None:
    account = polling_account(bot_api)
    bot_api.webhook = {"url": "https://elsewhere.example/hook"}

    with pytest.raises(TelegramError) as raised:
        adapter.ADAPTER.poll(account)

    assert raised.value.is_conflict
    assert "webhook is set" in str(raised.value)


def test_an_account_in_webhook_mode_is_not_polled(bot_api: BotApi) -> None:
    account = webhook_account(bot_api)
    bot_api.queue(private(700, 1, "Hello"))

    assert adapter.ADAPTER.poll(account) == 0

    assert bot_api.called("getUpdates") == []


def test_a_long_backlog_is_fetched_in_batches(bot_api: BotApi) -> None:
    account = polling_account(bot_api)
    bot_api.queue(*(private(1000 + n, n + 1, f"message {n}") for n in range(105)))

    assert adapter.ADAPTER.poll(account) == 105

    assert [call.params["offset"] for call in bot_api.called("getUpdates")] == [0, 1100]
    assert ChannelAccount.objects.get(pk=account.pk).cursor == "1105"
    assert Conversation.objects.get().messages.count() == 105


def test_a_malformed_update_in_a_batch_is_passed_over(bot_api: BotApi) -> None:
    account = polling_account(bot_api)
    bot_api.queue(
        {"update_id": 700, "message": {"chat": "nonsense"}},
        {"update_id": 701, "message": None},
        private(702, 1, "Hello"),
    )

    assert adapter.ADAPTER.poll(account) == 1

    assert ChannelAccount.objects.get(pk=account.pk).cursor == "703"
    assert InboundRecord.objects.count() == 1
