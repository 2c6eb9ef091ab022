"""Timeline and audit rows of rules.

A rule that fires is on the conversation's timeline (``rule_fired``) with what it did; every
change a supervisor makes to the rules is an audit row, in the same transaction.
"""

from __future__ import annotations

from typing import Any

from kefu.accounts.events import record_audit
from kefu.accounts.models import User
from kefu.conversations.events import record_timeline
from kefu.conversations.models import Conversation, TimelineEvent, TimelineKind
from kefu.rules.models import Rule


def rule_snapshot(rule: Rule) -> dict[str, Any]:
    """What the audit log keeps of a rule before and after a change."""
    return {
        "name": rule.name,
        "position": rule.position,
        "is_active": rule.is_active,
        "match": rule.match,
        "conditions": rule.conditions,
        "actions": rule.actions,
        "stop_processing": rule.stop_processing,
    }


def audit_rule(
    actor: User | None,
    action: str,
    rule_id: int | str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> None:
    """Audit a change to a rule (``rule.created``, ``rule.updated`` ...)."""
    record_audit(
        actor,
        action,
        target_type="rule",
        target_id=rule_id,
        before=before,
        after=after,
        ip_address=ip_address,
    )


def record_rule_fired(
    conversation: Conversation, rule: Rule, actions: list[dict[str, Any]]
) -> TimelineEvent:
    """Put a fired rule on the timeline: its id, its name (as it was) and what it did.

    ``actions`` are the canonical actions, each with a ``detail`` (a canned response's title,
    a staff member's name) where one helps the reader.
    """
    return record_timeline(
        conversation,
        TimelineKind.RULE_FIRED,
        data={"rule": rule.pk, "name": rule.name, "actions": actions},
    )
