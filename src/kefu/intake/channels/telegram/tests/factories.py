"""Telegram updates as the Bot API sends them, and accounts connected through the services."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from kefu.intake.channels.telegram import services
from kefu.intake.channels.telegram.tests.bot_api import BOT_ID, BOT_USERNAME, TOKEN, BotApi
from kefu.intake.models import ChannelAccount

ALICE: dict[str, Any] = {
    "id": 5001,
    "is_bot": False,
    "first_name": "Alice",
    "last_name": "Chen",
    "username": "alice_c",
    "language_code": "en",
}
WANG: dict[str, Any] = {
    "id": 5002,
    "is_bot": False,
    "first_name": "伟",
    "last_name": "王",
    "language_code": "zh-hans",
}
BOB: dict[str, Any] = {"id": 5003, "is_bot": False, "first_name": "Bob", "language_code": "en"}
BOT_USER: dict[str, Any] = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "Kefu",
    "username": BOT_USERNAME,
}
GROUP: dict[str, Any] = {"id": -1001234, "type": "supergroup", "title": "NovaEx Community"}
PUBLIC_URL = "https://kefu.novaex.example"


def polling_account(bot_api: BotApi) -> ChannelAccount:
    return services.create_account(name="NovaEx bot", bot_token=TOKEN, api_url=bot_api.url)


def webhook_account(bot_api: BotApi) -> ChannelAccount:
    account = polling_account(bot_api)
    services.connect_webhook(account, PUBLIC_URL)
    return account


def private(
    update_id: int,
    message_id: int,
    text: str | None = "Hello",
    *,
    user: dict[str, Any] = ALICE,
    **fields: Any,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": message_id,
        "from": user,
        "chat": {"id": user["id"], "type": "private", "first_name": user["first_name"]},
        "date": 1767225600 + message_id,
    }
    if text is not None:
        message["text"] = text
    return {"update_id": update_id, "message": message | fields}


def in_group(
    update_id: int,
    message_id: int,
    text: str,
    *,
    user: dict[str, Any] = ALICE,
    **fields: Any,
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": message_id,
        "from": user,
        "chat": GROUP,
        "date": 1767225600 + message_id,
        "text": text,
    }
    return {"update_id": update_id, "message": message | fields}


def mention(text: str, handle: str = f"@{BOT_USERNAME}") -> dict[str, Any]:
    """The entity Telegram adds for an @mention in ``text``; offsets count UTF-16 units."""
    start = text.index(handle)
    offset = len(text[:start].encode("utf-16-le")) // 2
    return {"type": "mention", "offset": offset, "length": len(handle)}


def post_update(
    client: Client, account: ChannelAccount, body: Any, *, secret: str | None = None
) -> Any:
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    headers = {}
    secret = account.setting("webhook_secret") if secret is None else secret
    if secret:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return client.post(
        f"/api/v1/channels/telegram/{account.pk}/webhook",
        data=data,
        content_type="application/json",
        headers=headers,
    )
