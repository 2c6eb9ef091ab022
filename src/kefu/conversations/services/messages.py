"""Messages in conversations: the write path for customers and staff.

Everything that stores a message goes through :func:`post_messages`, which takes one message or
a batch (the websocket consumers hand it everything that arrived while the previous batch was
being written). A batch costs one transaction and a handful of statements whatever its size:
one locking read of the conversations, one insert of the messages, one update of the
conversations, one insert each of timeline and audit rows. Per message it does exactly what a
single write does: secrets are redacted and the customer warned, a resolved conversation
reopens, the first public reply sets the first-response time and assigns an unassigned
conversation, every staff message is audited, and live updates go out after the commit.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from typing import Any, cast

from django.core.files.base import File
from django.db import IntegrityError, connection, transaction
from django.db.models import Field
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kefu.accounts.events import audit_entry
from kefu.accounts.models import AuditLogEntry, User
from kefu.conversations import events
from kefu.conversations.errors import ConversationClosed, MessageEmpty, MessageTooLong
from kefu.conversations.models import (
    Attachment,
    AuthorType,
    Channel,
    Conversation,
    Customer,
    Message,
    Priority,
    Status,
    TimelineEvent,
    TimelineKind,
)
from kefu.conversations.services.conversations import (
    STATUS_FIELDS,
    apply_status,
    lock_conversation,
    new_tracking_token,
)
from kefu.conversations.tasks import notify_customer_of_reply
from kefu.lib.errors import KefuError, NotFound
from kefu.lib.language import guess_language
from kefu.lib.redaction import redact_secrets
from kefu.lib.taxonomy import DEFAULT_QUEUE, queues
from kefu.lib.uploads import CheckedUpload

logger = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 10_000
MAX_SUBJECT_CHARS = 200
# Channels whose customers are told about replies by email (they are not watching a chat).
EMAIL_NOTIFIED_CHANNELS = (Channel.FORM, Channel.API)
# Channels whose replies Kefu sends back out on them (kefu.intake.outbound).
OUTBOUND_CHANNELS = (Channel.EMAIL, Channel.TELEGRAM, Channel.DISCORD, Channel.WEBHOOK)
# A resolved or pending conversation opens again when the customer writes.
WAITING_ON_CUSTOMER = (Status.RESOLVED, Status.PENDING)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class NewMessage:
    """A message to store. ``agent`` is set for staff messages (replies and internal notes)."""

    conversation_id: int
    body: str
    client_id: str = ""
    agent: User | None = None
    is_internal: bool = False
    uploads: tuple[CheckedUpload, ...] = ()
    set_status: Status | None = None
    ip_address: str | None = None
    bot: bool = False

    @property
    def author_type(self) -> AuthorType:
        if self.bot:
            return AuthorType.BOT
        return AuthorType.AGENT if self.agent is not None else AuthorType.CUSTOMER


@dataclass(frozen=True)
class PostedMessage:
    """A message that was stored (or found again, when its client id had been seen)."""

    conversation: Conversation
    message: Message
    created: bool
    attachments: list[Attachment] = field(default_factory=list)
    redactions: list[str] = field(default_factory=list)


def clean_body(body: str, *, allow_empty: bool = False) -> str:
    """Strip control characters and surrounding space; enforce the length limit."""
    body = _CONTROL.sub("", body or "").strip()
    if not body and not allow_empty:
        raise MessageEmpty()
    if len(body) > MAX_MESSAGE_CHARS:
        raise MessageTooLong(
            _("Messages can be at most %(limit)d characters.") % {"limit": MAX_MESSAGE_CHARS}
        )
    return body


def post_messages(items: Sequence[NewMessage]) -> list[PostedMessage | KefuError]:
    """Store messages, for one conversation or many, in one transaction.

    Returns, in order, the stored message or the error that refused it (empty or too long,
    ConversationClosed, NotFound); one refused message does not stop the others. A repeated
    ``client_id`` (a resend after a reconnect) returns the message stored the first time, with
    ``created`` False. Staff callers must have checked access (``access_conversation``).
    """
    results: dict[int, PostedMessage | KefuError] = {}
    cleaned: list[tuple[int, NewMessage]] = []
    for index, item in enumerate(items):
        try:
            body = clean_body(item.body, allow_empty=bool(item.uploads))
        except KefuError as error:
            results[index] = error
            continue
        cleaned.append((index, replace(item, body=body, client_id=item.client_id[:64])))
    if cleaned:
        try:
            results.update(_store(cleaned))
        except IntegrityError:
            # A client id was seen before: store one at a time to tell which.
            for index, item in cleaned:
                results[index] = _store_one_or_find_repeat(index, item)
    return [results[index] for index in range(len(items))]


def post_customer_message(
    conversation_id: int,
    *,
    body: str,
    client_id: str = "",
    uploads: Sequence[CheckedUpload] = (),
) -> PostedMessage:
    """Add a customer's message. A resolved or pending conversation opens again.

    Raises ConversationClosed for closed conversations.
    """
    return _one(NewMessage(conversation_id, body, client_id, uploads=tuple(uploads)))


def post_agent_message(
    agent: User,
    conversation_id: int,
    *,
    body: str,
    is_internal: bool = False,
    client_id: str = "",
    uploads: Sequence[CheckedUpload] = (),
    set_status: Status | None = None,
    ip_address: str | None = None,
) -> PostedMessage:
    """Add a staff reply (or internal note), then optionally set the status.

    Raises ConversationClosed for a public reply to a closed conversation.
    """
    return _one(
        NewMessage(
            conversation_id,
            body,
            client_id,
            agent=agent,
            is_internal=is_internal,
            uploads=tuple(uploads),
            set_status=set_status,
            ip_address=ip_address,
        )
    )


def post_bot_message(conversation_id: int, *, body: str, client_id: str = "") -> PostedMessage:
    """Add the bot's reply. It changes nothing else: no first response, no assignment (those
    are a person's), and the customer and open consoles see it live."""
    return _one(NewMessage(conversation_id, body, client_id, bot=True))


def start_conversation(
    *,
    customer: Customer,
    channel: Channel,
    body: str,
    subject: str = "",
    language: str | None = None,
    client_id: str = "",
    uploads: Sequence[CheckedUpload] = (),
    queue: str = DEFAULT_QUEUE,
    priority: Priority = Priority.NORMAL,
) -> PostedMessage:
    """Open a conversation with the customer's first message."""
    body = clean_body(body, allow_empty=bool(uploads))
    language = language or guess_language(body, default=customer.language)
    subject = _CONTROL.sub("", subject).strip()[:MAX_SUBJECT_CHARS] or _subject_from(body)
    now = timezone.now()
    # The new row already counts its first message (and the warning, when a secret was
    # removed), so storing the message needs no update of it.
    redacted = redact_secrets(body).was_redacted
    # Nothing in the block catches an error, so inside a caller's transaction (a new customer
    # and their first conversation) it needs no savepoint of its own: a failure undoes both.
    with transaction.atomic(savepoint=False):
        conversation = Conversation.objects.create(
            customer=customer,
            channel=channel,
            subject=redact_secrets(subject).text[:MAX_SUBJECT_CHARS],
            language=language,
            queue=queue if queue in queues() else DEFAULT_QUEUE,
            priority=priority,
            tracking_token=new_tracking_token(),
            last_message_at=now,
            last_customer_message_at=now,
            awaiting_reply_since=now,
            message_count=2 if redacted else 1,
        )
        conversation.customer = customer
        item = NewMessage(conversation.pk, body, client_id[:64], uploads=tuple(uploads))
        result = _store([(0, item)], new={conversation.pk: conversation}, at=now)[0]
    if isinstance(result, KefuError):
        raise result
    return result


def _one(item: NewMessage) -> PostedMessage:
    result = post_messages([item])[0]
    if isinstance(result, KefuError):
        raise result
    return result


def _store_one_or_find_repeat(index: int, item: NewMessage) -> PostedMessage | KefuError:
    try:
        return _store([(index, item)])[index]
    except IntegrityError:
        conversation = Conversation.objects.get(pk=item.conversation_id)
        message = conversation.messages.filter(client_id=item.client_id).first()
        if message is None:
            raise
        return PostedMessage(conversation, message, False, list(message.attachments.all()))


@dataclass
class _Delta:
    """What a batch adds to one conversation; applied against the row's current values."""

    messages: int = 0
    last_message_at: datetime | None = None
    last_customer_message_at: datetime | None = None
    reopen: bool = False
    first_response_at: datetime | None = None
    assignee_id: int | None = None
    # An agent replied in the batch; the first customer message after the last such reply.
    answered: bool = False
    awaiting_reply_since: datetime | None = None


@dataclass
class _Batch:
    """What one transaction writes besides the messages themselves."""

    conversations: dict[int, Conversation]
    deltas: dict[int, _Delta] = field(default_factory=dict)
    timeline: list[TimelineEvent] = field(default_factory=list)
    audit: list[AuditLogEntry] = field(default_factory=list)
    changed: dict[int, int | None] = field(default_factory=dict)  # id -> previous assignee
    statuses: list[tuple[int, Status, User]] = field(default_factory=list)
    new: set[int] = field(default_factory=set)  # created with their first message counted
    outbound: list[Message] = field(default_factory=list)  # to send on their channel
    customer_messages: list[Message] = field(default_factory=list)  # links to check


def _store(
    items: list[tuple[int, NewMessage]],
    *,
    new: dict[int, Conversation] | None = None,
    at: datetime | None = None,
) -> dict[int, PostedMessage | KefuError]:
    """Store a batch. No row is locked while the batch is prepared: the conversations are
    updated by one statement that adds to their current values, so writers in other processes
    wait on each other only from that statement to the commit.

    ``new``: a conversation the caller just created, in its own transaction (no savepoint),
    whose row already counts this message, written at ``at``.
    """
    results: dict[int, PostedMessage | KefuError] = {}
    conversations = dict(new or {})
    missing = sorted({item.conversation_id for _, item in items} - set(conversations))
    if missing:
        conversations.update(Conversation.objects.select_related("customer").in_bulk(missing))
    batch = _Batch(conversations=conversations, new=set(new or {}))
    accepted: list[tuple[int, NewMessage, Message, list[str], Message | None]] = []
    rows: list[Message] = []
    for index, item in items:
        conversation = batch.conversations.get(item.conversation_id)
        if conversation is None:
            results[index] = NotFound()
            continue
        if conversation.status == Status.CLOSED and not item.is_internal:
            results[index] = ConversationClosed()
            continue
        message, redactions = _new_message(conversation, item, at or timezone.now())
        warning = _secret_warning(conversation) if redactions else None
        rows += [message] if warning is None else [message, warning]
        accepted.append((index, item, message, redactions, warning))
    if not accepted:
        return results
    with nullcontext() if new else transaction.atomic():
        Message.objects.bulk_create(rows)
        for index, item, message, redactions, warning in accepted:
            conversation = batch.conversations[item.conversation_id]
            attachments = _store_attachments(conversation, message, item.uploads)
            _account_for(batch, conversation, item, message, redactions, warning)
            if item.author_type == AuthorType.CUSTOMER:
                batch.customer_messages.append(message)
            if conversation.channel in OUTBOUND_CHANNELS:
                sent = [] if item.author_type == AuthorType.CUSTOMER else [message]
                batch.outbound += sent + ([warning] if warning is not None else [])
            events.publish_message(message, conversation, attachments)
            if warning is not None:
                events.publish_message(warning, conversation)
            results[index] = PostedMessage(conversation, message, True, attachments, redactions)
        _write(batch)
    return results


def _new_message(
    conversation: Conversation, item: NewMessage, at: datetime
) -> tuple[Message, list[str]]:
    if item.agent is not None or item.bot:
        body, redactions = item.body, []
        language = conversation.language
    else:
        redaction = redact_secrets(item.body)
        body, redactions = redaction.text, [str(kind) for kind in redaction.kinds]
        language = guess_language(item.body, default=conversation.language)
    message = Message(
        conversation=conversation,
        author_type=item.author_type,
        author=item.agent,
        body=body,
        language=language,
        is_internal=item.is_internal,
        client_id=item.client_id,
        redactions=redactions,
        created_at=at,
    )
    return message, redactions


def _secret_warning(conversation: Conversation) -> Message:
    """The system message that tells a customer their secret was removed, in their language."""
    with translation.override("zh-hans" if conversation.language == "zh" else "en"):
        text = _(
            "For your safety we removed a secret (seed phrase, private key, password or "
            "verification code) from your message. Our staff will never ask for it: never "
            "share it with anyone, including people who say they are support."
        )
    return Message(
        conversation=conversation,
        author_type=AuthorType.SYSTEM,
        body=text,
        language=conversation.language,
    )


def _account_for(
    batch: _Batch,
    conversation: Conversation,
    item: NewMessage,
    message: Message,
    redactions: list[str],
    warning: Message | None,
) -> None:
    """Apply one stored message to its conversation (in memory and as a delta for the update),
    and queue its timeline and audit rows."""
    now = message.created_at
    # A conversation created with this message already counts it; the delta goes nowhere.
    delta = (
        _Delta()
        if conversation.pk in batch.new
        else batch.deltas.setdefault(conversation.pk, _Delta())
    )
    delta.messages += 1 if warning is None else 2
    delta.last_message_at = max(delta.last_message_at or now, now)
    previous_assignee = conversation.assignee_id
    changed = False
    if conversation.pk not in batch.new:
        conversation.message_count += 1 if warning is None else 2
        conversation.last_message_at = max(conversation.last_message_at, now)
    if item.bot:
        pass
    elif item.agent is None:
        conversation.last_customer_message_at = delta.last_customer_message_at = now
        conversation.awaiting_reply_since = conversation.awaiting_reply_since or now
        delta.awaiting_reply_since = delta.awaiting_reply_since or now
        delta.reopen = True
        if conversation.status == Status.RESOLVED:
            batch.timeline.append(_event(conversation, TimelineKind.REOPENED))
        if conversation.status in WAITING_ON_CUSTOMER:
            conversation.status = Status.OPEN
            conversation.resolved_at = None
            changed = True
        if redactions:
            batch.timeline.append(
                _event(conversation, TimelineKind.SECRET_REDACTED, data={"kinds": redactions})
            )
    else:
        agent = item.agent
        if not item.is_internal:
            delta.answered = True
            delta.awaiting_reply_since = None
            conversation.awaiting_reply_since = None
            delta.first_response_at = delta.first_response_at or now
            conversation.first_response_at = conversation.first_response_at or now
            delta.assignee_id = delta.assignee_id or agent.pk
            if conversation.assignee_id is None:
                conversation.assignee = agent
                batch.timeline.append(
                    _event(
                        conversation,
                        TimelineKind.ASSIGNED,
                        actor=agent,
                        data={
                            "assignee": agent.pk,
                            "assignee_name": agent.public_name,
                            "queue": conversation.queue,
                            "automatic": True,
                        },
                    )
                )
                changed = True
        if item.set_status is not None:
            batch.statuses.append((conversation.pk, item.set_status, agent))
        batch.audit.append(
            audit_entry(
                agent,
                "conversation.note_added" if item.is_internal else "conversation.replied",
                target_type="conversation",
                target_id=conversation.pk,
                after={"message": message.pk},
                ip_address=item.ip_address,
            )
        )
        if not item.is_internal and conversation.channel in EMAIL_NOTIFIED_CHANNELS:
            _notify_by_email(conversation, message)
    if changed:
        batch.changed.setdefault(conversation.pk, previous_assignee)


def _event(
    conversation: Conversation,
    kind: TimelineKind,
    *,
    actor: User | None = None,
    data: dict[str, object] | None = None,
) -> TimelineEvent:
    return TimelineEvent(conversation=conversation, kind=kind, actor=actor, data=data or {})


def _notify_by_email(conversation: Conversation, message: Message) -> None:
    if conversation.customer.email:
        message_id = message.pk
        transaction.on_commit(lambda: notify_customer_of_reply.enqueue(message_id))


def _write(batch: _Batch) -> None:
    """One statement updates every touched conversation; one insert each for timeline and
    audit rows; then the few status changes that came with replies."""
    if batch.deltas:
        _apply_deltas(batch.deltas)
    for conversation_id, status, agent in batch.statuses:
        conversation = lock_conversation(conversation_id)
        if conversation.status != status:
            batch.timeline.append(apply_status(conversation, status, agent, timezone.now()))
            conversation.save(update_fields=STATUS_FIELDS)
            batch.conversations[conversation_id].status = conversation.status
            batch.changed.setdefault(conversation_id, conversation.assignee_id)
    if batch.timeline:
        TimelineEvent.objects.bulk_create(batch.timeline)
    if batch.outbound:
        # The channels app sends them after the commit, and retries until they are delivered.
        from kefu.intake.outbound import queue_deliveries

        queue_deliveries(batch.outbound)
    if batch.audit:
        AuditLogEntry.objects.bulk_create(batch.audit)
    if batch.customer_messages:
        stored = list(batch.customer_messages)
        transaction.on_commit(lambda: _check_links(stored))
    for conversation_id, previous_assignee in batch.changed.items():
        events.publish_conversation_changed(
            batch.conversations[conversation_id], previous_assignee_id=previous_assignee
        )


def _check_links(messages: list[Message]) -> None:
    """Warn the customer and the agent about phishing links the customer posted
    (kefu.intake.phishing), once the messages are stored."""
    from kefu.intake.phishing import warn_about_links

    for message in messages:
        try:
            warn_about_links(message)
        except Exception:
            logger.exception("checking the links of message %s failed", message.pk)


def _apply_deltas(deltas: dict[int, _Delta]) -> None:
    """Add each delta to its conversation's current row, in one round trip (executemany).

    Counters add, times only move forward, a customer message reopens a resolved or pending
    conversation, the first reply and first assignee are kept once set, and an agent's reply
    ends the wait of the customer messages before it.
    """
    adapt = connection.ops.adapt_datetimefield_value
    parameters = [
        (
            delta.messages,
            adapt(delta.last_message_at),
            adapt(delta.last_customer_message_at),
            int(delta.reopen),
            int(delta.reopen),
            adapt(delta.first_response_at),
            delta.assignee_id,
            int(delta.answered),
            adapt(delta.awaiting_reply_since),
            adapt(delta.awaiting_reply_since),
            conversation_id,
        )
        for conversation_id, delta in sorted(deltas.items())
    ]
    with connection.cursor() as cursor:
        cursor.executemany(_delta_statement(connection.vendor), parameters)


@cache
def _delta_statement(vendor: str) -> str:
    quote = connection.ops.quote_name

    def column(name: str) -> str:
        return quote(cast("Field[Any, Any]", Conversation._meta.get_field(name)).column)

    greatest = "GREATEST" if vendor == "postgresql" else "MAX"
    status = column("status")
    waiting = f"{status} IN ('{Status.RESOLVED.value}', '{Status.PENDING.value}')"
    # Names come from the model's metadata and constants; every value is a parameter.
    return (
        f"UPDATE {quote(Conversation._meta.db_table)} SET "  # noqa: S608
        f"{column('message_count')} = {column('message_count')} + %s, "
        f"{column('last_message_at')} = {greatest}({column('last_message_at')}, %s), "
        f"{column('last_customer_message_at')} = "
        f"COALESCE(%s, {column('last_customer_message_at')}), "
        f"{status} = CASE WHEN %s = 1 AND {waiting} THEN '{Status.OPEN.value}' ELSE {status} END, "
        f"{column('resolved_at')} = "
        f"CASE WHEN %s = 1 AND {waiting} THEN NULL ELSE {column('resolved_at')} END, "
        f"{column('first_response_at')} = COALESCE({column('first_response_at')}, %s), "
        f"{column('assignee')} = COALESCE({column('assignee')}, %s), "
        f"{column('awaiting_reply_since')} = CASE WHEN %s = 1 THEN %s "
        f"ELSE COALESCE({column('awaiting_reply_since')}, %s) END "
        f"WHERE {quote('id')} = %s"
    )


def _store_attachments(
    conversation: Conversation, message: Message, uploads: Sequence[CheckedUpload]
) -> list[Attachment]:
    stored = []
    for checked in uploads:
        attachment = Attachment(
            conversation=conversation,
            message=message,
            storage_key=secrets.token_hex(16),
            original_name=checked.safe_name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
        )
        attachment.file.save(f"file.{checked.extension}", File(checked.upload), save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def _subject_from(body: str) -> str:
    first_line = body.strip().splitlines()[0] if body.strip() else ""
    subject = redact_secrets(first_line).text
    return subject[:80] + ("…" if len(subject) > 80 else "")
