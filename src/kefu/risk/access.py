"""Who may see and decide the security team's review cases."""

from __future__ import annotations

from django.db.models import QuerySet

from kefu.accounts.models import User
from kefu.lib.errors import NotFound
from kefu.risk.models import RiskCase

SECURITY_QUEUE = "account_security"


def works_security(user: User) -> bool:
    """Supervisors, administrators and the account-security team see risk cases."""
    if not user.is_active:
        return False
    return user.sees_all_queues or user.teams.filter(queue=SECURITY_QUEUE).exists()


def visible_cases(user: User) -> QuerySet[RiskCase]:
    if not works_security(user):
        raise NotFound()
    return RiskCase.objects.all()


def access_case(user: User, case_id: int) -> RiskCase:
    """A case the staff member may review, or NotFound (missing and not allowed alike)."""
    case = visible_cases(user).filter(pk=case_id).first()
    if case is None:
        raise NotFound()
    return case
