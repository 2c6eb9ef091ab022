"""Cases built through the services, for tests."""

from __future__ import annotations

from kefu.accounts.models import User
from kefu.complaints import services
from kefu.complaints.models import Case, CaseSource
from kefu.routing.models import Notification


def proposed_case(
    conversation_id: int, owner_hint: User, *, text: str = "We refunded the fee."
) -> Case:
    """A case opened by ``owner_hint`` (staff) whose owner proposed ``text``."""
    case = services.open_case(
        conversation_id, source=CaseSource.AGENT, reason="Rude reply", opened_by=owner_hint
    )
    return services.propose_resolution(case.owner, case.pk, text)


def case_notifications(user: User) -> list[tuple[int, str]]:
    """The case notifications ``user`` got, oldest first: (case id, event)."""
    return [
        (n.data["case"], n.data["event"])
        for n in Notification.objects.filter(recipient=user, kind="case").order_by("pk")
    ]
