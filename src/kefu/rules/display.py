"""Rules in words, in the reader's language: for the rules list and the conversation timeline.

Everything here reads stored JSON defensively: a timeline row outlives the rule, the canned
response and the staff member it names. The strings returned are plain text (the templates
escape them), never HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from kefu.accounts.models import User
from kefu.conversations.models import (
    CannedResponse,
    Channel,
    Language,
    Priority,
    SecurityLevel,
    VipTier,
)
from kefu.lib.taxonomy import intents, queue_name
from kefu.routing.models import BusinessCalendar
from kefu.rules.models import ActionType, ConditionField, Operator, Rule
from kefu.rules.spec import CLOSED, NOTIFY_SUPERVISORS, NOTIFY_TEAM, OPEN


@dataclass(frozen=True)
class Names:
    """Titles and names of what rules refer to by id (empty: show what the row says)."""

    canned: dict[int, str] = field(default_factory=dict)
    users: dict[int, str] = field(default_factory=dict)
    calendars: dict[int, str] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Names:
        """Every canned response, staff member and calendar: three queries in all."""
        return cls(
            canned=dict(CannedResponse.objects.values_list("pk", "title")),
            users={user.pk: user.public_name for user in User.objects.all()},
            calendars=dict(BusinessCalendar.objects.values_list("pk", "name")),
        )


@dataclass(frozen=True)
class RuleSummary:
    rule: Rule
    conditions: list[str]
    actions: list[str]


def summaries(rules: list[Rule], names: Names) -> list[RuleSummary]:
    return [
        RuleSummary(
            rule,
            [describe_condition(row, names) for row in _rows(rule.conditions)],
            [describe_action(row, names) for row in _rows(rule.actions)],
        )
        for rule in rules
    ]


def describe_actions(rows: object, names: Names | None = None) -> str:
    """``priority → Urgent; tag “vip”``."""
    return "; ".join(describe_action(row, names or Names()) for row in _rows(rows))


def describe_condition(row: dict[str, Any], names: Names) -> str:
    field_name = str(row.get("field", ""))
    operator = str(row.get("operator", ""))
    value = row.get("value")
    field_label = (
        str(ConditionField(field_name).label) if field_name in ConditionField.values else field_name
    )
    operator_label = str(Operator(operator).label) if operator in Operator.values else operator
    if field_name == ConditionField.HOUR and isinstance(value, list) and len(value) == 2:
        shown = _("%(start)02d:00 and %(end)02d:00 (%(zone)s)") % {
            "start": int(value[0]),
            "end": int(value[1]),
            "zone": row.get("timezone", ""),
        }
    elif field_name == ConditionField.BUSINESS_HOURS:
        calendar = row.get("calendar")
        state = {OPEN: _("open"), CLOSED: _("closed")}.get(str(value), str(value))
        calendar_name = names.calendars.get(calendar, "") if isinstance(calendar, int) else ""
        shown = _("%(state)s (%(calendar)s)") % {
            "state": state,
            "calendar": calendar_name or "#" + str(calendar),
        }
    else:
        items = value if isinstance(value, list) else [value]
        shown = ", ".join(_value_name(field_name, item) for item in items)
        if field_name == ConditionField.WEEKDAY:
            shown += " (" + str(row.get("timezone", "")) + ")"
    return _("%(field)s %(operator)s %(value)s") % {
        "field": field_label,
        "operator": operator_label,
        "value": shown,
    }


def _value_name(field_name: str, value: object) -> str:
    text = str(value)
    if field_name == ConditionField.CHANNEL and text in Channel.values:
        return str(Channel(text).label)
    if field_name == ConditionField.INTENT and text in intents():
        return intents()[text].name
    if field_name == ConditionField.QUEUE:
        return queue_name(text)
    if field_name == ConditionField.LANGUAGE and text in Language.values:
        return str(Language(text).label)
    if (
        field_name == ConditionField.PRIORITY
        and isinstance(value, int)
        and value in Priority.values
    ):
        return str(Priority(value).label)
    if field_name == ConditionField.VIP_TIER and isinstance(value, int) and value in VipTier.values:
        return str(VipTier(value).label)
    if field_name == ConditionField.SECURITY_LEVEL and text in SecurityLevel.values:
        return str(SecurityLevel(text).label)
    if field_name == ConditionField.WEEKDAY and value in WEEKDAYS:
        return str(WEEKDAYS[value])  # type: ignore[index]
    if field_name in (ConditionField.KEYWORD, ConditionField.TAG):
        return "“" + text + "”"
    return text


def describe_action(row: dict[str, Any], names: Names) -> str:
    kind = str(row.get("type", ""))
    value = row.get("value")
    detail = str(row.get("detail", ""))
    if kind == ActionType.SET_QUEUE:
        return _("queue → %(queue)s") % {"queue": queue_name(str(value))}
    if kind == ActionType.ASSIGN_TEAM:
        return _("team → %(team)s") % {"team": queue_name(str(value))}
    if kind == ActionType.SET_PRIORITY:
        label = Priority(value).label if value in Priority.values else value
        return _("priority → %(priority)s") % {"priority": label}
    if kind == ActionType.ADD_TAG:
        return _("tag “%(tag)s”") % {"tag": value}
    if kind == ActionType.SEND_CANNED_REPLY:
        if row.get("skipped"):
            return _("canned reply not sent (it no longer exists)")
        title = detail or (names.canned.get(value, "") if isinstance(value, int) else "")
        return _("canned reply “%(title)s”") % {"title": title or "#" + str(value)}
    if kind == ActionType.NOTIFY:
        if value == NOTIFY_SUPERVISORS:
            return _("notify the supervisors")
        if value == NOTIFY_TEAM:
            return _("notify the team")
        name = detail or (names.users.get(value, "") if isinstance(value, int) else "")
        return _("notify %(name)s") % {"name": name or "#" + str(value)}
    return kind


def _rows(rows: object) -> list[dict[str, Any]]:
    if not isinstance(rows, list):
        return []
    return [row for row in rows if isinstance(row, dict)]
