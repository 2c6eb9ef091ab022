"""Conditions and actions are checked in one place, with messages naming the bad row."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kefu.accounts.models import AuditLogEntry, User
from kefu.rules.errors import RuleInvalid
from kefu.rules.models import Rule
from kefu.rules.services import save_rule
from kefu.rules.spec import parse_actions, parse_conditions

pytestmark = pytest.mark.django_db

GOOD_ACTIONS = [{"type": "add_tag", "value": "vip"}]


def condition_error(conditions: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        parse_conditions(conditions)
    return caught.value.messages[0]


def action_error(actions: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        parse_actions(actions)
    return caught.value.messages[0]


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ("[{", "This is not valid JSON."),
        ('{"field": "channel"}', "Expected a list of rows."),
        (["channel"], "Condition 1: each condition needs a field, an operator and a value."),
        (
            [
                {"field": "channel", "operator": "is", "value": "widget"},
                {"field": "mood", "operator": "is", "value": "angry"},
            ],
            "Condition 2: unknown field “mood”.",
        ),
        (
            [{"field": "channel", "operator": "matches", "value": "w.*"}],
            "Condition 1: “matches” cannot be used with Channel.",
        ),
        (
            [{"field": "keyword", "operator": "is", "value": "hacked"}],
            "Condition 1: “is” cannot be used with Keywords in the subject or customer messages.",
        ),
        (
            [{"field": "intent", "operator": "is", "value": "deposit.lost"}],
            "Condition 1: unknown intent “deposit.lost”.",
        ),
        (
            [{"field": "queue", "operator": "in", "value": "trading, vip_desk"}],
            "Condition 1: unknown queue “vip_desk”.",
        ),
        (
            [{"field": "channel", "operator": "is", "value": "fax"}],
            "Condition 1: unknown channel “fax”.",
        ),
        (
            [{"field": "priority", "operator": "gte", "value": "critical"}],
            "Condition 1: unknown priority “critical”.",
        ),
        (
            [{"field": "vip_tier", "operator": "is", "value": 5}],
            "Condition 1: unknown VIP tier “5”.",
        ),
        (
            [{"field": "language", "operator": "is", "value": "fr"}],
            "Condition 1: unknown language “fr”.",
        ),
        (
            [{"field": "security_level", "operator": "is", "value": "red"}],
            "Condition 1: unknown security level “red”.",
        ),
        (
            [{"field": "channel", "operator": "in", "value": " , "}],
            "Condition 1: a value is needed.",
        ),
        (
            [{"field": "tag", "operator": "is", "value": "no tags!"}],
            "Condition 1: A tag is 1 to 40 letters, digits, dashes or underscores.",
        ),
        (
            [{"field": "weekday", "operator": "in", "value": "5, 7", "timezone": "UTC"}],
            "Condition 1: weekdays are 0 (Monday) to 6 (Sunday), not “7”.",
        ),
        (
            [{"field": "weekday", "operator": "in", "value": [1], "timezone": "Mars/Olympus"}],
            "Condition 1: unknown time zone “Mars/Olympus”.",
        ),
        (
            [{"field": "hour", "operator": "between", "value": "nine to five"}],
            "Condition 1: write hours as start-end, like 9-18 or 22-8.",
        ),
        (
            [{"field": "hour", "operator": "between", "value": "9-9"}],
            "Condition 1: hours run from 0 to 24, and the start differs from the end.",
        ),
        (
            [{"field": "business_hours", "operator": "is", "value": "open", "calendar": 999}],
            "Condition 1: choose a business calendar.",
        ),
        (
            [{"field": "business_hours", "operator": "is", "value": "lunch", "calendar": 1}],
            "Condition 1: business hours are “open” or “closed”.",
        ),
    ],
)
def test_bad_conditions_are_named(conditions: Any, message: str) -> None:
    with translation.override("en"):
        assert condition_error(conditions) == message


@pytest.mark.parametrize(
    ("actions", "message"),
    [
        ([], "Add at least one action."),
        ("not json", "This is not valid JSON."),
        (
            [{"type": "add_tag", "value": "ok"}, {"type": "close", "value": ""}],
            "Action 2: unknown action “close”.",
        ),
        ([{"type": "set_queue", "value": "vip_desk"}], "Action 1: unknown queue “vip_desk”."),
        ([{"type": "assign_team", "value": ""}], "Action 1: a value is needed."),
        ([{"type": "set_priority", "value": 7}], "Action 1: unknown priority “7”."),
        ([{"type": "send_canned_reply", "value": 999}], "Action 1: choose a canned response."),
        (
            [{"type": "notify", "value": "everyone"}],
            "Action 1: notify “supervisors”, “team” or a staff member.",
        ),
        (
            [{"type": "notify", "value": 999}],
            "Action 1: notify “supervisors”, “team” or a staff member.",
        ),
    ],
)
def test_bad_actions_are_named(actions: Any, message: str) -> None:
    with translation.override("en"):
        assert action_error(actions) == message


def test_messages_are_translated() -> None:
    with translation.override("zh-hans"):
        message = condition_error([{"field": "intent", "operator": "is", "value": "x.y"}])
    assert "x.y" in message and "Condition" not in message


def test_values_are_stored_in_one_form(supervisor: User) -> None:
    made = save_rule(
        supervisor,
        None,
        name="  VIP   withdrawals ",
        conditions='[{"field": "vip_tier", "operator": "in", "value": "vip3, institutional"},'
        ' {"field": "priority", "operator": "gte", "value": "High"},'
        ' {"field": "hour", "operator": "between", "value": "22:00-08:00"},'
        ' {"field": "keyword", "operator": "contains", "value": "被盗，stolen, 被盗"}]',
        actions=[{"type": "set_priority", "value": "urgent"}, {"type": "add_tag", "value": "VIP"}],
    )
    made.refresh_from_db()
    assert made.name == "VIP withdrawals"
    assert made.conditions == [
        {"field": "vip_tier", "operator": "in", "value": [3, 9]},
        {"field": "priority", "operator": "gte", "value": 3},
        {"field": "hour", "operator": "between", "value": [22, 8], "timezone": "Asia/Shanghai"},
        {"field": "keyword", "operator": "contains", "value": ["被盗", "stolen"]},
    ]
    assert made.actions == [
        {"type": "set_priority", "value": 4},
        {"type": "add_tag", "value": "vip"},
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"match": "most"}, "match"),
        ({"conditions": [{"field": "intent", "operator": "is", "value": "nope"}]}, "conditions"),
        ({"actions": [{"type": "set_queue", "value": "nope"}]}, "actions"),
        ({"actions": "{"}, "actions"),
    ],
)
def test_the_service_refuses_bad_rules_and_stores_nothing(
    supervisor: User, changes: dict[str, Any], field: str
) -> None:
    arguments: dict[str, Any] = {"name": "Rule", "conditions": [], "actions": GOOD_ACTIONS}
    arguments.update(changes)
    with pytest.raises(RuleInvalid) as caught:
        save_rule(supervisor, None, **arguments)
    assert caught.value.field == field
    assert not Rule.objects.exists()
    assert not AuditLogEntry.objects.filter(action__startswith="rule.").exists()
