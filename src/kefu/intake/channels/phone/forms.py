"""The form an agent logs a call with."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.intake.channels.phone.services import MAX_NOTES_CHARS, MAX_RECORDING_URL_CHARS
from kefu.intake.models import CallDirection


class CallLogForm(forms.Form):
    direction = forms.ChoiceField(label=_("Direction"), choices=CallDirection.choices)
    customer_number = forms.CharField(
        label=_("Customer's number"),
        max_length=40,
        required=False,
        help_text=_("Leave empty to use the number on the customer's profile."),
    )
    started_at = forms.DateTimeField(
        label=_("Started"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    duration_minutes = forms.IntegerField(label=_("Minutes"), min_value=0, max_value=1440)
    duration_seconds = forms.IntegerField(
        label=_("Seconds"), min_value=0, max_value=59, required=False
    )
    recording_url = forms.URLField(
        label=_("Recording link"),
        max_length=MAX_RECORDING_URL_CHARS,
        required=False,
        assume_scheme="https",
    )
    notes = forms.CharField(
        label=_("Notes"),
        max_length=MAX_NOTES_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    @property
    def total_seconds(self) -> int:
        """The call's length from the minutes and seconds fields (after ``is_valid()``)."""
        minutes: int = self.cleaned_data["duration_minutes"]
        seconds: int = self.cleaned_data.get("duration_seconds") or 0
        return minutes * 60 + seconds
