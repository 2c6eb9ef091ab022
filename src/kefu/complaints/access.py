"""The only way user-facing code loads complaint cases.

Staff see a case when they may see its conversation (kefu.conversations.access); the owner,
supervisors and administrators may act on it. "Missing" and "not yours" raise the same NotFound.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import F, Q, QuerySet

from kefu.accounts.models import Role, User
from kefu.complaints.models import ACTIVE_STATUSES, OPEN_STATUSES, Case
from kefu.conversations.access import access_conversation_by_token, visible_conversations
from kefu.conversations.models import Conversation
from kefu.lib.errors import NotFound, PermissionDenied


def visible_cases(user: User) -> QuerySet[Case]:
    """Cases a staff member may open: those of conversations they see, and those they own."""
    cases = Case.objects.all()
    if user.sees_all_queues:
        return cases
    return cases.filter(
        Q(conversation__in=visible_conversations(user).values("pk")) | Q(owner=user)
    )


def access_case(user: User, case_id: int) -> Case:
    """Load a case a staff member may see, or raise NotFound."""
    if not user.is_active:
        raise NotFound()
    case = (
        visible_cases(user)
        .select_related("conversation__customer", "owner", "original_agent", "opened_by")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound()
    return case


def may_act_on_case(user: User, case: Case) -> bool:
    """The owner, supervisors and administrators work a case; other staff may read and add notes."""
    if not user.is_active:
        return False
    if user.pk == case.owner_id:
        return True
    return user.role in (Role.SUPERVISOR, Role.ADMIN)


def may_reassign_cases(user: User) -> bool:
    """Only supervisors and administrators hand a case to another owner."""
    return user.is_active and user.role in (Role.SUPERVISOR, Role.ADMIN)


def access_case_to_act(user: User, case_id: int) -> Case:
    """Load a case the staff member may act on: NotFound when they may not see it,
    PermissionDenied when they see it but may not act."""
    case = access_case(user, case_id)
    if not may_act_on_case(user, case):
        raise PermissionDenied()
    return case


def access_case_by_token(token: str, case_id: int) -> Case:
    """Load a case of the conversation behind a customer's tracking token, or raise NotFound."""
    conversation = access_conversation_by_token(token)
    case = Case.objects.filter(pk=case_id, conversation=conversation).first()
    if case is None:
        raise NotFound()
    case.conversation = conversation
    return case


# The console's lists of cases: owned by me (not closed), every open one, the overdue ones.
CASE_VIEWS = ("mine", "open", "overdue")


def cases_in_view(user: User, view: str, now: datetime) -> QuerySet[Case]:
    """The cases of one console list, soonest due first, with what the list shows loaded."""
    cases = visible_cases(user).filter(status__in=OPEN_STATUSES)
    if view == "mine":
        cases = cases.filter(owner=user)
    elif view == "overdue":
        cases = cases.filter(status__in=ACTIVE_STATUSES, due_at__lte=now)
    return cases.select_related("conversation__customer", "owner").order_by("due_at", "pk")


def possible_owners() -> QuerySet[User]:
    """Who may own a case: active supervisors and administrators."""
    return User.objects.filter(is_active=True, role__in=(Role.SUPERVISOR, Role.ADMIN)).order_by(
        "display_name", "username"
    )


def current_case(conversation: Conversation) -> Case | None:
    """The conversation's case that is not closed, else its latest closed one, else None.

    For pages that already checked access to the conversation (side bar, tracking page).
    """
    return (
        Case.objects.filter(conversation=conversation)
        .select_related("owner")
        .order_by(F("closed_at").desc(nulls_first=True), "-pk")
        .first()
    )
