"""The Discord channel's adapter: replies go to the customer's direct messages with the bot."""

from __future__ import annotations

from typing import Any

from kefu.conversations.models import Message
from kefu.intake.adapters import ChannelAdapter, DeliveryError, register
from kefu.intake.channels.discord import client, services
from kefu.intake.models import ChannelAccount, ChannelKind, ChannelThread

MAX_MESSAGE_CHARS = 2000


class DiscordAdapter(ChannelAdapter):
    kind = ChannelKind.DISCORD

    def deliver(self, account: ChannelAccount, message: Message, address: dict[str, Any]) -> str:
        token = account.setting("bot_token")
        user_id = address.get("user_id")
        if not token:
            raise DeliveryError("the account has no bot_token", permanent=True)
        if not isinstance(user_id, str) or not user_id.isdigit():
            raise DeliveryError("the conversation has no Discord user", permanent=True)
        api_url = services.api_url_of(account)
        try:
            channel_id = address.get("channel_id")
            if not isinstance(channel_id, str) or not channel_id.isdigit():
                channel_id = client.open_direct_channel(api_url, token, user_id)
                _remember_channel(message.conversation_id, address, channel_id)
            sent = [
                client.send_message(
                    api_url, token, channel_id, part, nonce=f"k{message.pk}-{index}"
                )
                for index, part in enumerate(split_text(message.body))
            ]
        except client.DiscordError as error:
            raise DeliveryError(str(error), permanent=error.permanent) from None
        return sent[0]


def _remember_channel(conversation_id: int, address: dict[str, Any], channel_id: str) -> None:
    ChannelThread.objects.filter(conversation_id=conversation_id).update(
        address={**address, "channel_id": channel_id}
    )


def split_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Discord messages of at most ``limit`` characters, cut at a line break or a space
    where there is one in the second half of a part."""
    text = text.strip() or "…"
    parts: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n", limit // 2, limit), text.rfind(" ", limit // 2, limit))
        cut = cut if cut > 0 else limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    parts.append(text)
    return [part for part in parts if part]


register(DiscordAdapter())
