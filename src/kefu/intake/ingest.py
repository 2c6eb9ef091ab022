"""Storing what a channel brought in: one function for every channel.

:func:`ingest` is idempotent on the channel's own message id (a redelivered mail, webhook or
update finds its first copy), matches the sender to a customer, continues the conversation the
message belongs to (by its thread keys) or opens one, keeps its attachments (those of an
allowed type; the others are named in a note for the agent) and remembers where replies go.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from kefu.conversations.models import AuthorType, Channel, Conversation, Customer, Message, Status
from kefu.conversations.services import customers as customer_services
from kefu.conversations.services import messages as message_services
from kefu.intake.adapters import InboundAttachment, InboundMessage, Sender
from kefu.intake.models import (
    ChannelAccount,
    ChannelIdentity,
    ChannelThread,
    InboundRecord,
    ThreadKey,
)
from kefu.intake.outbound import queue_deliveries
from kefu.lib.uploads import AttachmentRejected, CheckedUpload, check_upload

logger = logging.getLogger(__name__)
MAX_EXTERNAL_ID = 255
MAX_KEY = 255
MAX_ATTACHMENTS = 10
LAST_INBOUND_PRECISION = timedelta(seconds=5)


@dataclass(frozen=True)
class IngestResult:
    """What became of an inbound message. ``created`` is False for a redelivery (and for a
    message that was skipped, with ``skipped`` saying why)."""

    conversation: Conversation | None
    message: Message | None
    created: bool
    skipped: str = ""


def external_key(value: str) -> str:
    """An id or key that fits its column: long ones (some Message-IDs) are hashed."""
    value = value.strip()
    if len(value) <= MAX_EXTERNAL_ID:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()


def already_seen(account: ChannelAccount, external_id: str) -> bool:
    """Whether a message with this channel id came in before (stored or skipped)."""
    return InboundRecord.objects.filter(
        account=account, external_id=external_key(external_id)
    ).exists()


def skip(account: ChannelAccount, external_id: str, reason: str) -> IngestResult:
    """Record that a message came in and was deliberately not stored (an auto-reply, a
    bounce, a loop), so it is not looked at again."""
    try:
        with transaction.atomic():
            InboundRecord.objects.create(
                account=account, external_id=external_key(external_id), skipped=reason[:40]
            )
    except IntegrityError:
        pass
    return IngestResult(None, None, False, skipped=reason)


def ingest(account: ChannelAccount, inbound: InboundMessage) -> IngestResult:
    """Store one inbound message; a redelivery returns what the first delivery stored."""
    external_id = external_key(inbound.external_id)
    if not external_id:
        raise ValueError("an inbound message needs the channel's id for it")
    seen = _seen(account, external_id)
    if seen is not None:
        return seen
    body, extra = _fit(inbound.body)
    uploads, refused = _checked(inbound.attachments + extra)
    if not body.strip() and not uploads and refused:
        # Only files that could not be kept: the customer still gets an answer, and the note
        # names the files. A message with nothing at all is refused (MessageEmpty).
        body = _("(only files that could not be kept)")
    try:
        with transaction.atomic():
            result = _store(account, inbound, external_id, body, uploads, refused)
    except IntegrityError:
        # Another worker stored the same delivery first.
        seen = _seen(account, external_id)
        if seen is None:
            raise
        return seen
    _note_inbound(account)
    return result


def _note_inbound(account: ChannelAccount) -> None:
    """Keep the account's last message in (for its health) to within a few seconds: a busy
    channel does not write its account row for every message."""
    now = timezone.now()
    ChannelAccount.objects.filter(pk=account.pk).filter(
        Q(last_inbound_at__isnull=True) | Q(last_inbound_at__lt=now - LAST_INBOUND_PRECISION)
    ).update(last_inbound_at=now)


def _seen(account: ChannelAccount, external_id: str) -> IngestResult | None:
    # At most one row (a unique key): no ORDER BY, which would let SQLite walk the table.
    record = next(
        iter(
            InboundRecord.objects.filter(account=account, external_id=external_id)
            .select_related("conversation", "message")
            .order_by()[:1]
        ),
        None,
    )
    if record is None:
        return None
    return IngestResult(record.conversation, record.message, False, skipped=record.skipped)


def _store(
    account: ChannelAccount,
    inbound: InboundMessage,
    external_id: str,
    body: str,
    uploads: list[CheckedUpload],
    refused: list[str],
) -> IngestResult:
    conversation, known_keys = _thread_of(account, inbound)
    if conversation is not None:
        posted = message_services.post_customer_message(
            conversation.pk, body=body, client_id=_client_id(account, external_id), uploads=uploads
        )
    else:
        customer = match_customer(account, inbound.sender)
        posted = message_services.start_conversation(
            customer=customer,
            channel=Channel(account.kind),
            body=body,
            subject=inbound.subject,
            client_id=_client_id(account, external_id),
            uploads=uploads,
            language=inbound.sender.language or None,
        )
    conversation, message = posted.conversation, posted.message
    if inbound.html:
        Message.objects.filter(pk=message.pk).update(html=inbound.html)
        message.html = inbound.html
    InboundRecord.objects.create(
        account=account, external_id=external_id, conversation=conversation, message=message
    )
    for key in dict.fromkeys(inbound.own_keys):
        if known_keys.get(external_key(key)) != conversation.pk:
            remember_thread_key(account, key, conversation)
    if inbound.reply_address:
        new_thread = _follow_reply_address(account, conversation, inbound.reply_address)
        if new_thread and posted.redactions:
            # The warning about a removed secret was written before the conversation had a
            # channel thread: send it now.
            queue_deliveries(
                conversation.messages.filter(
                    author_type=AuthorType.SYSTEM, is_internal=False, delivery__isnull=True
                ).select_related("conversation")
            )
    if refused:
        _note_refused(conversation, refused)
    return IngestResult(conversation, message, True)


def _follow_reply_address(
    account: ChannelAccount, conversation: Conversation, address: dict[str, object]
) -> bool:
    """Replies go where the latest message came from; returns whether the conversation had
    no channel thread before. Writes only when the address changed."""
    thread = ChannelThread.objects.filter(conversation=conversation).first()
    if thread is None:
        ChannelThread.objects.create(conversation=conversation, account=account, address=address)
        return True
    if thread.account_id != account.pk or thread.address != address:
        ChannelThread.objects.filter(pk=thread.pk).update(account=account, address=address)
    return False


def remember_thread_key(account: ChannelAccount, key: str, conversation: Conversation) -> None:
    """Make ``key`` find ``conversation``. A key of a chat moves to the chat's newest
    conversation; a message's own key (an email's Message-ID) only ever has one."""
    key = external_key(key)
    if not key:
        return
    ThreadKey.objects.update_or_create(
        account=account, key=key, defaults={"conversation": conversation}
    )


def _thread_of(
    account: ChannelAccount, inbound: InboundMessage
) -> tuple[Conversation | None, dict[str, int]]:
    """The open conversation this message continues, if any, and the conversation each of
    its thread keys points at. A closed conversation is final: the customer's new message
    opens a new one."""
    candidates: list[Conversation] = []
    if inbound.conversation_id is not None:
        found = Conversation.objects.filter(pk=inbound.conversation_id).first()
        if found is not None:
            candidates.append(found)
    keys = [external_key(key) for key in inbound.thread_keys if key.strip()]
    by_key: dict[str, Conversation] = {}
    if keys:
        by_key = {
            row.key: row.conversation
            for row in ThreadKey.objects.filter(account=account, key__in=keys).select_related(
                "conversation"
            )
        }
        candidates += [by_key[key] for key in keys if key in by_key]
    known = {key: conversation.pk for key, conversation in by_key.items()}
    for conversation in candidates:
        if conversation.status == Status.CLOSED:
            continue
        if inbound.new_conversation and conversation.status == Status.RESOLVED:
            continue
        return conversation, known
    return None, known


def match_customer(account: ChannelAccount, sender: Sender) -> Customer:
    """The customer behind a sender: the exchange's user id when the channel vouches for it,
    else the channel identity seen before, else the email address or phone number, else a
    new customer. The channel identity is remembered for next time."""
    if not sender.external_id:
        raise ValueError("an inbound message needs its sender's id on the channel")
    identity = (
        ChannelIdentity.objects.filter(kind=account.kind, external_user_id=sender.external_id)
        .select_related("customer")
        .first()
    )
    name = (sender.name or sender.username)[:120]
    if sender.exchange_user_id:
        customer = customer_services.identify_customer(
            external_id=sender.exchange_user_id[:64],
            email=sender.email,
            name=name,
            language=sender.language or "en",
        )
    elif identity is not None:
        customer = identity.customer
    elif sender.phone and (
        by_phone := Customer.objects.filter(phone=sender.phone).order_by("pk").first()
    ):
        customer = by_phone
    else:
        customer = customer_services.identify_customer(
            email=sender.email, name=name, language=_customer_language(sender.language)
        )
    if sender.phone and not customer.phone:
        Customer.objects.filter(pk=customer.pk).update(phone=sender.phone[:20])
        customer.phone = sender.phone[:20]
    if identity is None:
        with transaction.atomic():
            ChannelIdentity.objects.get_or_create(
                kind=account.kind,
                external_user_id=sender.external_id[:255],
                defaults={
                    "customer": customer,
                    "username": sender.username[:120],
                    "display_name": sender.name[:120],
                },
            )
    elif identity.customer_id != customer.pk:
        ChannelIdentity.objects.filter(pk=identity.pk).update(customer=customer)
    return customer


def _customer_language(language: str) -> str:
    return "zh" if language.lower().startswith("zh") else "en"


def _client_id(account: ChannelAccount, external_id: str) -> str:
    digest = hashlib.sha256(f"{account.pk}:{external_id}".encode()).hexdigest()
    return f"in:{digest[:40]}"


def _fit(body: str) -> tuple[str, tuple[InboundAttachment, ...]]:
    """A body longer than a message may be is cut, and the whole text kept as a file."""
    body = body or ""
    limit = message_services.MAX_MESSAGE_CHARS
    if len(body) <= limit:
        return body, ()
    marker = "\n\n" + _("[The message was cut here; the whole text is attached.]")
    cut = body[: limit - len(marker)] + marker
    return cut, (InboundAttachment("message.txt", body.encode("utf-8"), "text/plain"),)


def _checked(attachments: tuple[InboundAttachment, ...]) -> tuple[list[CheckedUpload], list[str]]:
    uploads: list[CheckedUpload] = []
    refused: list[str] = []
    for attachment in attachments:
        if len(uploads) >= MAX_ATTACHMENTS:
            refused.append(_("%(name)s: too many files in one message") % {"name": attachment.name})
            continue
        upload = SimpleUploadedFile(
            attachment.name or "file",
            attachment.data,
            attachment.content_type or "application/octet-stream",
        )
        try:
            uploads.append(check_upload(upload))
        except AttachmentRejected as error:
            refused.append(str(error.message))
    return uploads, refused


def _note_refused(conversation: Conversation, refused: list[str]) -> None:
    """Tell the agent (an internal note) which files of the message were not kept."""
    with override("zh-hans" if conversation.language == "zh" else "en"):
        text = (
            _("Files in this message that were not kept:")
            + "\n"
            + "\n".join(f"• {reason}" for reason in refused)
        )
    Message.objects.create(
        conversation=conversation,
        author_type=AuthorType.SYSTEM,
        body=text[: message_services.MAX_MESSAGE_CHARS],
        language=conversation.language,
        is_internal=True,
    )
    Conversation.objects.filter(pk=conversation.pk).update(message_count=F("message_count") + 1)
