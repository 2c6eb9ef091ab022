"""The rule editor: name and switches, then one row per condition and one per action.

The rows only collect text; whether a row makes sense is decided by :mod:`kefu.rules.spec`
(the same parser the service uses), so the form and the service never disagree.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kefu.routing.models import BusinessCalendar
from kefu.rules.models import ActionType, ConditionField, Match, Operator, Rule
from kefu.rules.spec import (
    DEFAULT_TIMEZONE,
    MAX_ACTIONS,
    MAX_CONDITIONS,
    parse_actions,
    parse_conditions,
)

_BLANK = [("", "—")]


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    match = forms.ChoiceField(
        label=_("Fires when"), choices=Match.choices, initial=Match.ALL, widget=forms.RadioSelect
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    stop_processing = forms.BooleanField(
        label=_("When this rule fires, skip the rules after it"), required=False
    )


def _calendar_choices() -> list[tuple[str, str]]:
    return [
        *_BLANK,
        *((str(pk), name) for pk, name in BusinessCalendar.objects.values_list("pk", "name")),
    ]


class ConditionRowForm(forms.Form):
    # Plain text with a menu: kefu.rules.spec judges the values, with messages naming the row.
    field = forms.CharField(
        label=_("Field"),
        required=False,
        widget=forms.Select(choices=[*_BLANK, *ConditionField.choices]),
    )
    operator = forms.CharField(
        label=_("Operator"), required=False, widget=forms.Select(choices=Operator.choices)
    )
    value = forms.CharField(label=_("Value"), required=False, max_length=2000)
    timezone = forms.CharField(
        label=_("Time zone"),
        required=False,
        max_length=60,
        initial=DEFAULT_TIMEZONE,
        widget=forms.TextInput(attrs={"list": "rule-timezones"}),
    )
    calendar = forms.CharField(label=_("Business calendar"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["calendar"].widget = forms.Select(choices=_calendar_choices())

    def row(self) -> dict[str, Any] | None:
        """The row for the parser; None for a blank or removed row."""
        data = self.cleaned_data
        if data.get("DELETE") or not data.get("field"):
            return None
        return {
            "field": data["field"],
            "operator": data.get("operator", ""),
            "value": data.get("value", ""),
            "timezone": data.get("timezone", ""),
            "calendar": data.get("calendar", ""),
        }


class ActionRowForm(forms.Form):
    type = forms.CharField(
        label=_("Action"),
        required=False,
        widget=forms.Select(choices=[*_BLANK, *ActionType.choices]),
    )
    value = forms.CharField(label=_("Value"), required=False, max_length=200)

    def row(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if data.get("DELETE") or not data.get("type"):
            return None
        return {"type": data["type"], "value": data.get("value", "")}


ConditionFormSet = forms.formset_factory(
    ConditionRowForm, extra=1, can_delete=True, max_num=MAX_CONDITIONS, validate_max=True
)
ActionFormSet = forms.formset_factory(
    ActionRowForm, extra=1, can_delete=True, max_num=MAX_ACTIONS, validate_max=True
)


def value_text(row: dict[str, Any]) -> str:
    """A stored value as the editor shows it: lists comma-separated, hours as 22-8."""
    value = row.get("value")
    if row.get("operator") == Operator.BETWEEN and isinstance(value, list) and len(value) == 2:
        return str(value[0]) + "-" + str(value[1])
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


class RuleEditor:
    """The three forms of the editor, checked together."""

    def __init__(self, data: Any = None, rule: Rule | None = None) -> None:
        initial: dict[str, Any] = {}
        conditions: list[dict[str, Any]] = []
        actions: list[dict[str, Any]] = []
        if rule is not None:
            initial = {
                "name": rule.name,
                "match": rule.match,
                "is_active": rule.is_active,
                "stop_processing": rule.stop_processing,
            }
            conditions = [
                {**row, "value": value_text(row), "calendar": str(row.get("calendar") or "")}
                for row in rule.conditions
            ]
            actions = [{**row, "value": value_text(row)} for row in rule.actions]
        self.form = RuleForm(data, initial=initial)
        self.conditions = ConditionFormSet(data, prefix="conditions", initial=conditions)
        self.actions = ActionFormSet(data, prefix="actions", initial=actions)
        self.condition_errors: list[str] = []
        self.action_errors: list[str] = []

    def is_valid(self) -> bool:
        forms_valid = all(
            [self.form.is_valid(), self.conditions.is_valid(), self.actions.is_valid()]
        )
        if not forms_valid:
            return False
        try:
            parse_conditions(self.condition_rows())
        except ValidationError as error:
            self.condition_errors = list(error.messages)
        try:
            parse_actions(self.action_rows())
        except ValidationError as error:
            self.action_errors = list(error.messages)
        return not (self.condition_errors or self.action_errors)

    def condition_rows(self) -> list[dict[str, Any]]:
        rows = (form.row() for form in self.conditions.forms if form.is_valid())
        return [row for row in rows if row is not None]

    def action_rows(self) -> list[dict[str, Any]]:
        rows = (form.row() for form in self.actions.forms if form.is_valid())
        return [row for row in rows if row is not None]

    def rule_fields(self) -> dict[str, Any]:
        """The keyword arguments of ``save_rule`` (call after is_valid)."""
        data = self.form.cleaned_data
        return {
            "name": data["name"],
            "match": data["match"],
            "is_active": data["is_active"],
            "stop_processing": data["stop_processing"],
            "conditions": self.condition_rows(),
            "actions": self.action_rows(),
        }

    def add_error(self, field: str | None, message: str) -> None:
        """Show a service error where it belongs."""
        if field == "conditions":
            self.condition_errors.append(message)
        elif field == "actions":
            self.action_errors.append(message)
        else:
            self.form.add_error(field if field in self.form.fields else None, message)
