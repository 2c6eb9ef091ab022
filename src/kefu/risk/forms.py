"""Forms of the risk pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.risk.models import ActionKind, Severity
from kefu.risk.screening import MAX_ADDRESS_LENGTH


class ScreenForm(forms.Form):
    address = forms.CharField(label=_("Address"), max_length=MAX_ADDRESS_LENGTH)
    asset = forms.CharField(
        label=_("Asset (optional)"),
        max_length=20,
        required=False,
        help_text=_("Every list is checked whatever the asset."),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("confirm", _("Confirm: fraud or takeover")),
            ("dismiss", _("Dismiss: it was the customer")),
        ],
    )
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class PolicyForm(forms.Form):
    """One row of checkboxes per severity."""

    def __init__(self, *args: Any, current: dict[int, tuple[str, ...]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for severity, label in Severity.choices:
            self.fields[f"severity_{severity}"] = forms.MultipleChoiceField(
                label=label,
                choices=ActionKind.choices,
                required=False,
                initial=list(current.get(severity, ())),
                widget=forms.CheckboxSelectMultiple,
            )
