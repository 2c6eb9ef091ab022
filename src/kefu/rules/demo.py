"""Demo rules: what a support lead of an exchange would set up first. Safe to run twice."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from kefu.conversations.models import CannedResponse, Channel, Priority, VipTier
from kefu.routing.models import BusinessCalendar
from kefu.rules.models import Rule
from kefu.rules.services import save_rule
from kefu.rules.spec import DEFAULT_TIMEZONE, NOTIFY_SUPERVISORS

AFTER_HOURS_TITLES = ("After hours", "非工作时间")


def load_demo_rules() -> int:
    """Create the demo rules that do not exist yet (by name); returns how many were created."""
    existing = set(Rule.objects.values_list("name", flat=True))
    created = 0
    with transaction.atomic():
        for rule in _demo_rules():
            if rule["name"] in existing:
                continue
            save_rule(None, None, **rule)
            created += 1
    return created


def _demo_rules() -> list[dict[str, Any]]:
    return [
        {
            "name": "Telegram phishing reports go to account security",
            "conditions": [
                {"field": "channel", "operator": "is", "value": Channel.TELEGRAM},
                {"field": "intent", "operator": "is", "value": "security.phishing_scam"},
            ],
            "actions": [
                {"type": "set_queue", "value": "account_security"},
                {"type": "add_tag", "value": "phishing"},
            ],
        },
        {
            "name": "Hacked or stolen funds: urgent, tell the supervisors",
            "conditions": [
                {
                    "field": "keyword",
                    "operator": "contains",
                    "value": ["hacked", "stolen", "被盗", "盗号", "被黑"],
                }
            ],
            "actions": [
                {"type": "set_priority", "value": Priority.URGENT},
                {"type": "assign_team", "value": "account_security"},
                {"type": "notify", "value": NOTIFY_SUPERVISORS},
            ],
        },
        {
            "name": "VIP withdrawals first",
            "conditions": [
                {
                    "field": "vip_tier",
                    "operator": "in",
                    "value": [VipTier.VIP3, VipTier.INSTITUTIONAL],
                },
                {
                    "field": "intent",
                    "operator": "in",
                    "value": ["withdrawal.pending", "withdrawal.failed", "withdrawal.limits_fees"],
                },
            ],
            "actions": [
                {"type": "set_priority", "value": Priority.HIGH},
                {"type": "add_tag", "value": "vip"},
            ],
        },
        {
            "name": "Outside business hours",
            "conditions": [_outside_hours()],
            "actions": [_after_hours_action()],
        },
    ]


def _outside_hours() -> dict[str, Any]:
    """Closed on the first business calendar, or (without one) 22:00 to 08:00 in Shanghai."""
    calendar = BusinessCalendar.objects.order_by("pk").first()
    if calendar is not None:
        return {
            "field": "business_hours",
            "operator": "is",
            "value": "closed",
            "calendar": calendar.pk,
        }
    return {"field": "hour", "operator": "between", "value": "22-8", "timezone": DEFAULT_TIMEZONE}


def _after_hours_action() -> dict[str, Any]:
    """The after-hours canned reply when there is one, else just a tag agents can filter on."""
    canned = CannedResponse.objects.filter(title__in=AFTER_HOURS_TITLES).order_by("pk").first()
    if canned is not None:
        return {"type": "send_canned_reply", "value": canned.pk}
    return {"type": "add_tag", "value": "after-hours"}
