"""The webhook channel's adapter: replies go to the partner's ``outbound_url``."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from kefu.conversations.models import AuthorType, Message
from kefu.intake.adapters import ChannelAdapter, DeliveryError, register
from kefu.intake.channels.webhook import client, services
from kefu.intake.channels.webhook.errors import ConfigurationInvalid
from kefu.intake.models import ChannelAccount, ChannelKind


class WebhookAdapter(ChannelAdapter):
    kind = ChannelKind.WEBHOOK

    def deliver(self, account: ChannelAccount, message: Message, address: dict[str, Any]) -> str:
        url, secret = account.setting("outbound_url"), account.setting("secret")
        if not url or not secret:
            raise DeliveryError("the account has no outbound_url or secret", permanent=True)
        try:
            services.check_outbound_url(url)
            blocked = services.resolves_to_blocked_address(url)
        except ConfigurationInvalid:
            raise DeliveryError("the outbound_url is not allowed", permanent=True) from None
        except (OSError, UnicodeError):
            raise DeliveryError(
                "the outbound_url's host does not resolve", permanent=False
            ) from None
        if blocked:
            raise DeliveryError("the outbound_url resolves to a blocked address", permanent=True)
        thread_id = address.get("thread_id")
        if not isinstance(thread_id, str) or not thread_id:
            raise DeliveryError("the conversation has no partner thread", permanent=True)
        delivery_id = delivery_id_of(account, message)
        return client.post_reply(
            url, secret, reply_payload(message, address, delivery_id), delivery_id=delivery_id
        )


def delivery_id_of(account: ChannelAccount, message: Message) -> str:
    """The same on every attempt for a message, so the partner can drop repeats."""
    return f"kefu-{account.pk}-{message.pk}"


def reply_payload(message: Message, address: dict[str, Any], delivery_id: str) -> dict[str, Any]:
    """The JSON body of a reply (documented as ``ReplyOut`` in the OpenAPI schema)."""
    conversation = message.conversation
    return {
        "event": "message.created",
        "delivery_id": delivery_id,
        "message_id": message.pk,
        "thread_id": str(address.get("thread_id", "")),
        "recipient_id": str(address.get("sender_id", "")),
        "conversation": conversation.number,
        "author": {"type": str(message.author_type), "name": author_name(message)},
        "text": message.body,
        "sent_at": message.created_at.isoformat(),
    }


def author_name(message: Message) -> str:
    """The name the customer sees: the agent's public name, else the team's."""
    if message.author_type == AuthorType.AGENT and message.author is not None:
        return message.author.public_name
    language = "zh-hans" if message.conversation.language == "zh" else "en"
    with translation.override(language):
        return _("Assistant") if message.author_type == AuthorType.BOT else _("Support")


register(WebhookAdapter())
