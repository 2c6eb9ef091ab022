"""Setting up Telegram bots: connecting an account, receiving by webhook or by polling.

A bot receives its updates one way at a time: Telegram refuses getUpdates while a webhook is
set. :func:`connect_webhook` sets the webhook with a fresh secret token that each call must
carry; :func:`switch_to_polling` deletes it, so the channel sweep fetches updates instead.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils.translation import gettext as _

from kefu.intake.channels.telegram.client import DEFAULT_API_URL, TelegramClient, TelegramError
from kefu.intake.channels.telegram.errors import BotSetupFailed
from kefu.intake.models import ChannelAccount, ChannelKind

MODE_WEBHOOK = "webhook"
MODE_POLLING = "polling"
ALLOWED_UPDATES = ["message"]


def client_for(account: ChannelAccount) -> TelegramClient:
    """The API client of an account's bot."""
    return TelegramClient(
        account.setting("bot_token"), account.setting("api_url") or DEFAULT_API_URL
    )


def webhook_path(account: ChannelAccount) -> str:
    return f"/api/v1/channels/telegram/{account.pk}/webhook"


def set_config(account: ChannelAccount, **changes: Any) -> None:
    """Change some of an account's settings (a value of None removes the key), keeping the
    others as they are in the database; ``account`` is updated too."""
    with transaction.atomic():
        locked = ChannelAccount.objects.select_for_update().get(pk=account.pk)
        config = dict(locked.config or {})
        for name, value in changes.items():
            if value is None:
                config.pop(name, None)
            else:
                config[name] = value
        ChannelAccount.objects.filter(pk=account.pk).update(config=config)
    account.config = config


def create_account(*, name: str, bot_token: str, api_url: str = "") -> ChannelAccount:
    """Connect a bot (in polling mode) after checking its token with getMe.

    Raises :class:`BotSetupFailed` when the token is refused or Telegram cannot be reached.
    """
    client = TelegramClient(bot_token, api_url or DEFAULT_API_URL)
    try:
        bot = client.get_me()
    except TelegramError as error:
        raise BotSetupFailed(
            _("Telegram refused the bot token: %(error)s") % {"error": error}
        ) from None
    config: dict[str, Any] = {
        "bot_token": bot_token.strip(),
        "bot_username": bot.username,
        "mode": MODE_POLLING,
    }
    if api_url:
        config["api_url"] = api_url.rstrip("/")
    return ChannelAccount.objects.create(kind=ChannelKind.TELEGRAM, name=name[:80], config=config)


def connect_webhook(account: ChannelAccount, public_base_url: str) -> str:
    """Have Telegram send the bot's updates to Kefu, at ``public_base_url`` (Kefu's public
    HTTPS address), with a new secret token; return the webhook URL.

    Raises :class:`BotSetupFailed` for a URL that is not HTTPS or when Telegram refuses.
    """
    parts = urlsplit(public_base_url.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise BotSetupFailed(_("Telegram sends webhooks only to an https:// address."))
    url = public_base_url.strip().rstrip("/") + webhook_path(account)
    secret = secrets.token_urlsafe(32)
    client = client_for(account)
    try:
        bot = client.get_me()
        client.set_webhook(url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
    except TelegramError as error:
        raise BotSetupFailed(
            _("Telegram did not set the webhook: %(error)s") % {"error": error}
        ) from None
    set_config(account, webhook_secret=secret, mode=MODE_WEBHOOK, bot_username=bot.username)
    return url


def switch_to_polling(account: ChannelAccount) -> None:
    """Delete the bot's webhook so the channel sweep fetches its updates; calls still made
    with the old secret are refused from now on.

    Raises :class:`BotSetupFailed` when Telegram cannot be reached.
    """
    try:
        client_for(account).delete_webhook()
    except TelegramError as error:
        raise BotSetupFailed(
            _("Telegram did not delete the webhook: %(error)s") % {"error": error}
        ) from None
    set_config(account, mode=MODE_POLLING, webhook_secret=None)


def deactivate_account(account: ChannelAccount) -> None:
    """Stop using a bot: its webhook calls are refused, it is polled no more and its replies
    wait (they go out if it is made active again)."""
    ChannelAccount.objects.filter(pk=account.pk).update(is_active=False)
    account.is_active = False


def bot_username(account: ChannelAccount, *, fetch: bool) -> str:
    """The bot's @username (without the @), asked of Telegram and kept when unknown and
    ``fetch`` (raises :class:`TelegramError` then if Telegram cannot be reached)."""
    known = account.setting("bot_username").lstrip("@")
    if known or not fetch:
        return known
    bot = client_for(account).get_me()
    if bot.username:
        set_config(account, bot_username=bot.username)
    return bot.username
