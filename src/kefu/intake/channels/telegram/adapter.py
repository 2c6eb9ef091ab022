"""The Telegram channel: a bot customers write to.

Updates come by webhook (``kefu.intake.channels.telegram.api``) or, for an account in polling
mode, from getUpdates on each channel sweep; both hand each update to :func:`handle_update`.
A message's id is ``<chat id>:<message id>``, so the same message arriving both ways (while a
bot is switched from one mode to the other) is stored once.

* A private chat is one conversation at a time: a new one starts when the last was resolved.
  A bare ``/start`` gets a greeting and opens nothing.
* In a group, only messages that mention the bot (``@bot``, ``/command@bot``) or reply to one
  of its messages are for support; each member has their own conversation, and replies answer
  the member's last message in the group.
* Only new messages are read: edits, channel posts, service messages (members joining) and
  messages of other bots are ignored. An edited message keeps its first text in Kefu.
* Photos and documents are downloaded (up to ``ATTACHMENT_MAX_BYTES``) and kept as
  attachments; stickers, voice messages and the like arrive as a short placeholder text.

Replies are sent as plain text (no parse mode, so nothing an agent or customer wrote is read
as markup), split at Telegram's 4096-character limit, then each attachment as a file.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from kefu.conversations.models import Message
from kefu.intake.access import active_channel_account
from kefu.intake.adapters import (
    ChannelAdapter,
    DeliveryError,
    InboundAttachment,
    InboundMessage,
    Sender,
    register,
)
from kefu.intake.channels.telegram import services
from kefu.intake.channels.telegram.client import (
    MAX_TEXT_UNITS,
    TelegramClient,
    TelegramError,
    bot_id_of,
    utf16_length,
)
from kefu.intake.channels.telegram.errors import (
    UpdateInvalid,
    UpdateTooLarge,
    WebhookSecretInvalid,
    WebhookSecretMissing,
)
from kefu.intake.ingest import (
    IngestResult,
    already_seen,
    external_key,
    ingest,
    remember_thread_key,
    skip,
)
from kefu.intake.models import ChannelAccount, ChannelKind, ChannelThread, ThreadKey
from kefu.lib.errors import KefuError
from kefu.lib.language import normalise_language
from kefu.lib.uploads import AttachmentRejected, check_upload

logger = logging.getLogger(__name__)
GROUP_TYPES = ("group", "supergroup")
_SPACES = re.compile(r"[ \t]{2,}")
MAX_UPDATE_BYTES = 256 * 1024
MAX_POLL_TIMEOUT_SECONDS = 5
MAX_BATCHES_PER_POLL = 10
# What a message may carry besides text that Kefu shows as a short note, not a file.
PLACEHOLDER_KINDS = (
    "sticker",
    "voice",
    "audio",
    "video",
    "video_note",
    "animation",
    "location",
    "venue",
    "contact",
    "poll",
    "dice",
)


def _placeholder(kind: str) -> str:
    # Listed one by one so that makemessages finds each.
    texts = {
        "sticker": _("(sticker)"),
        "voice": _("(voice message)"),
        "audio": _("(audio)"),
        "video": _("(video)"),
        "video_note": _("(video message)"),
        "animation": _("(animation)"),
        "location": _("(location)"),
        "venue": _("(location)"),
        "contact": _("(contact)"),
        "poll": _("(poll)"),
        "dice": _("(dice)"),
    }
    return texts[kind]


@dataclass(frozen=True)
class _FileRef:
    file_id: str
    name: str
    content_type: str
    size: int | None


@dataclass(frozen=True)
class _Incoming:
    """The parts of a Telegram message that Kefu uses, checked."""

    chat_id: int
    chat_type: str
    message_id: int
    user_id: int
    sender: Sender
    text: str
    entities: list[dict[str, Any]]
    files: tuple[_FileRef, ...]
    placeholders: tuple[str, ...]
    reply_to_user_id: int | None
    reply_to_message_id: int | None
    thread_id: int | None
    sent_at: datetime | None

    @property
    def external_id(self) -> str:
        return f"{self.chat_id}:{self.message_id}"

    @property
    def in_group(self) -> bool:
        return self.chat_type in GROUP_TYPES


class TelegramAdapter(ChannelAdapter):
    kind = ChannelKind.TELEGRAM
    polls = True

    def deliver(self, account: ChannelAccount, message: Message, address: dict[str, Any]) -> str:
        chat_id = address.get("chat_id")
        if not isinstance(chat_id, int | str) or isinstance(chat_id, bool) or chat_id == "":
            raise DeliveryError("the conversation has no Telegram chat to reply to", permanent=True)
        in_group = address.get("chat_type") in GROUP_TYPES
        reply_to = _int(address.get("reply_to_message_id")) if in_group else None
        thread_id = _int(address.get("message_thread_id")) if in_group else None
        client = services.client_for(account)
        try:
            sent = _send(client, message, chat_id, reply_to, thread_id)
        except TelegramError as error:
            if error.migrate_to_chat_id is None:
                raise DeliveryError(str(error), permanent=error.permanent) from None
            # The group became a supergroup, with a new id: reply there from now on.
            chat_id = error.migrate_to_chat_id
            _move_thread(message.conversation_id, address, chat_id)
            try:
                sent = _send(client, message, chat_id, None, None)
            except TelegramError as again:
                raise DeliveryError(str(again), permanent=again.permanent) from None
        user_id = _int(address.get("user_id"))
        if in_group and user_id is not None:
            # A member answering one of these messages continues this conversation.
            for message_id in sent:
                key = _bot_message_key(chat_id, message_id, user_id)
                remember_thread_key(account, key, message.conversation)
        return str(sent[0]) if sent else ""

    def poll(self, account: ChannelAccount) -> int:
        """Fetch and ingest the updates since the account's cursor (only in polling mode).

        The cursor moves past each update once it is ingested, so a failure midway fetches
        the rest next time. Raises :class:`TelegramError` when Telegram cannot be reached,
        and with a clear message when a webhook is set for the bot.
        """
        if account.setting("mode") != services.MODE_POLLING:
            return 0
        client = services.client_for(account)
        services.bot_username(account, fetch=True)
        timeout = min(
            max(_int(account.config.get("poll_timeout")) or 0, 0), MAX_POLL_TIMEOUT_SECONDS
        )
        stored = 0
        for _batch in range(MAX_BATCHES_PER_POLL):
            offset = _cursor(account)
            try:
                updates = client.get_updates(
                    offset=offset, timeout=timeout, allowed_updates=services.ALLOWED_UPDATES
                )
            except TelegramError as error:
                if error.is_conflict:
                    raise TelegramError(
                        "Telegram refuses polling while a webhook is set for this bot: "
                        "switch the account to polling (which deletes the webhook) or set "
                        "its mode to webhook",
                        permanent=True,
                        error_code=409,
                    ) from None
                raise
            newest = offset - 1
            for update in updates:
                update_id = update.get("update_id") if isinstance(update, dict) else None
                if not isinstance(update_id, int) or isinstance(update_id, bool):
                    continue
                try:
                    result = handle_update(account, update)
                except KefuError as error:
                    # Refused as the webhook would refuse it; the next updates still come.
                    logger.warning(
                        "telegram account %s: update %s refused: %s", account.pk, update_id, error
                    )
                    result = None
                stored += bool(result is not None and result.created)
                newest = max(newest, update_id)
                _advance(account, newest + 1)
            if len(updates) < 100:
                break
        return stored


ADAPTER = register(TelegramAdapter())


def receive_webhook(account_id: int, secret: str, body: bytes) -> IngestResult | None:
    """Check and ingest one update Telegram sent to an account's webhook.

    Raises NotFound (no such active Telegram account), :class:`WebhookSecretMissing`,
    :class:`WebhookSecretInvalid`, :class:`UpdateTooLarge` or :class:`UpdateInvalid`; an
    update Kefu does not use returns None, and a redelivery what the first one stored.
    """
    account = active_channel_account(account_id, ChannelKind.TELEGRAM)
    if not secret:
        raise WebhookSecretMissing()
    expected = account.setting("webhook_secret")
    if not expected or not hmac.compare_digest(expected.encode(), secret.encode()):
        raise WebhookSecretInvalid()
    if len(body) > MAX_UPDATE_BYTES:
        raise UpdateTooLarge()
    try:
        update = json.loads(body)
    except (ValueError, RecursionError):
        raise UpdateInvalid() from None
    return handle_update(account, update)


def handle_update(account: ChannelAccount, update: object) -> IngestResult | None:
    """Ingest one update (from the webhook or getUpdates); None when it is not for support.

    Raises :class:`UpdateInvalid` for something that is not an update.
    """
    if not isinstance(update, dict):
        raise UpdateInvalid()
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise UpdateInvalid()
    incoming = _parse(update.get("message"))
    if incoming is None:
        return None
    bot_id = bot_id_of(account.setting("bot_token"))
    username = services.bot_username(account, fetch=False)
    text = incoming.text
    if incoming.in_group:
        addressed, text = _addressed_in_group(incoming, bot_id, username)
        if not addressed:
            return None
    command, rest = _command(text, username)
    if command == "start" and not rest and not incoming.files and not incoming.placeholders:
        return _welcome(account, incoming)
    if command == "start":
        text = rest
    if already_seen(account, incoming.external_id):
        return ingest(account, _inbound(incoming, text, ()))  # finds the first copy
    attachments, notes = _download(account, incoming.files)
    body = "\n".join(part for part in (text.strip(), *incoming.placeholders, *notes) if part)
    result = ingest(account, _inbound(incoming, body, attachments))
    if result.created and result.conversation is not None:
        for key in _own_keys(incoming):
            # The chat's key follows its newest conversation (a resolved one stays behind).
            ThreadKey.objects.update_or_create(
                account=account,
                key=external_key(key),
                defaults={"conversation": result.conversation},
            )
    return result


def _inbound(
    incoming: _Incoming, body: str, attachments: tuple[InboundAttachment, ...]
) -> InboundMessage:
    own = _own_keys(incoming)
    thread_keys = own
    address: dict[str, Any] = {"chat_id": incoming.chat_id, "chat_type": incoming.chat_type}
    if incoming.in_group:
        address |= {"reply_to_message_id": incoming.message_id, "user_id": incoming.user_id}
        if incoming.thread_id is not None:
            address["message_thread_id"] = incoming.thread_id
        if incoming.reply_to_message_id is not None:
            replied = _bot_message_key(
                incoming.chat_id, incoming.reply_to_message_id, incoming.user_id
            )
            thread_keys = (replied, *own)
    return InboundMessage(
        external_id=incoming.external_id,
        sender=incoming.sender,
        body=body,
        thread_keys=thread_keys,
        own_keys=own,
        attachments=attachments,
        reply_address=address,
        sent_at=incoming.sent_at,
        new_conversation=True,
    )


def _own_keys(incoming: _Incoming) -> tuple[str, ...]:
    if incoming.in_group:
        return (f"group:{incoming.chat_id}:{incoming.user_id}",)
    return (f"chat:{incoming.chat_id}",)


def _bot_message_key(chat_id: int | str, message_id: int, user_id: int) -> str:
    return f"botmsg:{chat_id}:{message_id}:{user_id}"


def _parse(message: object) -> _Incoming | None:
    """The message's parts, or None for what support does not read (not a message, a bot's
    or a channel's message, a service message)."""
    if not isinstance(message, dict):
        return None
    chat, author = message.get("chat"), message.get("from")
    message_id = _int(message.get("message_id"))
    if not isinstance(chat, dict) or not isinstance(author, dict) or message_id is None:
        return None
    chat_id, user_id = _int(chat.get("id")), _int(author.get("id"))
    chat_type = chat.get("type")
    if chat_id is None or user_id is None or chat_type not in ("private", *GROUP_TYPES):
        return None
    if author.get("is_bot") is not False or "sender_chat" in message:
        return None  # another bot, or a channel or anonymous admin writing in a group
    text = _str(message.get("text")) or _str(message.get("caption"))
    entities = message.get("entities") if "text" in message else message.get("caption_entities")
    files = _files(message)
    placeholders = tuple(
        dict.fromkeys(_placeholder(kind) for kind in PLACEHOLDER_KINDS if kind in message)
    )
    if not text.strip() and not files and not placeholders:
        return None
    replied = message.get("reply_to_message")
    replied_from = replied.get("from") if isinstance(replied, dict) else None
    date = _int(message.get("date"))
    return _Incoming(
        chat_id=chat_id,
        chat_type=str(chat_type),
        message_id=message_id,
        user_id=user_id,
        sender=_sender(author),
        text=text,
        entities=[entity for entity in entities or [] if isinstance(entity, dict)]
        if isinstance(entities, list)
        else [],
        files=files,
        placeholders=placeholders,
        reply_to_user_id=_int(replied_from.get("id")) if isinstance(replied_from, dict) else None,
        reply_to_message_id=_int(replied.get("message_id")) if isinstance(replied, dict) else None,
        thread_id=_int(message.get("message_thread_id"))
        if message.get("is_topic_message")
        else None,
        sent_at=datetime.fromtimestamp(date, tz=UTC) if date and 0 < date < 2**32 else None,
    )


def _sender(author: dict[str, Any]) -> Sender:
    name = " ".join(
        part for part in (_str(author.get("first_name")), _str(author.get("last_name"))) if part
    )
    code = _str(author.get("language_code"))
    return Sender(
        external_id=str(author["id"]),
        name=name.strip()[:120],
        username=_str(author.get("username"))[:120],
        language=normalise_language(code, default="") if code else "",
    )


def _files(message: dict[str, Any]) -> tuple[_FileRef, ...]:
    """The photo (its largest size under the limit) and the document a message carries."""
    limit = settings.ATTACHMENT_MAX_BYTES
    found: list[_FileRef] = []
    photos = message.get("photo")
    if isinstance(photos, list):
        sizes = [size for size in photos if isinstance(size, dict) and _str(size.get("file_id"))]
        fitting = [size for size in sizes if (_int(size.get("file_size")) or 0) <= limit]
        best = max(fitting or sizes, key=_area, default=None)
        if best is not None:
            found.append(
                _FileRef(
                    _str(best.get("file_id")),
                    f"photo_{message.get('message_id')}.jpg",
                    "image/jpeg",
                    _int(best.get("file_size")),
                )
            )
    document = message.get("document")
    # An animation comes with its video as a document too; the placeholder says enough.
    if isinstance(document, dict) and _str(document.get("file_id")) and "animation" not in message:
        found.append(
            _FileRef(
                _str(document.get("file_id")),
                _str(document.get("file_name"))[:150] or "document",
                _str(document.get("mime_type"))[:80],
                _int(document.get("file_size")),
            )
        )
    return tuple(found)


def _area(size: dict[str, Any]) -> int:
    return (_int(size.get("width")) or 0) * (_int(size.get("height")) or 0)


def _download(
    account: ChannelAccount, files: tuple[_FileRef, ...]
) -> tuple[tuple[InboundAttachment, ...], list[str]]:
    """Fetch the files; one that is too large or cannot be fetched becomes a note in the
    message instead, so the customer's text is never lost over a file."""
    limit = settings.ATTACHMENT_MAX_BYTES
    attachments: list[InboundAttachment] = []
    notes: list[str] = []
    client = services.client_for(account)
    for ref in files:
        too_large = _(
            "(%(name)s was not kept: files larger than %(limit)d MB are not accepted)"
        ) % {
            "name": ref.name,
            "limit": limit // (1024 * 1024),
        }
        if ref.size is not None and ref.size > limit:
            notes.append(too_large)
            continue
        try:
            data = client.download_file(ref.file_id, max_bytes=limit)
        except TelegramError as error:
            logger.warning("telegram account %s: file not fetched: %s", account.pk, error)
            notes.append(
                too_large
                if str(error).endswith("too large")
                else _("(%(name)s could not be fetched from Telegram)") % {"name": ref.name}
            )
            continue
        try:
            # Checked here too, so that a message of only a refused file still says so.
            check_upload(SimpleUploadedFile(ref.name, data, ref.content_type))
        except AttachmentRejected as error:
            notes.append(str(error.message))
            continue
        attachments.append(InboundAttachment(ref.name, data, ref.content_type))
    return tuple(attachments), notes


def _addressed_in_group(incoming: _Incoming, bot_id: int | None, username: str) -> tuple[bool, str]:
    """Whether a group message is for the bot, and its text without the bot's @mention."""
    addressed = bot_id is not None and incoming.reply_to_user_id == bot_id
    spans: list[tuple[int, int]] = []
    units = incoming.text.encode("utf-16-le")
    handle = f"@{username}".lower() if username else None
    for entity in incoming.entities:
        offset, length = _int(entity.get("offset")), _int(entity.get("length"))
        if offset is None or length is None or offset < 0 or length <= 0:
            continue
        piece = units[offset * 2 : (offset + length) * 2].decode("utf-16-le", "replace").lower()
        kind = entity.get("type")
        user = entity.get("user")
        if kind == "mention" and handle and piece == handle:
            spans.append((offset, length))
        elif kind == "text_mention" and isinstance(user, dict) and _int(user.get("id")) == bot_id:
            addressed = True
        elif kind == "bot_command" and handle and piece.endswith(handle):
            # Keep the command, drop its @bot: "/start@bot" reads as "/start".
            spans.append((offset + length - utf16_length(handle), utf16_length(handle)))
    if spans:
        addressed = True
    for offset, length in sorted(spans, reverse=True):
        units = units[: offset * 2] + units[(offset + length) * 2 :]
    text = units.decode("utf-16-le", "replace")
    return addressed, _SPACES.sub(" ", text).strip() if spans else text


def _command(text: str, username: str) -> tuple[str, str]:
    """A leading bot command (``/start``, ``/start@bot``) and the text after it."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return "", text
    word, _space, rest = stripped.partition(" ")
    name, _at, target = word[1:].partition("@")
    if target and username and target.lower() != username.lower():
        return "", text
    return name.lower(), rest.strip()


def _welcome(account: ChannelAccount, incoming: _Incoming) -> IngestResult:
    """Greet a customer who sent /start, once (a redelivery greets nobody)."""
    if already_seen(account, incoming.external_id):
        return IngestResult(None, None, False, skipped="start")
    language = "zh-hans" if incoming.sender.language == "zh" else "en"
    with override(language):
        text = _("Hello! Type your question here and our support team will answer you.")
    try:
        services.client_for(account).send_message(
            chat_id=incoming.chat_id,
            text=text,
            reply_to_message_id=incoming.message_id if incoming.in_group else None,
        )
    except TelegramError as error:
        logger.warning("telegram account %s: greeting not sent: %s", account.pk, error)
    return skip(account, incoming.external_id, "start")


def _send(
    client: TelegramClient,
    message: Message,
    chat_id: int | str,
    reply_to: int | None,
    thread_id: int | None,
) -> list[int]:
    sent: list[int] = []
    for part in split_text(message.body):
        sent.append(
            client.send_message(
                chat_id=chat_id,
                text=part,
                reply_to_message_id=None if sent else reply_to,
                message_thread_id=thread_id,
            )
        )
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as handle:
            data = handle.read()
        sent.append(
            client.send_file(
                chat_id=chat_id,
                name=attachment.original_name,
                data=data,
                content_type=attachment.content_type,
                as_photo=attachment.content_type in ("image/jpeg", "image/png"),
                reply_to_message_id=None if sent else reply_to,
                message_thread_id=thread_id,
            )
        )
    return sent


def split_text(text: str, limit: int = MAX_TEXT_UNITS) -> list[str]:
    """Cut a text into messages Telegram takes (``limit`` UTF-16 units each), at a line
    break or a space where there is one."""
    text = text.strip()
    parts: list[str] = []
    while text:
        if utf16_length(text) <= limit:
            parts.append(text)
            break
        end = 0
        units = 0
        for index, char in enumerate(text):
            units += 2 if ord(char) > 0xFFFF else 1
            if units > limit:
                end = index
                break
        cut = max(text.rfind("\n", 0, end), text.rfind(" ", 0, end))
        if cut <= end // 2:
            cut = end
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return parts


def _move_thread(conversation_id: int, address: dict[str, Any], chat_id: int) -> None:
    moved = {**address, "chat_id": chat_id}
    moved.pop("reply_to_message_id", None)
    with transaction.atomic():
        ChannelThread.objects.filter(conversation_id=conversation_id).update(address=moved)


def _cursor(account: ChannelAccount) -> int:
    try:
        return max(int(account.cursor or 0), 0)
    except ValueError:
        return 0


def _advance(account: ChannelAccount, offset: int) -> None:
    ChannelAccount.objects.filter(pk=account.pk).update(cursor=str(offset))
    account.cursor = str(offset)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: object) -> str:
    if not isinstance(value, str):
        return ""
    # JSON may carry a lone surrogate ("\\ud800"), which no database or encoder takes.
    return value.encode("utf-8", "replace").decode("utf-8")
