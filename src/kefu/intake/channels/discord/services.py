"""The Discord channel: customers write to support with the bot's ``/support`` slash command
and get the replies as direct messages from the bot.

Discord posts each interaction to :func:`handle_interaction` (the application's
"Interactions Endpoint URL"), signed with Ed25519; the signature is checked over the raw body
before anything is read. A ``/support`` command is stored through
:func:`kefu.intake.ingest.ingest` (idempotent on the interaction id) in the conversation of its
user (one per Discord user while it is open) and answered at once with a message only that
user sees. Account settings (``config``):

- ``application_id``, ``public_key`` (hex, from the Developer Portal), ``bot_token``;
- ``api_url``: Discord's API (default ``https://discord.com/api/v10``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.utils import translation
from django.utils.translation import gettext as _
from pydantic import ValidationError

from kefu.conversations.models import Conversation
from kefu.intake.access import active_channel_account
from kefu.intake.adapters import InboundMessage, Sender
from kefu.intake.channels.discord import client
from kefu.intake.channels.discord.errors import (
    AccountNotFound,
    ConfigurationInvalid,
    InteractionInvalid,
    SignatureInvalid,
)
from kefu.intake.channels.discord.schemas import DiscordUser, Interaction
from kefu.intake.ingest import ingest
from kefu.intake.models import ChannelAccount, ChannelKind, ChannelThread

MAX_BODY_BYTES = 64 * 1024
COMMAND = "support"
OPTION = "message"
MAX_OPTION_CHARS = 2000
PING, APPLICATION_COMMAND = 1, 2
PONG, CHANNEL_MESSAGE = 1, 4
EPHEMERAL = 64
STRING_OPTION, SLASH_COMMAND = 3, 1
_HEX_KEY = re.compile(r"^[0-9a-fA-F]{64}$")
_COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


@dataclass(frozen=True)
class SupportRequest:
    """A ``/support`` command that was stored (``created`` False for a redelivery)."""

    conversation: Conversation
    created: bool


def connect_discord_account(
    *, name: str, application_id: str, public_key: str, bot_token: str, api_url: str = ""
) -> ChannelAccount:
    """Connect a Discord application. Raises :class:`ConfigurationInvalid` for an id, key or
    URL that cannot work."""
    check_settings(application_id, public_key, bot_token, api_url)
    config = {
        "application_id": application_id,
        "public_key": public_key.lower(),
        "bot_token": bot_token.strip(),
        "api_url": api_url.rstrip("/"),
    }
    return ChannelAccount.objects.create(kind=ChannelKind.DISCORD, name=name[:80], config=config)


def check_settings(application_id: str, public_key: str, bot_token: str, api_url: str) -> None:
    """Refuse an application id, key, token or API URL that cannot work (the console and
    :func:`connect_discord_account` alike); raises :class:`ConfigurationInvalid`."""
    if not application_id.isdigit():
        raise ConfigurationInvalid(_("The application id is a number."), field="application_id")
    if not _HEX_KEY.match(public_key):
        raise ConfigurationInvalid(
            _("The public key is 64 hexadecimal characters."), field="public_key"
        )
    if not bot_token.strip():
        raise ConfigurationInvalid(_("Enter the bot's token."), field="bot_token")
    parts = urlsplit(api_url)
    if api_url and (parts.scheme not in ("http", "https") or not parts.hostname):
        raise ConfigurationInvalid(
            _("The API URL must be an http or https address."), field="api_url"
        )


def api_url_of(account: ChannelAccount) -> str:
    return (account.setting("api_url") or client.DEFAULT_API_URL).rstrip("/")


def active_account(account_id: int) -> ChannelAccount:
    """The active discord account with this id; raises :class:`AccountNotFound`."""
    return active_channel_account(account_id, ChannelKind.DISCORD, missing=AccountNotFound())


def is_signed_by_discord(public_key: str, signature: str, timestamp: str, body: bytes) -> bool:
    """Whether ``signature`` (hex Ed25519) signs ``timestamp`` followed by ``body``."""
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key))
        key.verify(bytes.fromhex(signature), timestamp.encode("utf-8") + body)
    except (ValueError, InvalidSignature):
        return False
    return bool(timestamp)


def handle_interaction(
    account_id: int, *, signature: str, timestamp: str, body: bytes
) -> dict[str, Any]:
    """Answer one interaction Discord posted (the JSON of the interaction response).

    Raises :class:`AccountNotFound`, :class:`SignatureInvalid` or :class:`InteractionInvalid`.
    """
    account = active_account(account_id)
    if not is_signed_by_discord(account.setting("public_key"), signature, timestamp, body):
        raise SignatureInvalid()
    interaction = parse_interaction(body)
    if interaction.type == PING:
        return {"type": PONG}
    user = interaction.member.user if interaction.member is not None else interaction.user
    if user is None:
        raise InteractionInvalid()
    language = language_of(interaction.locale)
    command = interaction.data.name if interaction.data is not None else ""
    if interaction.type != APPLICATION_COMMAND or command != COMMAND:
        return ephemeral(_not_supported(language))
    text = _option_text(interaction)
    if not text:
        return ephemeral(_ask_for_text(language))
    request = receive_support_request(account, interaction.id, user, text, language)
    return ephemeral(confirmation(request.conversation.number, language))


def parse_interaction(body: bytes) -> Interaction:
    try:
        return Interaction.model_validate_json(body)
    except ValidationError as error:
        first = error.errors(include_input=False, include_url=False)[0]
        location = ".".join(str(part) for part in first.get("loc", ()))
        raise InteractionInvalid(
            f"{location}: {str(first.get('msg', ''))[:200]}" if location else None
        ) from None


def _option_text(interaction: Interaction) -> str:
    options = interaction.data.options if interaction.data is not None else []
    for option in options:
        if option.name == OPTION:
            if not isinstance(option.value, str) or option.type != STRING_OPTION:
                raise InteractionInvalid()
            return option.value.strip()
    return ""


def language_of(locale: str) -> str:
    """Kefu's language for a Discord locale ("zh-CN" and "zh-TW" are Chinese)."""
    return "zh" if locale.lower().startswith("zh") else "en"


def receive_support_request(
    account: ChannelAccount, interaction_id: str, user: DiscordUser, text: str, language: str
) -> SupportRequest:
    """Store a ``/support`` message in its user's conversation (a new one when the last is
    resolved or closed); replies go to the user's direct messages."""
    key = f"user:{user.id}"
    address: dict[str, Any] = {"user_id": user.id}
    channel_id = _known_direct_channel(account, user.id)
    if channel_id:
        address["channel_id"] = channel_id
    inbound = InboundMessage(
        external_id=f"interaction:{interaction_id}",
        sender=Sender(
            external_id=user.id,
            name=(user.global_name or user.username).strip(),
            username=user.username.strip(),
            language=language,
        ),
        body=text,
        thread_keys=(key,),
        own_keys=(key,),
        reply_address=address,
        new_conversation=True,
    )
    result = ingest(account, inbound)
    if result.conversation is None:
        raise InteractionInvalid()
    return SupportRequest(result.conversation, result.created)


def _known_direct_channel(account: ChannelAccount, user_id: str) -> str:
    """The direct-message channel already opened with this user, if any (saves a call)."""
    for address in ChannelThread.objects.filter(
        account=account, address__user_id=user_id
    ).values_list("address", flat=True)[:5]:
        channel_id = address.get("channel_id") if isinstance(address, dict) else None
        if isinstance(channel_id, str) and channel_id:
            return channel_id
    return ""


def ephemeral(content: str) -> dict[str, Any]:
    """An immediate answer only the user who ran the command sees."""
    return {
        "type": CHANNEL_MESSAGE,
        "data": {"content": content, "flags": EPHEMERAL, "allowed_mentions": {"parse": []}},
    }


def _django_language(language: str) -> str:
    return "zh-hans" if language == "zh" else "en"


def confirmation(number: int, language: str) -> str:
    """What the user sees after ``/support``, in their language."""
    with translation.override(_django_language(language)):
        return _(
            "Support has your message (conversation #%(number)s). We will reply in a direct "
            "message from this bot, so please allow direct messages from this server."
        ) % {"number": number}


def _ask_for_text(language: str) -> str:
    with translation.override(_django_language(language)):
        return _("Please write your question in the message option of /support.")


def _not_supported(language: str) -> str:
    with translation.override(_django_language(language)):
        return _("To contact support, use the /support command.")


def command_definitions() -> list[dict[str, Any]]:
    """The slash commands of the application, with Chinese names and descriptions where the
    translation gives them."""
    english = _command_texts("en")
    chinese = _command_texts("zh-hans")
    option: dict[str, Any] = {
        "type": STRING_OPTION,
        "name": OPTION,
        "description": english["option_description"],
        "required": True,
        "max_length": MAX_OPTION_CHARS,
    }
    command: dict[str, Any] = {
        "type": SLASH_COMMAND,
        "name": COMMAND,
        "description": english["description"],
        "contexts": [0, 1],
        "options": [option],
    }
    _localise(command, "name", chinese["name"])
    _localise(command, "description", chinese["description"])
    _localise(option, "name", chinese["option_name"])
    _localise(option, "description", chinese["option_description"])
    return [command]


def _command_texts(language: str) -> dict[str, str]:
    with translation.override(language):
        return {
            # Translators: the name of a Discord slash command: lowercase, no spaces.
            "name": _("support"),
            "description": _("Ask the support team a question"),
            # Translators: the name of an option of a Discord command: lowercase, no spaces.
            "option_name": _("message"),
            "option_description": _("Your question, for example: my deposit has not arrived"),
        }


def _localise(definition: dict[str, Any], field: str, value: str) -> None:
    if value == definition[field]:
        return
    if field == "name" and not _COMMAND_NAME.match(value):
        return
    localised = value[:32] if field == "name" else value[:100]
    definition[f"{field}_localizations"] = {"zh-CN": localised, "zh-TW": localised}


def register_commands(account: ChannelAccount) -> list[str]:
    """Register (replace) the application's slash commands with Discord; returns their ids.
    Raises :class:`kefu.intake.channels.discord.client.DiscordError`."""
    return client.overwrite_commands(
        api_url_of(account),
        account.setting("bot_token"),
        account.setting("application_id"),
        command_definitions(),
    )
