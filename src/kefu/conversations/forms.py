"""Console forms: reply, and the conversation's properties."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kefu.conversations.models import CannedResponse, Language, Priority, Status
from kefu.intake.channels.form.forms import MultipleFileField
from kefu.lib.taxonomy import queue_choices

KEEP_STATUS = ""


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    is_internal = forms.BooleanField(
        label=_("Internal note (customer does not see it)"), required=False
    )
    set_status = forms.ChoiceField(
        label=_("Then"),
        required=False,
        choices=[
            (KEEP_STATUS, _("keep status")),
            (Status.PENDING, _("set pending")),
            (Status.RESOLVED, _("set resolved")),
        ],
    )
    client_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    attachments = MultipleFileField(label=_("Attachments"))


class PropertiesForm(forms.Form):
    """One field at a time is posted by the side bar's controls."""

    status = forms.ChoiceField(label=_("Status"), choices=Status.choices, required=False)
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, required=False, empty_value=None
    )
    queue = forms.ChoiceField(
        label=_("Team"), required=False, choices=lambda: [("", ""), *queue_choices()]
    )
    assignee = forms.CharField(label=_("Agent"), required=False, max_length=20)


class CannedResponseForm(forms.ModelForm[CannedResponse]):
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    queue = forms.ChoiceField(
        label=_("Team (empty: every team)"),
        required=False,
        choices=lambda: [("", "—"), *queue_choices()],
    )

    class Meta:
        model = CannedResponse
        fields = ["title", "body", "language", "queue"]
