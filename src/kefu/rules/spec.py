"""What a rule says: its conditions and actions, parsed from JSON into typed values.

This module is the one place that decides whether a condition or an action is valid. The
console form and :func:`kefu.rules.services.save_rule` both call :func:`parse_conditions` and
:func:`parse_actions`; each raises a ``ValidationError`` whose message names the bad row.
What is stored is the canonical JSON of the parsed values (:meth:`Condition.as_json`).

Values may be written loosely (a comma-separated string for a list, "urgent" for a priority,
"22-8" for hours); they are stored in one form only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from kefu.conversations.errors import InvalidChange
from kefu.conversations.models import (
    CannedResponse,
    Channel,
    Language,
    Priority,
    SecurityLevel,
    VipTier,
)
from kefu.conversations.services import clean_tag
from kefu.lib.taxonomy import intents, queues
from kefu.rules.models import ActionType, ConditionField, Operator

DEFAULT_TIMEZONE = "Asia/Shanghai"
MAX_CONDITIONS = 20
MAX_ACTIONS = 10
MAX_LIST_ITEMS = 50
MAX_KEYWORD_CHARS = 100
NOTIFY_SUPERVISORS = "supervisors"
NOTIFY_TEAM = "team"
OPEN = "open"
CLOSED = "closed"

_LIST_SEPARATORS = re.compile(r"[,，、;；\n]+")
_HOURS = re.compile(r"^\s*(\d{1,2})(?::00)?\s*[-–~～至到]\s*(\d{1,2})(?::00)?\s*$")

_EQUALITY = (Operator.IS, Operator.IS_NOT, Operator.IN, Operator.NOT_IN)
_ORDERED = (*_EQUALITY, Operator.GTE, Operator.LTE)

FIELD_OPERATORS: dict[ConditionField, tuple[Operator, ...]] = {
    ConditionField.CHANNEL: _EQUALITY,
    ConditionField.INTENT: _EQUALITY,
    ConditionField.QUEUE: _EQUALITY,
    ConditionField.LANGUAGE: (Operator.IS, Operator.IS_NOT),
    ConditionField.PRIORITY: _ORDERED,
    ConditionField.VIP_TIER: _ORDERED,
    ConditionField.SECURITY_LEVEL: _EQUALITY,
    ConditionField.KEYWORD: (Operator.CONTAINS,),
    ConditionField.TAG: _EQUALITY,
    ConditionField.WEEKDAY: _EQUALITY,
    ConditionField.HOUR: (Operator.BETWEEN,),
    ConditionField.BUSINESS_HOURS: (Operator.IS,),
}
LIST_OPERATORS = (Operator.IN, Operator.NOT_IN, Operator.CONTAINS)
ZONED_FIELDS = (ConditionField.WEEKDAY, ConditionField.HOUR)

ConditionValue = str | int | tuple[str, ...] | tuple[int, ...]


@dataclass(frozen=True)
class Condition:
    """One condition. ``values`` holds one item for is/is_not/gte/lte, the items for
    in/not_in/contains, (start, end) hours for between and "open"/"closed" for business
    hours. ``timezone`` is set for weekday and hour, ``calendar`` for business hours."""

    field: ConditionField
    operator: Operator
    values: tuple[str | int, ...]
    timezone: str = ""
    calendar: int | None = None

    def as_json(self) -> dict[str, Any]:
        """The canonical form stored in ``Rule.conditions``."""
        value: Any
        if self.operator in LIST_OPERATORS or self.operator == Operator.BETWEEN:
            value = list(self.values)
        else:
            value = self.values[0]
        row: dict[str, Any] = {
            "field": str(self.field),
            "operator": str(self.operator),
            "value": value,
        }
        if self.field in ZONED_FIELDS:
            row["timezone"] = self.timezone
        if self.field == ConditionField.BUSINESS_HOURS:
            row["calendar"] = self.calendar
        return row


@dataclass(frozen=True)
class Action:
    """One action: a queue (set_queue, assign_team), a priority, a tag, a canned response id,
    or whom to notify ("supervisors", "team" or a staff user id)."""

    type: ActionType
    value: str | int

    def as_json(self) -> dict[str, Any]:
        """The canonical form stored in ``Rule.actions``."""
        return {"type": str(self.type), "value": self.value}


def parse_conditions(raw: object, *, check_references: bool = True) -> tuple[Condition, ...]:
    """Parse a list of ``{"field", "operator", "value"}`` rows (or its JSON text).

    ``check_references`` looks up the business calendars named; evaluation of stored rules
    skips it. Raises ValidationError naming the first bad row.
    """
    rows = _rows(raw, MAX_CONDITIONS, _("Too many conditions (at most %(limit)d)."))
    return tuple(
        _parse_condition(number, row, check_references=check_references)
        for number, row in enumerate(rows, start=1)
    )


def parse_actions(raw: object, *, check_references: bool = True) -> tuple[Action, ...]:
    """Parse a list of ``{"type", "value"}`` rows (or its JSON text); at least one.

    ``check_references`` looks up canned responses and staff users named; evaluation of
    stored rules skips it. Raises ValidationError naming the first bad row.
    """
    rows = _rows(raw, MAX_ACTIONS, _("Too many actions (at most %(limit)d)."))
    if not rows:
        raise ValidationError(_("Add at least one action."), code="no_actions")
    return tuple(
        _parse_action(number, row, check_references=check_references)
        for number, row in enumerate(rows, start=1)
    )


def _rows(raw: object, limit: int, too_many: Any) -> list[object]:
    if isinstance(raw, str | bytes):
        try:
            raw = json.loads(raw or "[]")
        except ValueError:
            raise ValidationError(_("This is not valid JSON."), code="json") from None
    if not isinstance(raw, list | tuple):
        raise ValidationError(_("Expected a list of rows."), code="not_a_list")
    if len(raw) > limit:
        raise ValidationError(too_many, code="too_many", params={"limit": limit})
    return list(raw)


# --- conditions -------------------------------------------------------------------------------


def _condition_error(number: int, message: Any, **params: object) -> ValidationError:
    return ValidationError(
        _("Condition %(row)d: %(problem)s"),
        code="condition",
        params={"row": number, "problem": message % params if params else message},
    )


def _parse_condition(number: int, row: object, *, check_references: bool) -> Condition:
    if not isinstance(row, dict):
        raise _condition_error(number, _("each condition needs a field, an operator and a value."))
    field_name = str(row.get("field", "")).strip()
    if field_name not in ConditionField.values:
        raise _condition_error(number, _("unknown field “%(field)s”."), field=field_name)
    field = ConditionField(field_name)
    operator_name = str(row.get("operator", "")).strip()
    if (
        operator_name not in Operator.values
        or Operator(operator_name) not in FIELD_OPERATORS[field]
    ):
        raise _condition_error(
            number,
            _("“%(operator)s” cannot be used with %(field)s."),
            operator=operator_name,
            field=field.label,
        )
    operator = Operator(operator_name)
    value = row.get("value")
    try:
        if field == ConditionField.HOUR:
            values: tuple[str | int, ...] = _hours(value)
        elif field == ConditionField.BUSINESS_HOURS:
            values = (_open_or_closed(value),)
        else:
            parse = _VALUE_PARSERS[field]
            items = _items(value) if operator in LIST_OPERATORS else [_scalar(value)]
            values = tuple(dict.fromkeys(parse(item) for item in items))
            if not values:
                raise ValidationError(_("a value is needed."))
    except ValidationError as error:
        raise _condition_error(number, error.messages[0]) from None
    timezone = ""
    if field in ZONED_FIELDS:
        timezone = _timezone(number, row.get("timezone"))
    calendar = None
    if field == ConditionField.BUSINESS_HOURS:
        calendar = _calendar(number, row.get("calendar"), check_references=check_references)
    return Condition(field, operator, values, timezone=timezone, calendar=calendar)


def _items(value: object) -> list[object]:
    if isinstance(value, str):
        items: Iterable[object] = _LIST_SEPARATORS.split(value)
    elif isinstance(value, list | tuple):
        items = value
    elif value is None:
        items = []
    else:
        items = [value]
    cleaned = [item.strip() if isinstance(item, str) else item for item in items]
    result = [item for item in cleaned if item != ""]
    if not result:
        raise ValidationError(_("a value is needed."))
    if len(result) > MAX_LIST_ITEMS:
        raise ValidationError(_("at most %(limit)d values.") % {"limit": MAX_LIST_ITEMS})
    return result


def _scalar(value: object) -> object:
    if isinstance(value, list | tuple):
        if len(value) != 1:
            raise ValidationError(_("one value is needed."))
        value = value[0]
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        raise ValidationError(_("a value is needed."))
    return value


def _text_choice(allowed: Iterable[str], message: Any) -> Any:
    choices = set(allowed)

    def parse(item: object) -> str:
        text = str(item).strip()
        if text not in choices:
            raise ValidationError(message % {"value": text})
        return text

    return parse


def _integer_choice(choices: type[models.IntegerChoices], message: Any) -> Any:
    names = {member.name.lower().replace("_", ""): int(member.value) for member in choices}

    def parse(item: object) -> int:
        text = str(item).strip()
        number: int | None = None
        if isinstance(item, int) and not isinstance(item, bool):
            number = item
        elif text.isdigit():
            number = int(text)
        else:
            number = names.get(text.lower().replace(" ", "").replace("_", ""))
        if number is None or number not in choices.values:
            raise ValidationError(message % {"value": text})
        return number

    return parse


def _intent(item: object) -> str:
    text = str(item).strip()
    if text not in intents():
        raise ValidationError(_("unknown intent “%(value)s”.") % {"value": text})
    return text


def _tag(item: object) -> str:
    try:
        return clean_tag(str(item))
    except InvalidChange as error:
        raise ValidationError(str(error.message)) from None


def _keyword(item: object) -> str:
    text = " ".join(str(item).split())
    if not text or len(text) > MAX_KEYWORD_CHARS:
        raise ValidationError(
            _("a keyword is 1 to %(limit)d characters.") % {"limit": MAX_KEYWORD_CHARS}
        )
    return text


def _weekday(item: object) -> int:
    text = str(item).strip()
    if isinstance(item, bool) or not text.isdigit() or not 0 <= int(text) <= 6:
        raise ValidationError(
            _("weekdays are 0 (Monday) to 6 (Sunday), not “%(value)s”.") % {"value": text}
        )
    return int(text)


_VALUE_PARSERS: dict[ConditionField, Any] = {
    ConditionField.CHANNEL: _text_choice(Channel.values, _("unknown channel “%(value)s”.")),
    ConditionField.INTENT: _intent,
    ConditionField.QUEUE: _text_choice(queues(), _("unknown queue “%(value)s”.")),
    ConditionField.LANGUAGE: _text_choice(Language.values, _("unknown language “%(value)s”.")),
    ConditionField.PRIORITY: _integer_choice(Priority, _("unknown priority “%(value)s”.")),
    ConditionField.VIP_TIER: _integer_choice(VipTier, _("unknown VIP tier “%(value)s”.")),
    ConditionField.SECURITY_LEVEL: _text_choice(
        SecurityLevel.values, _("unknown security level “%(value)s”.")
    ),
    ConditionField.KEYWORD: _keyword,
    ConditionField.TAG: _tag,
    ConditionField.WEEKDAY: _weekday,
}


def _hours(value: object) -> tuple[int, int]:
    if isinstance(value, list | tuple) and len(value) == 2:
        start_text, end_text = (str(part).strip() for part in value)
    else:
        match = _HOURS.match(str(value or ""))
        if match is None:
            raise ValidationError(_("write hours as start-end, like 9-18 or 22-8."))
        start_text, end_text = match.groups()
    if not (start_text.isdigit() and end_text.isdigit()):
        raise ValidationError(_("write hours as start-end, like 9-18 or 22-8."))
    start, end = int(start_text), int(end_text)
    if not (0 <= start <= 23 and 0 <= end <= 24) or start == end % 24:
        raise ValidationError(_("hours run from 0 to 24, and the start differs from the end."))
    return start, end


def _open_or_closed(value: object) -> str:
    text = str(_scalar(value)).strip().lower()
    if text not in (OPEN, CLOSED):
        raise ValidationError(_("business hours are “open” or “closed”."))
    return text


def _timezone(number: int, value: object) -> str:
    name = str(value or "").strip() or DEFAULT_TIMEZONE
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _condition_error(number, _("unknown time zone “%(zone)s”."), zone=name) from None
    return name


def _calendar(number: int, value: object, *, check_references: bool) -> int:
    from kefu.routing.models import BusinessCalendar

    text = str(value or "").strip()
    if not text.isdigit() or (
        check_references and not BusinessCalendar.objects.filter(pk=int(text)).exists()
    ):
        raise _condition_error(number, _("choose a business calendar."))
    return int(text)


# --- actions ----------------------------------------------------------------------------------


def _action_error(number: int, message: Any, **params: object) -> ValidationError:
    return ValidationError(
        _("Action %(row)d: %(problem)s"),
        code="action",
        params={"row": number, "problem": message % params if params else message},
    )


def _parse_action(number: int, row: object, *, check_references: bool) -> Action:
    if not isinstance(row, dict):
        raise _action_error(number, _("each action needs a type and a value."))
    type_name = str(row.get("type", "")).strip()
    if type_name not in ActionType.values:
        raise _action_error(number, _("unknown action “%(type)s”."), type=type_name)
    action_type = ActionType(type_name)
    try:
        value = _scalar(row.get("value"))
        parsed = _ACTION_PARSERS[action_type](value, check_references)
    except ValidationError as error:
        raise _action_error(number, error.messages[0]) from None
    return Action(action_type, parsed)


def _queue_value(value: object, _check: bool) -> str:
    text = str(value).strip()
    if text not in queues():
        raise ValidationError(_("unknown queue “%(value)s”.") % {"value": text})
    return text


def _priority_value(value: object, _check: bool) -> int:
    parse = _VALUE_PARSERS[ConditionField.PRIORITY]
    number: int = parse(value)
    return number


def _tag_value(value: object, _check: bool) -> str:
    return _tag(value)


def _canned_value(value: object, check: bool) -> int:
    text = str(value).strip()
    if not text.isdigit() or (check and not CannedResponse.objects.filter(pk=int(text)).exists()):
        raise ValidationError(_("choose a canned response."))
    return int(text)


def _notify_value(value: object, check: bool) -> str | int:
    from kefu.accounts.models import User

    text = str(value).strip().lower()
    if text in (NOTIFY_SUPERVISORS, NOTIFY_TEAM):
        return text
    if not text.isdigit() or (
        check and not User.objects.filter(pk=int(text), is_active=True).exists()
    ):
        raise ValidationError(_("notify “supervisors”, “team” or a staff member."))
    return int(text)


_ACTION_PARSERS: dict[ActionType, Any] = {
    ActionType.SET_QUEUE: _queue_value,
    ActionType.ASSIGN_TEAM: _queue_value,
    ActionType.SET_PRIORITY: _priority_value,
    ActionType.ADD_TAG: _tag_value,
    ActionType.SEND_CANNED_REPLY: _canned_value,
    ActionType.NOTIFY: _notify_value,
}
