"""Every state change of complaint cases.

A case opens when a conversation's intent is a complaint, when staff mark it, or when the
customer asks to escalate from the tracking page. Its owner is above the original agent; they
investigate (with internal notes), propose a resolution, which is posted to the customer as a
reply, and the customer confirms it (the case closes) or rejects it (the case opens again and
goes to an administrator). Each function owns its transaction, timeline row, audit row and
notifications.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kefu.accounts.models import Role, User
from kefu.complaints.access import (
    access_case_by_token,
    may_act_on_case,
    may_reassign_cases,
)
from kefu.complaints.errors import (
    CaseChangeNotAllowed,
    CaseTextInvalid,
    InvalidCaseOwner,
    NoCaseOwner,
)
from kefu.complaints.events import CaseEvent, audit_case, notification_data, record_case_event
from kefu.complaints.models import (
    ACTIVE_STATUSES,
    MAX_COMMENT_CHARS,
    MAX_NOTE_CHARS,
    MAX_REASON_CHARS,
    MAX_RESOLUTION_CHARS,
    OPEN_STATUSES,
    Case,
    CaseNote,
    CaseSource,
    CaseStatus,
)
from kefu.conversations import services as conversations
from kefu.conversations.access import access_conversation_by_token
from kefu.conversations.events import publish_conversation_changed
from kefu.conversations.models import Conversation, Priority, TimelineKind
from kefu.lib.errors import NotFound, PermissionDenied
from kefu.lib.redaction import redact_secrets
from kefu.routing.models import NotificationKind
from kefu.routing.notifications import notify

# Most overdue cases one sweep claims; the next sweep takes the rest.
OVERDUE_BATCH = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_case_text(text: str, *, limit: int, field: str, required: bool = True) -> str:
    """Strip control characters and surrounding space, enforce ``limit`` on what was sent,
    and redact secrets. Raises CaseTextInvalid for empty (when ``required``) or too long text."""
    text = _CONTROL.sub("", text or "").strip()
    if required and not text:
        raise CaseTextInvalid(_("Please write something."), field=field)
    if len(text) > limit:
        raise CaseTextInvalid(
            _("This text can be at most %(limit)d characters.") % {"limit": limit}, field=field
        )
    # A marker can be longer than the secret it replaces: the stored text keeps the limit.
    return redact_secrets(text).text[:limit]


def due_at_from(now: datetime) -> datetime:
    """When a case opened (or reopened) at ``now`` is due."""
    return now + timedelta(hours=settings.COMPLAINT_DUE_HOURS)


def choose_owner(conversation: Conversation) -> User:
    """Who owns a new case on ``conversation``: someone above its assignee.

    For an agent (or nobody): the least busy supervisor of the queue's team, else the least
    busy supervisor, else an administrator. For a supervisor or administrator: another
    administrator, else any administrator. Raises NoCaseOwner when there is nobody.
    """
    staff = User.objects.filter(is_active=True)
    admins = staff.filter(role=Role.ADMIN)
    agent = (
        User.objects.filter(pk=conversation.assignee_id).first()
        if conversation.assignee_id
        else None
    )
    if agent is not None and agent.role in (Role.SUPERVISOR, Role.ADMIN):
        candidates = [admins.exclude(pk=agent.pk), admins]
    else:
        supervisors = staff.filter(role=Role.SUPERVISOR)
        candidates = [supervisors.filter(teams__queue=conversation.queue), supervisors, admins]
    for query in candidates:
        owner = _least_busy(query)
        if owner is not None:
            return owner
    raise NoCaseOwner()


def _least_busy(users: QuerySet[User]) -> User | None:
    return (
        users.annotate(
            open_cases=Count(
                "owned_cases", filter=Q(owned_cases__status__in=OPEN_STATUSES), distinct=True
            )
        )
        .order_by("open_cases", "pk")
        .first()
    )


def open_case(
    conversation_id: int,
    *,
    source: CaseSource,
    reason: str = "",
    opened_by: User | None = None,
    ip_address: str | None = None,
) -> Case:
    """Open a complaint case on a conversation, or return the one that is already open.

    ``opened_by`` is the staff member who marked it (None for the intent and the customer);
    only then is the conversation's priority raised to at least high. The owner is notified.
    Staff callers must have checked access. Raises NotFound, CaseTextInvalid for a too long
    reason, CaseChangeNotAllowed for a closed conversation, NoCaseOwner.
    """
    reason = clean_case_text(reason, limit=MAX_REASON_CHARS, field="reason", required=False)
    with transaction.atomic():
        conversation = _lock_conversation(conversation_id)
        existing = _open_case_of(conversation)
        if existing is not None:
            return existing
        return _create_case(
            conversation, source=source, reason=reason, opened_by=opened_by, ip_address=ip_address
        )


def request_escalation(tracking_token: str, reason: str) -> Case:
    """The customer asks, from the ticket's tracking page, that their complaint be escalated.

    Returns the case that is already open, if any, unchanged. Raises NotFound for an unknown
    token, CaseTextInvalid for an empty or too long reason, CaseChangeNotAllowed for a closed
    ticket.
    """
    conversation = access_conversation_by_token(tracking_token)
    reason = clean_case_text(reason, limit=MAX_REASON_CHARS, field="reason")
    with transaction.atomic():
        conversation = _lock_conversation(conversation.pk)
        existing = _open_case_of(conversation)
        if existing is not None:
            return existing
        return _create_case(conversation, source=CaseSource.CUSTOMER, reason=reason)


def add_note(actor: User, case_id: int, body: str, *, ip_address: str | None = None) -> CaseNote:
    """Add an internal investigation note (staff who may see the case; access checked by the
    caller). Raises NotFound, CaseTextInvalid."""
    body = clean_case_text(body, limit=MAX_NOTE_CHARS, field="body")
    with transaction.atomic():
        case = _lock_case(case_id)
        note = CaseNote.objects.create(case=case, author=actor, body=body)
        record_case_event(case, TimelineKind.CASE_UPDATED, CaseEvent.NOTE_ADDED, actor=actor)
        audit_case(actor, "case.note_added", case, after={"note": note.pk}, ip_address=ip_address)
        publish_conversation_changed(case.conversation)
    return note


def start_investigation(actor: User, case_id: int, *, ip_address: str | None = None) -> Case:
    """The owner (or a supervisor) takes up an open case. Already investigating: unchanged.

    Raises NotFound, PermissionDenied, CaseChangeNotAllowed (closed or waiting for the
    customer).
    """
    with transaction.atomic():
        case = _lock_case(case_id)
        _check_may_act(actor, case)
        if case.status == CaseStatus.INVESTIGATING:
            return case
        if case.status != CaseStatus.OPEN:
            raise CaseChangeNotAllowed()
        _set_status(actor, case, CaseStatus.INVESTIGATING, ip_address=ip_address)
        record_case_event(case, TimelineKind.CASE_UPDATED, CaseEvent.INVESTIGATING, actor=actor)
    return case


def reassign_case(
    actor: User, case_id: int, owner_id: int, *, ip_address: str | None = None
) -> Case:
    """Hand a case that is not closed to another supervisor or administrator (supervisors and
    administrators only), who is notified. Raises NotFound, PermissionDenied,
    InvalidCaseOwner, CaseChangeNotAllowed."""
    if not may_reassign_cases(actor):
        raise PermissionDenied()
    owner = User.objects.filter(
        pk=owner_id, is_active=True, role__in=(Role.SUPERVISOR, Role.ADMIN)
    ).first()
    if owner is None:
        raise InvalidCaseOwner()
    with transaction.atomic():
        case = _lock_case(case_id)
        if not case.is_open:
            raise CaseChangeNotAllowed()
        previous = case.owner_id
        if previous == owner.pk:
            return case
        case.owner = owner
        case.save(update_fields=["owner"])
        record_case_event(
            case,
            TimelineKind.CASE_UPDATED,
            CaseEvent.REASSIGNED,
            actor=actor,
            owner_name=owner.public_name,
        )
        audit_case(
            actor,
            "case.reassigned",
            case,
            before={"owner": previous},
            after={"owner": owner.pk},
            ip_address=ip_address,
        )
        _notify(owner, case, CaseEvent.REASSIGNED)
        publish_conversation_changed(case.conversation)
    return case


def propose_resolution(
    actor: User, case_id: int, text: str, *, ip_address: str | None = None
) -> Case:
    """Tell the customer the resolution: it is posted as a public reply in the conversation
    (ticket-form and API customers are emailed it), and the case waits for the customer to
    confirm or reject it on the tracking page. A new proposal replaces the previous one.

    Raises NotFound, PermissionDenied, CaseTextInvalid, CaseChangeNotAllowed (closed case),
    ConversationClosed.
    """
    text = clean_case_text(text, limit=MAX_RESOLUTION_CHARS, field="resolution")
    with transaction.atomic():
        case = _lock_case(case_id)
        _check_may_act(actor, case)
        if not case.is_open:
            raise CaseChangeNotAllowed()
        conversations.post_agent_message(
            actor, case.conversation_id, body=text, ip_address=ip_address
        )
        case.resolution = text
        case.resolution_proposed_at = timezone.now()
        case.save(update_fields=["resolution", "resolution_proposed_at"])
        _set_status(actor, case, CaseStatus.RESOLUTION_PROPOSED, ip_address=ip_address)
        record_case_event(
            case, TimelineKind.CASE_UPDATED, CaseEvent.RESOLUTION_PROPOSED, actor=actor
        )
    return case


def close_case(actor: User, case_id: int, *, ip_address: str | None = None) -> Case:
    """Close a case without the customer's confirmation (they did not answer, or it was not a
    complaint). Raises NotFound, PermissionDenied, CaseChangeNotAllowed (already closed)."""
    with transaction.atomic():
        case = _lock_case(case_id)
        _check_may_act(actor, case)
        if not case.is_open:
            raise CaseChangeNotAllowed()
        case.closed_at = timezone.now()
        case.save(update_fields=["closed_at"])
        _set_status(actor, case, CaseStatus.CLOSED, ip_address=ip_address)
        record_case_event(case, TimelineKind.CASE_RESOLVED, CaseEvent.CLOSED, actor=actor)
    return case


def customer_confirm(tracking_token: str, case_id: int) -> Case:
    """The customer says the proposed resolution resolves their complaint: the case closes
    and its owner is told. Confirming again changes nothing.

    Raises NotFound (unknown token, or a case of another conversation), CaseChangeNotAllowed
    (no resolution is waiting for the customer).
    """
    found = access_case_by_token(tracking_token, case_id)
    with transaction.atomic():
        case = _lock_case(found.pk)
        if case.status == CaseStatus.CLOSED and case.customer_confirmed_at is not None:
            return case
        if case.status != CaseStatus.RESOLUTION_PROPOSED:
            raise CaseChangeNotAllowed()
        now = timezone.now()
        case.customer_confirmed_at = now
        case.closed_at = now
        case.save(update_fields=["customer_confirmed_at", "closed_at"])
        _set_status(None, case, CaseStatus.CLOSED, action="case.customer_confirmed")
        record_case_event(case, TimelineKind.CASE_RESOLVED, CaseEvent.CONFIRMED)
        _notify(case.owner, case, CaseEvent.CONFIRMED)
    return case


def customer_reject(tracking_token: str, case_id: int, comment: str) -> Case:
    """The customer is still not satisfied with the proposed resolution: the case opens again
    with a new due time, and goes up: a supervisor owner hands it to an administrator. The
    previous owner is told, and the new one too.

    Raises NotFound, CaseTextInvalid (too long comment), CaseChangeNotAllowed (no resolution
    is waiting for the customer).
    """
    found = access_case_by_token(tracking_token, case_id)
    comment = clean_case_text(comment, limit=MAX_COMMENT_CHARS, field="comment", required=False)
    with transaction.atomic():
        case = _lock_case(found.pk)
        if case.status != CaseStatus.RESOLUTION_PROPOSED:
            raise CaseChangeNotAllowed()
        previous_owner = case.owner
        owner = _escalated_owner(previous_owner)
        now = timezone.now()
        before = {"status": case.status, "owner": previous_owner.pk}
        case.status = CaseStatus.OPEN
        case.owner = owner
        case.customer_rejected_at = now
        case.customer_comment = comment
        case.due_at = due_at_from(now)
        case.overdue_notified_at = None
        case.save(
            update_fields=[
                "status",
                "owner",
                "customer_rejected_at",
                "customer_comment",
                "due_at",
                "overdue_notified_at",
            ]
        )
        record_case_event(
            case,
            TimelineKind.CASE_UPDATED,
            CaseEvent.REJECTED,
            comment=comment,
            owner_name=owner.public_name,
            escalated=owner.pk != previous_owner.pk,
        )
        audit_case(
            None,
            "case.customer_rejected",
            case,
            before=before,
            after={"status": case.status, "owner": owner.pk},
        )
        _notify(previous_owner, case, CaseEvent.REJECTED)
        if owner.pk != previous_owner.pk:
            _notify(owner, case, CaseEvent.ESCALATED)
        publish_conversation_changed(case.conversation)
    return case


def check_overdue_cases(now: datetime) -> int:
    """Tell the owner of each case waiting on staff past its due time, once per due time.

    Each case is claimed with a conditional update; only the process whose update changed the
    row notifies, so concurrent sweeps notify once. Returns how many owners were notified.
    """
    candidates = list(
        Case.objects.filter(
            status__in=ACTIVE_STATUSES, due_at__lte=now, overdue_notified_at__isnull=True
        )
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:OVERDUE_BATCH]
    )
    notified = 0
    for case_id in candidates:
        with transaction.atomic():
            claimed = Case.objects.filter(
                pk=case_id,
                status__in=ACTIVE_STATUSES,
                due_at__lte=now,
                overdue_notified_at__isnull=True,
            ).update(overdue_notified_at=now)
            if not claimed:
                continue
            case = Case.objects.select_related("owner", "conversation").get(pk=case_id)
            record_case_event(case, TimelineKind.CASE_UPDATED, CaseEvent.OVERDUE)
            _notify(case.owner, case, CaseEvent.OVERDUE)
            notified += 1
    return notified


def _create_case(
    conversation: Conversation,
    *,
    source: CaseSource,
    reason: str,
    opened_by: User | None = None,
    ip_address: str | None = None,
) -> Case:
    """Create the case on a locked conversation that has none open, with its events."""
    if conversation.is_closed:
        raise CaseChangeNotAllowed(
            _("This conversation is closed. A complaint needs a conversation that is not closed.")
        )
    owner = choose_owner(conversation)
    case = Case.objects.create(
        conversation=conversation,
        source=source,
        reason=reason,
        owner=owner,
        original_agent_id=conversation.assignee_id,
        opened_by=opened_by,
        due_at=due_at_from(timezone.now()),
    )
    if source == CaseSource.CUSTOMER:
        record_case_event(case, TimelineKind.ESCALATION_REQUESTED, CaseEvent.ESCALATION_REQUESTED)
    record_case_event(
        case,
        TimelineKind.CASE_OPENED,
        CaseEvent.OPENED,
        actor=opened_by,
        source=str(source),
        owner_name=owner.public_name,
    )
    audit_case(
        opened_by,
        "case.opened",
        case,
        after={"source": str(source), "owner": owner.pk, "status": case.status},
        ip_address=ip_address,
    )
    _notify(owner, case, CaseEvent.OPENED)
    if opened_by is not None and conversation.priority < Priority.HIGH:
        conversations.change_priority(
            opened_by, conversation.pk, Priority.HIGH, ip_address=ip_address
        )
    else:
        publish_conversation_changed(conversation)
    return case


def _lock_conversation(conversation_id: int) -> Conversation:
    try:
        return conversations.lock_conversation(conversation_id)
    except Conversation.DoesNotExist:
        raise NotFound() from None


def _lock_case(case_id: int) -> Case:
    """Load a case and lock its row until the transaction ends; raises NotFound."""
    case = Case.objects.select_for_update(no_key=True).filter(pk=case_id).first()
    if case is None:
        raise NotFound()
    return case


def _open_case_of(conversation: Conversation) -> Case | None:
    return Case.objects.filter(conversation=conversation, status__in=OPEN_STATUSES).first()


def _check_may_act(actor: User, case: Case) -> None:
    if not may_act_on_case(actor, case):
        raise PermissionDenied()


def _set_status(
    actor: User | None,
    case: Case,
    status: CaseStatus,
    *,
    action: str = "case.status_changed",
    ip_address: str | None = None,
) -> None:
    """Save a locked case's new status, audit it and tell open consoles."""
    previous = case.status
    case.status = status
    case.save(update_fields=["status"])
    audit_case(
        actor,
        action,
        case,
        before={"status": previous},
        after={"status": status},
        ip_address=ip_address,
    )
    publish_conversation_changed(case.conversation)


def _escalated_owner(owner: User) -> User:
    """Who a rejected resolution goes to: an administrator above a supervisor owner."""
    if owner.role == Role.ADMIN and owner.is_active:
        return owner
    admin = _least_busy(User.objects.filter(is_active=True, role=Role.ADMIN))
    return admin or owner


def _notify(owner: User, case: Case, event: CaseEvent) -> None:
    notify(
        [owner],
        NotificationKind.CASE,
        conversation_id=case.conversation_id,
        data=dict(notification_data(case, event)),
    )
