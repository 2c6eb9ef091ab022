"""Timeline rows, audit rows and notification payloads of complaint cases.

Every case event lands on its conversation's timeline (kinds CASE_OPENED, CASE_UPDATED,
CASE_RESOLVED, ESCALATION_REQUESTED) with ``data["case"]`` and ``data["event"]``; audit rows
target the conversation, so the audit log links them, and name the case in ``after``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypedDict

from kefu.accounts.models import User
from kefu.complaints.models import Case
from kefu.conversations.events import audit_conversation, record_timeline
from kefu.conversations.models import TimelineEvent, TimelineKind


class CaseEvent(StrEnum):
    """What happened to a case, as stored in timeline and notification data."""

    OPENED = "opened"
    ESCALATION_REQUESTED = "escalation_requested"
    NOTE_ADDED = "note_added"
    INVESTIGATING = "investigating"
    REASSIGNED = "reassigned"
    RESOLUTION_PROPOSED = "resolution_proposed"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    ESCALATED = "escalated"
    CLOSED = "closed"
    OVERDUE = "overdue"


class CaseNotificationData(TypedDict):
    case: int
    event: str


def notification_data(case: Case, event: CaseEvent) -> CaseNotificationData:
    """What a case notification carries: the text is made from it in the reader's language."""
    return {"case": case.pk, "event": str(event)}


def record_case_event(
    case: Case,
    kind: TimelineKind,
    event: CaseEvent,
    *,
    actor: User | None = None,
    **data: Any,
) -> TimelineEvent:
    """Add a case event to the conversation's timeline (``data``: short strings and ids)."""
    return record_timeline(
        case.conversation,
        kind,
        actor=actor,
        data={"case": case.pk, "event": str(event), **data},
    )


def audit_case(
    actor: User | None,
    action: str,
    case: Case,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> None:
    """Audit an action on a case, as an action on its conversation (the audit log links it);
    ``actor`` None is the customer or the system."""
    audit_conversation(
        actor,
        action,
        case.conversation,
        before=before,
        after={"case": case.pk, **(after or {})},
        ip_address=ip_address,
    )
