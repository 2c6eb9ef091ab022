"""Permission-checked lookups of the routing pages."""

from __future__ import annotations

from kefu.accounts.models import User
from kefu.lib.errors import NotFound
from kefu.routing.models import BusinessCalendar, SlaPolicy


def require_supervisor(user: User) -> None:
    """Routing set-up and the SLA board are for supervisors and administrators: anyone else
    gets the same not-found as a missing page."""
    if not user.sees_all_queues:
        raise NotFound()


def access_staff_member(user: User, staff_id: int) -> User:
    require_supervisor(user)
    member = User.objects.filter(pk=staff_id, is_active=True).first()
    if member is None:
        raise NotFound()
    return member


def access_sla_policy(user: User, policy_id: int) -> SlaPolicy:
    require_supervisor(user)
    policy = SlaPolicy.objects.filter(pk=policy_id).first()
    if policy is None:
        raise NotFound()
    return policy


def access_calendar(user: User, calendar_id: int) -> BusinessCalendar:
    require_supervisor(user)
    calendar = BusinessCalendar.objects.filter(pk=calendar_id).first()
    if calendar is None:
        raise NotFound()
    return calendar
