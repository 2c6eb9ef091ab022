"""Every state change of conversations: starting one, messages both ways, assignment, status.

Views, API endpoints and websocket consumers call these functions and nothing else writes the
rows. Each function owns its transaction, its timeline and audit rows and its live updates.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kefu.accounts.events import record_audit
from kefu.accounts.models import User
from kefu.conversations import events
from kefu.conversations.errors import (
    ConversationClosed,
    InvalidChange,
    MessageEmpty,
    MessageTooLong,
)
from kefu.conversations.models import (
    Attachment,
    AuthorType,
    CannedResponse,
    Channel,
    Conversation,
    Customer,
    Message,
    Priority,
    Status,
    TimelineKind,
)
from kefu.conversations.tasks import notify_customer_of_reply
from kefu.lib.errors import NotFound
from kefu.lib.language import guess_language
from kefu.lib.redaction import redact_secrets
from kefu.lib.taxonomy import DEFAULT_QUEUE, queues
from kefu.lib.uploads import CheckedUpload

if TYPE_CHECKING:
    from kefu.conversations.forms import CannedResponseForm

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 10_000
MAX_SUBJECT_CHARS = 200
HISTORY_LIMIT = 200
# Channels whose customers are told about replies by email (they are not watching a chat).
EMAIL_NOTIFIED_CHANNELS = (Channel.FORM, Channel.API)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class PostedMessage:
    """A message that was stored (or found again, when its client id had been seen)."""

    conversation: Conversation
    message: Message
    created: bool
    attachments: list[Attachment] = field(default_factory=list)
    redactions: list[str] = field(default_factory=list)


def lock_conversation(conversation_id: int) -> Conversation:
    """Load a conversation and lock its row until the transaction ends (call inside atomic()).

    FOR NO KEY UPDATE: it serialises changes to the conversation but does not block messages
    being inserted for it elsewhere (their foreign-key check only takes a key-share lock).
    Raises Conversation.DoesNotExist.
    """
    return Conversation.objects.select_for_update(no_key=True).get(pk=conversation_id)


def new_tracking_token() -> str:
    """A random, unguessable token for a conversation's private tracking link."""
    return secrets.token_urlsafe(24)


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


def identify_customer(
    *,
    external_id: str | None = None,
    visitor_id: str | None = None,
    email: str = "",
    name: str = "",
    language: str = "en",
) -> Customer:
    """Find or create the customer: by exchange user id, else by widget visitor, else by email.

    Emails are stored lower-cased, so matching them is an exact, indexed lookup.
    """
    email = email.strip().lower()
    defaults = {"name": name[:120], "email": email, "language": language}
    if external_id:
        return _get_or_create_customer({"external_id": external_id}, defaults)
    if visitor_id:
        return _get_or_create_customer({"visitor_id": visitor_id}, defaults)
    if email:
        existing = Customer.objects.filter(email=email).order_by("pk").first()
        if existing is not None:
            return existing
    return Customer.objects.create(**defaults)


def update_customer_profile(
    customer: Customer,
    *,
    vip_tier: int | None = None,
    security_level: str | None = None,
    name: str | None = None,
    language: str | None = None,
) -> Customer:
    """Update what support knows of a customer (from the exchange or an agent)."""
    fields = {
        "vip_tier": vip_tier,
        "security_level": security_level,
        "name": name,
        "language": language,
    }
    changed = [name for name, value in fields.items() if value is not None]
    for name in changed:
        setattr(customer, name, fields[name])
    if changed:
        customer.full_clean(validate_unique=False, validate_constraints=False)
        customer.save(update_fields=changed)
    return customer


def _get_or_create_customer(lookup: dict[str, str], defaults: dict[str, str]) -> Customer:
    try:
        customer, _created = Customer.objects.get_or_create(**lookup, defaults=defaults)
    except IntegrityError:
        # Two first messages raced; the other one created the row.
        customer = Customer.objects.get(**lookup)
    return customer


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
    with transaction.atomic():
        now = timezone.now()
        conversation = Conversation.objects.create(
            customer=customer,
            channel=channel,
            subject=redact_secrets(subject).text[:MAX_SUBJECT_CHARS],
            language=language,
            queue=queue if queue in queues() else DEFAULT_QUEUE,
            priority=priority,
            tracking_token=new_tracking_token(),
            last_message_at=now,
        )
        events.record_timeline(conversation, TimelineKind.CREATED, data={"channel": channel})
        return _add_customer_message(conversation, body, client_id, uploads, language)


def post_customer_message(
    conversation_id: int,
    *,
    body: str,
    client_id: str = "",
    uploads: Sequence[CheckedUpload] = (),
) -> PostedMessage:
    """Add a customer's message. A resolved or pending conversation opens again.

    Raises ConversationClosed for closed conversations; a repeated ``client_id`` returns the
    message stored the first time, with ``created`` False.
    """
    body = clean_body(body, allow_empty=bool(uploads))
    conversation = _conversation(conversation_id)
    if conversation.status == Status.CLOSED:
        raise ConversationClosed()
    try:
        with transaction.atomic():
            return _add_customer_message(
                conversation,
                body,
                client_id,
                uploads,
                guess_language(body, default=conversation.language),
            )
    except IntegrityError:
        repeated = _repeated_message_by_id(conversation_id, client_id)
        if repeated is None:
            raise
        return repeated


def _conversation(conversation_id: int) -> Conversation:
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None:
        raise NotFound()
    return conversation


def _add_customer_message(
    conversation: Conversation,
    body: str,
    client_id: str,
    uploads: Sequence[CheckedUpload],
    language: str,
) -> PostedMessage:
    """Insert the message, then update the conversation in one statement.

    The conversation row is locked only from that update to the commit, so messages to one
    conversation from many processes do not queue behind each other's work. The update
    re-checks "not closed" and reopens a resolved or pending conversation atomically.
    """
    redaction = redact_secrets(body)
    message = Message.objects.create(
        conversation=conversation,
        author_type=AuthorType.CUSTOMER,
        body=redaction.text,
        language=language,
        client_id=client_id[:64],
        redactions=[str(kind) for kind in redaction.kinds],
    )
    now = message.created_at
    attachments = _store_attachments(conversation, message, uploads)
    waiting = [Status.RESOLVED, Status.PENDING]
    updated = (
        Conversation.objects.filter(pk=conversation.pk)
        .exclude(status=Status.CLOSED)
        .update(
            last_message_at=Greatest(F("last_message_at"), Value(now)),
            last_customer_message_at=now,
            message_count=F("message_count") + 1,
            status=Case(When(status__in=waiting, then=Value(Status.OPEN)), default=F("status")),
            resolved_at=Case(When(status__in=waiting, then=None), default=F("resolved_at")),
        )
    )
    if not updated:
        raise ConversationClosed()  # closed meanwhile; the message is rolled back
    reopened = conversation.status in waiting
    if conversation.status == Status.RESOLVED:
        events.record_timeline(conversation, TimelineKind.REOPENED)
    conversation.status = Status.OPEN
    conversation.resolved_at = None
    conversation.last_message_at = now
    events.publish_message(message, conversation, attachments)
    if reopened:
        events.publish_conversation_changed(conversation)
    if redaction.was_redacted:
        _warn_about_secret(conversation, [str(kind) for kind in redaction.kinds])
    return PostedMessage(
        conversation, message, True, attachments, [str(kind) for kind in redaction.kinds]
    )


def _warn_about_secret(conversation: Conversation, kinds: list[str]) -> None:
    events.record_timeline(conversation, TimelineKind.SECRET_REDACTED, data={"kinds": kinds})
    language = "zh-hans" if conversation.language == "zh" else "en"
    with translation.override(language):
        text = _(
            "For your safety we removed a secret (seed phrase, private key, password or "
            "verification code) from your message. Our staff will never ask for it: never "
            "share it with anyone, including people who say they are support."
        )
    warning = Message.objects.create(
        conversation=conversation,
        author_type=AuthorType.SYSTEM,
        body=text,
        language=conversation.language,
    )
    Conversation.objects.filter(pk=conversation.pk).update(message_count=F("message_count") + 1)
    events.publish_message(warning, conversation)


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
    """Add a staff reply (or internal note). The first public reply sets the first-response time,
    and an unassigned conversation is assigned to the agent who answers it.

    The caller must have loaded the conversation through ``access_conversation``. Raises
    ConversationClosed for a public reply to a closed conversation.
    """
    body = clean_body(body, allow_empty=bool(uploads))
    conversation = _conversation(conversation_id)
    if conversation.status == Status.CLOSED and not is_internal:
        raise ConversationClosed()
    try:
        with transaction.atomic():
            return _add_agent_message(
                agent, conversation, body, is_internal, client_id, uploads, set_status, ip_address
            )
    except IntegrityError:
        repeated = _repeated_message_by_id(conversation_id, client_id)
        if repeated is None:
            raise
        return repeated


def _add_agent_message(
    agent: User,
    conversation: Conversation,
    body: str,
    is_internal: bool,
    client_id: str,
    uploads: Sequence[CheckedUpload],
    set_status: Status | None,
    ip_address: str | None,
) -> PostedMessage:
    """Insert the reply, then update the conversation in one statement (see
    ``_add_customer_message``): counters, first response and automatic assignment."""
    message = Message.objects.create(
        conversation=conversation,
        author_type=AuthorType.AGENT,
        author=agent,
        body=body,
        language=conversation.language,
        is_internal=is_internal,
        client_id=client_id[:64],
    )
    now = message.created_at
    attachments = _store_attachments(conversation, message, uploads)
    changes: dict[str, Any] = {
        "last_message_at": Greatest(F("last_message_at"), Value(now)),
        "message_count": F("message_count") + 1,
    }
    rows = Conversation.objects.filter(pk=conversation.pk)
    if not is_internal:
        rows = rows.exclude(status=Status.CLOSED)
        changes["first_response_at"] = Coalesce(F("first_response_at"), Value(now))
        changes["assignee"] = Coalesce(F("assignee"), Value(agent.pk))
    if not rows.update(**changes):
        raise ConversationClosed()  # closed meanwhile; the reply is rolled back
    previous_assignee_id = conversation.assignee_id
    conversation.last_message_at = now
    changed = False
    if not is_internal:
        if conversation.first_response_at is None:
            conversation.first_response_at = now
        if conversation.assignee_id is None:
            conversation.assignee = agent
            events.record_timeline(
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
            changed = True
    if set_status is not None and set_status != conversation.status:
        conversation = lock_conversation(conversation.pk)
        conversation.save(update_fields=_apply_status(conversation, set_status, agent, now))
        changed = True
    events.audit_conversation(
        agent,
        "conversation.note_added" if is_internal else "conversation.replied",
        conversation,
        after={"message": message.pk},
        ip_address=ip_address,
    )
    events.publish_message(message, conversation, attachments)
    if changed:
        events.publish_conversation_changed(conversation, previous_assignee_id=previous_assignee_id)
    if (
        not is_internal
        and conversation.channel in EMAIL_NOTIFIED_CHANNELS
        and conversation.customer.email
    ):
        message_id = message.pk
        transaction.on_commit(lambda: notify_customer_of_reply.enqueue(message_id))
    return PostedMessage(conversation, message, True, attachments)


def _repeated_message(conversation: Conversation, client_id: str) -> PostedMessage | None:
    if not client_id:
        return None
    message = conversation.messages.filter(client_id=client_id[:64]).first()
    if message is None:
        return None
    return PostedMessage(conversation, message, False, list(message.attachments.all()))


def _repeated_message_by_id(conversation_id: int, client_id: str) -> PostedMessage | None:
    if not client_id:
        return None
    conversation = Conversation.objects.select_related("customer").get(pk=conversation_id)
    return _repeated_message(conversation, client_id)


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


def _apply_status(
    conversation: Conversation, status: Status, actor: User, now: datetime
) -> list[str]:
    """Move ``conversation`` to ``status`` in memory, with its timeline; return changed fields."""
    previous = conversation.status
    conversation.status = status
    fields = ["status"]
    if status == Status.RESOLVED:
        conversation.resolved_at = now
        fields.append("resolved_at")
    elif status == Status.CLOSED:
        conversation.closed_at = now
        if conversation.resolved_at is None:
            conversation.resolved_at = now
        fields += ["closed_at", "resolved_at"]
    elif previous in (Status.RESOLVED, Status.CLOSED):
        conversation.resolved_at = None
        conversation.closed_at = None
        fields += ["resolved_at", "closed_at"]
    events.record_timeline(
        conversation,
        TimelineKind.STATUS_CHANGED,
        actor=actor,
        data={"from": previous, "to": status},
    )
    return fields


def change_status(
    actor: User, conversation_id: int, status: str, *, ip_address: str | None = None
) -> Conversation:
    """Set a conversation's status (open, pending, resolved, closed)."""
    if status not in Status.values:
        raise InvalidChange(_("Unknown status."), field="status")
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        previous = conversation.status
        if previous == status:
            return conversation
        fields = _apply_status(conversation, Status(status), actor, timezone.now())
        conversation.save(update_fields=fields)
        events.audit_conversation(
            actor,
            "conversation.status_changed",
            conversation,
            before={"status": previous},
            after={"status": status},
            ip_address=ip_address,
        )
        events.publish_conversation_changed(conversation)
    return conversation


def change_priority(
    actor: User, conversation_id: int, priority: int, *, ip_address: str | None = None
) -> Conversation:
    """Set a conversation's priority (low, normal, high, urgent)."""
    if priority not in Priority.values:
        raise InvalidChange(_("Unknown priority."), field="priority")
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        previous = conversation.priority
        if previous == priority:
            return conversation
        conversation.priority = priority
        conversation.save(update_fields=["priority"])
        events.record_timeline(
            conversation,
            TimelineKind.PRIORITY_CHANGED,
            actor=actor,
            data={"from": previous, "to": priority},
        )
        events.audit_conversation(
            actor,
            "conversation.priority_changed",
            conversation,
            before={"priority": previous},
            after={"priority": priority},
            ip_address=ip_address,
        )
        events.publish_conversation_changed(conversation)
    return conversation


UNCHANGED = object()


def assign_conversation(
    actor: User,
    conversation_id: int,
    *,
    assignee_id: int | object | None = UNCHANGED,
    queue: str | None = None,
    ip_address: str | None = None,
) -> Conversation:
    """Assign a conversation to an agent (or nobody) and/or transfer it to another team's queue.

    Transferring to another queue without naming an agent leaves it unassigned there.
    """
    if queue is not None and queue not in queues():
        raise InvalidChange(_("Unknown team."), field="queue")
    assignee: User | None = None
    if isinstance(assignee_id, int):
        assignee = User.objects.filter(pk=assignee_id, is_active=True).first()
        if assignee is None:
            raise InvalidChange(_("Unknown agent."), field="assignee")
    with transaction.atomic():
        conversation = lock_conversation(conversation_id)
        before = {"assignee": conversation.assignee_id, "queue": conversation.queue}
        if queue is not None and queue != conversation.queue:
            conversation.queue = queue
            if assignee_id is UNCHANGED:
                conversation.assignee = None
        if assignee_id is not UNCHANGED:
            conversation.assignee = assignee
        after = {"assignee": conversation.assignee_id, "queue": conversation.queue}
        if after == before:
            return conversation
        conversation.save(update_fields=["assignee", "queue"])
        events.record_timeline(
            conversation,
            TimelineKind.ASSIGNED,
            actor=actor,
            data={
                "assignee": conversation.assignee_id,
                "assignee_name": conversation.assignee.public_name if conversation.assignee else "",
                "queue": conversation.queue,
            },
        )
        events.audit_conversation(
            actor,
            "conversation.assigned",
            conversation,
            before=before,
            after=after,
            ip_address=ip_address,
        )
        events.publish_conversation_changed(
            conversation,
            previous_queue=str(before["queue"]),
            previous_assignee_id=before["assignee"]
            if isinstance(before["assignee"], int)
            else None,
        )
    return conversation


def customer_visible_messages(conversation: Conversation) -> list[Message]:
    """The latest messages a customer sees (no internal notes), oldest first, files loaded."""
    messages = list(
        conversation.messages.filter(is_internal=False)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("-pk")[:HISTORY_LIMIT]
    )
    messages.reverse()
    return messages


def customer_messages(conversation: Conversation) -> list[events.MessagePayload]:
    """The JSON form of :func:`customer_visible_messages`."""
    return [
        events.message_payload(m, list(m.attachments.all()))
        for m in customer_visible_messages(conversation)
    ]


def current_widget_conversation(customer: Customer) -> Conversation | None:
    """The customer's latest chat that is not closed, which the widget resumes."""
    return (
        Conversation.objects.filter(customer=customer, channel=Channel.WIDGET)
        .exclude(status=Status.CLOSED)
        .order_by("-pk")
        .first()
    )


def canned_responses_for(conversation: Conversation) -> list[CannedResponse]:
    """Canned responses for the conversation's team and language first, then the rest."""
    responses = list(CannedResponse.objects.all())
    responses.sort(
        key=lambda r: (
            r.queue not in ("", conversation.queue),
            r.language != conversation.language,
            r.title,
        )
    )
    return [r for r in responses if r.queue in ("", conversation.queue)]


def save_canned_response(
    actor: User, form: CannedResponseForm, *, ip_address: str | None = None
) -> CannedResponse:
    """Create or update a canned response from a valid form."""
    is_new = form.instance.pk is None
    with transaction.atomic():
        response = form.save()
        record_audit(
            actor,
            "canned_response.created" if is_new else "canned_response.updated",
            target_type="canned_response",
            target_id=response.pk,
            after={"title": response.title},
            ip_address=ip_address,
        )
    return response


def delete_canned_response(actor: User, response_id: int, *, ip_address: str | None = None) -> bool:
    """Delete a canned response; False when there was none."""
    with transaction.atomic():
        deleted, _rows = CannedResponse.objects.filter(pk=response_id).delete()
        if deleted:
            record_audit(
                actor,
                "canned_response.deleted",
                target_type="canned_response",
                target_id=response_id,
                ip_address=ip_address,
            )
    return bool(deleted)
