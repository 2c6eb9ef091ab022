"""Connecting accounts from the console sets up their service: Telegram learns where updates
go, Discord gets the /support command, and a webhook's reply address is checked."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from conftest import console_client
from kefu.accounts.models import User
from kefu.intake.channels.discord.tests.server import (
    APPLICATION_ID,
    BOT_TOKEN,
    PUBLIC_KEY,
    FakeDiscord,
    serve,
)
from kefu.intake.channels.telegram.tests.bot_api import TOKEN, BotApi, running_bot_api
from kefu.intake.models import ChannelAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def bot_api() -> Iterator[BotApi]:
    with running_bot_api() as state:
        yield state


@pytest.fixture
def discord() -> Iterator[FakeDiscord]:
    yield from serve()


def telegram_form(bot_api: BotApi, mode: str) -> dict[str, str]:
    return {
        "name": "NovaEx bot",
        "is_active": "on",
        "silence_alert_minutes": "0",
        "setting_bot_token": TOKEN,
        "setting_mode": mode,
        "setting_api_url": bot_api.url,
    }


def test_a_telegram_bot_in_webhook_mode_gets_its_webhook_and_back(
    supervisor: User, bot_api: BotApi, settings: Any
) -> None:
    settings.SITE_URL = "https://support.novaex.example"
    client = console_client(supervisor)
    response = client.post("/console/channels/new/telegram/", telegram_form(bot_api, "webhook"))
    account = ChannelAccount.objects.get()
    assert response.status_code == 302
    (call,) = bot_api.called("setWebhook")
    assert call.params["url"] == (
        f"https://support.novaex.example/api/v1/channels/telegram/{account.pk}/webhook"
    )
    account.refresh_from_db()
    assert account.config["webhook_secret"] == call.params["secret_token"]
    # Back to polling: the webhook is deleted and its secret no longer accepted.
    client.post(f"/console/channels/{account.pk}/", telegram_form(bot_api, "polling"))
    assert len(bot_api.called("deleteWebhook")) == 1
    account.refresh_from_db()
    assert not account.config.get("webhook_secret")


def test_a_webhook_needs_https_and_the_staff_are_told(
    supervisor: User, bot_api: BotApi, settings: Any
) -> None:
    settings.SITE_URL = "http://127.0.0.1:8000"
    client = console_client(supervisor)
    response = client.post(
        "/console/channels/new/telegram/", telegram_form(bot_api, "webhook"), follow=True
    )
    assert "https://" in response.content.decode()
    assert not bot_api.called("setWebhook")
    assert ChannelAccount.objects.get().config["bot_token"] == TOKEN


def test_a_discord_application_gets_the_support_command(
    supervisor: User, discord: FakeDiscord
) -> None:
    client = console_client(supervisor)
    client.post(
        "/console/channels/new/discord/",
        {
            "name": "Discord",
            "is_active": "on",
            "silence_alert_minutes": "0",
            "setting_application_id": APPLICATION_ID,
            "setting_public_key": PUBLIC_KEY,
            "setting_bot_token": BOT_TOKEN,
            "setting_api_url": discord.url,
        },
    )
    (call,) = discord.of("commands")
    assert call.path.endswith(f"/applications/{APPLICATION_ID}/commands")
    assert call.authorization == f"Bot {BOT_TOKEN}"


def test_a_reply_address_to_cloud_metadata_is_refused(supervisor: User) -> None:
    client = console_client(supervisor)
    response = client.post(
        "/console/channels/new/webhook/",
        {
            "name": "App chat",
            "silence_alert_minutes": "0",
            "setting_secret": "a-long-enough-secret-value",
            "setting_outbound_url": "http://169.254.169.254/latest/meta-data",
        },
    )
    assert response.status_code == 200
    assert not ChannelAccount.objects.exists()


def test_a_short_signing_secret_is_refused(supervisor: User) -> None:
    client = console_client(supervisor)
    response = client.post(
        "/console/channels/new/phone/",
        {"name": "Hotline", "silence_alert_minutes": "0", "setting_secret": "short"},
    )
    assert response.status_code == 200
    assert "16" in response.content.decode()
    assert not ChannelAccount.objects.exists()


def test_a_discord_key_that_cannot_work_is_refused(supervisor: User) -> None:
    response = console_client(supervisor).post(
        "/console/channels/new/discord/",
        {
            "name": "Discord",
            "silence_alert_minutes": "0",
            "setting_application_id": APPLICATION_ID,
            "setting_public_key": "not-a-key",
            "setting_bot_token": BOT_TOKEN,
        },
    )
    assert response.status_code == 200
    assert not ChannelAccount.objects.exists()


def test_check_now_fetches_a_polling_bot_at_once(
    supervisor: User, bot_api: BotApi, settings: Any, tmp_path: Any
) -> None:
    from kefu.intake.channels.telegram.tests.factories import polling_account, private

    settings.MEDIA_ROOT = tmp_path
    account = polling_account(bot_api)
    bot_api.queue(private(1, 1, "my deposit is missing"))
    response = console_client(supervisor).post(
        f"/console/channels/{account.pk}/check/", follow=True
    )
    assert "Checked: 1 new message." in response.content.decode()
    account.refresh_from_db()
    assert account.cursor == "2" and account.last_polled_at is not None
