"""Permission-checked lookups of rules: only supervisors and administrators manage them.

Agents get the same not-found error as for a rule that does not exist, so the console does
not even tell them the pages are there.
"""

from __future__ import annotations

from django.db.models import QuerySet

from kefu.accounts.models import User
from kefu.lib.errors import NotFound
from kefu.rules.models import Rule


def check_can_manage_rules(user: User) -> None:
    """Raise NotFound unless the user is an active supervisor or administrator."""
    if not user.is_active:
        raise NotFound()
    if not user.sees_all_queues:
        raise NotFound()


def access_rules(user: User) -> QuerySet[Rule]:
    """Every rule, in evaluation order, for someone who may manage them."""
    check_can_manage_rules(user)
    return Rule.objects.select_related("updated_by").order_by("position", "pk")


def access_rule(user: User, rule_id: int) -> Rule:
    """One rule for the editor; NotFound when missing or when the user may not manage rules."""
    check_can_manage_rules(user)
    rule = Rule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise NotFound()
    return rule
