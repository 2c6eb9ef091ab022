"""Forms of complaint cases: the console's actions and the customer's answers."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.complaints.models import (
    MAX_COMMENT_CHARS,
    MAX_NOTE_CHARS,
    MAX_REASON_CHARS,
    MAX_RESOLUTION_CHARS,
)


class ComplaintForm(forms.Form):
    """Staff mark a conversation as a complaint."""

    reason = forms.CharField(
        label=_("Why is this a complaint?"),
        max_length=MAX_REASON_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class EscalationForm(forms.Form):
    """The customer asks to escalate, on the tracking page."""

    reason = forms.CharField(
        label=_("What went wrong?"),
        max_length=MAX_REASON_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": _("Please tell us what went wrong."),
            "max_length": _("Please keep it under %(limit_value)d characters."),
        },
    )


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Investigation note"),
        max_length=MAX_NOTE_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ResolutionForm(forms.Form):
    text = forms.CharField(
        label=_("Resolution (sent to the customer)"),
        max_length=MAX_RESOLUTION_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ReassignForm(forms.Form):
    owner = forms.IntegerField(label=_("New owner"), min_value=1)


class RejectForm(forms.Form):
    """The customer is still not satisfied with the proposed resolution."""

    comment = forms.CharField(
        label=_("What is still wrong?"),
        max_length=MAX_COMMENT_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("Please keep it under %(limit_value)d characters.")},
    )
